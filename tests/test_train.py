"""``octopus train`` on a tiny Gemma 3 checkpoint: the artifact, its reproducibility, merging.

The base is the tiny random Gemma 3 of ``tests/convert/fixtures.py`` (384 tokens, hidden
64, two layers), so 20 steps take about a second. The same base converted to a float32
GGUF checks the artifact's names and shapes against real GGUF tensors, and the GGUF
loading path of the trainer.
"""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import peft  # noqa: F401
import pytest
import torch
import transformers  # noqa: F401
import typer
from safetensors.numpy import load_file
from typer.testing import CliRunner

from octopus_cli.commands.train import train_command
from octopus_cli.functions import FunctionSet, load_function_set
from octopus_cli.train import trainer
from octopus_cli.train.data import build_dataset, templates_sha256
from octopus_cli.train.trainer import (
    ADAPTER_FILE,
    LORA_TARGETS,
    MANIFEST_FILE,
    NEW_ROWS_TENSOR,
    FunctionalTokenLM,
    TrainingDependencyError,
    TrainingError,
    TrainOptions,
    TrainReport,
    checkpoint_path,
    encode_examples,
    run_training,
)
from tests.convert.fixtures import TINY, build_tiny_gemma3_checkpoint

BASE_VOCAB = 384  # SentencePiece pieces of the tiny tokenizer = embedding rows
# One thread: the tiny model's operations are microseconds long, and with two threads on
# two shared cores every parallel region can wait a whole time slice for a busy core.
OPTIONS = TrainOptions(
    per_function=3, irrelevant=6, batch_size=4, lr=3e-3, epochs=5, seed=7, threads=1
)
STEPS = 20


@pytest.fixture(scope="module")
def android() -> FunctionSet:
    return load_function_set()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gemma3_checkpoint(tmp_path_factory.mktemp("base"), functional_tokens=False)


@pytest.fixture(scope="module")
def base_weights(base: Path) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for shard in sorted(base.glob("*.safetensors")):
        weights.update(load_file(shard))
    return weights


def _train(
    android: FunctionSet,
    base: Path,
    out: Path,
    merged: Path | None = None,
    steps: int = STEPS,
    **extra: Any,
) -> TrainReport:
    options = TrainOptions(**{**OPTIONS.__dict__, "max_steps": steps})
    return run_training(android, base, out, options, save_merged=merged, progress=False, **extra)


