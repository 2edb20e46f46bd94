"""Checkpoint to GGUF: check everything, write F32/F16 with gguf-py, quantize with llama.cpp.

The order matters for trust: all headers, shapes, the vocabulary and the functional
tokens are checked before a byte is written, so a bad checkpoint fails in a second with a
clear message instead of after minutes of writing. Output goes to temporary files in the
destination directory and reaches its final name only through ``os.replace`` once
complete; on any failure, Ctrl-C included, the temporary files are removed.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gguf
import numpy as np

from octopus_cli.atomic import publish, temporary_sibling
from octopus_cli.errors import ConversionError
from octopus_cli.functions import FunctionSet, load_function_set

from .architectures import GemmaFamilyModel, TensorPlan, architecture_for
from .hub import fetch_checkpoint, looks_like_repo_id
from .safetensors import index_checkpoint, iter_row_chunks
from .vocab import Vocabulary, load_vocabulary

LFT = gguf.LlamaFileType
# Output types: name -> llama.cpp ftype (enum llama_ftype; gguf.LlamaFileType mirrors it).
QUANT_TYPES: dict[str, int] = {
    "q4_k_m": int(LFT.MOSTLY_Q4_K_M),
    "q4_0": int(LFT.MOSTLY_Q4_0),
    "q8_0": int(LFT.MOSTLY_Q8_0),
    "f16": int(LFT.MOSTLY_F16),
    "f32": int(LFT.ALL_F32),
}
DEFAULT_QUANT = "q4_k_m"
_WRITTEN_DIRECTLY = {"f16", "f32"}  # everything else goes through llama.cpp's quantizer
_F16_MAX = float(np.finfo(np.float16).max)

# GGUF keys the octopus runtime reads (see the module docstring of octopus_cli.convert)
KEY_FUNCTION_SET = "octopus.function_set"
KEY_FUNCTION_TOKENS = "octopus.function_tokens"
KEY_FUNCTION_NAMES = "octopus.function_names"
KEY_END_TOKEN = "octopus.end_token_id"


@dataclass(frozen=True)
class ConversionSummary:
    """What a conversion produced, for the command's closing summary."""

    out: Path
    quant: str
    tensors: int
    parameters: int
    output_bytes: int
    seconds: float
    architecture: str = ""
    function_tokens: int = 0
    quantize_seconds: float = 0.0  # the part of ``seconds`` spent in llama.cpp's quantizer


@dataclass(frozen=True)
class FunctionalTokens:
    """Ids of a function set's tokens in this vocabulary, in function-set order."""

    set_name: str
    token_ids: list[int]
    names: list[str]
    end_id: int


def convert_checkpoint(
    source: str | Path,
    out: Path,
    quant: str = DEFAULT_QUANT,
    function_set: FunctionSet | None = None,
    progress: bool = True,
    *,
    require_functional_tokens: bool = True,
    revision: str | None = None,
) -> ConversionSummary:
    """Convert a Hugging Face Gemma-family checkpoint (directory or hub repo id) to GGUF.

    ``function_set`` None means the built-in Android set. With
    ``require_functional_tokens=False`` a checkpoint without the set's tokens (plain
    Gemma 3, say) converts too; the functional-token metadata is then written only if
    every token of the set is present.
    """
    started = time.perf_counter()
    quant = quant.lower()
    if quant not in QUANT_TYPES:
        raise ConversionError(
            f"unknown quantization type {quant!r}",
            hint=f"choose one of {', '.join(QUANT_TYPES)}",
        )
    out = Path(out).expanduser()
    if out.is_dir():
        raise ConversionError(
            f"{out} is a directory", hint="give the output file name, e.g. model.gguf"
        )

    directory = resolve_source(source, revision)
    config = _read_config(directory)
    model = architecture_for(config)
    plans = model.plan(index_checkpoint(directory))
    vocab = load_vocabulary(directory, model.vocab_size)
    functional = find_functional_tokens(vocab, function_set, require_functional_tokens)

    # Quantizing reads the intermediate file, so make it lossless: F16 only if every
    # source tensor already is F16, else F32 (bf16 does not fit F16's range).
    all_f16 = all(p.entry.dtype == "F16" for p in plans)
    if quant == "f32" or (quant not in _WRITTEN_DIRECTLY and not all_f16):
        stage_type = "f32"
    else:
        stage_type = "f16"

    name = str(source) if not Path(str(source)).exists() else directory.resolve().name
    out.parent.mkdir(parents=True, exist_ok=True)
    check_disk(out.parent, plans, stage_type, quant)
    quantize_seconds = write_and_quantize(
        out,
        quant,
        stage_type,
        lambda staged: write_gguf(
            staged, model, plans, vocab, functional, stage_type, name, progress
        ),
        progress,
    )

    return ConversionSummary(
        out=out,
        quant=quant,
        tensors=len(plans),
        parameters=sum(p.n_elements for p in plans),
        output_bytes=out.stat().st_size,
        seconds=time.perf_counter() - started,
        architecture=model.hf_architecture,
        function_tokens=len(functional.token_ids) if functional else 0,
        quantize_seconds=quantize_seconds,
    )


