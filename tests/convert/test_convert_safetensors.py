"""Our safetensors reader against the official safetensors/torch implementation."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

from octopus_cli.convert.converter import _quantize
from octopus_cli.convert.safetensors import (
    index_checkpoint,
    iter_row_chunks,
    read_header,
    write_safetensors,
)
from octopus_cli.errors import ConversionError
from octopus_cli.runtime import quiet_llama_logs


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16, torch.float32])
def test_reads_what_torch_writes(tmp_path: Path, dtype: torch.dtype) -> None:
    g = torch.Generator().manual_seed(0)
    tensors = {
        "a.weight": (torch.randn(37, 11, generator=g) * 3).to(dtype),
        "b.norm": torch.randn(5, generator=g).to(dtype),
        "c.big": torch.tensor([1e30, -1e-30, 65504.0, 0.0, -0.0]).to(dtype),
        "d.empty": torch.zeros(0, 4, dtype=dtype),
        "e.cube": torch.randn(3, 4, 5, generator=g).to(dtype),
    }
    save_file(tensors, tmp_path / "model.safetensors")
    entries = index_checkpoint(tmp_path)
    assert set(entries) == set(tensors)
    for name, tensor in tensors.items():
        expected = tensor.float().numpy()
        got = entries[name].read_f32()
        assert type(got) is np.ndarray and got.dtype == np.float32
        assert got.shape == expected.shape
        assert np.array_equal(got, expected, equal_nan=True), name
        if got.size:
            chunks = list(iter_row_chunks(entries[name], max_bytes=100))
            assert len(chunks) > 1 or got.nbytes <= 100, name
            assert np.array_equal(np.concatenate(chunks), expected), name


@pytest.mark.parametrize("dtype", ["BF16", "F16", "F32"])
def test_what_we_write_torch_reads(tmp_path: Path, dtype: str) -> None:
    """Our writer (fixtures, benchmark) rounds like torch does."""
    values = np.random.default_rng(1).standard_normal((9, 7)).astype(np.float32) * 100
    write_safetensors(tmp_path / "x.safetensors", {"w": values}, dtype)
    loaded = load_file(tmp_path / "x.safetensors")["w"]
    torch_dtype = {"BF16": torch.bfloat16, "F16": torch.float16, "F32": torch.float32}[dtype]
    assert loaded.dtype == torch_dtype
    assert torch.equal(loaded, torch.from_numpy(values).to(torch_dtype))


def _write_raw(path: Path, header: dict, data: bytes) -> None:
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)


def test_malformed_files_are_refused(tmp_path: Path) -> None:
    f = tmp_path / "model.safetensors"
    save_file({"w": torch.ones(8, 8)}, f)
    whole = f.read_bytes()
    f.write_bytes(whole[:-10])
    with pytest.raises(ConversionError, match="does not fit") as err:
        read_header(f)
    assert "truncated" in (err.value.hint or "")
    f.write_bytes(b"\x05\x00")
    with pytest.raises(ConversionError, match="too short"):
        read_header(f)
    f.write_bytes(struct.pack("<Q", 10**12) + b"{}")
    with pytest.raises(ConversionError, match="header length"):
        read_header(f)
    f.write_bytes(struct.pack("<Q", 5) + b"{nope")
    with pytest.raises(ConversionError, match="not valid JSON"):
        read_header(f)
    _write_raw(f, {"w": {"dtype": "I8", "shape": [4], "data_offsets": [0, 4]}}, b"\0" * 4)
    with pytest.raises(ConversionError, match="dtype 'I8'") as err:
        read_header(f)
    assert "dequantized" in (err.value.hint or "")
    _write_raw(f, {"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}, b"\0" * 16)
    with pytest.raises(ConversionError, match="does not fit its shape"):
        read_header(f)


def test_sharded_checkpoints(tmp_path: Path) -> None:
    save_file({"a": torch.ones(2, 3)}, tmp_path / "model-00001-of-00002.safetensors")
    save_file({"b": torch.full((4,), 2.0)}, tmp_path / "model-00002-of-00002.safetensors")
    index = {
        "weight_map": {
            "a": "model-00001-of-00002.safetensors",
            "b": "model-00002-of-00002.safetensors",
        }
    }
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    entries = index_checkpoint(tmp_path)
    assert entries["a"].read_f32().tolist() == [[1.0] * 3] * 2
    assert entries["b"].read_f32().tolist() == [2.0] * 4

    index["weight_map"]["c"] = "model-00003-of-00003.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ConversionError, match=r"missing checkpoint shard.*00003"):
        index_checkpoint(tmp_path)

    index["weight_map"]["c"] = "model-00002-of-00002.safetensors"
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    with pytest.raises(ConversionError, match="does not match the shards"):
        index_checkpoint(tmp_path)


def test_pickles_only_get_a_hint(tmp_path: Path) -> None:
    (tmp_path / "pytorch_model.bin").write_bytes(b"not really")
    with pytest.raises(ConversionError, match="no safetensors") as err:
        index_checkpoint(tmp_path)
    assert "safe_serialization" in (err.value.hint or "")


def test_a_real_quantizer_failure_is_explained(tmp_path: Path) -> None:
    """llama.cpp's own error text reaches the message (its log is captured, not printed).

    In a process that loaded a model first, octopus's log callback
    (runtime.quiet_llama_logs) has taken llama.cpp's log off stderr; the reason must come
    through all the same.
    """
    quiet_llama_logs()
    bogus = tmp_path / "in.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 60)
    with pytest.raises(ConversionError, match=r"could not quantize to q4_0 \(status") as err:
        _quantize(bogus, tmp_path / "out.gguf", "q4_0", progress=False)
    assert "gguf" in str(err.value).lower()


def test_a_real_quantizer_failure_is_explained_in_a_fresh_process(tmp_path: Path) -> None:
    """The same without the callback: llama.cpp then writes to stderr, which is captured."""
    bogus = tmp_path / "in.gguf"
    bogus.write_bytes(b"GGUF" + b"\0" * 60)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from octopus_cli.convert.converter import _quantize\n"
        "from octopus_cli.errors import ConversionError\n"
        "try:\n"
        "    _quantize(Path(sys.argv[1]), Path(sys.argv[2]), 'q4_0', progress=False)\n"
        "except ConversionError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bogus), str(tmp_path / "out.gguf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "could not quantize to q4_0 (status" in done.stdout
    assert "gguf" in done.stdout.split("(status", 1)[1].lower()
    assert done.stderr == ""  # nothing printed: llama.cpp's lines were all captured
