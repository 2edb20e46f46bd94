"""Benchmark: convert a checkpoint with Octopus v2's real shapes to Q4_K_M.

    python -m octopus_cli.convert.benchmark [--dir DIR] [--quant q4_k_m] [--keep]

Writes a synthetic ``GemmaForCausalLM`` checkpoint (2.5 B random parameters, bf16
safetensors, about 5 GB) to a temporary directory, converts it in a child process while
sampling that process's memory, then loads the result in llama.cpp and evaluates a few
tokens. Prints seconds and peak memory. Needs about 17 GB of free disk in ``--dir``
(checkpoint 5 GB, float32 intermediate 10 GB, output 1.6 GB); everything is deleted
afterwards unless ``--keep``. Results go to stdout only (nothing lands in the repository).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .safetensors import write_safetensors_streaming

# Octopus v2 (spec: shared/spec/octopus-v2.md)
OCTOPUS_V2 = {
    "vocab_size": 256022,
    "hidden_size": 2048,
    "intermediate_size": 16384,
    "num_hidden_layers": 18,
    "num_attention_heads": 8,
    "num_key_value_heads": 1,
    "head_dim": 256,
}


def synthetic_shapes(hp: dict[str, int]) -> dict[str, tuple[int, ...]]:
    n, ff, hd = hp["hidden_size"], hp["intermediate_size"], hp["head_dim"]
    q, kv = hp["num_attention_heads"] * hd, hp["num_key_value_heads"] * hd
    shapes: dict[str, tuple[int, ...]] = {"model.embed_tokens.weight": (hp["vocab_size"], n)}
    for i in range(hp["num_hidden_layers"]):
        p = f"model.layers.{i}."
        shapes.update(
            {
                p + "input_layernorm.weight": (n,),
                p + "self_attn.q_proj.weight": (q, n),
                p + "self_attn.k_proj.weight": (kv, n),
                p + "self_attn.v_proj.weight": (kv, n),
                p + "self_attn.o_proj.weight": (n, q),
                p + "mlp.gate_proj.weight": (ff, n),
                p + "mlp.up_proj.weight": (ff, n),
                p + "mlp.down_proj.weight": (n, ff),
                p + "post_attention_layernorm.weight": (n,),
            }
        )
    shapes["model.norm.weight"] = (n,)
    return shapes


FUNCTION_TOKENS = [f"<nexa_{i}>" for i in range(21)] + ["<nexa_end>"]


def _write_tokenizer(directory: Path, vocab_size: int) -> None:
    """A small real SentencePiece model plus Octopus' 22 added tokens at Octopus' ids.

    The ids between the pieces and the added tokens become ``[PAD]`` tokens, so the
    vocabulary has Octopus' size (and the embedding its real shape) without its text.
    """
    import io

    import sentencepiece as spm

    words = [
        "take",
        "a",
        "photo",
        "with",
        "the",
        "front",
        "camera",
        "send",
        "an",
        "email",
        "weather",
        "forecast",
        "in",
        "paris",
    ]
    rng = np.random.default_rng(1)
    lines = [" ".join(rng.choice(words, 8)) for _ in range(300)]
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        model_type="bpe",
        vocab_size=300,
        pad_id=0,
        eos_id=1,
        bos_id=2,
        unk_id=3,
        pad_piece="<pad>",
        eos_piece="<eos>",
        bos_piece="<bos>",
        unk_piece="<unk>",
        byte_fallback=True,
        minloglevel=2,
    )
    (directory / "tokenizer.model").write_bytes(model.getvalue())
    base = vocab_size - len(FUNCTION_TOKENS)
    added = {t: base + i for i, t in enumerate(FUNCTION_TOKENS)}
    (directory / "added_tokens.json").write_text(json.dumps(dict(sorted(added.items()))))
    specials = {t: i for i, t in enumerate(["<pad>", "<eos>", "<bos>", "<unk>"])}
    write_tokenizer_config(
        directory, {**specials, **added}, additional_special_tokens=FUNCTION_TOKENS
    )


def write_tokenizer_config(directory: Path, special_tokens: dict[str, int], **extra: Any) -> None:
    """A Gemma-style tokenizer_config.json marking ``special_tokens`` (text -> id) special."""
    flags = {"lstrip": False, "normalized": False, "rstrip": False, "single_word": False}
    decoder = {str(i): {"content": t, **flags, "special": True} for t, i in special_tokens.items()}
    config = {
        "add_bos_token": True,
        "add_eos_token": False,
        "added_tokens_decoder": decoder,
        "bos_token": "<bos>",
        "eos_token": "<eos>",
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        **extra,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config))


def write_synthetic_checkpoint(
    directory: Path, seed: int = 0, tokenizer: Callable[[Path], int] | None = None
) -> int:
    """Write the bf16 checkpoint; return the parameter count.

    The tokenizer is a tiny real one padded to Octopus v2's vocabulary size, unless
    ``tokenizer`` writes one into the directory and returns its vocabulary size (the
    embedding then gets that many rows).
    """
    directory.mkdir(parents=True, exist_ok=True)
    hp = dict(OCTOPUS_V2)
    if tokenizer is None:
        _write_tokenizer(directory, hp["vocab_size"])
    else:
        hp["vocab_size"] = tokenizer(directory)
    config = {
        "architectures": ["GemmaForCausalLM"],
        "model_type": "gemma",
        **hp,
        "max_position_embeddings": 8192,
        "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0,
        "hidden_activation": "gelu_pytorch_tanh",
        "bos_token_id": 2,
        "eos_token_id": 1,
        "pad_token_id": 0,
        "torch_dtype": "bfloat16",
        "tie_word_embeddings": True,
    }
    (directory / "config.json").write_text(json.dumps(config))

    rng = np.random.default_rng(seed)
    shapes = synthetic_shapes(hp)

    def blocks(name: str) -> Iterator[np.ndarray]:
        shape = shapes[name]
        scale = 0.02 if len(shape) == 2 else 0.1
        rows_per_block = max(1, (16 << 20) // max(1, math.prod(shape[1:])))
        for start in range(0, shape[0], rows_per_block):
            rows = min(rows_per_block, shape[0] - start)
            yield rng.standard_normal((rows, *shape[1:]), dtype=np.float32) * np.float32(scale)

    write_safetensors_streaming(directory / "model.safetensors", shapes, blocks, dtype="BF16")
    return sum(math.prod(s) for s in shapes.values())


class MemorySampler(threading.Thread):
    """Poll a process's /proc status: peak total, anonymous and file-backed resident memory."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
        self.stop = threading.Event()

    def run(self) -> None:
        status = Path(f"/proc/{self.pid}/status")
        while not self.stop.is_set():
            try:
                for line in status.read_text().splitlines():
                    key, _, value = line.partition(":")
                    if key in self.peak:
                        self.peak[key] = max(self.peak[key], int(value.split()[0]) * 1024)
            except (OSError, ValueError, IndexError):
                pass
            self.stop.wait(self.interval)


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _child(source: str, out: str, quant: str) -> None:
    from octopus_cli.convert import convert_checkpoint

    summary = convert_checkpoint(source, Path(out), quant=quant, progress=False)
    print(
        json.dumps(
            {
                "seconds": summary.seconds,
                "quantize_seconds": summary.quantize_seconds,
                "bytes": summary.output_bytes,
                "tensors": summary.tensors,
                "parameters": summary.parameters,
            }
        )
    )