def resolve_source(source: str | Path, revision: str | None = None) -> Path:
    """A local checkpoint directory, or a hub repo id fetched into the hub cache."""
    path = Path(source).expanduser()
    if path.is_dir():
        return path
    if path.exists():
        raise ConversionError(
            f"{path} is a file", hint="point SOURCE at the checkpoint directory (with config.json)"
        )
    if isinstance(source, str) and looks_like_repo_id(source):
        return fetch_checkpoint(source, revision)
    raise ConversionError(
        f"{source} is neither a directory nor a hub repository id",
        hint="pass a checkpoint directory or a repo id like NexaAIDev/Octopus-v2",
    )


def _read_config(directory: Path) -> dict[str, Any]:
    path = directory / "config.json"
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConversionError(
            f"no config.json in {directory}", hint="point SOURCE at a Hugging Face checkpoint"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(f"cannot read config.json: {exc}") from None
    if not isinstance(config, dict):
        raise ConversionError("config.json is not a JSON object")
    return config


def find_functional_tokens(
    vocab: Vocabulary, function_set: FunctionSet | None, required: bool
) -> FunctionalTokens | None:
    """Find the set's tokens among the checkpoint's added tokens, or explain what is missing."""
    fs = function_set if function_set is not None else load_function_set()
    missing = [t for t in fs.token_texts if t not in vocab.added]
    if missing:
        if not required:
            return None
        shown = ", ".join(missing[:4]) + (" ..." if len(missing) > 4 else "")
        raise ConversionError(
            f"checkpoint lacks {len(missing)} functional token(s) of function set "
            f"{fs.name!r}: {shown}",
            hint="fine-tune with these tokens added to the tokenizer, pass the function set "
            "the model was trained with, or convert a plain model with --plain",
        )
    ids = [vocab.added[fs.token_text(f.token)] for f in fs.functions]
    return FunctionalTokens(
        set_name=fs.name,
        token_ids=ids,
        names=[f.name for f in fs.functions],
        end_id=vocab.added[fs.end_token],
    )


def write_and_quantize(
    out: Path,
    quant: str,
    stage_type: str,
    write_stage: Callable[[Path], None],
    progress: bool,
) -> float:
    """Write the F16/F32 staging file, quantize it with llama.cpp, place it at ``out``.

    ``write_stage`` fills the staging file. Both files live beside ``out`` and are removed
    whatever happens; ``out`` appears only complete. Returns the seconds spent quantizing.
    """
    quantize_seconds = 0.0
    try:
        with temporary_sibling(out, f".{stage_type}.tmp") as staged:
            write_stage(staged)
            if quant in _WRITTEN_DIRECTLY:
                publish(staged, out)
            else:
                with temporary_sibling(out, f".{quant}.tmp") as quantized:
                    started = time.perf_counter()
                    _quantize(staged, quantized, quant, progress)
                    quantize_seconds = time.perf_counter() - started
                    publish(quantized, out)
    except OSError as exc:  # disk full, read-only or vanished directory, ...
        raise ConversionError(
            f"cannot write {out}: {exc.strerror or exc}",
            hint="check the output directory's permissions and free space",
        ) from None
    return quantize_seconds


def check_disk(directory: Path, plans: list[TensorPlan], stage_type: str, quant: str) -> None:
    """Refuse early when the intermediate file and the output cannot both fit."""
    width = 4 if stage_type == "f32" else 2
    staged = sum(p.n_elements * (4 if p.keep_f32 else width) for p in plans)
    # a quantized output is at most about half of the F16/F32 intermediate (Q8_0 from F16)
    needed = staged if quant in _WRITTEN_DIRECTLY else staged + staged // 2
    needed += 64 << 20  # metadata, padding and a little room
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise ConversionError(
            f"not enough free disk in {directory}: about {needed / 1e9:.1f} GB needed, "
            f"{free / 1e9:.1f} GB free",
            hint="free some space or write --out to another disk",
        )


def _progress(enabled: bool) -> contextlib.AbstractContextManager[Any]:
    """A Rich progress display on stderr, or a stand-in that yields None."""
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )


