"""One way of answering the benchmark queries, in its own process.

    python -m octopus_cli.bench.worker SPEC.json RESULT.json

SPEC gives the mode, the GGUF, the queries and the options; RESULT gets one row per
query (latency, tokens evaluated and generated) plus load time and the process's peak
resident memory. Every mode answers one untimed query first, so page faults of the
model file do not land on the first timed query.

Modes:

* ``ours``, ``ours-nogrammar``: :class:`~octopus_cli.runtime.FunctionCaller`: the
  prompt prefix's KV state reused, stop at ``<nexa_end>``, grammar on or off.
* ``b1``: the model card's way with llama.cpp (``llama-cli -n 256`` on a file whose
  ``<nexa_end>`` is not an end-of-generation token): the whole prompt every time,
  greedy, up to 256 new tokens, stopping only at EOS.
* ``b2``: the careful naive way with llama-cpp-python: ``Llama.generate`` on the whole
  prompt every time, greedy, breaking at the ``<nexa_end>`` id.
* ``floor``: bare ``llama_decode`` calls on a warm prefix: the query's own tokens in one
  batch, then each generated token (taken from the ``ours`` run), nothing else.
* ``transformers``: ``generate(max_length=...)`` with ``do_sample=False`` in bfloat16 on
  the CPU, as the model card does; no stop at ``<nexa_end>``.

With ``forced`` (the random-weight model), decoding is steered to the expected call: our
runtime masks every other token, so it does the work it would do for the real model; b2
stops after as many tokens as the call has; b1 runs until EOS or 256 tokens.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODES = ("ours", "ours-nogrammar", "b1", "b2", "floor", "transformers")
CARD_MAX_NEW_TOKENS = 256  # llama-cli -n 256


def peak_rss_bytes() -> int:
    """This process's peak resident set size (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class _Clock:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.started


def _row(query: str, seconds: float, evaluated: int, generated: list[int], text: str) -> dict:
    return {
        "query": query,
        "latency_s": seconds,
        "evaluated": evaluated,
        "generated": len(generated),
        "tokens": list(generated),
        "text": text,
    }


class _Forced:
    """Logit filter that leaves only the next token of a fixed sequence possible."""

    def __init__(self, tokens: Sequence[int], then: Callable | None) -> None:
        self.tokens = list(tokens)
        self.then = then

    def __call__(self, generated: list[int], logits: np.ndarray) -> None:
        if self.then is not None:
            self.then(generated, logits)
        step = len(generated)
        if step < len(self.tokens):
            wanted = self.tokens[step]
            logits[:] = -np.inf
            logits[wanted] = 0.0


def run_ours(spec: dict[str, Any]) -> tuple[float, list[dict]]:
    from octopus_cli.functions import load_function_set
    from octopus_cli.runtime import FunctionCaller, Runtime

    clock = _Clock()
    runtime = Runtime(spec["model"], n_threads=spec.get("threads"))
    caller = FunctionCaller(runtime, load_function_set(), use_grammar=spec["mode"] == "ours")
    loaded = clock.seconds()

    def answer(item: dict[str, Any]) -> dict:
        clock = _Clock()
        # FunctionCaller.ask, with the steering filter added on top of its string guard
        guard = caller.string_guard()
        forced = _forced_tokens(runtime, item) if spec.get("forced") else None
        generation = runtime.generate(
            caller.prompt_tokens(item["query"]),
            max_tokens=caller.max_tokens,
            stop_ids=[caller.end_id],
            grammar=caller.grammar,
            logit_filter=_Forced(forced, guard) if forced else guard,
        )
        caller.answer(item["query"], generation)
        seconds = clock.seconds()
        return _row(
            item["query"],
            seconds,
            generation.evaluated_prompt_tokens,
            generation.tokens,
            generation.text,
        )

    return loaded, _timed(spec["queries"], answer)


def _forced_tokens(runtime: Any, item: dict[str, Any]) -> list[int]:
    return runtime.tokenize(item["target"], add_bos=False, special=True)


