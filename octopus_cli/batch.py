"""Continuous batching: several queries decoded together, one ``llama_decode`` per step.

Why: a single-token step is bound by reading the weights (for Gemma, above all the
262k-row output matrix); a batch holding one token from each of N queries reads them
once. Piped queries (``octopus ask -``) therefore finish sooner when decoded N at a time.

How: :class:`BatchedCaller` opens its own llama.cpp context on the model the
:class:`~octopus_cli.runtime.FunctionCaller` already loaded, with one KV sequence per
slot plus sequence 0, which holds the shared prompt prefix. The prefix is evaluated once
and its cells shared with every slot (``llama_memory_seq_cp`` on a unified KV cache
only tags the cells, it copies nothing); each query then evaluates only its own tokens.
Each step sends one batch holding the last token of every decoding sequence and the
prompt suffixes of newly admitted queries (logits on their last token only), as
llama.cpp's server does. Each sequence picks its next token with
the same :class:`~octopus_cli.runtime.GreedyDecoder` as the one-at-a-time path. A
finished sequence's cells past the prefix are dropped (``llama_memory_seq_rm``) and the
next query takes its slot.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np

from octopus_cli import interrupts
from octopus_cli.errors import InputError, ModelError, OctopusError
from octopus_cli.runtime import (
    PROMPT_PREFIX,
    Answer,
    FunctionCaller,
    Generation,
    GreedyDecoder,
    common_prefix_length,
    fit_max_tokens,
    last_llama_error,
)

DEFAULT_SLOTS = 16  # octopus-mini on 2 cores, 200 piped queries: faster than 8 or 32 slots
MAX_SLOTS = 64
# KV cells planned per slot: a long query and a long call. The pool holds at least one
# whole single-query context too, so any one query fits; should long answers fill it,
# the youngest query is set aside and redone later (see BatchedCaller._step).
_CELLS_PER_SLOT = 256
_PREFIX_SEQ = 0  # sequence holding the shared prompt prefix; slots are 1..slots

Tag = TypeVar("Tag")


@dataclass
class _Sequence:
    """One query in flight in one KV sequence (slot)."""

    ticket: int  # input position: answers leave in ticket order
    seq_id: int
    query: str
    prompt_tokens: int
    shared: int  # leading prompt tokens taken from the prefix, not evaluated again
    decoder: GreedyDecoder
    pending: list[int]  # tokens to evaluate at the next step
    position: int  # position of pending[0] in the sequence
    admitted: float
    first_token: float = 0.0
    finished: float = 0.0
    batch_size: int = 1  # most queries in one llama.cpp batch with this one


class BatchedCaller:
    """Answers many queries with one model, decoding up to ``slots`` of them together.

    llama.cpp's CPU kernels are not batch-invariant: a token's logits move by a few ulps
    with the other rows of its ubatch (n = 1 takes another matmul path than n > 1), and
    a quantized model's int8 activations can turn that into a visible logit change. So
    answers match ``ask``'s but for near-ties (how many differ: docs/results.md). A new
    query's prompt suffix rides in the same ``llama_decode`` as the other sequences'
    next tokens: evaluating each suffix alone changes as many answers and costs
    throughput.
    """

    def __init__(self, caller: FunctionCaller, *, slots: int = DEFAULT_SLOTS) -> None:
        import llama_cpp  # deferred like in runtime.py: importing it loads the library
        from llama_cpp._internals import LlamaBatch, LlamaContext

        if not 1 <= slots <= MAX_SLOTS:
            raise ValueError(f"slots must be between 1 and {MAX_SLOTS}, not {slots}")
        runtime = caller.runtime
        self.caller = caller
        self.slots = slots
        self._c = llama_cpp
        self._runtime = runtime
        self._prefix = runtime.tokenize(PROMPT_PREFIX)
        # Same settings as the runtime's context (threads, flash attention, KV types...),
        # so that logits match the one-at-a-time path; only the layout changes.
        params = llama_cpp.llama_context_params.from_buffer_copy(runtime.llm.context_params)
        params.n_ctx = len(self._prefix) + max(runtime.n_ctx, slots * _CELLS_PER_SLOT)
        params.n_seq_max = slots + 1
        params.kv_unified = True  # one cell pool: the prefix cells are shared, not copied
        try:
            with interrupts.deferred():  # llama.cpp logs while it builds a context
                self._context = LlamaContext(model=runtime.llm._model, params=params, verbose=False)
        except ValueError:
            raise ModelError(
                f"llama.cpp could not create a context for {slots} parallel queries: "
                f"{last_llama_error() or 'out of memory?'}",
                hint="try a smaller --batch",
            ) from None
        self._ctx = self._context.ctx
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self.n_batch = int(llama_cpp.llama_n_batch(self._ctx))
        assert slots <= self.n_batch  # one token per slot fits one llama_decode
        self._batch = LlamaBatch(n_tokens=self.n_batch, embd=0, n_seq_max=1, verbose=False)
        self._n_vocab = runtime.n_vocab
        self._evaluate_prefix()

    # -- public API ---------------------------------------------------------------------

    def ask_many(self, queries: Iterable[str]) -> Iterator[Answer]:
        """An answer per query, in input order, each as soon as it and those before are done.

        ``queries`` may block (a pipe read line by line): it is read on a helper thread,
        at most ``slots`` items ahead; a query is admitted only when a slot is free, and
        running queries never wait for the next line.
        """
        for _, answer in self.ask_in_order((None, query) for query in queries):
            if isinstance(answer, InputError):
                raise answer
            assert answer is not None
            yield answer

    def ask_in_order(
        self, items: Iterable[tuple[Tag, str | None]]
    ) -> Iterator[tuple[Tag, Answer | InputError | None]]:
        """Like :meth:`ask_many` for ``(tag, query)`` pairs; a None query passes through.

        Pass-through items (``octopus ask -`` uses them for unreadable lines) keep their
        place in the output order without taking a slot. A query that is itself unusable
        (too long for the context) comes back as its InputError, in its place, and the
        others go on.
        """
        inbox = _Inbox(items, capacity=self.slots)
        order: _InOrder[Tag] = _InOrder()
        running: dict[int, _Sequence] = {}  # by seq id
        free = list(range(self.slots, _PREFIX_SEQ, -1))  # pop() hands out 1 first
        set_aside: list[tuple[int, str]] = []  # (ticket, query) to redo, see _step
        input_open = True
        cells_short = False  # until a sequence finishes after a query was set aside
        try:
            while True:
                while free and not cells_short and (set_aside or input_open):
                    if set_aside:
                        ticket, query = set_aside.pop(0)
                    else:
                        # Wait for input only when there is nothing else to do.
                        entry = inbox.get(block=not running and not order.ready())
                        if entry is _Inbox.EMPTY:
                            break
                        if entry is _Inbox.END:
                            input_open = False
                            break
                        tag, query = entry
                        ticket = order.add(tag)
                        if query is None:
                            order.set(ticket, None)
                            continue
                    try:
                        running[free[-1]] = self._admit(ticket, free[-1], query)
                        free.pop()
                    except OctopusError as error:  # reported in its turn, as ask() raises
                        order.set(ticket, error)
                yield from order.release()
                if not running:
                    cells_short = False
                    if input_open or set_aside:
                        continue
                    inbox.raise_reader_error()
                    return
                finished, evicted = self._step(running)
                for sequence in finished:
                    del running[sequence.seq_id]
                    free.append(sequence.seq_id)
                    order.set(sequence.ticket, self._finish(sequence))
                    cells_short = False
                for sequence in evicted:
                    del running[sequence.seq_id]
                    free.append(sequence.seq_id)
                    set_aside.append((sequence.ticket, sequence.query))
                    cells_short = True
                set_aside.sort()
        finally:
            inbox.close()
            for sequence in running.values():
                sequence.decoder.close()
                self._release(sequence)

    def close(self) -> None:
        """Free the batch and the context now (the model stays with the runtime)."""
        self._batch.close()
        self._context.close()

    def __enter__(self) -> BatchedCaller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sequences ----------------------------------------------------------------------

    def _evaluate_prefix(self) -> None:
        """The prompt prefix once, in sequence 0, then shared with every slot."""
        for start in range(0, len(self._prefix), self.n_batch):
            chunk = self._prefix[start : start + self.n_batch]
            self._decode([(token, start + i, _PREFIX_SEQ, False) for i, token in enumerate(chunk)])
        for seq_id in range(1, self.slots + 1):
            # llama_memory_seq_cp(mem, src, dst, p0, p1); p0, p1 < 0: all positions
            self._c.llama_memory_seq_cp(self._memory, _PREFIX_SEQ, seq_id, -1, -1)

    def _admit(self, ticket: int, seq_id: int, query: str) -> _Sequence:
        """Prepare ``query`` in the free slot ``seq_id``; its tokens go in the next step."""
        caller = self.caller
        prompt = caller.prompt_tokens(query)
        max_tokens = fit_max_tokens(len(prompt), caller.max_tokens_for(query), self._runtime.n_ctx)
        # Always evaluate at least one prompt token: its logits give the first answer token.
        shared = common_prefix_length(self._prefix, prompt[:-1])
        decoder = GreedyDecoder(
            self._runtime.vocabulary,
            max_tokens=max_tokens,
            stop_ids=[caller.end_id],
            grammar=caller.grammar_for(query),
            logit_filter=caller.string_guard(),
            choice_ids=caller.token_ids,
        )
        if shared < len(self._prefix):  # this prompt parts from the prefix early
            self._c.llama_memory_seq_rm(self._memory, seq_id, shared, -1)
        return _Sequence(
            ticket=ticket,
            seq_id=seq_id,
            query=query,
            prompt_tokens=len(prompt),
            shared=shared,
            decoder=decoder,
            pending=prompt[shared:],
            position=shared,
            admitted=time.perf_counter(),
        )

    def _release(self, sequence: _Sequence) -> None:
        """Give the slot back holding exactly the prefix again."""
        seq_id, shared = sequence.seq_id, sequence.shared
        self._c.llama_memory_seq_rm(self._memory, seq_id, shared, -1)
        if shared < len(self._prefix):
            self._c.llama_memory_seq_cp(self._memory, _PREFIX_SEQ, seq_id, shared, -1)

    def _finish(self, sequence: _Sequence) -> Answer:
        decoder = sequence.decoder
        decoder.close()
        self._release(sequence)
        generation = Generation(
            tokens=decoder.tokens,
            text=self._runtime.detokenize(decoder.tokens),
            stop_reason=decoder.stop_reason or "max_tokens",
            prompt_tokens=sequence.prompt_tokens,
            evaluated_prompt_tokens=sequence.prompt_tokens - sequence.shared,
            prefill_seconds=sequence.first_token - sequence.admitted,
            decode_seconds=sequence.finished - sequence.first_token,
            batch_size=sequence.batch_size,
            confidence=decoder.confidence,
        )
        return self.caller.answer(sequence.query, generation)

    # -- one step -----------------------------------------------------------------------

    def _step(self, running: dict[int, _Sequence]) -> tuple[list[_Sequence], list[_Sequence]]:
        """Evaluate the running sequences' pending tokens and choose each one's next token.

        One batch holds the next token of every decoding sequence and, as far as they
        fit, the prompt suffixes of newly admitted ones (logits on their last token
        only), as llama.cpp's server batches them: a suffix shares the weight reads of
        the other rows, above all of the output matrix, instead of paying for them alone.
        A suffix that does not fit waits a step; one too long to ever share the batch is
        evaluated alone, in n_batch pieces. Should the KV cells run out (long answers in
        a pool planned for short ones), the youngest query is evicted: its cells are
        dropped and it is redone from its prompt once another has finished. Returns the
        sequences that finished and those evicted.
        """
        finished: list[_Sequence] = []
        evicted: list[_Sequence] = []
        decoding = [s for s in running.values() if s.decoder.tokens]
        room = self.n_batch - len(decoding)
        together = sorted(decoding, key=_by_ticket)
        for sequence in sorted(
            (s for s in running.values() if not s.decoder.tokens), key=_by_ticket
        ):
            if len(sequence.pending) > self.n_batch - self.slots:
                if not self._prefill_alone(sequence):
                    if len(running) - len(evicted) == 1:
                        raise self._no_cells(len(sequence.pending))
                    self._evict(sequence)
                    evicted.append(sequence)
                elif sequence.decoder.done:
                    finished.append(sequence)
            elif len(sequence.pending) <= room:
                together.append(sequence)
                room -= len(sequence.pending)
        while together and not self._decode_together(together):
            if len(together) == 1:
                raise self._no_cells(len(together[0].pending))
            youngest = max(together, key=_by_ticket)
            together.remove(youngest)
            self._evict(youngest)
            evicted.append(youngest)
        finished.extend(s for s in together if s.decoder.done)
        return finished, evicted

    def _prefill_alone(self, sequence: _Sequence) -> bool:
        """A long prompt suffix in n_batch pieces; False if the KV cells ran out."""
        for start in range(0, len(sequence.pending), self.n_batch):
            rows = _pending_rows(sequence, start, start + self.n_batch)
            if not self._decode(rows):
                return False
        self._choose_next(sequence, len(rows) - 1)
        return True

    def _decode_together(self, sequences: list[_Sequence]) -> bool:
        """The pending tokens of all ``sequences`` in one batch; False if the KV cells ran out."""
        rows: list[tuple[int, int, int, bool]] = []
        last_rows = []
        for sequence in sequences:
            rows += _pending_rows(sequence, 0, len(sequence.pending))
            last_rows.append(len(rows) - 1)
        if not self._decode(rows):
            return False
        for sequence, row in zip(sequences, last_rows, strict=True):
            sequence.batch_size = max(sequence.batch_size, len(sequences))
            self._choose_next(sequence, row)
        return True

    def _choose_next(self, sequence: _Sequence, batch_index: int) -> None:
        """Push the logits of batch row ``batch_index`` to the sequence's decoder."""
        # llama_get_logits_ith(ctx, i): logits of the i-th token of the last batch
        pointer = self._c.llama_get_logits_ith(self._ctx, batch_index)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        token = sequence.decoder.push(logits)
        now = time.perf_counter()
        if len(sequence.decoder.tokens) == 1:
            sequence.first_token = now
        if sequence.decoder.done:
            sequence.finished = now
            return
        sequence.position += len(sequence.pending)
        sequence.pending = [token]

    def _evict(self, sequence: _Sequence) -> None:
        sequence.decoder.close()
        self._release(sequence)

    def _decode(self, rows: list[tuple[int, int, int, bool]]) -> bool:
        """One ``llama_decode`` of ``(token, position, seq_id, wants_logits)`` rows.

        False when the KV cache has no room for them (llama.h: status 1; the memory is
        then left as it was); any other failure raises.
        """
        batch = self._batch.batch
        for i, (token, position, seq_id, wants_logits) in enumerate(rows):
            batch.token[i] = token
            batch.pos[i] = position
            batch.n_seq_id[i] = 1
            batch.seq_id[i][0] = seq_id
            batch.logits[i] = wants_logits
        batch.n_tokens = len(rows)
        status = self._c.llama_decode(self._ctx, batch)
        if status == 1:
            return False
        if status != 0:
            said = last_llama_error()
            raise ModelError(
                f"llama.cpp could not decode a batch of {len(rows)} tokens (status {status})"
                + (f": {said}" if said else "")
            )
        return True

    def _no_cells(self, tokens: int) -> ModelError:
        return ModelError(
            f"llama.cpp found no room for {tokens} tokens of one query in the batch context "
            "(a bug: please report it)",
            hint="use --batch 1",
        )