def write_gguf(
    path: Path,
    model: GemmaFamilyModel,
    plans: list[TensorPlan],
    vocab: Vocabulary,
    functional: FunctionalTokens | None,
    stage_type: str,
    name: str,
    progress: bool,
) -> None:
    """Write metadata and tensors; tensor data is streamed in row chunks, one tensor at a time."""
    ftype = QUANT_TYPES[stage_type]
    bulk = gguf.GGMLQuantizationType.F16 if stage_type == "f16" else gguf.GGMLQuantizationType.F32
    writer = gguf.GGUFWriter(path=None, arch=gguf.MODEL_ARCH_NAMES[model.gguf_arch])
    try:
        writer.add_type(gguf.GGUFType.MODEL)
        writer.add_name(name)
        n_params = sum(p.n_elements for p in plans)
        writer.add_size_label(gguf.size_label(n_params, 0, 0, 0))
        model.write_hparams(writer, ftype)
        writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
        _write_vocab(writer, model, vocab, functional)

        types: list[gguf.GGMLQuantizationType] = []
        for plan in plans:
            qtype = gguf.GGMLQuantizationType.F32 if plan.keep_f32 else bulk
            dtype = np.dtype(np.float32 if qtype == gguf.GGMLQuantizationType.F32 else np.float16)
            nbytes = plan.n_elements * dtype.itemsize
            writer.add_tensor_info(plan.gguf_name, plan.out_shape, dtype, nbytes, raw_dtype=qtype)
            types.append(qtype)

        writer.write_header_to_file(path=path)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        assert writer.fout is not None and len(writer.fout) == 1
        fout = writer.fout[0]
        with _progress(progress) as bar:
            task = bar.add_task("Converting tensors", total=len(plans)) if bar else None
            for plan, qtype in zip(plans, types, strict=True):
                writer.write_padding(fout, fout.tell())
                start = fout.tell()
                _write_tensor(fout, plan, qtype)
                written = fout.tell() - start
                expected = plan.n_elements * (4 if qtype == gguf.GGMLQuantizationType.F32 else 2)
                if written != expected:  # pragma: no cover - would be a bug here
                    raise ConversionError(f"{plan.gguf_name}: wrote {written} of {expected} bytes")
                writer.write_padding(fout, written)
                if bar is not None:
                    bar.advance(task)
        fout.flush()
    finally:
        writer.close()


def _write_tensor(fout: Any, plan: TensorPlan, qtype: gguf.GGMLQuantizationType) -> None:
    """Stream one tensor: read rows, apply the architecture's rule, check, write."""
    rows_left = plan.out_shape[0] if plan.out_shape else 1
    for chunk in iter_row_chunks(plan.entry):
        if rows_left <= 0:
            break  # embedding rows past the vocabulary (Gemma 3) are dropped
        if plan.out_shape and chunk.shape[0] > rows_left:
            chunk = chunk[:rows_left]
        rows_left -= chunk.shape[0] if plan.out_shape else 1
        if plan.norm_shift:
            chunk += np.float32(plan.norm_shift)
        if not np.isfinite(chunk).all():
            raise ConversionError(
                f"{plan.hf_name} contains NaN or infinite values",
                hint="the checkpoint is damaged or was saved from a diverged training run",
            )
        if qtype == gguf.GGMLQuantizationType.F16:
            if chunk.size and float(np.abs(chunk).max()) > _F16_MAX:
                raise ConversionError(
                    f"{plan.hf_name} has values beyond float16's range",
                    hint="use --quant f32, or a quantized type (they are made from F32)",
                )
            chunk = chunk.astype(np.float16)
        chunk.astype(chunk.dtype.newbyteorder("<"), copy=False).tofile(fout)


