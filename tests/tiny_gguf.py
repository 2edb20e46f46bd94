"""Write tiny random-weight Gemma GGUF files with gguf-py, for tests that need a real model.

The file has Octopus v2's structure in miniature: architecture ``gemma``, one key-value
head, a SentencePiece-style vocabulary (control tokens, byte fallback, a few pieces) and
the 22 functional tokens ``<nexa_0>`` ... ``<nexa_20>``, ``<nexa_end>`` at the end of the
vocabulary. llama.cpp loads and runs it like the real model, only with nonsense weights.
"""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np

TOKEN_NORMAL, TOKEN_UNKNOWN, TOKEN_CONTROL, TOKEN_USER_DEFINED, TOKEN_BYTE = 1, 2, 3, 4, 6
FIRST_BYTE_TOKEN = 4  # the id of <0x00>; byte b is token FIRST_BYTE_TOKEN + b

_PIECES = (
    "▁the ▁a ▁to ▁and ▁of ▁for ▁with ▁on ▁in ▁me ▁my ▁is ▁call ▁function ▁query ▁please"
    " ▁take ▁photo ▁selfie ▁front ▁back ▁camera ▁send ▁email ▁weather ▁news ▁set ▁volume"
    " Query Response Below ▁Below ▁users ▁correct ▁generate ▁parameters ▁from"
    " ' ( ) , : ; = . ▁ e t a o i n s r h l d c u m"
).split()


def write_tiny_gemma(
    path: Path,
    *,
    functional_tokens: int = 21,
    with_end_token: bool = True,
    functional_token_type: int = TOKEN_CONTROL,
    end_token_is_eot: bool = False,
    n_embd: int = 64,
    n_layers: int = 2,
    seed: int = 0,
) -> Path:
    """Write a random Gemma GGUF (F32) and return its path."""
    tokens = ["<pad>", "<eos>", "<bos>", "<unk>"]
    types = [TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_CONTROL, TOKEN_UNKNOWN]
    assert len(tokens) == FIRST_BYTE_TOKEN
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [TOKEN_BYTE] * 256
    tokens += _PIECES
    types += [TOKEN_NORMAL] * len(_PIECES)
    scores = [0.0] * len(tokens)
    for i in range(len(tokens) - len(_PIECES), len(tokens)):
        scores[i] = -float(i)  # earlier pieces merge first
    specials = [f"<nexa_{i}>" for i in range(functional_tokens)]
    if with_end_token:
        specials.append("<nexa_end>")
    tokens += specials
    types += [functional_token_type] * len(specials)
    scores += [0.0] * len(specials)

    n_vocab, n_head, n_kv, head_dim, n_ff = len(tokens), 2, 1, 32, 2 * n_embd
    writer = gguf.GGUFWriter(str(path), "gemma")
    writer.add_name("tiny-octopus-test")
    writer.add_context_length(2048)
    writer.add_embedding_length(n_embd)
    writer.add_block_count(n_layers)
    writer.add_feed_forward_length(n_ff)
    writer.add_head_count(n_head)
    writer.add_head_count_kv(n_kv)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_pad_token_id(0)
    writer.add_unk_token_id(3)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    if with_end_token and end_token_is_eot:
        writer.add_eot_token_id(n_vocab - 1)

    rng = np.random.default_rng(seed)

    def weight(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.5).astype(np.float32)

    writer.add_tensor("token_embd.weight", weight(n_vocab, n_embd))
    for i in range(n_layers):
        writer.add_tensor(f"blk.{i}.attn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.attn_q.weight", weight(n_head * head_dim, n_embd))
        writer.add_tensor(f"blk.{i}.attn_k.weight", weight(n_kv * head_dim, n_embd))
        writer.add_tensor(f"blk.{i}.attn_v.weight", weight(n_kv * head_dim, n_embd))
        writer.add_tensor(f"blk.{i}.attn_output.weight", weight(n_embd, n_head * head_dim))
        writer.add_tensor(f"blk.{i}.ffn_norm.weight", np.ones(n_embd, dtype=np.float32))
        writer.add_tensor(f"blk.{i}.ffn_gate.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_up.weight", weight(n_ff, n_embd))
        writer.add_tensor(f"blk.{i}.ffn_down.weight", weight(n_embd, n_ff))
    writer.add_tensor("output_norm.weight", np.ones(n_embd, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