def _pending_rows(sequence: _Sequence, start: int, stop: int) -> list[tuple[int, int, int, bool]]:
    """``llama_decode`` rows for ``pending[start:stop]``; logits on the last pending token only."""
    last = len(sequence.pending) - 1
    return [
        (sequence.pending[i], sequence.position + i, sequence.seq_id, i == last)
        for i in range(start, min(stop, len(sequence.pending)))
    ]


def _by_ticket(sequence: _Sequence) -> int:
    return sequence.ticket


class _InOrder(Generic[Tag]):
    """Results by input position, released in input order as soon as they can be."""

    def __init__(self) -> None:
        self._tags: dict[int, Tag] = {}
        self._results: dict[int, Answer | OctopusError | None] = {}
        self._received = 0
        self._released = 0

    def add(self, tag: Tag) -> int:
        """A ticket (input position) for a new item."""
        ticket = self._received
        self._received += 1
        self._tags[ticket] = tag
        return ticket

    def set(self, ticket: int, result: Answer | OctopusError | None) -> None:
        self._results[ticket] = result

    def ready(self) -> bool:
        return self._released in self._results

    def release(self) -> Iterator[tuple[Tag, Answer | InputError | None]]:
        """The results now due; an error is raised in its turn, after those before it,
        except a query's own InputError, which takes its place among the results."""
        while self.ready():
            result = self._results.pop(self._released)
            tag = self._tags.pop(self._released)
            self._released += 1
            if isinstance(result, OctopusError) and not isinstance(result, InputError):
                raise result
            yield tag, result


class _Inbox:
    """Reads a possibly blocking iterable on a daemon thread, so decoding never waits on it.

    The queue is bounded: the reader stays at most ``capacity`` items ahead of the slots.
    The thread is a daemon so a reader blocked on a pipe never keeps the process alive.
    """

    EMPTY: Any = object()
    END: Any = object()

    def __init__(self, items: Iterable[Any], *, capacity: int) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, capacity))
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._read, args=(items,), name="octopus-input", daemon=True
        )
        self._thread.start()

    def get(self, *, block: bool) -> Any:
        """The next item, :attr:`END` after the last one, or :attr:`EMPTY` (``block=False``)."""
        try:
            return self._queue.get(block=block)
        except queue.Empty:
            return self.EMPTY

    def raise_reader_error(self) -> None:
        """Re-raise, on the caller's thread, what stopped the reading early (if anything)."""
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._stop.set()

    def _read(self, items: Iterable[Any]) -> None:
        try:
            for item in items:
                if not self._put(item):
                    return
        except BaseException as error:  # handed to the main thread after earlier answers
            self._error = error
        self._put(self.END)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False
