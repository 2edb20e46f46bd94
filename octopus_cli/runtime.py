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
The per-sequence half of that loop, :class:`GreedyDecoder`, is shared with the batched
caller in :mod:`octopus_cli.batch`, which decodes several queries in one llama.cpp batch.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from octopus_cli import interrupts
from octopus_cli.calls import Outcome, judged, parse_output
from octopus_cli.errors import (
    CorruptModelError,
    MissingFunctionalTokensError,
    ModelError,
    QueryTooLongError,
)
from octopus_cli.functions import FunctionSet
from octopus_cli.grammar import MAX_STRING_CHARS, build_grammar, max_call_chars

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
_log_listeners: list[list[str]] = []  # see llama_log_lines


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
        for listener in _log_listeners:
            listener.append(line)
        if show:
            os.write(2, text)

    _log_callback = callback
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))


@contextlib.contextmanager
def llama_log_lines() -> Iterator[list[str]]:
    """The pieces of text llama.cpp logs during the block, once :func:`quiet_llama_logs` ran.

    From then on llama.cpp's log goes to that callback, not to stderr, so code that reads
    llama.cpp's stderr (the quantizer's error reporting) must read these too.
    """
    pieces: list[str] = []
    _log_listeners.append(pieces)
    try:
        yield pieces
    finally:
        _log_listeners.remove(pieces)


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
    # With --batch, the most queries decoded in one llama.cpp batch with this one: its
    # seconds are then wall time shared with them, so they do not add up to the run's.
    batch_size: int = 1
    # The first token's probability among the choice tokens (the set's functional
    # tokens), when it is one of them: the model's confidence in its choice of function.
    confidence: float | None = None

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


MMAP_LIMIT_BYTES = 1 << 30


def use_mmap(path: Path) -> bool:
    """Map small files, read large ones.

    On CPU, llama.cpp repacks the quantized weights into its own interleaved buffers. A
    mapped file's pages stay resident beside that copy, so a large model would be held
    nearly twice (docs/results.md has the figures for the 2.5 B Octopus-shaped file). For
    a small file mapping starts sooner and the duplicate is small.
    """
    return path.stat().st_size < MMAP_LIMIT_BYTES


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
            with interrupts.deferred():  # llama.cpp logs while it loads: see interrupts
                self.llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    n_ctx=n_ctx,
                    n_batch=min(512, n_ctx),
                    n_gpu_layers=n_gpu_layers,
                    n_threads=threads,
                    n_threads_batch=threads,
                    logits_all=False,
                    use_mmap=use_mmap(self.model_path),
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
        self.vocabulary = Vocabulary(self._vocab)
        self.n_vocab = self.vocabulary.n_vocab
        self.n_ctx = n_ctx
        self.prefix_cache = prefix_cache
        self._cached: list[int] = []  # tokens whose KV state is valid in sequence 0

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
        return self.vocabulary.is_end_of_generation(token)

    @property
    def metadata(self) -> dict[str, str]:
        return dict(self.llm.metadata)

    # -- evaluation -------------------------------------------------------------------

    def _evaluate(self, prompt: list[int]) -> int:
        """Bring the KV state to ``prompt``; returns how many tokens had to be evaluated."""
        reuse = 0
        if self.prefix_cache:  # always evaluate >= 1 token: the last one gives the logits
            reuse = common_prefix_length(self._cached, prompt[:-1])
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
        logit_filter: LogitFilter | None = None,
        choice_ids: Sequence[int] = (),
    ) -> Generation:
        """Greedy decoding until a stop id, an end-of-generation token or ``max_tokens``.

        With ``choice_ids``, the generation's ``confidence`` is the first token's
        probability among them (a softmax over their logits at the first step)."""
        decoder = GreedyDecoder(
            self.vocabulary,
            max_tokens=fit_max_tokens(len(prompt), max_tokens, self.n_ctx),
            stop_ids=stop_ids,
            grammar=grammar,
            logit_filter=logit_filter,
            on_token=on_token,
            choice_ids=choice_ids,
        )
        started = time.perf_counter()
        try:
            evaluated = self._evaluate(list(prompt))
            prefilled = time.perf_counter()
            while True:
                token = decoder.push(self._logits())
                if decoder.done:
                    break
                self._accept(token)
        finally:
            decoder.close()
        finished = time.perf_counter()
        return Generation(
            tokens=decoder.tokens,
            text=self.detokenize(decoder.tokens),
            stop_reason=decoder.stop_reason or "max_tokens",
            prompt_tokens=len(prompt),
            evaluated_prompt_tokens=evaluated,
            prefill_seconds=prefilled - started,
            decode_seconds=finished - prefilled,
            confidence=decoder.confidence,
        )

    def _logits(self) -> np.ndarray:
        pointer = self._c.llama_get_logits_ith(self._ctx, -1)
        return np.ctypeslib.as_array(pointer, shape=(self.n_vocab,))