def _load_and_eval(path: Path) -> dict[str, float | int]:
    """Load the GGUF in llama.cpp and evaluate a short prompt, proving it runs."""
    import llama_cpp

    started = time.perf_counter()
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=64, n_threads=2, verbose=False)
    loaded = time.perf_counter() - started
    tokens = llm.tokenize(b"Take a selfie for me with front camera")
    llm.eval(tokens)
    return {
        "load_seconds": loaded,
        "eval_seconds": time.perf_counter() - started - loaded,
        "n_vocab": llm.n_vocab(),
        "prompt_tokens": len(tokens),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dir", type=Path, default=None, help="work directory (default: a temp dir)"
    )
    parser.add_argument("--quant", default="q4_k_m")
    parser.add_argument("--keep", action="store_true", help="keep the checkpoint and output")
    parser.add_argument(
        "--child", nargs=3, metavar=("SOURCE", "OUT", "QUANT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    work = Path(tempfile.mkdtemp(prefix="octopus-convert-bench-", dir=args.dir))
    try:
        ckpt, out = work / "checkpoint", work / f"octopus-v2-synthetic.{args.quant}.gguf"
        print(f"work dir {work}; free disk {_gib(shutil.disk_usage(work).free)}", flush=True)
        started = time.perf_counter()
        n_params = write_synthetic_checkpoint(ckpt)
        size = (ckpt / "model.safetensors").stat().st_size
        print(
            f"synthetic checkpoint: {n_params / 1e9:.3f} B parameters, {_gib(size)} bf16, "
            f"written in {time.perf_counter() - started:.1f} s",
            flush=True,
        )

        cmd = [
            sys.executable,
            "-m",
            "octopus_cli.convert.benchmark",
            "--child",
            str(ckpt),
            str(out),
            args.quant,
        ]
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        sampler = MemorySampler(proc.pid)
        sampler.start()
        stdout, _ = proc.communicate()
        sampler.stop.set()
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            print(f"conversion failed with exit code {proc.returncode}", file=sys.stderr)
            return 1
        result = json.loads(stdout.strip().splitlines()[-1])
        print(
            f"convert {args.quant}: {result['seconds']:.1f} s inside the converter "
            f"(checks and F32 writing {result['seconds'] - result['quantize_seconds']:.1f} s, "
            f"llama.cpp quantizing {result['quantize_seconds']:.1f} s), {wall:.1f} s for the "
            f"whole process; output {_gib(result['bytes'])}, {result['tensors']} tensors"
        )
        print(
            f"peak memory of the converting process: resident {_gib(sampler.peak['VmRSS'])} "
            f"(anonymous {_gib(sampler.peak['RssAnon'])}, "
            f"file-backed/mmap {_gib(sampler.peak['RssFile'])})"
        )
        check = _load_and_eval(out)
        print(
            f"llama.cpp loads it in {check['load_seconds']:.1f} s (n_vocab {check['n_vocab']}) "
            f"and evaluates {check['prompt_tokens']} tokens in {check['eval_seconds']:.2f} s"
        )
        return 0
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
