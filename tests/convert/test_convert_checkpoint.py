"""End to end: tiny checkpoints to GGUF files that llama.cpp loads, and every refusal."""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path

import gguf
import llama_cpp
import numpy as np
import pytest

from octopus_cli.convert import (
    KEY_END_TOKEN,
    KEY_FUNCTION_NAMES,
    KEY_FUNCTION_SET,
    KEY_FUNCTION_TOKENS,
    QUANT_TYPES,
    convert_checkpoint,
)
from octopus_cli.convert import converter as converter_module
from octopus_cli.convert.safetensors import read_header, write_safetensors
from octopus_cli.errors import ConversionError
from octopus_cli.functions import load_function_set, parse_function_set
from tests.convert.fixtures import (
    FUNCTION_TOKENS,
    WIDE,
    build_tiny_checkpoint,
    build_tiny_octopus_checkpoint,
)


@pytest.fixture(scope="module")
def octopus_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_octopus_checkpoint(tmp_path_factory.mktemp("octopus") / "ckpt")


@pytest.fixture
def ckpt_copy(tmp_path: Path, octopus_ckpt: Path) -> Path:
    """A private copy to break in a test."""
    target = tmp_path / "ckpt"
    target.mkdir()
    for f in octopus_ckpt.iterdir():
        (target / f.name).write_bytes(f.read_bytes())
    return target


def _fields(path: Path) -> dict:
    return {k: f.contents() for k, f in gguf.GGUFReader(path).fields.items()}


def _tensor_types(path: Path) -> dict[str, str]:
    return {t.name: t.tensor_type.name for t in gguf.GGUFReader(path).tensors}


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


EXPECTED_TYPES = {
    # 2-D weights per output type (norms always F32). Q4_K_M on 64-wide rows falls back to
    # Q5_0/Q8_0 inside llama.cpp (a K-quant block is 256 wide): the WIDE test below has Q4_K.
    "f32": {"F32"},
    "f16": {"F16"},
    "q8_0": {"Q8_0"},
    "q4_0": {"Q4_0", "Q4_1", "Q6_K", "Q8_0"},
    "q4_k_m": {"Q5_0", "Q8_0"},
}


@pytest.mark.parametrize("quant", sorted(QUANT_TYPES))
def test_every_output_type_loads_in_llama_cpp(tmp_path: Path, octopus_ckpt: Path, quant) -> None:
    out = tmp_path / f"model.{quant}.gguf"
    summary = convert_checkpoint(octopus_ckpt, out, quant=quant, progress=False)

    assert summary.out == out and out.is_file()
    assert summary.quant == quant
    assert summary.output_bytes == out.stat().st_size
    assert summary.tensors == 1 + 2 * 9 + 1  # embeddings, 2 layers of 9, final norm
    headers = read_header(octopus_ckpt / "model.safetensors")
    assert summary.parameters == sum(math.prod(e.shape) for e in headers.values())
    assert summary.architecture == "GemmaForCausalLM" and summary.function_tokens == 21
    assert _leftovers(tmp_path) == []

    fields = _fields(out)
    assert fields["general.file_type"] == QUANT_TYPES[quant]
    types = _tensor_types(out)
    assert {t for n, t in types.items() if n.endswith("_norm.weight")} == {"F32"}
    matrices = {t for n, t in types.items() if not n.endswith("_norm.weight")}
    assert matrices <= EXPECTED_TYPES[quant] and matrices

    llm = llama_cpp.Llama(model_path=str(out), n_ctx=64, verbose=False)
    end_id = FUNCTION_TOKENS.index("<nexa_end>") + fields["octopus.function_tokens"][0]
    assert llm.n_vocab() == fields["gemma.embedding_length"] * 0 + len(
        fields["tokenizer.ggml.tokens"]
    )
    # functional tokens stay single tokens, and <nexa_end> ends generation
    pieces = llm.tokenize(b"<nexa_3>('x')<nexa_end>", add_bos=False, special=True)
    assert pieces[0] == fields["octopus.function_tokens"][3] and pieces[-1] == end_id
    vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
    assert llama_cpp.llama_vocab_is_eog(vocab, end_id)
    assert not llama_cpp.llama_vocab_is_eog(vocab, pieces[0])
    llm.eval(llm.tokenize(b"Take a selfie with the front camera"))  # it runs