LogitFilter = Callable[[list[int], np.ndarray], None]


def choice_probability(logits: np.ndarray, choice_ids: np.ndarray, token: int) -> float | None:
    """``token``'s probability in a softmax over the choice tokens' ``logits``, or None if
    it is not one of them."""
    where = np.flatnonzero(choice_ids == token)
    if not len(where):
        return None
    shifted = np.exp(logits - logits.max())
    return float(shifted[where[0]] / shifted.sum())


def common_prefix_length(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading tokens two token lists share."""
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def fit_max_tokens(prompt_tokens: int, max_tokens: int, n_ctx: int) -> int:
    """``max_tokens`` cut to what fits after the prompt in a context of ``n_ctx`` cells."""
    if prompt_tokens + max_tokens > n_ctx:
        max_tokens = n_ctx - prompt_tokens
        if max_tokens <= 0:
            raise QueryTooLongError(
                f"the query is too long: its prompt is {prompt_tokens} tokens and the "
                f"context holds {n_ctx}",
                hint="shorten the query",
            )
    return max_tokens


class Vocabulary:
    """A model's vocabulary as the decoding loop needs it: its size and its EOG tokens.

    It also owns one whole-vocabulary candidate array, reused by every grammar check that
    has to look past the greedy token (decoding runs on one thread, so sharing is safe).
    """

    def __init__(self, vocab: Any) -> None:
        import llama_cpp

        self._c = llama_cpp
        self.pointer = vocab
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self.full_candidates = np.empty(self.n_vocab, dtype=_TOKEN_DATA)
        self.full_candidates["id"] = np.arange(self.n_vocab, dtype=np.int32)

    def is_end_of_generation(self, token: int) -> bool:
        return bool(self._c.llama_vocab_is_eog(self.pointer, token))


class GrammarConstraint:
    """One sequence's llama.cpp grammar sampler (``llama_sampler_init_grammar``)."""

    def __init__(self, vocabulary: Vocabulary, grammar: str) -> None:
        import llama_cpp

        self._c = llama_cpp
        self._vocabulary = vocabulary
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            vocabulary.pointer, grammar.encode(), b"root"
        )
        if not self._sampler:
            raise ModelError("llama.cpp rejected the generated grammar (a bug: please report it)")
        self._single = np.empty(1, dtype=_TOKEN_DATA)

    def allows(self, token: int, logit: float) -> bool:
        """Whether the grammar accepts ``token`` next: a one-candidate apply, cheap."""
        self._single[0] = (token, logit, 0.0)
        self._apply(self._single)
        return not math.isinf(float(self._single["logit"][0]))

    def best_allowed(self, logits: np.ndarray) -> int:
        """The highest-scoring token the grammar accepts, over the whole vocabulary."""
        candidates = self._vocabulary.full_candidates
        candidates["logit"] = logits
        self._apply(candidates)
        best = int(np.argmax(candidates["logit"]))
        if math.isinf(float(candidates["logit"][best])):
            raise ModelError("the grammar allows no token here (a bug: please report it)")
        return int(candidates["id"][best])

    def accept(self, token: int) -> None:
        self._c.llama_sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler:
            self._c.llama_sampler_free(self._sampler)
            self._sampler = None

    def _apply(self, candidates: np.ndarray) -> None:
        array = self._c.llama_token_data_array(
            data=candidates.ctypes.data_as(self._c.llama_token_data_p),
            size=len(candidates),
            selected=-1,
            sorted=False,
        )
        self._c.llama_sampler_apply(self._sampler, ctypes.byref(array))


