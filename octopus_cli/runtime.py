"""llama.cpp runtime: load a GGUF once, reuse the prompt prefix, decode greedily.

Two layers:

* :class:`Runtime` knows nothing about functions. It evaluates token lists with
  llama-cpp-python, keeps the KV state of the longest prefix it has already evaluated,
  and decodes greedily (optionally under a GBNF grammar) until a stop token id.
* :class:`FunctionCaller` adds the Octopus prompt, the function set's tokens and grammar,
  and turns each answer into an :class:`~octopus_cli.calls.Outcome`.

Decoding is our own short loop over llama.cpp's C API rather than ``Llama.generate``:
it stops on token ids (a CONTROL-typed ``<nexa_end>`` never appears in plain completion
text), and it checks the grammar on the greedy token first, applying the grammar to the
whole vocabulary only when that token is rejected, as llama.cpp's common sampler does.
"""

from __future__ import annotations

import collections
import ctypes
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from octopus_cli.calls import Outcome, parse_output
from octopus_cli.errors import CorruptModelError, MissingFunctionalTokensError, ModelError
from octopus_cli.functions import FunctionSet
from octopus_cli.grammar import build_grammar, max_call_chars

# The prompt the published model was trained on (note the space before the blank line).
PROMPT_PREFIX = (
    "Below is the query from the users, please call the correct function and generate "
    "the parameters to call the function.\n\nQuery:"
)
PROMPT_TEMPLATE = PROMPT_PREFIX + " {query} \n\nResponse:"

_GGUF_MAGIC = b"GGUF"
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])


DEBUG_ENV = "OCTOPUS_DEBUG"
_recent_log: collections.deque[str] = collections.deque(maxlen=20)
_log_callback = None  # keep the ctypes callback alive for the life of the process


def quiet_llama_logs() -> None:
    """Keep llama.cpp's log lines off the terminal unless OCTOPUS_DEBUG is set.

    The last lines are kept so an error message can quote what llama.cpp said.
    """
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    show = bool(os.environ.get(DEBUG_ENV))

    @llama_cpp.llama_log_callback
    def callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", errors="replace")
        _recent_log.append(line)
        if show:
            os.write(2, text)

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


def last_llama_error() -> str | None:
    """The most recent llama.cpp log line that reads like an error, if any."""
    for line in reversed(_recent_log):
        text = line.strip()
        if text and ("error" in text.lower() or "failed" in text.lower()):
            return text
    return None


def build_prompt(query: str) -> str:
    return PROMPT_TEMPLATE.format(query=query)


@dataclass
class Generation:
    """Tokens produced for one prompt, and where the time went."""

    tokens: list[int]
    text: str
    stop_reason: str  # "stop_token", "eog", "max_tokens"
    prompt_tokens: int
    evaluated_prompt_tokens: int  # prompt tokens actually evaluated (the rest were cached)
    prefill_seconds: float
    decode_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.prefill_seconds + self.decode_seconds


def check_gguf_file(path: Path) -> None:
    """Fail early with a clear message for paths that are not GGUF files at all."""
    if not path.is_file():
        raise ModelError(
            f"model file not found: {path}", hint="check the path or `octopus models list`"
        )
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != _GGUF_MAGIC:
        raise CorruptModelError(
            f"{path} is not a GGUF file",
            hint="convert a checkpoint (octopus convert) or pull a model (octopus models pull)",
        )


