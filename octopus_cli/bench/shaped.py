"""A random-weight model with Octopus v2's real shapes, to show the real model's speed.

The weights are random (Octopus v2's are on a hub this machine cannot reach), but
everything that sets the cost of a query is real: Gemma's 2.5 B architecture (18 layers,
hidden 2048, feed-forward 16384, one KV head) quantized to Q4_K_M by our converter, and a
real Gemma tokenizer, so prompts and calls have the token counts the real model sees.

The tokenizer is octopus-mini's (Gemma 3's 262,144 pieces plus the 21 functional tokens
and ``<nexa_end>``), written as a SentencePiece model the converter reads like any
checkpoint's. Octopus v2 itself has Gemma 1's 256,000 pieces: this vocabulary is 2.4 %
larger, so the output head costs 2.4 % more than the real one's. A small, stated bias
against us.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from octopus_cli.paths import data_dir

# llama.cpp token types (gguf.TokenType) and SentencePiece piece types share their numbers.
UNKNOWN_TYPE = 2
UNK_ID = 3
GGUF_NAME = "octopus-v2-shaped-random.Q4_K_M.gguf"
HF_NAME = "octopus-v2-shaped-random-hf"


def shaped_dir() -> Path:
    return data_dir() / "bench"


def sentencepiece_from_gguf(gguf_path: Path) -> tuple[bytes, dict[str, int]]:
    """A SentencePiece model of the GGUF's base pieces, and its added tokens (text -> id).

    Added tokens are the ones after the last piece SentencePiece can hold: the
    functional tokens, which the converter reads from ``added_tokens.json``.
    """
    from gguf import GGUFReader
    from sentencepiece import sentencepiece_model_pb2 as spm

    reader = GGUFReader(str(gguf_path))
    field = reader.fields["tokenizer.ggml.tokens"]
    texts = [bytes(field.parts[i]).decode("utf-8") for i in field.data]
    field = reader.fields["tokenizer.ggml.scores"]
    scores = [float(field.parts[i][0]) for i in field.data]
    field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(field.parts[i][0]) for i in field.data]
    functional = [i for i, t in enumerate(texts) if t.startswith("<nexa_")]
    if not functional:
        raise ValueError(f"{gguf_path.name} has no functional tokens")
    base_count = min(functional)

    model = spm.ModelProto()
    model.trainer_spec.model_type = spm.TrainerSpec.BPE
    model.trainer_spec.vocab_size = base_count
    model.trainer_spec.byte_fallback = True
    model.trainer_spec.pad_id, model.trainer_spec.eos_id = 0, 1
    model.trainer_spec.bos_id, model.trainer_spec.unk_id = 2, UNK_ID
    model.normalizer_spec.name = "identity"
    model.normalizer_spec.add_dummy_prefix = False  # Gemma: add_space_prefix false
    model.normalizer_spec.remove_extra_whitespaces = False
    for i in range(base_count):
        piece = model.pieces.add()
        piece.piece, piece.score = texts[i], scores[i]
        piece.type = UNKNOWN_TYPE if i == UNK_ID else types[i]
    added = {texts[i]: i for i in range(base_count, len(texts))}
    return model.SerializeToString(), added


def write_tokenizer_files(directory: Path, gguf_path: Path) -> int:
    """tokenizer.model, added_tokens.json and tokenizer_config.json; returns the vocab size."""
    from octopus_cli.convert.benchmark import write_tokenizer_config

    proto, added = sentencepiece_from_gguf(gguf_path)
    (directory / "tokenizer.model").write_bytes(proto)
    (directory / "added_tokens.json").write_text(json.dumps(added))
    write_tokenizer_config(directory, added)
    return max(added.values()) + 1


def build_shaped_model(vocabulary_gguf: Path, *, progress: bool = True) -> tuple[Path, Path]:
    """The Q4_K_M GGUF and the bf16 checkpoint it came from, built once and kept.

    Needs about 17 GB of free disk while converting; keeps about 7 GB (checkpoint 5.3 GB
    for transformers, GGUF 1.7 GB). Takes a few minutes on two cores.
    """
    from octopus_cli.convert import convert_checkpoint
    from octopus_cli.convert.benchmark import write_synthetic_checkpoint

    directory = shaped_dir()
    gguf_path, hf_dir = directory / GGUF_NAME, directory / HF_NAME
    if gguf_path.is_file() and (hf_dir / "config.json").is_file():
        return gguf_path, hf_dir
    directory.mkdir(parents=True, exist_ok=True)
    building = directory / f".{HF_NAME}.partial"
    shutil.rmtree(building, ignore_errors=True)
    try:
        write_synthetic_checkpoint(
            building, tokenizer=lambda d: write_tokenizer_files(d, vocabulary_gguf)
        )
        convert_checkpoint(building, gguf_path, quant="q4_k_m", progress=progress)
        shutil.rmtree(hf_dir, ignore_errors=True)
        building.rename(hf_dir)  # config.json last in place: the checkpoint is complete
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return gguf_path, hf_dir
