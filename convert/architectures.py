"""One small class per supported Hugging Face architecture, over a shared Gemma base.

Shaped like llama.cpp's ``convert_hf_to_gguf.py`` (``conversion/gemma.py`` in the
llama-cpp-python 0.3.36 sources): a base class does the common work and each architecture
overrides a few hooks, namely the hyperparameters it writes, its per-layer tensor map and
its tensor rules. The GGUF names come from gguf-py's own tables (``gguf.TENSOR_NAMES``),
so they are the names llama.cpp looks up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import gguf

from octopus_cli.errors import ConversionError

from .safetensors import TensorEntry
from .vocab import Vocabulary

T = gguf.MODEL_TENSOR

# Names that carry no weights llama.cpp needs; upstream drops them too.
_IGNORED_SUFFIXES = (".rotary_emb.inv_freq", ".attention.masked_bias", ".attention.bias")


@dataclass(frozen=True)
class TensorPlan:
    """How one checkpoint tensor becomes one GGUF tensor."""

    hf_name: str
    gguf_name: str
    entry: TensorEntry
    out_shape: tuple[int, ...]  # numpy order, as in the checkpoint
    norm_shift: float  # added to every value (Gemma's RMSNorm weights are stored minus 1)
    keep_f32: bool  # norms and 1-D tensors stay F32 whatever the file type, as upstream

    @property
    def n_elements(self) -> int:
        return math.prod(self.out_shape)


class GemmaFamilyModel:
    """Shared base: config reading, tensor planning and checks, common hyperparameters."""

    hf_architecture: ClassVar[str]
    gguf_arch: ClassVar[gguf.MODEL_ARCH]
    # transformers' config defaults for keys a config.json may leave out
    defaults: ClassVar[dict[str, Any]] = {}
    # per-layer checkpoint name (after "model.layers.N.") -> GGUF tensor kind
    layer_tensors: ClassVar[dict[str, gguf.MODEL_TENSOR]] = {
        "input_layernorm.weight": T.ATTN_NORM,
        "self_attn.q_proj.weight": T.ATTN_Q,
        "self_attn.k_proj.weight": T.ATTN_K,
        "self_attn.v_proj.weight": T.ATTN_V,
        "self_attn.o_proj.weight": T.ATTN_OUT,
        "mlp.gate_proj.weight": T.FFN_GATE,
        "mlp.up_proj.weight": T.FFN_UP,
        "mlp.down_proj.weight": T.FFN_DOWN,
    }
    global_tensors: ClassVar[dict[str, gguf.MODEL_TENSOR]] = {
        "model.embed_tokens.weight": T.TOKEN_EMBD,
        "model.norm.weight": T.OUTPUT_NORM,
    }
    _required = (
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "vocab_size",
    )

    def __init__(self, config: dict[str, Any]) -> None:
        missing = [k for k in self._required if not isinstance(config.get(k), int)]
        if missing:
            raise ConversionError(
                f"config.json lacks {', '.join(missing)}",
                hint="the checkpoint's config.json is incomplete",
            )
        self.config = config
        self.hp = {**self.defaults, **{k: v for k, v in config.items() if v is not None}}
        self.hp.setdefault("num_key_value_heads", self.hp["num_attention_heads"])
        self.hp.setdefault("head_dim", self.hp["hidden_size"] // self.hp["num_attention_heads"])
        if config.get("tie_word_embeddings") is False:
            raise ConversionError(
                f"{self.hf_architecture} with an untied output head is not supported",
                hint="llama.cpp's Gemma architectures reuse the token embeddings as output head",
            )

    @property
    def vocab_size(self) -> int:
        return int(self.hp["vocab_size"])

    @property
    def block_count(self) -> int:
        return int(self.hp["num_hidden_layers"])

    # -- hooks -----------------------------------------------------------------------------

    def norm_shift(self, hf_name: str) -> float:
        """Gemma's RMSNorm computes ``x * (1 + w)``; llama.cpp computes ``x * w``.

        ref: transformers models/gemma/modeling_gemma.py GemmaRMSNorm; upstream
        ``GemmaModel.modify_tensors`` adds 1 to every ``*norm.weight``.
        """
        return 1.0 if hf_name.endswith("norm.weight") else 0.0

    def embedding_rows(self, rows: int) -> int:
        """Rows of the token embedding to keep; Gemma and Gemma 2 keep exactly vocab_size."""
        if rows != self.vocab_size:
            raise ConversionError(
                f"model.embed_tokens.weight has {rows} rows but vocab_size is {self.vocab_size}",
                hint="config.json's vocab_size must equal the embedding rows",
            )
        return rows

    def expected_shape(self, kind: gguf.MODEL_TENSOR) -> tuple[int, ...] | None:
        """Shape the config implies for a tensor kind (None: checked elsewhere)."""
        hp = self.hp
        n_embd, n_ff, hd = hp["hidden_size"], hp["intermediate_size"], hp["head_dim"]
        q, kv = hp["num_attention_heads"] * hd, hp["num_key_value_heads"] * hd
        return {
            T.TOKEN_EMBD: None,
            T.OUTPUT_NORM: (n_embd,),
            T.ATTN_NORM: (n_embd,),
            T.ATTN_POST_NORM: (n_embd,),
            T.FFN_NORM: (n_embd,),
            T.FFN_PRE_NORM: (n_embd,),
            T.FFN_POST_NORM: (n_embd,),
            T.ATTN_Q_NORM: (hd,),
            T.ATTN_K_NORM: (hd,),
            T.ATTN_Q: (q, n_embd),
            T.ATTN_K: (kv, n_embd),
            T.ATTN_V: (kv, n_embd),
            T.ATTN_OUT: (n_embd, q),
            T.FFN_GATE: (n_ff, n_embd),
            T.FFN_UP: (n_ff, n_embd),
            T.FFN_DOWN: (n_embd, n_ff),
        }[kind]

    def skip(self, hf_name: str) -> bool:
        """Tensors left out: upstream skips lm_head, as Gemma ties it to the embeddings."""
        return hf_name == "lm_head.weight" or hf_name.endswith(_IGNORED_SUFFIXES)

    def write_hparams(self, writer: gguf.GGUFWriter, file_type: int) -> None:
        """Hyperparameters of upstream ``GemmaModel.set_gguf_parameters``."""
        hp = self.hp
        writer.add_context_length(hp["max_position_embeddings"])
        writer.add_embedding_length(hp["hidden_size"])
        writer.add_block_count(self.block_count)
        writer.add_feed_forward_length(hp["intermediate_size"])
        writer.add_head_count(hp["num_attention_heads"])
        writer.add_head_count_kv(hp["num_key_value_heads"])
        writer.add_layer_norm_rms_eps(hp["rms_norm_eps"])
        writer.add_key_length(hp["head_dim"])
        writer.add_value_length(hp["head_dim"])
        writer.add_file_type(file_type)

    def write_vocab_extras(self, writer: gguf.GGUFWriter, vocab: Vocabulary) -> int | None:
        """Architecture-specific tokenizer keys; returns an end-of-turn id to record, if any."""
        writer.add_add_space_prefix(False)
        return None

    # -- shared machinery ------------------------------------------------------------------

    def plan(self, entries: dict[str, TensorEntry]) -> list[TensorPlan]:
        """Map every checkpoint tensor, check its shape, and fail on anything unknown."""
        mapping: dict[str, gguf.MODEL_TENSOR] = dict(self.global_tensors)
        for bid in range(self.block_count):
            for suffix, kind in self.layer_tensors.items():
                mapping[f"model.layers.{bid}.{suffix}"] = kind
        unknown = sorted(n for n in entries if n not in mapping and not self.skip(n))
        if unknown:
            raise ConversionError(
                f"{self.hf_architecture} checkpoint has unexpected tensor(s): "
                f"{', '.join(unknown[:3])}{' ...' if len(unknown) > 3 else ''}",
                hint=f"num_hidden_layers is {self.block_count}; "
                "is config.json from this checkpoint?",
            )
        missing = [n for n in mapping if n not in entries]
        if missing:
            raise ConversionError(
                f"checkpoint lacks tensor(s): {', '.join(missing[:3])}"
                f"{' ...' if len(missing) > 3 else ''}",
                hint="the weights are incomplete or do not match config.json",
            )
        plans = []
        for hf_name, kind in mapping.items():
            entry = entries[hf_name]
            bid = int(hf_name.split(".")[2]) if hf_name.startswith("model.layers.") else None
            template = gguf.TENSOR_NAMES[kind]
            gguf_name = (template.format(bid=bid) if bid is not None else template) + ".weight"
            out_shape = entry.shape
            if kind == T.TOKEN_EMBD:
                if len(entry.shape) != 2 or entry.shape[1] != self.hp["hidden_size"]:
                    raise ConversionError(
                        f"{hf_name} has shape {list(entry.shape)}, expected "
                        f"[{self.vocab_size}, {self.hp['hidden_size']}] from config.json"
                    )
                out_shape = (self.embedding_rows(entry.shape[0]), entry.shape[1])
            elif entry.shape != (expected := self.expected_shape(kind)):
                raise ConversionError(
                    f"{hf_name} has shape {list(entry.shape)}, expected {list(expected or ())} "
                    "from config.json",
                    hint="check hidden_size, intermediate_size, num_attention_heads, "
                    "num_key_value_heads and head_dim",
                )
            keep_f32 = len(out_shape) <= 1 or gguf_name.endswith("_norm.weight")
            plans.append(
                TensorPlan(hf_name, gguf_name, entry, out_shape, self.norm_shift(hf_name), keep_f32)
            )
        return plans


class GemmaForCausalLM(GemmaFamilyModel):
    """Gemma 1 (Octopus v2). ref: upstream ``GemmaModel`` (arch ``gemma``)."""

    hf_architecture = "GemmaForCausalLM"
    gguf_arch = gguf.MODEL_ARCH.GEMMA
    defaults: ClassVar[dict[str, Any]] = {
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6,
        "head_dim": 256,
    }
    layer_tensors: ClassVar[dict[str, gguf.MODEL_TENSOR]] = {
        **GemmaFamilyModel.layer_tensors,
        "post_attention_layernorm.weight": T.FFN_NORM,
    }

    def write_vocab_extras(self, writer: gguf.GGUFWriter, vocab: Vocabulary) -> int | None:
        """Upstream records id 107 (``<end_of_turn>`` in Gemma's vocabulary) as end of turn.

        It writes 107 unconditionally; we only do so when id 107 really is
        ``<end_of_turn>``, so a custom vocabulary does not stop on an ordinary word.
        (Upstream's CodeGemma FIM ids 67-70 have no writer handler in gguf 0.19 and are
        dropped there too.)
        """
        super().write_vocab_extras(writer, vocab)
        if len(vocab.tokens) > 107 and vocab.tokens[107] == b"<end_of_turn>":
            return 107
        return None


class Gemma2ForCausalLM(GemmaFamilyModel):
    """Gemma 2. ref: upstream ``Gemma2Model`` (arch ``gemma2``): soft-capping, sliding window."""

    hf_architecture = "Gemma2ForCausalLM"
    gguf_arch = gguf.MODEL_ARCH.GEMMA2
    defaults: ClassVar[dict[str, Any]] = {
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6,
        "head_dim": 256,
        "attn_logit_softcapping": 50.0,
        "final_logit_softcapping": 30.0,
        "sliding_window": 4096,
    }
    layer_tensors: ClassVar[dict[str, gguf.MODEL_TENSOR]] = {
        **GemmaFamilyModel.layer_tensors,
        "post_attention_layernorm.weight": T.ATTN_POST_NORM,
        "pre_feedforward_layernorm.weight": T.FFN_PRE_NORM,
        "post_feedforward_layernorm.weight": T.FFN_POST_NORM,
    }

    def write_hparams(self, writer: gguf.GGUFWriter, file_type: int) -> None:
        super().write_hparams(writer, file_type)
        writer.add_attn_logit_softcapping(self.hp["attn_logit_softcapping"])
        writer.add_final_logit_softcapping(self.hp["final_logit_softcapping"])
        writer.add_sliding_window(self.hp["sliding_window"])


class Gemma3ForCausalLM(GemmaFamilyModel):
    """Gemma 3 text models (Gemma 3 270M and its fine-tunes).

    ref: upstream ``Gemma3Model`` (arch ``gemma3``): per-head q/k norms, two RoPE bases
    (global and sliding-window layers), optional final soft-capping, and token embeddings
    trimmed to the vocabulary when the checkpoint pads them.
    """

    hf_architecture = "Gemma3ForCausalLM"
    gguf_arch = gguf.MODEL_ARCH.GEMMA3
    defaults: ClassVar[dict[str, Any]] = {
        "max_position_embeddings": 131072,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "head_dim": 256,
        "rms_norm_eps": 1e-6,
        "rope_theta": 1_000_000.0,
        "rope_local_base_freq": 10_000.0,
        "sliding_window": 4096,
    }
    layer_tensors: ClassVar[dict[str, gguf.MODEL_TENSOR]] = {
        **Gemma2ForCausalLM.layer_tensors,
        "self_attn.q_norm.weight": T.ATTN_Q_NORM,
        "self_attn.k_norm.weight": T.ATTN_K_NORM,
    }

    def __init__(self, config: dict[str, Any]) -> None:
        if config.get("attn_logit_softcapping") is not None:
            raise ConversionError(
                "Gemma3ForCausalLM with attn_logit_softcapping is not supported by llama.cpp"
            )
        super().__init__(config)

    def embedding_rows(self, rows: int) -> int:
        # upstream removes out-of-vocabulary rows of token_embd
        if rows < self.vocab_size:
            return super().embedding_rows(rows)
        return self.vocab_size

    def _rope(self) -> tuple[dict[str, Any], float | None]:
        """(global RoPE parameters, sliding-window theta) from old- or new-style config."""
        params = self.hp.get("rope_parameters") or {}
        if "full_attention" in params or "sliding_attention" in params:
            full = dict(params.get("full_attention") or {})
            local = (params.get("sliding_attention") or {}).get("rope_theta")
        else:
            full = dict(self.hp.get("rope_scaling") or {})
            local = self.hp.get("rope_local_base_freq")
        full.setdefault("rope_theta", self.hp["rope_theta"])
        if "rope_type" not in full and "type" in full:
            full["rope_type"] = full["type"]
        return full, local

    def write_hparams(self, writer: gguf.GGUFWriter, file_type: int) -> None:
        super().write_hparams(writer, file_type)
        full, local_theta = self._rope()
        rope_type, factor = full.get("rope_type"), full.get("factor")
        if rope_type == "linear" and factor is not None:
            writer.add_rope_scaling_type(gguf.RopeScalingType.LINEAR)
            writer.add_rope_scaling_factor(factor)
        elif rope_type not in (None, "default"):
            raise ConversionError(f"Gemma 3 RoPE scaling {rope_type!r} is not supported")
        writer.add_rope_freq_base(full["rope_theta"])
        if local_theta is not None:
            writer.add_rope_freq_base_swa(local_theta)
        if final_cap := self.hp.get("final_logit_softcapping"):
            writer.add_final_logit_softcapping(final_cap)
        if self.hp.get("sliding_window_pattern") != 1:
            writer.add_sliding_window(self.hp["sliding_window"])


ARCHITECTURES: dict[str, type[GemmaFamilyModel]] = {
    cls.hf_architecture: cls for cls in (GemmaForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM)
}


def architecture_for(config: dict[str, Any]) -> GemmaFamilyModel:
    """The model class for a config.json, or a ConversionError naming what is supported."""
    archs = config.get("architectures")
    name = archs[0] if isinstance(archs, list) and archs else None
    if name not in ARCHITECTURES:
        raise ConversionError(
            f"unsupported architecture {name or '(none in config.json)'}; "
            f"supported: {', '.join(ARCHITECTURES)}",
            hint="octopus convert handles Gemma-family causal LMs; use llama.cpp's "
            "convert_hf_to_gguf.py for others",
        )
    return ARCHITECTURES[name](config)