@pytest.fixture(scope="module")
def run(android: FunctionSet, base: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainReport:
    """The reference run: artifact plus merged checkpoint (its PEFT model is unloaded)."""
    where = tmp_path_factory.mktemp("run")
    return _train(android, base, where / "artifact", merged=where / "merged")


@pytest.fixture(scope="module")
def rerun(
    android: FunctionSet, base: Path, tmp_path_factory: pytest.TempPathFactory
) -> TrainReport:
    """The same run again, without merging, so its PEFT model stays usable."""
    return _train(android, base, tmp_path_factory.mktemp("rerun") / "artifact")


def _expected_shapes() -> dict[str, tuple[int, ...]]:
    d = TINY
    io = {
        "attn_q": (d.hidden, d.heads * d.head_dim),
        "attn_k": (d.hidden, d.kv_heads * d.head_dim),
        "attn_v": (d.hidden, d.kv_heads * d.head_dim),
        "attn_output": (d.heads * d.head_dim, d.hidden),
        "ffn_gate": (d.hidden, d.intermediate),
        "ffn_up": (d.hidden, d.intermediate),
        "ffn_down": (d.intermediate, d.hidden),
    }
    shapes: dict[str, tuple[int, ...]] = {}
    for layer in range(d.layers):
        for name, (n_in, n_out) in io.items():
            shapes[f"blk.{layer}.{name}.weight.lora_a"] = (16, n_in)
            shapes[f"blk.{layer}.{name}.weight.lora_b"] = (n_out, 16)
    shapes[NEW_ROWS_TENSOR] = (22, d.hidden)
    return shapes


def test_loss_decreases(run: TrainReport) -> None:
    assert len(run.losses) == STEPS
    first, last = np.mean(run.losses[:4]), np.mean(run.losses[-4:])
    assert last < 0.9 * first, run.losses


def test_artifact_has_exactly_the_agreed_tensors(run: TrainReport) -> None:
    tensors = load_file(run.out / ADAPTER_FILE)
    assert {k: v.shape for k, v in tensors.items()} == _expected_shapes()
    assert {v.dtype for v in tensors.values()} == {np.dtype(np.float16)}
    assert sorted(p.name for p in run.out.iterdir()) == [ADAPTER_FILE, MANIFEST_FILE]
    # trained: B left zero, and the new rows left their initial values
    assert all(np.abs(v).max() > 0 for k, v in tensors.items() if k.endswith(".lora_b"))


def test_artifact_names_and_shapes_match_a_real_gguf(run: TrainReport, base: Path) -> None:
    """Every adapted tensor exists in the base's GGUF as [out, in] (numpy order)."""
    import gguf

    from octopus_cli.convert import convert_checkpoint

    path = run.out.parent / "base.gguf"
    convert_checkpoint(base, path, quant="f32", progress=False, require_functional_tokens=False)
    gguf_shapes = {t.name: tuple(t.data.shape) for t in gguf.GGUFReader(path).tensors}
    tensors = load_file(run.out / ADAPTER_FILE)
    for name in tensors:
        if name == NEW_ROWS_TENSOR:
            continue
        weight = name.rsplit(".", 1)[0]
        a, b = tensors[weight + ".lora_a"], tensors[weight + ".lora_b"]
        assert gguf_shapes[weight] == (b.shape[0], a.shape[1]), name
    assert gguf_shapes["token_embd.weight"] == (BASE_VOCAB, TINY.hidden)
    assert tensors[NEW_ROWS_TENSOR].shape[1] == gguf_shapes["token_embd.weight"][1]


def test_manifest_fields(run: TrainReport, android: FunctionSet) -> None:
    manifest = json.loads((run.out / MANIFEST_FILE).read_text())
    assert manifest == run.manifest
    assert list(manifest) == [
        "format",
        "base",
        "added_tokens",
        "function_set",
        "lora",
        "data",
        "training",
        "metrics",
    ]
    assert manifest["format"] == 1
    assert set(manifest["base"]) == {"package", "version", "file", "sha256"}
    assert len(manifest["base"]["sha256"]) == 64
    texts = [f"<nexa_{i}>" for i in range(21)] + ["<nexa_end>"]
    assert manifest["added_tokens"] == [
        {"text": t, "id": BASE_VOCAB + i} for i, t in enumerate(texts)
    ]
    assert manifest["function_set"] == {
        "name": "android",
        "sha256": trainer.file_sha256(android.source),
        "signature_sha256": android.signature_sha256(),
        "path": "functions/android.toml",
    }
    assert manifest["lora"] == {
        "r": 16,
        "alpha": 32,
        "scale": 2.0,
        "targets": list(LORA_TARGETS.values()),
    }
    assert manifest["data"]["seed"] == 7
    assert manifest["data"]["per_function"] == 3 and manifest["data"]["irrelevant"] == 6
    assert manifest["data"]["train_examples"] > 0 and manifest["data"]["heldout_examples"] > 0
    assert manifest["data"]["templates_sha256"] == templates_sha256()
    training = manifest["training"]
    assert set(training) == {
        "steps",
        "batch",
        "lr",
        "epochs",
        "tokens_per_second",
        "seconds",
        "final_loss",
        "device",
    }
    assert (training["steps"], training["batch"], training["device"]) == (STEPS, 4, "cpu")
    assert training["tokens_per_second"] > 0
    assert manifest["metrics"] == {}


def test_same_seed_same_artifact(run: TrainReport, rerun: TrainReport) -> None:
    assert (run.out / ADAPTER_FILE).read_bytes() == (rerun.out / ADAPTER_FILE).read_bytes()
    assert rerun.losses == run.losses
    timing = {"tokens_per_second", "seconds"}
    strip = lambda m: {**m, "training": {k: v for k, v in m["training"].items() if k not in timing}}  # noqa: E731
    assert strip(run.manifest) == strip(rerun.manifest)


def test_only_lora_targets_and_new_rows_change(
    run: TrainReport, base_weights: dict[str, np.ndarray]
) -> None:
    """The merged checkpoint: base rows and all non-adapted weights are bit-identical."""
    merged = {}
    for shard in run.merged.glob("*.safetensors"):
        merged.update(load_file(shard))
    tensors = load_file(run.out / ADAPTER_FILE)
    embed = merged["model.embed_tokens.weight"]
    assert embed.shape == (BASE_VOCAB + 22, TINY.hidden)
    np.testing.assert_array_equal(embed[:BASE_VOCAB], base_weights["model.embed_tokens.weight"])
    np.testing.assert_array_equal(embed[BASE_VOCAB:], tensors[NEW_ROWS_TENSOR].astype(np.float32))
    adapted = {f"{hf}.weight" for hf in LORA_TARGETS}
    for name, value in base_weights.items():
        if name == "model.embed_tokens.weight":
            continue
        if any(name.endswith(a) for a in adapted):
            assert not np.array_equal(merged[name], value), name
        else:
            np.testing.assert_array_equal(merged[name], value, err_msg=name)
    config = json.loads((run.merged / "config.json").read_text())
    assert config["vocab_size"] == BASE_VOCAB + 22


def test_new_rows_trained_from_their_initial_values(
    rerun: TrainReport, android: FunctionSet, base: Path, base_weights: dict[str, np.ndarray]
) -> None:
    from transformers import AutoTokenizer

    embedding = base_weights["model.embed_tokens.weight"]
    frozen = rerun.peft_model.get_base_model().get_input_embeddings().weight
    np.testing.assert_array_equal(frozen.detach().numpy(), embedding)  # no gradient reached it
    tokenizer = AutoTokenizer.from_pretrained(base)
    initial = trainer.initial_rows(torch.from_numpy(embedding), tokenizer, android)
    moved = (rerun.new_rows.detach() - initial).abs().amax(dim=1)
    assert bool((moved > 1e-4).all()), moved


def test_peft_merge_equals_artifact_delta(
    run: TrainReport, rerun: TrainReport, base_weights: dict[str, np.ndarray]
) -> None:
    """PEFT's own merge = base + (lora_b @ lora_a) * scale from the float16 artifact."""
    tensors = load_file(run.out / ADAPTER_FILE)
    peft_merged = copy.deepcopy(rerun.peft_model).merge_and_unload().state_dict()
    for gguf_name, hf_module in _gguf_to_hf():
        base = base_weights[f"{hf_module}.weight"]
        a = tensors[f"{gguf_name}.lora_a"].astype(np.float32)
        b = tensors[f"{gguf_name}.lora_b"].astype(np.float32)
        assembled = base + (b @ a) * 2.0
        ours = peft_merged[f"{hf_module}.weight"].numpy()
        delta = ours - base
        assert np.abs(delta).max() > 0
        np.testing.assert_allclose(assembled, ours, rtol=0, atol=2e-3 * np.abs(delta).max() + 1e-6)


def _gguf_to_hf() -> list[tuple[str, str]]:
    return [
        (f"blk.{i}.{gguf}.weight", f"model.layers.{i}.{hf}")
        for i in range(TINY.layers)
        for hf, gguf in LORA_TARGETS.items()
    ]


def test_merged_checkpoint_predicts_like_the_trained_model(
    run: TrainReport, rerun: TrainReport, android: FunctionSet, base: Path
) -> None:
    """Plain transformers on the merged dir gives the training forward's logits."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged = AutoModelForCausalLM.from_pretrained(run.merged, dtype=torch.float32).eval()
    tokenizer = AutoTokenizer.from_pretrained(run.merged)
    examples, _ = build_dataset(android, per_function=1, irrelevant=2, seed=3)
    ids = tokenizer.convert_tokens_to_ids(android.token_texts)
    assert ids == [BASE_VOCAB + i for i in range(22)]
    encoded = encode_examples(examples[:3], tokenizer, ids, BASE_VOCAB)
    lm = FunctionalTokenLM(rerun.peft_model, BASE_VOCAB, rerun.new_rows.detach())
    rerun.peft_model.eval()
    with torch.no_grad():
        for example in encoded:
            batch = torch.tensor([example.ids])
            hidden = lm.decoder(inputs_embeds=lm.embed(batch))[0][0]
            ours = lm.logits(hidden)
            theirs = merged(batch).logits[0]
            assert theirs.shape == ours.shape
            scale = float(theirs.abs().max())
            torch.testing.assert_close(theirs, ours, rtol=0, atol=5e-3 * scale)
            start = example.prompt_length - 1
            assert torch.equal(ours[start:-1].argmax(-1), theirs[start:-1].argmax(-1))


def test_gguf_base_loads_and_trains(
    android: FunctionSet, base: Path, run: TrainReport, tmp_path: Path
) -> None:
    """The GGUF path: tokenizer and weights from the file, ids aligned to its token count."""
    from octopus_cli.convert import convert_checkpoint

    gguf_path = tmp_path / "tiny.gguf"
    convert_checkpoint(
        base, gguf_path, quant="f32", progress=False, require_functional_tokens=False
    )
    report = _train(android, gguf_path, tmp_path / "artifact", steps=3)
    assert report.manifest["base"]["file"] == "tiny.gguf"
    assert report.manifest["base"]["sha256"] == trainer.file_sha256(gguf_path)
    assert report.manifest["added_tokens"] == run.manifest["added_tokens"]
    # Same weights (the GGUF holds the checkpoint's linears untouched), same first losses.
    np.testing.assert_allclose(report.losses, run.losses[:3], rtol=1e-4)


def test_refuses_to_overwrite_a_foreign_directory(
    android: FunctionSet, base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(TrainingError, match="not empty"):
        _train(android, base, out, steps=1)
    assert (out / "notes.txt").read_text() == "keep me"


def test_a_previous_artifact_is_replaced(android: FunctionSet, base: Path, tmp_path: Path) -> None:
    out = tmp_path / "artifact"
    _train(android, base, out, steps=1)
    report = _train(android, base, out, steps=2)
    assert json.loads((out / MANIFEST_FILE).read_text())["training"]["steps"] == 2
    assert report.manifest["training"]["steps"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifact"]  # no temp dirs left


def _stop_after(steps: int) -> Any:
    def on_step(step: int, loss: float) -> None:
        if step + 1 == steps:
            raise KeyboardInterrupt  # what Ctrl-C raises between two operations

    return on_step


def test_an_interrupted_run_resumes_to_the_same_weights(
    android: FunctionSet,
    base: Path,
    run: TrainReport,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "artifact"
    with pytest.raises(KeyboardInterrupt):
        _train(android, base, out, checkpoint_every=0.0, on_step=_stop_after(8))
    saved = checkpoint_path(out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [saved.name]  # no artifact yet
    assert "step 8" in capsys.readouterr().err

    with pytest.raises(TrainingError, match="interrupted run") as refused:
        _train(android, base, out)  # starting over would throw the saved steps away
    assert "--resume" in (refused.value.hint or "")

    resumed = _train(android, base, out, resume=True, checkpoint_every=0.0)
    assert (out / ADAPTER_FILE).read_bytes() == (run.out / ADAPTER_FILE).read_bytes()
    assert resumed.losses == run.losses
    assert resumed.manifest["training"]["steps"] == STEPS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["artifact"]  # checkpoint gone


def test_resume_refuses_a_checkpoint_of_other_settings(
    android: FunctionSet, base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "artifact"
    with pytest.raises(KeyboardInterrupt):
        _train(android, base, out, checkpoint_every=0.0, on_step=_stop_after(2))
    other = TrainOptions(**{**OPTIONS.__dict__, "max_steps": STEPS, "lr": 1e-3})
    with pytest.raises(TrainingError, match=r"other settings \(different: --lr\)"):
        run_training(android, base, out, other, progress=False, resume=True)
    assert checkpoint_path(out).is_file()  # still there for the right command


def test_resume_without_a_checkpoint_says_so(base: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    out = tmp_path / "never-started"
    result = CliRunner().invoke(app, ["--base", str(base), "--out", str(out), "--resume"])
    assert isinstance(result.exception, TrainingError), result.output
    assert "nothing to resume" in str(result.exception)
    assert not out.exists()


def test_a_damaged_checkpoint_is_reported_not_resumed(
    android: FunctionSet, base: Path, tmp_path: Path
) -> None:
    out = tmp_path / "artifact"
    checkpoint_path(out).write_bytes(b"not a checkpoint")
    with pytest.raises(TrainingError, match="cannot read the checkpoint") as error:
        _train(android, base, out, resume=True)
    assert "delete it" in (error.value.hint or "")


def test_command_trains_and_prints_a_summary(base: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(train_command)
    out = tmp_path / "cli-artifact"
    args = ["--base", str(base), "--out", str(out), "--per-function", "2", "--irrelevant"]
    args += ["4", "--batch-size", "4", "--max-steps", "2", "--seed", "1", "--threads", "1", "-q"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "final loss" in result.output and str(out) in result.output
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["training"]["steps"] == 2 and manifest["data"]["seed"] == 1


def test_command_reports_a_missing_examples_file(base: Path, tmp_path: Path) -> None:
    from octopus_cli.errors import InputError

    with pytest.raises(InputError, match="examples file not found"):
        train_command(out=tmp_path / "x", base=base, examples=tmp_path / "none.jsonl")


def test_missing_training_packages_name_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = trainer.importlib.import_module

    def fake_import(name: str, *args: Any) -> Any:
        if name == "peft":
            raise ImportError("No module named 'peft'")
        return real_import(name, *args)

    monkeypatch.setattr(trainer.importlib, "import_module", fake_import)
    with pytest.raises(TrainingDependencyError) as caught:
        trainer.require_training_deps()
    assert "peft" in caught.value.message and ".[train]" in (caught.value.hint or "")


def test_importing_the_command_needs_no_torch() -> None:
    """The CLI imports train modules at start-up; torch must stay an optional extra."""
    code = (
        "import sys\n"
        "for name in ('torch', 'transformers', 'peft'):\n"
        "    sys.modules[name] = None\n"
        "import octopus_cli.commands.train, octopus_cli.train.trainer as t\n"
        "try:\n"
        "    t.require_training_deps()\n"
        "except t.TrainingDependencyError as e:\n"
        "    print(e.message, '|', e.hint)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "torch, transformers, peft" in result.stdout and ".[train]" in result.stdout


def test_batches_cover_every_example_once_and_cut_padding(android: FunctionSet) -> None:
    lengths = [5 + (i * 37) % 80 for i in range(500)]
    for grouped in (False, True):
        steps = trainer.batch_order(lengths, 16, 2, seed=3, group_by_length=grouped)
        assert steps == trainer.batch_order(lengths, 16, 2, seed=3, group_by_length=grouped)
        first_epoch = [i for batch in steps[: len(steps) // 2] for i in batch]
        assert sorted(first_epoch) == list(range(500))
    padded = {
        grouped: sum(
            max(lengths[i] for i in batch) * len(batch)
            for batch in trainer.batch_order(lengths, 16, 1, seed=3, group_by_length=grouped)
        )
        for grouped in (False, True)
    }
    assert padded[True] < 0.8 * padded[False]


def test_lr_warms_up_then_decays() -> None:
    factors = [trainer.lr_factor(step, 100, 5) for step in range(100)]
    assert factors[:5] == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert factors[5] == 1.0 and factors[-1] == pytest.approx(0.0105, abs=1e-3)
    assert all(a >= b for a, b in itertools.pairwise(factors[4:]))


@pytest.mark.slow
def test_real_gemma3_gguf_ids_line_up(gemma3_model: Path, android: FunctionSet) -> None:
    """transformers' tokenizer from the GGUF: same length as the file's vocabulary, the new
    tokens right after it, and prompts tokenized exactly as llama.cpp does at run time."""
    import llama_cpp
    from transformers import AutoTokenizer

    from octopus_cli.runtime import build_prompt

    tokenizer = AutoTokenizer.from_pretrained(gemma3_model.parent, gguf_file=gemma3_model.name)
    count = trainer.gguf_token_count(gemma3_model)
    assert len(tokenizer) == count == 262144
    trainer._check_vocab_alignment(gemma3_model, tokenizer, count)
    ids = trainer.add_functional_tokens(tokenizer, android, count)
    assert ids == [count + i for i in range(22)]
    llm = llama_cpp.Llama(str(gemma3_model), vocab_only=True, verbose=False)
    examples, _ = build_dataset(android, per_function=4, irrelevant=20, seed=5)
    encoded = encode_examples(examples, tokenizer, ids, count)
    for example, enc in zip(examples, encoded, strict=True):
        prompt = llm.tokenize(build_prompt(example.query).encode(), add_bos=True, special=True)
        assert list(enc.ids[: enc.prompt_length]) == prompt, example.query


def test_parity_script_names_a_query_line_it_cannot_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from octopus_cli.train import parity

    queries = tmp_path / "queries.jsonl"
    queries.write_text('{"query": "take a selfie"}\n\n{"function": "take_a_photo"}\n')
    with pytest.raises(SystemExit) as stopped:
        parity.main([str(tmp_path), str(tmp_path / "model.gguf"), str(queries)])
    assert stopped.value.code == 2
    assert 'queries.jsonl:3: no "query" string' in capsys.readouterr().err
