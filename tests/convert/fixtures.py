"""Tiny checkpoints with the structure of real ones, for converter and runtime tests.

``build_tiny_octopus_checkpoint(dir)`` makes what Octopus v2 is, in miniature: a
``GemmaForCausalLM`` with one key-value head, a real SentencePiece tokenizer trained here on
a little text (pad 0, eos 1, bos 2, unk 3, mask 4 as in Gemma, then <start_of_turn> and
<end_of_turn>), the 22 functional tokens ``<nexa_0>`` ... ``<nexa_20>``, ``<nexa_end>``
appended after the 384 SentencePiece pieces (ids 384 ... 405; ``<nexa_end>`` is 405),
``added_tokens.json`` with its keys in string order (``<nexa_0>, <nexa_10>, <nexa_11>``...,
as older copies of Octopus have it), a tokenizer_config.json whose added_tokens_decoder
marks them special (so llama.cpp types them CONTROL), ``vocab_size`` 406 counting them,
and bf16 safetensors. Sizes: hidden 64, 2 layers, 4 heads of 16, one key-value head.

Other tests reuse it to get a real GGUF with functional tokens::

    from tests.convert.fixtures import build_tiny_octopus_checkpoint
    from octopus_cli.convert import convert_checkpoint
    ckpt = build_tiny_octopus_checkpoint(tmp_path / "ckpt")
    convert_checkpoint(ckpt, tmp_path / "tiny.gguf", quant="f32", progress=False)

Needs ``sentencepiece`` and ``numpy`` only (no torch; ``tokenizer_json=True`` needs
transformers and protobuf). Takes a few hundredths of a second.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from octopus_cli.convert.safetensors import write_safetensors

N_FUNCTIONS = 21
FUNCTION_TOKENS = [f"<nexa_{i}>" for i in range(N_FUNCTIONS)] + ["<nexa_end>"]


@dataclass(frozen=True)
class Dims:
    """Model sizes. TINY keeps tests fast; WIDE has rows of 256 so Q4_K really applies."""

    hidden: int = 64
    intermediate: int = 128
    layers: int = 2
    heads: int = 4
    kv_heads: int = 1  # as Octopus v2 (multi-query attention)
    head_dim: int = 16


TINY = Dims()
WIDE = Dims(hidden=256, intermediate=512, head_dim=64)

_WORDS = (
    "take a photo selfie with the front back camera get trending news about technology in "
    "english french weather forecast for paris london tokyo send email to alice bob with "
    "title meeting content see you tomorrow search youtube videos of cats find route from "
    "home to work by driving walking bicycling transit check the nest smoke detector status "
    "send text message to mom saying hello make phone call create contact named john set "
    "timer alarm at seven thirty change screen brightness level volume ring media connect "
    "bluetooth device headphones enable do not disturb nest temperature degrees play music "
    "video on hub spotify netflix open or lock the front door below is the query from the "
    "users please call the correct function and generate parameters response"
).split()


def _corpus(n_lines: int = 600, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n_lines):
        n = int(rng.integers(4, 14))
        words = [_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), n)]
        lines.append(" ".join(words).capitalize() + rng.choice([".", "?", "!", ", 42.", " 10:30."]))
    return lines


def train_tokenizer(path: Path, vocab_size: int = 384) -> int:
    """Train a Gemma-like SentencePiece BPE model at ``path``; return its piece count."""
    import sentencepiece as spm

    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(_corpus()),
        model_writer=model,
        model_type="bpe",
        vocab_size=vocab_size,
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        pad_piece="<pad>",
        eos_piece="<eos>",
        bos_piece="<bos>",
        unk_piece="<unk>",
        user_defined_symbols=["<mask>", "<start_of_turn>", "<end_of_turn>"],  # ids 4, 5, 6
        byte_fallback=True,
        split_digits=True,
        add_dummy_prefix=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    path.write_bytes(model.getvalue())
    processor = spm.SentencePieceProcessor(model_file=str(path))
    return processor.vocab_size()


def _config(arch: str, vocab_size: int, d: Dims) -> dict[str, object]:
    common: dict[str, object] = {
        "hidden_size": d.hidden,
        "intermediate_size": d.intermediate,
        "num_hidden_layers": d.layers,
        "num_attention_heads": d.heads,
        "num_key_value_heads": d.kv_heads,
        "head_dim": d.head_dim,
        "rms_norm_eps": 1e-6,
        "vocab_size": vocab_size,
        "bos_token_id": 2,
        "eos_token_id": 1,
        "pad_token_id": 0,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
    }
    if arch == "gemma":
        return {
            **common,
            "architectures": ["GemmaForCausalLM"],
            "model_type": "gemma",
            "hidden_act": "gelu_pytorch_tanh",
            "hidden_activation": "gelu_pytorch_tanh",
            "max_position_embeddings": 512,
            "rope_theta": 10000.0,
        }
    if arch == "gemma2":
        return {
            **common,
            "architectures": ["Gemma2ForCausalLM"],
            "model_type": "gemma2",
            "hidden_activation": "gelu_pytorch_tanh",
            "max_position_embeddings": 512,
            "rope_theta": 10000.0,
            "query_pre_attn_scalar": d.head_dim,
            "attn_logit_softcapping": 50.0,
            "final_logit_softcapping": 30.0,
            "sliding_window": 256,
        }
    if arch == "gemma3":
        return {
            **common,
            "architectures": ["Gemma3ForCausalLM"],
            "model_type": "gemma3_text",
            "hidden_activation": "gelu_pytorch_tanh",
            "max_position_embeddings": 1024,
            "rope_theta": 1_000_000.0,
            "rope_local_base_freq": 10_000.0,
            "rope_scaling": None,
            "query_pre_attn_scalar": d.head_dim,
            "sliding_window": 512,
            "attn_logit_softcapping": None,
            "final_logit_softcapping": None,
        }
    raise ValueError(arch)


def _weights(arch: str, vocab_size: int, seed: int, d: Dims) -> dict[str, np.ndarray]:
    """Random weights, scaled so that logits differ clearly from one token to the next."""
    rng = np.random.default_rng(seed)

    def w(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) / math.sqrt(shape[-1])).astype(np.float32)

    def norm(n: int) -> np.ndarray:  # Gemma stores RMSNorm weights minus one
        return (0.1 * rng.standard_normal(n)).astype(np.float32)

    tensors = {
        "model.embed_tokens.weight": (0.5 * rng.standard_normal((vocab_size, d.hidden))).astype(
            np.float32
        )
    }
    for i in range(d.layers):
        p = f"model.layers.{i}."
        tensors[p + "input_layernorm.weight"] = norm(d.hidden)
        tensors[p + "self_attn.q_proj.weight"] = w(d.heads * d.head_dim, d.hidden)
        tensors[p + "self_attn.k_proj.weight"] = w(d.kv_heads * d.head_dim, d.hidden)
        tensors[p + "self_attn.v_proj.weight"] = w(d.kv_heads * d.head_dim, d.hidden)
        tensors[p + "self_attn.o_proj.weight"] = w(d.hidden, d.heads * d.head_dim)
        tensors[p + "mlp.gate_proj.weight"] = w(d.intermediate, d.hidden)
        tensors[p + "mlp.up_proj.weight"] = w(d.intermediate, d.hidden)
        tensors[p + "mlp.down_proj.weight"] = w(d.hidden, d.intermediate)
        tensors[p + "post_attention_layernorm.weight"] = norm(d.hidden)
        if arch in ("gemma2", "gemma3"):
            tensors[p + "pre_feedforward_layernorm.weight"] = norm(d.hidden)
            tensors[p + "post_feedforward_layernorm.weight"] = norm(d.hidden)
        if arch == "gemma3":
            tensors[p + "self_attn.q_norm.weight"] = norm(d.head_dim)
            tensors[p + "self_attn.k_norm.weight"] = norm(d.head_dim)
    tensors["model.norm.weight"] = norm(d.hidden)
    return tensors


def build_tiny_checkpoint(
    directory: Path,
    arch: str = "gemma",
    functional_tokens: bool = True,
    dtype: str = "BF16",
    shards: int = 1,
    seed: int = 0,
    dims: Dims = TINY,
    tokenizer_json: bool = False,
) -> Path:
    """Write a tiny checkpoint of ``arch`` (gemma, gemma2, gemma3) into ``directory``.

    ``tokenizer_json=True`` also writes the fast tokenizer's tokenizer.json, as the real
    Octopus v2 has; that needs transformers and protobuf (test-only dependencies).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    n_pieces = train_tokenizer(directory / "tokenizer.model")
    added = (
        {text: n_pieces + i for i, text in enumerate(FUNCTION_TOKENS)} if functional_tokens else {}
    )
    vocab_size = n_pieces + len(added)

    decoder = {
        str(i): {
            "content": text,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for i, text in enumerate(["<pad>", "<eos>", "<bos>", "<unk>"])
    }
    for i, text in ((4, "<mask>"), (5, "<start_of_turn>"), (6, "<end_of_turn>")):
        decoder[str(i)] = {**decoder["0"], "content": text}
    for text, token_id in added.items():
        decoder[str(token_id)] = {**decoder["0"], "content": text}
    tokenizer_config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "additional_special_tokens": list(added),
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "chat_template": "{{ bos_token }}{% for m in messages %}<start_of_turn>{{ m['role'] }}\n"
        "{{ m['content'] }}<end_of_turn>\n{% endfor %}",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1000000000000000019884624838656,
        "sp_model_kwargs": {},
        "tokenizer_class": "GemmaTokenizer",
        "legacy": False,
    }
    special_map = {
        "additional_special_tokens": list(added),
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2))
    (directory / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2))
    if added:
        # string order of the keys, like old copies of Octopus v2: ids must come from values
        ordered = dict(sorted(added.items()))
        (directory / "added_tokens.json").write_text(json.dumps(ordered, indent=2))
    (directory / "config.json").write_text(json.dumps(_config(arch, vocab_size, dims), indent=2))

    tensors = _weights(arch, vocab_size, seed, dims)
    names = list(tensors)
    if shards == 1:
        write_safetensors(directory / "model.safetensors", tensors, dtype)
    else:
        per = math.ceil(len(names) / shards)
        weight_map = {}
        for k in range(shards):
            shard = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[k * per : (k + 1) * per]}
            write_safetensors(directory / shard, part, dtype)
            weight_map.update(dict.fromkeys(part, shard))
        index = {"metadata": {"total_size": 0}, "weight_map": weight_map}
        (directory / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    if tokenizer_json:
        write_tokenizer_json(directory)
    return directory


def write_tokenizer_json(directory: Path) -> None:
    """Add the tokenizer.json that transformers derives from tokenizer.model and the configs."""
    import tempfile

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(directory)
    with tempfile.TemporaryDirectory() as saved:
        tokenizer.save_pretrained(saved)
        (directory / "tokenizer.json").write_bytes((Path(saved) / "tokenizer.json").read_bytes())


def build_tiny_octopus_checkpoint(directory: Path, tokenizer_json: bool = False) -> Path:
    """Octopus v2 in miniature (see the module docstring)."""
    return build_tiny_checkpoint(
        directory, arch="gemma", functional_tokens=True, dtype="BF16", tokenizer_json=tokenizer_json
    )


def build_tiny_gemma3_checkpoint(directory: Path, functional_tokens: bool = True) -> Path:
    """A tiny Gemma 3 fine-tune: float32 weights in two shards with an index."""
    return build_tiny_checkpoint(
        directory, arch="gemma3", functional_tokens=functional_tokens, dtype="F32", shards=2
    )