def test_q4_k_m_is_really_4_bit_on_full_blocks(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", dims=WIDE)
    out = convert_checkpoint(ckpt, tmp_path / "m.gguf", progress=False).out
    types = _tensor_types(out)
    assert types["blk.0.attn_q.weight"] == "Q4_K"
    assert types["token_embd.weight"] == "Q6_K"  # it doubles as the output head
    f16 = convert_checkpoint(ckpt, tmp_path / "f16.gguf", quant="f16", progress=False)
    assert out.stat().st_size < 0.4 * f16.output_bytes


def test_functional_token_metadata(tmp_path: Path, octopus_ckpt: Path) -> None:
    out = convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", quant="f32", progress=False).out
    fields = _fields(out)
    tokens = fields["tokenizer.ggml.tokens"]
    android = load_function_set()
    expected_ids = [tokens.index(f"<nexa_{f.token}>") for f in android.functions]
    assert fields[KEY_FUNCTION_SET] == "android"
    assert fields[KEY_FUNCTION_TOKENS] == expected_ids
    assert fields[KEY_FUNCTION_NAMES] == [f.name for f in android.functions]
    assert fields[KEY_END_TOKEN] == fields["tokenizer.ggml.eot_token_id"]
    assert fields[KEY_END_TOKEN] == tokens.index("<nexa_end>")
    reader = gguf.GGUFReader(out)
    assert reader.fields[KEY_FUNCTION_TOKENS].types == [
        gguf.GGUFValueType.ARRAY,
        gguf.GGUFValueType.INT32,
    ]
    assert reader.fields[KEY_END_TOKEN].types == [gguf.GGUFValueType.UINT32]


def test_function_set_order_and_custom_sets(tmp_path: Path, octopus_ckpt: Path) -> None:
    """A custom set using some of the tokens, listed out of order, keeps its own order."""
    custom = parse_function_set(
        {
            "name": "mine",
            "function": [
                {"token": 5, "name": "five"},
                {"token": 2, "name": "two"},
            ],
        }
    )
    out = tmp_path / "m.gguf"
    convert_checkpoint(octopus_ckpt, out, quant="f32", function_set=custom, progress=False)
    fields = _fields(out)
    tokens = fields["tokenizer.ggml.tokens"]
    assert fields[KEY_FUNCTION_SET] == "mine"
    assert fields[KEY_FUNCTION_TOKENS] == [tokens.index("<nexa_5>"), tokens.index("<nexa_2>")]
    assert fields[KEY_FUNCTION_NAMES] == ["five", "two"]


def test_missing_functional_tokens_are_named(tmp_path: Path, octopus_ckpt: Path) -> None:
    needs_more = parse_function_set(
        {"name": "big", "function": [{"token": 3, "name": "a"}, {"token": 30, "name": "b"}]}
    )
    with pytest.raises(ConversionError, match=r"1 functional token.*<nexa_30>") as err:
        convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", function_set=needs_more)
    assert err.value.hint and "--plain" in err.value.hint
    assert list(tmp_path.iterdir()) == []


def test_plain_checkpoint_needs_the_opt_out(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", functional_tokens=False)
    with pytest.raises(ConversionError, match="lacks 22 functional token"):
        convert_checkpoint(ckpt, tmp_path / "m.gguf", progress=False)
    out = tmp_path / "plain.gguf"
    summary = convert_checkpoint(
        ckpt, out, quant="q8_0", progress=False, require_functional_tokens=False
    )
    assert summary.function_tokens == 0
    fields = _fields(out)
    assert not any(k.startswith("octopus.") for k in fields)
    assert "tokenizer.ggml.eot_token_id" not in fields  # no <end_of_turn> at 107 here either
    llama_cpp.Llama(model_path=str(out), n_ctx=32, verbose=False)


def test_streaming_in_small_chunks_gives_identical_output(
    tmp_path: Path, octopus_ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = convert_checkpoint(octopus_ckpt, tmp_path / "a.gguf", quant="f16", progress=False)
    monkeypatch.setattr(
        converter_module,
        "iter_row_chunks",
        functools.partial(converter_module.iter_row_chunks, max_bytes=1000),
    )
    chunked = convert_checkpoint(octopus_ckpt, tmp_path / "b.gguf", quant="f16", progress=False)
    assert whole.out.read_bytes() == chunked.out.read_bytes()


def test_values_are_the_checkpoint_values_with_norms_shifted(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", dtype="F32")
    out = convert_checkpoint(ckpt, tmp_path / "m.gguf", quant="f32", progress=False).out
    tensors = {t.name: np.array(t.data) for t in gguf.GGUFReader(out).tensors}
    entries = read_header(ckpt / "model.safetensors")
    q = entries["model.layers.1.self_attn.q_proj.weight"].read_f32()
    assert np.array_equal(tensors["blk.1.attn_q.weight"], q)
    norm = entries["model.layers.0.post_attention_layernorm.weight"].read_f32()
    assert np.array_equal(tensors["blk.0.ffn_norm.weight"], norm + np.float32(1))


def test_progress_goes_to_stderr_only_when_asked(
    tmp_path: Path, octopus_ckpt: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    convert_checkpoint(octopus_ckpt, tmp_path / "a.gguf", progress=False)
    quiet = capfd.readouterr()
    assert quiet.out == "" and quiet.err == ""
    convert_checkpoint(octopus_ckpt, tmp_path / "b.gguf", progress=True)
    loud = capfd.readouterr()
    assert loud.out == ""
    assert "Converting tensors" in loud.err and "20/20" in loud.err
    assert "Quantizing to Q4_K_M" in loud.err
    assert "falling back" not in loud.err  # llama.cpp's per-tensor chatter is captured


# -- refusals ------------------------------------------------------------------------------


def _edit_config(ckpt: Path, **changes: object) -> None:
    path = ckpt / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def test_unsupported_architecture_names_the_supported(tmp_path: Path, ckpt_copy: Path) -> None:
    _edit_config(ckpt_copy, architectures=["LlamaForCausalLM"])
    with pytest.raises(ConversionError) as err:
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")
    message = str(err.value)
    assert "LlamaForCausalLM" in message
    for name in ("GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM"):
        assert name in message


def test_shape_mismatch_with_config(tmp_path: Path, ckpt_copy: Path) -> None:
    _edit_config(ckpt_copy, intermediate_size=96)
    with pytest.raises(ConversionError, match=r"mlp\.gate_proj\.weight has shape \[128, 64\]"):
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")


def test_vocab_size_must_match_embeddings(tmp_path: Path, ckpt_copy: Path) -> None:
    config = json.loads((ckpt_copy / "config.json").read_text())
    _edit_config(ckpt_copy, vocab_size=config["vocab_size"] - 1)
    with pytest.raises(ConversionError, match="rows but vocab_size"):
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")


def test_vocab_size_must_cover_added_tokens(tmp_path: Path, ckpt_copy: Path) -> None:
    vocab_size = json.loads((ckpt_copy / "config.json").read_text())["vocab_size"]
    added = json.loads((ckpt_copy / "added_tokens.json").read_text())
    added["<nexa_21>"] = vocab_size
    (ckpt_copy / "added_tokens.json").write_text(json.dumps(added))
    with pytest.raises(ConversionError, match="outside vocab_size") as err:
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")
    assert "vocab_size" in (err.value.hint or "")


def test_missing_and_unexpected_tensors(tmp_path: Path, ckpt_copy: Path) -> None:
    entries = read_header(ckpt_copy / "model.safetensors")
    tensors = {n: e.read_f32() for n, e in entries.items()}
    dropped = dict(tensors)
    del dropped["model.layers.1.mlp.up_proj.weight"]
    write_safetensors(ckpt_copy / "model.safetensors", dropped)
    with pytest.raises(ConversionError, match=r"lacks tensor.*layers\.1\.mlp\.up_proj"):
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")
    extra = {**tensors, "model.layers.2.mlp.up_proj.weight": tensors["model.norm.weight"]}
    write_safetensors(ckpt_copy / "model.safetensors", extra)
    with pytest.raises(ConversionError, match=r"unexpected tensor.*layers\.2"):
        convert_checkpoint(ckpt_copy, tmp_path / "m.gguf")


def test_non_finite_weights_are_refused(tmp_path: Path, ckpt_copy: Path) -> None:
    entries = read_header(ckpt_copy / "model.safetensors")
    tensors = {n: e.read_f32() for n, e in entries.items()}
    tensors["model.layers.0.self_attn.v_proj.weight"][3, 5] = np.nan
    write_safetensors(ckpt_copy / "model.safetensors", tensors)
    with pytest.raises(ConversionError, match=r"v_proj\.weight contains NaN"):
        convert_checkpoint(ckpt_copy, tmp_path / "out" / "m.gguf", progress=False)
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_sources(tmp_path: Path, octopus_ckpt: Path) -> None:
    with pytest.raises(ConversionError, match="neither a directory nor a hub"):
        convert_checkpoint(tmp_path / "nowhere", tmp_path / "m.gguf")
    with pytest.raises(ConversionError, match="is a file"):
        convert_checkpoint(octopus_ckpt / "config.json", tmp_path / "m.gguf")
    with pytest.raises(ConversionError, match=r"no config\.json"):
        convert_checkpoint(tmp_path, tmp_path / "m.gguf")
    with pytest.raises(ConversionError, match="unknown quantization type 'q3_k'"):
        convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", quant="q3_k")
    with pytest.raises(ConversionError, match="is a directory"):
        convert_checkpoint(octopus_ckpt, tmp_path)


# -- atomic output -------------------------------------------------------------------------


def test_interrupt_while_writing_leaves_old_output_and_no_temp(
    tmp_path: Path, octopus_ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "m.gguf"
    out.write_bytes(b"previous model")
    real = converter_module._write_tensor
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(converter_module, "_write_tensor", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_checkpoint(octopus_ckpt, out, progress=False)
    assert out.read_bytes() == b"previous model"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.gguf"]


@pytest.mark.parametrize("failure", ["status", "interrupt"])
def test_quantizer_failure_leaves_nothing(
    tmp_path: Path, octopus_ckpt: Path, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    def broken(source: bytes, dest: bytes, params) -> int:
        Path(dest.decode()).write_bytes(b"half a file")
        if failure == "interrupt":
            raise KeyboardInterrupt
        return 1

    monkeypatch.setattr(llama_cpp, "llama_model_quantize", broken)
    expected = KeyboardInterrupt if failure == "interrupt" else ConversionError
    with pytest.raises(expected):
        convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_output_directory_is_created(tmp_path: Path, octopus_ckpt: Path) -> None:
    out = tmp_path / "a" / "b" / "m.gguf"
    convert_checkpoint(octopus_ckpt, out, quant="f16", progress=False)
    assert out.is_file() and _leftovers(out.parent) == []


def test_memory_stays_near_one_chunk_not_the_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tensors stream through in row chunks: peak allocations stay far below one tensor."""
    import tracemalloc

    from tests.convert.fixtures import Dims

    dims = Dims(intermediate=32768)  # six 8 MB feed-forward matrices, 50 MB in all
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", dims=dims, dtype="BF16")
    largest = 32768 * 64 * 4
    monkeypatch.setattr(
        converter_module,
        "iter_row_chunks",
        functools.partial(converter_module.iter_row_chunks, max_bytes=1 << 20),
    )
    tracemalloc.start()
    try:
        convert_checkpoint(ckpt, tmp_path / "m.gguf", quant="f32", progress=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "m.gguf").stat().st_size > 6 * largest
    assert peak < largest / 2, f"peak {peak / 2**20:.1f} MiB"


def test_gemma3_drops_embedding_rows_past_the_vocabulary(tmp_path: Path) -> None:
    """As upstream: padded Gemma 3 embeddings are trimmed; Gemma (1) refuses the mismatch."""
    for arch in ("gemma3", "gemma"):
        ckpt = build_tiny_checkpoint(tmp_path / arch, arch=arch, dtype="F32")
        entries = read_header(ckpt / "model.safetensors")
        tensors = {n: e.read_f32() for n, e in entries.items()}
        embed = tensors["model.embed_tokens.weight"]
        padded = np.concatenate([embed, np.ones((8, embed.shape[1]), np.float32)])
        tensors["model.embed_tokens.weight"] = padded
        write_safetensors(ckpt / "model.safetensors", tensors)
        out = tmp_path / f"{arch}.gguf"
        if arch == "gemma":
            with pytest.raises(ConversionError, match="rows but vocab_size"):
                convert_checkpoint(ckpt, out, quant="f32", progress=False)
            continue
        convert_checkpoint(ckpt, out, quant="f32", progress=False)
        token_embd = next(t for t in gguf.GGUFReader(out).tensors if t.name == "token_embd.weight")
        assert np.array_equal(np.array(token_embd.data), embed)


def test_gemma3_rope_settings_old_and_new_config_styles(tmp_path: Path) -> None:
    """transformers 5 nests RoPE settings in rope_parameters; both styles give one GGUF."""
    from octopus_cli.convert.architectures import architecture_for

    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", arch="gemma3")
    old = json.loads((ckpt / "config.json").read_text())
    old["rope_scaling"] = {"rope_type": "linear", "factor": 8.0}
    new = {k: v for k, v in old.items() if k not in ("rope_theta", "rope_local_base_freq")}
    new["rope_scaling"] = None
    new["rope_parameters"] = {
        "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1e6},
        "sliding_attention": {"rope_type": "default", "rope_theta": 1e4},
    }

    def kv(config: dict) -> dict:
        writer = gguf.GGUFWriter(path=None, arch="gemma3")
        architecture_for(config).write_hparams(writer, 0)
        return {k: v.value for k, v in writer.kv_data[0].items()}

    assert kv(old) == kv(new)
    values = kv(old)
    assert values["gemma3.rope.freq_base"] == 1e6
    assert values["gemma3.rope.freq_base_swa"] == 1e4
    assert values["gemma3.rope.scaling.factor"] == 8.0
    assert values["gemma3.attention.sliding_window"] == 512


def test_too_little_disk_is_refused_before_writing(
    tmp_path: Path, octopus_ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = converter_module.shutil.disk_usage
    monkeypatch.setattr(
        converter_module.shutil, "disk_usage", lambda p: real(p)._replace(free=10 << 20)
    )
    with pytest.raises(ConversionError, match="not enough free disk") as err:
        convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", progress=False)
    assert "--out" in (err.value.hint or "")
    assert list(tmp_path.iterdir()) == []


def test_disk_full_while_writing_is_a_clean_error(
    tmp_path: Path, octopus_ckpt: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(converter_module, "_write_tensor", full)
    with pytest.raises(ConversionError, match="No space left on device"):
        convert_checkpoint(octopus_ckpt, tmp_path / "m.gguf", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["writing", "quantizing"])
def test_real_ctrl_c_leaves_nothing(tmp_path: Path, stage: str) -> None:
    """SIGINT to a converting process, while it writes or while llama.cpp quantizes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.convert.fixtures import Dims

    # 100 M parameters: a few seconds per stage on two cores, long enough to interrupt
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", dims=Dims(hidden=256, intermediate=65536))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # Ctrl-C as in a terminal: a runner that starts the tests in the background (`cmd &`)
    # hands its children SIGINT ignored, and Python then installs no KeyboardInterrupt.
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from pathlib import Path; from octopus_cli.convert import convert_checkpoint; "
        "convert_checkpoint(sys.argv[1], Path(sys.argv[2]), progress=False)"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(ckpt), str(out_dir / "m.gguf")],
        stderr=subprocess.PIPE,
        text=True,
    )
    marker = ".f32.tmp" if stage == "writing" else ".q4_k_m.tmp"
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(marker) for p in out_dir.iterdir()):
        assert proc.poll() is None, f"finished before the {stage} stage was reached"
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode != 0 and "KeyboardInterrupt" in stderr
    assert list(out_dir.iterdir()) == []


def test_values_beyond_f16_range_are_refused_for_f16_only(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", dtype="BF16")
    entries = read_header(ckpt / "model.safetensors")
    tensors = {n: e.read_f32() for n, e in entries.items()}
    tensors["model.layers.0.mlp.up_proj.weight"][0, 0] = 1e6  # fine in bf16, not in f16
    write_safetensors(ckpt / "model.safetensors", tensors, "BF16")
    with pytest.raises(ConversionError, match="beyond float16's range"):
        convert_checkpoint(ckpt, tmp_path / "m.gguf", quant="f16", progress=False)
    out = convert_checkpoint(ckpt, tmp_path / "m.gguf", quant="q8_0", progress=False).out
    assert out.is_file()
