"""Logits parity: transformers on the checkpoint versus llama.cpp on our GGUF.

F32 output must give the same top-1 token at every position with a small maximum
difference; Q4_K_M must mostly agree. The Q4_K_M check uses a wider fixture (rows of 256)
because llama.cpp falls back to Q5_0/Q8_0 for rows shorter than a K-quant block, which
would hide the real 4-bit behaviour.
"""

from __future__ import annotations

import json
from pathlib import Path

import gguf
import llama_cpp
import numpy as np
import pytest
import torch
import transformers

from octopus_cli.convert import convert_checkpoint
from tests.convert.fixtures import (
    WIDE,
    build_tiny_checkpoint,
    build_tiny_gemma3_checkpoint,
    build_tiny_octopus_checkpoint,
)

pytestmark = pytest.mark.reference


def _prompt(vocab_size: int) -> list[int]:
    """bos, ordinary pieces, then functional tokens: every kind of row is exercised."""
    rng = np.random.default_rng(7)
    ordinary = rng.integers(10, vocab_size - 22, 24).tolist()
    return [2, *ordinary, vocab_size - 22, vocab_size - 19, vocab_size - 1]


def hf_logits(checkpoint: Path, tokens: list[int]) -> np.ndarray:
    model = transformers.AutoModelForCausalLM.from_pretrained(
        checkpoint, dtype=torch.float32, attn_implementation="eager"
    )
    model.eval()
    with torch.no_grad():
        out = model(torch.tensor([tokens]))
    return out.logits[0].float().numpy()


def llama_logits(gguf_path: Path, tokens: list[int]) -> np.ndarray:
    llm = llama_cpp.Llama(
        model_path=str(gguf_path), n_ctx=64, logits_all=True, n_threads=2, verbose=False
    )
    llm.eval(tokens)
    return np.array(llm.scores[: len(tokens)], dtype=np.float32)


@pytest.mark.parametrize(
    "builder",
    [build_tiny_octopus_checkpoint, build_tiny_gemma3_checkpoint],
    ids=["octopus-gemma", "gemma3"],
)
def test_f32_logits_match_transformers(tmp_path: Path, builder) -> None:
    ckpt = builder(tmp_path / "ckpt")
    out = convert_checkpoint(ckpt, tmp_path / "m.gguf", quant="f32", progress=False).out
    vocab_size = json.loads((ckpt / "config.json").read_text())["vocab_size"]
    tokens = _prompt(vocab_size)
    expected, got = hf_logits(ckpt, tokens), llama_logits(out, tokens)
    assert got.shape == expected.shape
    assert (got.argmax(-1) == expected.argmax(-1)).all()
    diff, scale = float(np.abs(got - expected).max()), float(np.abs(expected).max())
    print(f"{builder.__name__}: F32 max |logit difference| {diff:.2e}, max |logit| {scale:.1f}")
    # float32 with different summation orders: about 1e-4 of the largest logit here
    assert diff < 1e-3 * scale


def test_q4_k_m_top1_mostly_agrees(tmp_path: Path) -> None:
    ckpt = build_tiny_checkpoint(tmp_path / "ckpt", arch="gemma", dims=WIDE)
    q4 = convert_checkpoint(ckpt, tmp_path / "q4.gguf", quant="q4_k_m", progress=False).out
    types = {t.name: t.tensor_type.name for t in gguf.GGUFReader(q4).tensors}
    assert "Q4_K" in types.values()  # really 4-bit, not the small-row fallback
    vocab_size = len(gguf.GGUFReader(q4).fields["tokenizer.ggml.tokens"].data)
    tokens = _prompt(vocab_size)
    expected, got = hf_logits(ckpt, tokens), llama_logits(q4, tokens)
    agreement = float((got.argmax(-1) == expected.argmax(-1)).mean())
    diff = float(np.abs(got - expected).max())
    print(
        f"Q4_K_M: top-1 agreement with transformers {agreement:.0%} over {len(tokens)} "
        f"positions, max |logit difference| {diff:.3f} (logit std {expected.std():.2f})"
    )
    assert agreement >= 0.8
