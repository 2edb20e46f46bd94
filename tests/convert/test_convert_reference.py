"""Parity with llama.cpp's own converter (convert_hf_to_gguf.py from llama-cpp-python 0.3.36).

Both convert the same tiny checkpoints to F32; the files must agree on the vocabulary
(tokens, scores, types), every hyperparameter, and every tensor's name, type, shape and
value, bit for bit. The few keys allowed to differ are listed with the reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from octopus_cli.convert import convert_checkpoint
from tests.convert.fixtures import (
    FUNCTION_TOKENS,
    build_tiny_checkpoint,
    build_tiny_gemma3_checkpoint,
    build_tiny_octopus_checkpoint,
)
from tests.convert.reference import read_gguf, run_reference

pytestmark = pytest.mark.reference

# Keys whose values may legitimately differ, and why.
DESCRIPTIVE = {"general.name"}  # upstream title-cases the directory name ("Gemma")
OURS_ONLY = {
    "octopus.function_set",
    "octopus.function_tokens",
    "octopus.function_names",
    "octopus.end_token_id",
}
# Upstream finds special ids only through tokenizer.json or config.json's *_token_id; we
# also look up tokenizer_config.json's token text, so without tokenizer.json (config.json
# has no unk_token_id) only we record <unk>. With tokenizer.json both do.
UNK = "tokenizer.ggml.unknown_token_id"
EOT = "tokenizer.ggml.eot_token_id"  # ours: <nexa_end>; upstream: 107 for gemma, none else

BUILDERS = {
    "gemma": build_tiny_octopus_checkpoint,
    "gemma-tokenizer.json": lambda d: build_tiny_octopus_checkpoint(d, tokenizer_json=True),
    # float16 weights here, bf16 for gemma and float32 in two shards for gemma3
    "gemma2": lambda d: build_tiny_checkpoint(d, arch="gemma2", dtype="F16"),
    "gemma3": build_tiny_gemma3_checkpoint,
}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def converted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    arch = request.param
    work = tmp_path_factory.mktemp(f"parity-{arch}")
    ckpt = BUILDERS[arch](work / "ckpt")
    ours = convert_checkpoint(ckpt, work / "ours.gguf", quant="f32", progress=False).out
    ref = run_reference(ckpt, work / "reference.gguf", outtype="f32")
    return arch, read_gguf(ours), read_gguf(ref)


def test_same_vocabulary(converted) -> None:
    _, (ours, _), (ref, _) = converted
    assert ours["tokenizer.ggml.tokens"] == ref["tokenizer.ggml.tokens"]
    assert ours["tokenizer.ggml.scores"] == ref["tokenizer.ggml.scores"]
    assert ours["tokenizer.ggml.token_type"] == ref["tokenizer.ggml.token_type"]
    # the functional tokens are there, at the ids added_tokens.json gives (not key order)
    tokens = ours["tokenizer.ggml.tokens"]
    first = tokens.index("<nexa_0>")
    assert tokens[first : first + len(FUNCTION_TOKENS)] == FUNCTION_TOKENS


def test_same_hyperparameters_and_tokenizer_keys(converted) -> None:
    variant, (ours, _), (ref, _) = converted
    arch = variant.split("-")[0]
    assert set(ref) - set(ours) <= DESCRIPTIVE
    only_ours = set(OURS_ONLY)
    if arch != "gemma":
        only_ours.add(EOT)
    if "tokenizer.json" not in variant:
        only_ours.add(UNK)
    assert set(ours) - set(ref) == only_ours
    for key in sorted(set(ours) & set(ref) - DESCRIPTIVE - {EOT}):
        assert ours[key] == ref[key], key
    end_id = ours["tokenizer.ggml.tokens"].index("<nexa_end>")
    assert ours[EOT] == end_id == ours["octopus.end_token_id"]
    assert ref.get(EOT) == (107 if arch == "gemma" else None)
    assert ours[UNK] == ours["tokenizer.ggml.tokens"].index("<unk>")
    assert ours["general.architecture"] == arch


def test_same_tensors_bit_for_bit(converted) -> None:
    arch, (_, ours), (_, ref) = converted
    assert sorted(ours) == sorted(ref)
    for name, (qtype, shape, data) in ref.items():
        our_type, our_shape, our_data = ours[name]
        assert (our_type, our_shape) == (qtype, shape), name
        assert our_data.dtype == data.dtype, name
        if arch == "gemma2" and name.endswith("norm.weight"):
            # From float16 weights upstream adds Gemma's +1 in float16 and rounds; we add
            # in float32, exactly. The two differ by at most float16's rounding step.
            assert np.array_equal(data, our_data.astype(np.float16).astype(np.float32)), name
            assert np.max(np.abs(our_data - data)) <= 2.0**-11 * np.max(np.abs(data)), name
        else:
            assert np.array_equal(our_data, data), name


def test_gemma3_without_functional_tokens_matches_too(tmp_path: Path) -> None:
    """A plain Gemma 3 checkpoint (no functional tokens) converts with the opt-out."""
    ckpt = build_tiny_gemma3_checkpoint(tmp_path / "ckpt", functional_tokens=False)
    ours = convert_checkpoint(
        ckpt, tmp_path / "ours.gguf", quant="f32", progress=False, require_functional_tokens=False
    ).out
    ref = run_reference(ckpt, tmp_path / "reference.gguf", outtype="f32")
    (f_ours, t_ours), (f_ref, t_ref) = read_gguf(ours), read_gguf(ref)
    assert not any(k.startswith("octopus.") for k in f_ours)
    assert EOT not in f_ours
    assert set(f_ours) - set(f_ref) == {UNK}
    for key in sorted(set(f_ref) - DESCRIPTIVE):
        assert f_ours[key] == f_ref[key], key
    assert all(np.array_equal(t_ours[n][2], t_ref[n][2]) for n in t_ref)