class Runtime:
    """One llama.cpp model and context, with greedy decoding and prefix reuse."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        n_ctx: int = 2048,
        n_gpu_layers: int = 0,
        n_threads: int | None = None,
        prefix_cache: bool = True,
    ) -> None:
        import llama_cpp  # deferred: importing it loads the shared library

        self.model_path = Path(model_path)
        check_gguf_file(self.model_path)
        quiet_llama_logs()
        threads = n_threads or os.cpu_count() or 1
        try:
            self.llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=n_ctx,
                n_batch=min(512, n_ctx),
                n_gpu_layers=n_gpu_layers,
                n_threads=threads,
                n_threads_batch=threads,
                logits_all=False,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            said = last_llama_error()
            raise CorruptModelError(
                f"llama.cpp could not load {self.model_path.name}: {said or exc}",
                hint="the file may be truncated or corrupt; pull or convert it again",
            ) from None
        self._c = llama_cpp
        self._ctx = self.llm._ctx.ctx
        self._vocab = self.llm._model.vocab
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(self._vocab))
        self.n_ctx = n_ctx
        self.prefix_cache = prefix_cache
        self._cached: list[int] = []  # tokens whose KV state is valid in sequence 0
        self._full_candidates = np.empty(self.n_vocab, dtype=_TOKEN_DATA)
        self._full_candidates["id"] = np.arange(self.n_vocab, dtype=np.int32)

    # -- vocabulary -------------------------------------------------------------------

    def tokenize(self, text: str, *, add_bos: bool = True, special: bool = True) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special)

    def detokenize(self, tokens: Sequence[int]) -> str:
        """Text of ``tokens`` with special tokens spelled out (so ``<nexa_end>`` shows)."""
        return self.llm.detokenize(list(tokens), special=True).decode("utf-8", errors="replace")

    def single_token_id(self, text: str) -> int | None:
        """The id of ``text`` if the vocabulary has it as one token, else None."""
        ids = self.tokenize(text, add_bos=False, special=True)
        if len(ids) == 1 and self.detokenize(ids) == text:
            return ids[0]
        return None

    def is_end_of_generation(self, token: int) -> bool:
        return bool(self._c.llama_vocab_is_eog(self._vocab, token))

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.llm.metadata)

    # -- evaluation -------------------------------------------------------------------

    def _evaluate(self, prompt: list[int]) -> int:
        """Bring the KV state to ``prompt``; returns how many tokens had to be evaluated."""
        reuse = 0
        if self.prefix_cache:
            limit = min(len(self._cached), len(prompt) - 1)  # always evaluate >= 1 token
            while reuse < limit and self._cached[reuse] == prompt[reuse]:
                reuse += 1
        if reuse and not self.llm._ctx.kv_cache_seq_rm(0, reuse, -1):
            reuse = 0  # this memory type cannot drop a suffix: start over
        if not reuse:
            self.llm.reset()
            self.llm._ctx.kv_cache_clear()
        self._cached = prompt[:reuse]
        self.llm.n_tokens = reuse
        self.llm.eval(prompt[reuse:])
        self._cached = list(prompt)
        return len(prompt) - reuse

    def _accept(self, token: int) -> None:
        self._cached.append(token)
        self.llm.eval([token])

    def warm(self, prompt: list[int]) -> None:
        """Evaluate a prompt prefix ahead of time so the first query reuses it."""
        self._evaluate(prompt)

    def generate(
        self,
        prompt: list[int],
        *,
        max_tokens: int,
        stop_ids: Sequence[int] = (),
        grammar: str | None = None,
        on_token: Callable[[int], None] | None = None,
        logit_filter: Callable[[list[int], np.ndarray], None] | None = None,
    ) -> Generation:
        """Greedy decoding until a stop id, an end-of-generation token or ``max_tokens``."""
        if len(prompt) + max_tokens > self.n_ctx:
            max_tokens = self.n_ctx - len(prompt)
            if max_tokens <= 0:
                raise ModelError(f"prompt of {len(prompt)} tokens does not fit the context")
        sampler = self._grammar_sampler(grammar) if grammar else None
        started = time.perf_counter()
        evaluated = 0
        tokens: list[int] = []
        reason = "max_tokens"
        try:
            evaluated = self._evaluate(list(prompt))
            prefilled = time.perf_counter()
            stops = set(stop_ids)
            while len(tokens) < max_tokens:
                logits = self._logits()
                if logit_filter is not None:
                    logit_filter(tokens, logits)
                token = self._prefer_stop(sampler, self._next_token(sampler, logits), stops)
                tokens.append(token)
                if on_token is not None:
                    on_token(token)
                if token in stops:
                    reason = "stop_token"
                    break
                if self.is_end_of_generation(token):
                    reason = "eog"
                    break
                self._accept(token)
        finally:
            if sampler is not None:
                self._c.llama_sampler_free(sampler)
        finished = time.perf_counter()
        return Generation(
            tokens=tokens,
            text=self.detokenize(tokens),
            stop_reason=reason,
            prompt_tokens=len(prompt),
            evaluated_prompt_tokens=evaluated,
            prefill_seconds=prefilled - started,
            decode_seconds=finished - prefilled,
        )

    def _grammar_sampler(self, grammar: str) -> Any:
        sampler = self._c.llama_sampler_init_grammar(self._vocab, grammar.encode(), b"root")
        if not sampler:
            raise ModelError("llama.cpp rejected the generated grammar (a bug: please report it)")
        return sampler

    def _logits(self) -> np.ndarray:
        pointer = self._c.llama_get_logits_ith(self._ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))

    def _next_token(self, sampler: Any, logits: np.ndarray) -> int:
        best = int(np.argmax(logits))
        if sampler is None:
            return best
        # Cheap path: does the grammar accept the greedy token as it is?
        if self._grammar_allows(sampler, best, float(logits[best])):
            token = best
        else:
            candidates = self._full_candidates
            candidates["logit"] = logits
            self._apply(sampler, candidates)
            token = int(candidates["id"][int(np.argmax(candidates["logit"]))])
            if math.isinf(float(candidates["logit"].max())):
                raise ModelError("the grammar allows no token here (a bug: please report it)")
        self._c.llama_sampler_accept(sampler, token)
        return token

    def _prefer_stop(self, sampler: Any, token: int, stops: set[int]) -> int:
        """Under a complete grammar any end-of-generation token may follow; prefer a stop id."""
        if sampler is None or token in stops or not self.is_end_of_generation(token):
            return token
        for stop in stops:
            if self._grammar_allows(sampler, stop, 0.0):
                return stop
        return token

    def _grammar_allows(self, sampler: Any, token: int, logit: float) -> bool:
        single = np.array([(token, logit, 0.0)], dtype=_TOKEN_DATA)
        self._apply(sampler, single)
        return not math.isinf(float(single["logit"][0]))

    def _apply(self, sampler: Any, candidates: np.ndarray) -> None:
        array = self._c.llama_token_data_array(
            data=candidates.ctypes.data_as(self._c.llama_token_data_p),
            size=len(candidates),
            selected=-1,
            sorted=False,
        )
        self._c.llama_sampler_apply(sampler, ctypes.byref(array))


@dataclass
class Answer:
    """One query's answer: the parsed outcome plus the generation's figures."""

    query: str
    outcome: Outcome
    generation: Generation | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def timings(self) -> dict[str, Any]:
        g = self.generation
        if g is None:
            return {}
        return {
            "prompt_tokens": g.prompt_tokens,
            "evaluated_prompt_tokens": g.evaluated_prompt_tokens,
            "generated_tokens": len(g.tokens),
            "prefill_ms": round(g.prefill_seconds * 1000, 2),
            "decode_ms": round(g.decode_seconds * 1000, 2),
            "total_ms": round(g.total_seconds * 1000, 2),
        }


class FunctionCaller:
    """Answers queries with calls of one function set, on one loaded model."""

    def __init__(
        self,
        runtime: Runtime,
        function_set: FunctionSet,
        *,
        use_grammar: bool = True,
        max_tokens: int | None = None,
    ) -> None:
        self.runtime = runtime
        self.function_set = function_set
        self.use_grammar = use_grammar
        self.token_ids = self._functional_token_ids()
        self.end_id = self.token_ids.pop(-1)
        # A grammar must not contain an end-of-generation token (llama.cpp aborts); when the
        # file does not type <nexa_end> as one, the grammar ends with it like any token.
        end_is_eog = runtime.is_end_of_generation(self.end_id)
        self.grammar = None
        if use_grammar:
            numbers = [f.token for f in function_set.functions]
            grammar = build_grammar(function_set, dict(zip(numbers, self.token_ids, strict=True)))
            if not end_is_eog:
                ending = f"root ::= root-call <[{self.end_id}]>\nroot-call ::= "
                grammar = grammar.replace("root ::= ", ending, 1)
            self.grammar = grammar
        self.max_tokens = max_tokens or max(64, max_call_chars(function_set) + 8)
        runtime.warm(runtime.tokenize(PROMPT_PREFIX))

    def _functional_token_ids(self) -> list[int]:
        ids, missing = [], []
        for text in self.function_set.token_texts:
            token_id = self.runtime.single_token_id(text)
            if token_id is None:
                missing.append(text)
            ids.append(token_id)
        if missing:
            shown = ", ".join(missing[:4]) + (" ..." if len(missing) > 4 else "")
            raise MissingFunctionalTokensError(
                f"{self.runtime.model_path.name} lacks {len(missing)} functional tokens of "
                f"function set {self.function_set.name!r}: {shown}",
                hint="use a model trained with this function set, or pass its --functions file",
            )
        return ids

    def ask(self, query: str, on_token: Callable[[int], None] | None = None) -> Answer:
        prompt = self.runtime.tokenize(build_prompt(query))
        generation = self.runtime.generate(
            prompt,
            max_tokens=self.max_tokens,
            stop_ids=[self.end_id],
            grammar=self.grammar,
            on_token=on_token,
            logit_filter=_StringTokenGuard(self) if self.grammar else None,
        )
        raw = generation.text
        outcome = parse_output(raw, self.function_set)
        return Answer(query=query, outcome=outcome, generation=generation)


class _StringTokenGuard:
    """Keeps functional tokens out of string literals during grammar-constrained decoding.

    llama.cpp matches a special token's text character by character wherever the grammar
    allows free text, so ``'<nexa_end>'`` would be a legal string content and stop the
    call early. Inside a quoted string we mask the set's tokens; outside, the grammar's
    token rules decide.
    """

    def __init__(self, caller: FunctionCaller) -> None:
        self.runtime = caller.runtime
        self.banned = np.array([*caller.token_ids, caller.end_id], dtype=np.int64)
        self.seen = 0
        self.in_string = False
        self.escaped = False

    def __call__(self, tokens: list[int], logits: np.ndarray) -> None:
        for token in tokens[self.seen :]:
            for char in self.runtime.detokenize([token]):
                if self.escaped:
                    self.escaped = False
                elif self.in_string and char == "\\":
                    self.escaped = True
                elif char == "'":
                    self.in_string = not self.in_string
        self.seen = len(tokens)
        if self.in_string:
            logits[self.banned] = -np.inf