def run_llama_generate(spec: dict[str, Any]) -> tuple[float, list[dict]]:
    """b1 and b2: llama-cpp-python's ``Llama.generate`` on the whole prompt each time."""
    import llama_cpp

    from octopus_cli.runtime import build_prompt, quiet_llama_logs

    quiet_llama_logs()
    threads = spec.get("threads") or None
    clock = _Clock()
    llm = llama_cpp.Llama(
        model_path=spec["model"],
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    loaded = clock.seconds()
    eos = llm.token_eos()
    end = llm.tokenize(b"<nexa_end>", add_bos=False, special=True)
    end_id = end[0] if len(end) == 1 else None
    stop_at_end = spec["mode"] == "b2"

    def answer(item: dict[str, Any]) -> dict:
        budget = CARD_MAX_NEW_TOKENS
        if stop_at_end and spec.get("forced"):
            budget = len(llm.tokenize(item["target"].encode(), add_bos=False, special=True))
        clock = _Clock()
        prompt = llm.tokenize(build_prompt(item["query"]).encode("utf-8"), special=True)
        llm.reset()  # no prefix reuse: the whole prompt every time
        out: list[int] = []
        for token in llm.generate(prompt, top_k=1, temp=0.0, reset=True):
            out.append(token)
            if token == eos or (stop_at_end and token == end_id) or len(out) >= budget:
                break
        text = llm.detokenize(out, special=True).decode("utf-8", errors="replace")
        return _row(item["query"], clock.seconds(), len(prompt), out, text)

    return loaded, _timed(spec["queries"], answer)


def run_floor(spec: dict[str, Any]) -> tuple[float, list[dict]]:
    """Only llama_decode: the query's own tokens, then each generated token but the last."""
    import llama_cpp

    from octopus_cli.runtime import PROMPT_PREFIX, Runtime, build_prompt, common_prefix_length

    clock = _Clock()
    runtime = Runtime(spec["model"], n_threads=spec.get("threads"))
    loaded = clock.seconds()
    prefix = runtime.tokenize(PROMPT_PREFIX)
    runtime.warm(prefix)
    ctx = runtime.llm._ctx.ctx
    memory = llama_cpp.llama_get_memory(ctx)

    def decode(tokens: Sequence[int]) -> None:
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        if llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(array, len(tokens))):
            raise RuntimeError("llama_decode failed")

    cached = list(prefix)  # what the KV cache holds, tracked exactly as Runtime does

    def answer(item: dict[str, Any]) -> dict:
        nonlocal cached
        prompt = runtime.tokenize(build_prompt(item["query"]))
        common = common_prefix_length(cached, prompt[:-1])  # as Runtime._evaluate does
        evaluated = item["generated_tokens"][:-1]  # the stop token is never evaluated
        llama_cpp.llama_memory_seq_rm(memory, 0, common, -1)
        clock = _Clock()
        decode(prompt[common:])
        for token in evaluated:
            decode([token])
        seconds = clock.seconds()
        cached = prompt + evaluated
        return _row(item["query"], seconds, len(prompt) - common, item["generated_tokens"], "")

    return loaded, _timed(spec["queries"], answer)


def run_transformers(spec: dict[str, Any]) -> tuple[float, list[dict]]:
    """The model card's way: bfloat16 weights, ``generate(max_length=...)``, no early stop."""
    import llama_cpp
    import torch
    from transformers import AutoModelForCausalLM

    from octopus_cli.runtime import build_prompt

    threads = spec.get("threads")
    if threads:
        torch.set_num_threads(int(threads))
    # The same prompt token ids as every other mode, from the GGUF's own vocabulary.
    vocab = llama_cpp.Llama(model_path=spec["model"], vocab_only=True, verbose=False)
    clock = _Clock()
    source = spec["hf"]
    if source.startswith("artifact:"):
        from octopus_cli.train.parity import merge_artifact

        model = merge_artifact(Path(source.removeprefix("artifact:")))
    else:
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.bfloat16)
    model = model.to(torch.bfloat16).eval()
    loaded = clock.seconds()
    max_length = int(spec["max_length"])

    def answer(item: dict[str, Any], length: int = max_length) -> dict:
        clock = _Clock()
        prompt = vocab.tokenize(build_prompt(item["query"]).encode("utf-8"), special=True)
        ids = torch.tensor([prompt])
        with torch.no_grad():
            output = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                max_length=max(length, len(prompt) + 1),
                do_sample=False,
                pad_token_id=0,
            )
        generated = output[0, len(prompt) :].tolist()
        text = vocab.detokenize(generated, special=True).decode("utf-8", errors="replace")
        return _row(item["query"], clock.seconds(), len(prompt), generated, text)

    # Warm up with a short generation: a full one would double the slowest part of the run.
    return loaded, _timed(spec["queries"], answer, warm=lambda item: answer(item, length=0))


def _timed(
    queries: list[dict[str, Any]],
    answer: Callable[[dict], dict],
    warm: Callable[[dict], Any] | None = None,
) -> list[dict]:
    if not queries:
        return []
    (warm or answer)(queries[0])  # page in the weights, build caches; not reported
    return [answer(item) for item in queries]


RUNNERS: dict[str, Callable[[dict[str, Any]], tuple[float, list[dict]]]] = {
    "ours": run_ours,
    "ours-nogrammar": run_ours,
    "b1": run_llama_generate,
    "b2": run_llama_generate,
    "floor": run_floor,
    "transformers": run_transformers,
}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    spec = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    loaded, rows = RUNNERS[spec["mode"]](spec)
    result = {
        "mode": spec["mode"],
        "load_seconds": loaded,
        "peak_rss_bytes": peak_rss_bytes(),
        "rows": rows,
    }
    Path(args[1]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