class GreedyDecoder:
    """One sequence's greedy decoding: the next token from its logits, and when to stop.

    :meth:`Runtime.generate` and the batched caller (:mod:`octopus_cli.batch`) both drive
    it, one logits row per step, so both choose tokens by exactly the same rules.
    The grammar is checked on the greedy token first and applied to the whole vocabulary
    only when that token is rejected, as llama.cpp's common sampler does.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        *,
        max_tokens: int,
        stop_ids: Sequence[int] = (),
        grammar: str | None = None,
        logit_filter: LogitFilter | None = None,
        on_token: Callable[[int], None] | None = None,
        choice_ids: Sequence[int] = (),
    ) -> None:
        self.vocabulary = vocabulary
        self.choice_ids = np.asarray(choice_ids, dtype=np.int64)
        self.confidence: float | None = None
        self.max_tokens = max_tokens
        self.stops = set(stop_ids)
        self.logit_filter = logit_filter
        self.on_token = on_token
        self.constraint = GrammarConstraint(vocabulary, grammar) if grammar else None
        self.tokens: list[int] = []
        self.stop_reason: str | None = None  # "stop_token", "eog", "max_tokens" once done

    @property
    def done(self) -> bool:
        return self.stop_reason is not None

    def push(self, logits: np.ndarray) -> int:
        """Choose the next token from the model's ``logits`` (may be modified in place).

        Afterwards :attr:`done` says whether the sequence ended with it; if not, the caller
        evaluates the token and pushes the next logits.
        """
        if self.logit_filter is not None:
            self.logit_filter(self.tokens, logits)
        choices = None
        if not self.tokens and len(self.choice_ids):
            choices = np.array(logits[self.choice_ids], dtype=np.float64)  # before the grammar
        token = self._prefer_stop(self._next_token(logits))
        if choices is not None:
            self.confidence = choice_probability(choices, self.choice_ids, token)
        self.tokens.append(token)
        if self.on_token is not None:
            self.on_token(token)
        if token in self.stops:
            self.stop_reason = "stop_token"
        elif self.vocabulary.is_end_of_generation(token):
            self.stop_reason = "eog"
        elif len(self.tokens) >= self.max_tokens:
            self.stop_reason = "max_tokens"
        return token

    def close(self) -> None:
        if self.constraint is not None:
            self.constraint.close()

    def _next_token(self, logits: np.ndarray) -> int:
        best = int(np.argmax(logits))
        constraint = self.constraint
        if constraint is None:
            return best
        # Cheap path: does the grammar accept the greedy token as it is?
        if constraint.allows(best, float(logits[best])):
            token = best
        else:
            token = constraint.best_allowed(logits)
        constraint.accept(token)
        return token

    def _prefer_stop(self, token: int) -> int:
        """Under a complete grammar any end-of-generation token may follow; prefer a stop id."""
        constraint = self.constraint
        if (
            constraint is None
            or token in self.stops
            or not self.vocabulary.is_end_of_generation(token)
        ):
            return token
        for stop in self.stops:
            if constraint.allows(stop, 0.0):
                return stop
        return token


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
            "batch_size": g.batch_size,
        }


def copies_values(function_set: FunctionSet, *, use_grammar: bool, copy_values: bool) -> bool:
    """Whether decoding holds ``copy`` parameters to the query's words: only under the
    grammar, unless lifted (``--free-values``), and only if the set marks one ``copy``."""
    return (
        use_grammar
        and copy_values
        and any(p.copy for f in function_set.functions for p in f.parameters)
    )


class FunctionCaller:
    """Answers queries with calls of one function set, on one loaded model."""

    def __init__(
        self,
        runtime: Runtime,
        function_set: FunctionSet,
        *,
        use_grammar: bool = True,
        copy_values: bool = True,
        max_tokens: int | None = None,
        min_confidence: float = 0.0,
    ) -> None:
        self.runtime = runtime
        self.min_confidence = min_confidence
        self.function_set = function_set
        self.use_grammar = use_grammar
        self.token_ids = self._functional_token_ids()
        self.end_id = self.token_ids.pop(-1)
        # A grammar must not contain an end-of-generation token (llama.cpp aborts); when the
        # file does not type <nexa_end> as one, the grammar ends with it like any token.
        self._end_in_grammar = not runtime.is_end_of_generation(self.end_id)
        numbers = [f.token for f in function_set.functions]
        self._grammar_ids = dict(zip(numbers, self.token_ids, strict=True))
        self.copy_values = copies_values(
            function_set, use_grammar=use_grammar, copy_values=copy_values
        )
        self.grammar = self._build_grammar(None) if use_grammar else None
        self._fixed_max_tokens = max_tokens
        self.max_tokens = max_tokens or max(64, max_call_chars(function_set) + 8)
        runtime.warm(runtime.tokenize(PROMPT_PREFIX))

    def _build_grammar(self, query: str | None) -> str:
        grammar = build_grammar(self.function_set, self._grammar_ids, query=query)
        if self._end_in_grammar:
            ending = f"root ::= root-call <[{self.end_id}]>\nroot-call ::= "
            grammar = grammar.replace("root ::= ", ending, 1)
        return grammar

    def grammar_for(self, query: str) -> str | None:
        """The grammar for one query: with ``copy`` parameters held to its words."""
        return self._build_grammar(query) if self.copy_values else self.grammar

    def max_tokens_for(self, query: str) -> int:
        """Room for the longest call; a copied value may be as long as the query."""
        if self._fixed_max_tokens or not self.copy_values or len(query) <= MAX_STRING_CHARS:
            return self.max_tokens
        return max(
            self.max_tokens, max_call_chars(self.function_set, max_string_chars=len(query)) + 8
        )

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
                f"{self.runtime.model_path.name} lacks {len(missing)} functional "
                f"token{'s' if len(missing) != 1 else ''} of "
                f"function set {self.function_set.name!r}: {shown}",
                hint="use a model trained with this function set, or pass its --functions file",
            )
        return ids

    def ask(self, query: str, on_token: Callable[[int], None] | None = None) -> Answer:
        generation = self.runtime.generate(
            self.prompt_tokens(query),
            max_tokens=self.max_tokens_for(query),
            stop_ids=[self.end_id],
            grammar=self.grammar_for(query),
            on_token=on_token,
            logit_filter=self.string_guard(),
            choice_ids=self.token_ids,
        )
        return self.answer(query, generation)

    # The pieces of :meth:`ask` that the batched caller (octopus_cli.batch) reuses.

    def prompt_tokens(self, query: str) -> list[int]:
        return self.runtime.tokenize(build_prompt(query))

    def string_guard(self) -> LogitFilter | None:
        """A fresh per-sequence filter that keeps functional tokens out of strings."""
        return _StringTokenGuard(self) if self.grammar else None

    def answer(self, query: str, generation: Generation) -> Answer:
        outcome = parse_output(generation.text, self.function_set)
        outcome = judged(outcome, generation.confidence, self.min_confidence)
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