def _write_vocab(
    writer: gguf.GGUFWriter,
    model: GemmaFamilyModel,
    vocab: Vocabulary,
    functional: FunctionalTokens | None,
) -> None:
    """Tokenizer keys as upstream writes them, plus the functional-token keys."""
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(vocab.tokens)
    writer.add_token_scores(vocab.scores)
    writer.add_token_types(vocab.types)
    for typ, token_id in vocab.special_ids.items():
        getattr(writer, f"add_{typ}_token_id")(token_id)
    for typ, flag in vocab.add_special.items():
        handler = getattr(writer, f"add_add_{typ}_token", None)
        if handler is not None:
            handler(flag)
    if vocab.chat_template is not None:
        writer.add_chat_template(vocab.chat_template)
    eot = model.write_vocab_extras(writer, vocab)
    if functional is not None:
        # <nexa_end> ends generation, so llama.cpp stops on it without a text stop string
        eot = functional.end_id
        writer.add_string(KEY_FUNCTION_SET, functional.set_name)
        writer.add_key_value(
            KEY_FUNCTION_TOKENS,
            [int(i) for i in functional.token_ids],
            gguf.GGUFValueType.ARRAY,
            sub_type=gguf.GGUFValueType.INT32,
        )
        writer.add_key_value(
            KEY_FUNCTION_NAMES,
            list(functional.names),
            gguf.GGUFValueType.ARRAY,
            sub_type=gguf.GGUFValueType.STRING,
        )
        writer.add_uint32(KEY_END_TOKEN, functional.end_id)
    if eot is not None:
        writer.add_eot_token_id(eot)


def _quantize(source: Path, dest: Path, quant: str, progress: bool) -> None:
    """Quantize with llama.cpp's own quantizer (the code behind ``llama-quantize``).

    llama.cpp prints a line per tensor (and warnings for small tensors) straight to the
    process's stderr; that goes to a log file instead, whose tail explains a failure.
    """
    import ctypes

    import llama_cpp

    from octopus_cli.runtime import llama_log_lines

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = QUANT_TYPES[quant]
    params.nthread = 0  # all cores
    if progress:
        from rich.console import Console

        Console(stderr=True).print(f"Quantizing to {quant.upper()} with llama.cpp ...")
    # llama-cpp-python forwards llama.cpp's log to sys.stderr from Python (when its logger
    # lets it: a Llama(verbose=False) anywhere silences errors too), and C code may write
    # to file descriptor 2 directly: let everything through and catch both.
    lib_logger = logging.getLogger("llama-cpp-python")
    old_level = lib_logger.level
    lib_logger.setLevel(logging.DEBUG)
    try:
        with (
            tempfile.TemporaryFile(mode="w+b") as c_log,
            _stderr_to(c_log),
            contextlib.redirect_stderr(io.StringIO()) as py_log,
            llama_log_lines() as quiet_log,  # where the log goes once a model was loaded
        ):
            status = llama_cpp.llama_model_quantize(
                str(source).encode(), str(dest).encode(), ctypes.byref(params)
            )
            c_log.seek(0)
            log = py_log.getvalue() + c_log.read().decode("utf-8", errors="replace")
            log += "".join(quiet_log)
    finally:
        lib_logger.setLevel(old_level)
    if status != 0:
        tail = [line for line in log.strip().splitlines() if line.strip()][-3:]
        raise ConversionError(
            f"llama.cpp could not quantize to {quant} (status {status})"
            + (": " + " / ".join(tail) if tail else ""),
            hint="try --quant f16 to check the conversion itself",
        )


@contextlib.contextmanager
def _stderr_to(file: Any) -> Iterator[None]:
    """Point file descriptor 2 at ``file`` for the duration (C code writes there directly)."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(file.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def gguf_parameter_count(path: Path) -> int:
    """Elements over all tensors of a GGUF file (used by tests and the benchmark)."""
    reader = gguf.GGUFReader(path)
    return sum(math.prod(int(d) for d in t.shape) for t in reader.tensors)
