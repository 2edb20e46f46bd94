"""Batched decoding (octopus_cli.batch): same answers as one at a time, in input order."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from octopus_cli.batch import BatchedCaller, _InOrder
from octopus_cli.errors import ModelError, QueryTooLongError
from octopus_cli.functions import FunctionSet
from octopus_cli.runtime import PROMPT_PREFIX, Answer, FunctionCaller, Runtime

OCTOPUS = str(Path(sys.executable).with_name("octopus"))
FRESH = Path(__file__).parent / "data" / "fresh_queries.jsonl"
QUERIES = [json.loads(line)["query"] for line in FRESH.read_text().splitlines()]


def _caller(model: Path, function_set: FunctionSet, **options: object) -> FunctionCaller:
    # One thread: the answers do not depend on it, and it keeps a busy machine responsive.
    n_ctx = options.pop("n_ctx", 2048)
    return FunctionCaller(Runtime(model, n_threads=1, n_ctx=n_ctx), function_set, **options)


def _record_decodes(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int, int, bool]]]:
    """Every llama_decode the batched caller makes, as its (token, pos, seq, logits) rows."""
    calls: list[list[tuple[int, int, int, bool]]] = []
    decode = BatchedCaller._decode

    def spy(self: BatchedCaller, rows: list[tuple[int, int, int, bool]]) -> bool:
        calls.append(list(rows))
        return decode(self, rows)

    monkeypatch.setattr(BatchedCaller, "_decode", spy)
    return calls


def _assert_same(single: list[Answer], batched: list[Answer]) -> None:
    assert [a.query for a in batched] == [a.query for a in single]  # input order
    for one, many in zip(single, batched, strict=True):
        assert many.outcome.raw == one.outcome.raw, one.query
        assert many.outcome.kind is one.outcome.kind, one.query
        assert many.generation.tokens == one.generation.tokens, one.query
        assert many.generation.stop_reason == one.generation.stop_reason, one.query
        assert many.generation.prompt_tokens == one.generation.prompt_tokens


@pytest.mark.parametrize("grammar", [True, False], ids=["grammar", "no-grammar"])
def test_batched_answers_equal_one_at_a_time(
    tiny_model_variant: Path,
    android: FunctionSet,
    grammar: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Without a grammar a random model may ramble: a small max_tokens keeps it short and
    # also exercises the max_tokens stop.
    caller = _caller(
        tiny_model_variant, android, use_grammar=grammar, max_tokens=None if grammar else 48
    )
    queries = QUERIES[:10]
    single = [caller.ask(query) for query in queries]
    decodes = _record_decodes(monkeypatch)

    batched = list(BatchedCaller(caller, slots=3).ask_many(queries))

    _assert_same(single, batched)
    prefix = len(caller.runtime.tokenize(PROMPT_PREFIX))
    for answer in batched:  # only the query's own tokens were evaluated
        assert answer.generation.evaluated_prompt_tokens == answer.generation.prompt_tokens - prefix
        assert answer.generation.prefill_seconds > 0 and answer.generation.decode_seconds >= 0
    # The answers were decoded together: some llama_decode served three sequences.
    assert max(len({seq for _, _, seq, _ in rows}) for rows in decodes) == 3
    if not grammar:
        assert {a.generation.stop_reason for a in batched} <= {"stop_token", "eog", "max_tokens"}


def test_seven_queries_through_two_slots(
    tiny_model: Path, android: FunctionSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = _caller(tiny_model, android)
    queries = QUERIES[10:17]
    single = [caller.ask(query) for query in queries]
    admitted: list[int] = []
    admit = BatchedCaller._admit

    def spy(self: BatchedCaller, ticket: int, seq_id: int, query: str) -> object:
        admitted.append(seq_id)
        return admit(self, ticket, seq_id, query)

    monkeypatch.setattr(BatchedCaller, "_admit", spy)
    decodes = _record_decodes(monkeypatch)

    batched = list(BatchedCaller(caller, slots=2).ask_many(queries))

    _assert_same(single, batched)
    assert len(admitted) == 7
    assert set(admitted) == {1, 2}  # two slots, each used again after its query finished
    in_flight = [{seq for _, _, seq, _ in rows} for rows in decodes[1:]]  # [0]: the prefix
    assert max(len(seqs) for seqs in in_flight) == 2
    assert all(seqs <= {1, 2} for seqs in in_flight)
    # Each answer says how many queries shared its decoding steps (its ms are shared too).
    assert all(a.generation is not None and a.generation.batch_size == 1 for a in single)
    assert max(a.generation.batch_size for a in batched if a.generation is not None) == 2
    # A new query's prompt suffix shares its batch with the other slot's next token.
    assert any(
        any(not logits for _, _, seq, logits in rows if seq == new)
        and any(seq != new for _, _, seq, _ in rows)
        for rows in decodes[1:]
        for new in {1, 2}
    )


def test_a_suffix_longer_than_the_batch_is_evaluated_alone_in_pieces(
    tiny_model: Path, android: FunctionSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    caller = _caller(tiny_model, android)
    long_query = "please set an alarm " + "and then another one " * 35
    queries = [QUERIES[0], long_query, QUERIES[1], QUERIES[2]]
    single = [caller.ask(query) for query in queries]
    decodes = _record_decodes(monkeypatch)

    batched_caller = BatchedCaller(caller, slots=3)
    batched = list(batched_caller.ask_many(queries))

    _assert_same(single, batched)
    n_batch = batched_caller.n_batch
    suffix = single[1].generation.prompt_tokens - len(caller.runtime.tokenize(PROMPT_PREFIX))
    assert suffix > n_batch  # so it needs two pieces
    first = next(i for i, rows in enumerate(decodes) if len(rows) == n_batch)
    pieces = decodes[first : first + 2]
    assert [len(rows) for rows in pieces] == [n_batch, suffix - n_batch]
    assert len({seq for rows in pieces for _, _, seq, _ in rows}) == 1  # alone
    assert [logits for rows in pieces for *_, logits in rows].count(True) == 1  # the last


def test_queries_set_aside_when_kv_cells_run_out_still_get_their_answers(
    tiny_model: Path, android: FunctionSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pool planned for short answers, four slots, long (random) answers: evictions."""
    monkeypatch.setattr("octopus_cli.batch._CELLS_PER_SLOT", 0)  # pool: one query's context
    caller = _caller(tiny_model, android, n_ctx=256)
    queries = QUERIES[:12]
    single = [caller.ask(query) for query in queries]
    evicted: list[int] = []
    evict = BatchedCaller._evict

    def spy(self: BatchedCaller, sequence: object) -> None:
        evicted.append(sequence.ticket)  # type: ignore[attr-defined]
        evict(self, sequence)

    monkeypatch.setattr(BatchedCaller, "_evict", spy)

    batched = list(BatchedCaller(caller, slots=4).ask_many(queries))

    assert evicted  # the pool did run out
    _assert_same(single, batched)


def test_answers_do_not_wait_for_more_input(tiny_model: Path, android: FunctionSet) -> None:
    """A query source that blocks (a pipe) gets each answer before it sends the next query."""
    caller = _caller(tiny_model, android)
    lines: queue.Queue[str | None] = queue.Queue()

    def source() -> Iterator[str]:
        # A timeout, not a hang, if the batched caller waited for more input before answering.
        while (line := lines.get(timeout=60)) is not None:
            yield line

    answers = BatchedCaller(caller, slots=4).ask_many(source())
    lines.put("take a selfie")
    assert next(answers).query == "take a selfie"
    lines.put("call mom")
    assert next(answers).query == "call mom"
    lines.put(None)
    assert list(answers) == []


def test_pass_through_items_and_a_too_long_query_keep_their_place(
    tiny_model: Path, android: FunctionSet
) -> None:
    caller = _caller(tiny_model, android, n_ctx=256)
    too_long = "please " * 80  # more prompt tokens than the 256-token context holds
    with pytest.raises(QueryTooLongError) as single_error:
        caller.ask(too_long)
    items = [(1, "take a selfie"), (2, None), (3, too_long), (4, "call mom")]

    seen = list(BatchedCaller(caller, slots=2).ask_in_order(items))

    assert [tag for tag, _ in seen] == [1, 2, 3, 4]  # the queries after it still answered
    assert seen[1][1] is None
    error = seen[2][1]
    assert isinstance(error, QueryTooLongError)
    assert error.message == single_error.value.message
    assert [seen[i][1].query for i in (0, 3)] == ["take a selfie", "call mom"]


def test_other_errors_are_raised_in_their_turn() -> None:
    order: _InOrder[str] = _InOrder()
    first, second, third = (order.add(tag) for tag in ("a", "b", "c"))
    order.set(third, None)
    order.set(second, ModelError("llama_decode failed"))
    order.set(first, None)
    released: list[str] = []
    with pytest.raises(ModelError, match="llama_decode failed"):
        released.extend(tag for tag, _ in order.release())
    assert released == ["a"]  # what came before the error, in order


def test_octopus_mini_batched_calls_equal_single_stream(
    mini_model: Path, android: FunctionSet
) -> None:
    """The first 16 fresh queries through 8 slots.

    llama.cpp's CPU kernels are not batch-invariant, so a near-tie can fall either way
    (2 function choices in octopus-mini's 916 held-out queries). These 16 have no such
    tie in the function choice; the whole call must match wherever the single stream is
    itself stable, i.e. gives the same answer without the prefix cache.
    """
    queries = QUERIES[:16]
    caller = _caller(mini_model, android)
    single = [caller.ask(query) for query in queries]
    uncached = FunctionCaller(Runtime(mini_model, n_threads=1, prefix_cache=False), android)
    stable = {
        q
        for q, a in zip(queries, single, strict=True)
        if uncached.ask(q).outcome.raw == a.outcome.raw
    }
    assert len(stable) >= 14, sorted(set(queries) - stable)

    batched = list(BatchedCaller(caller, slots=8).ask_many(queries))

    assert [a.query for a in batched] == queries
    for one, many in zip(single, batched, strict=True):
        assert many.generation.tokens[0] == one.generation.tokens[0], one.query
        assert many.outcome.kind is one.outcome.kind, one.query
        if one.query in stable:
            assert many.outcome.raw == one.outcome.raw, one.query


# -- the command, in real processes ----------------------------------------------------


# One llama.cpp thread in these processes: threads spin-wait for each other, which turns
# very slow when other work keeps the cores busy; the outputs do not depend on it.
ONE_THREAD = ["--threads", "1"]


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "OCTOPUS_HOME": str(home)}
    env.pop("OCTOPUS_MODEL", None)
    return env


# Six queries, a blank line (skipped) and a line that is not UTF-8 (line 4).
PIPED = (
    b"\n".join(
        [
            *(q.encode() for q in QUERIES[:2]),
            b"",
            b"\xff\xfe not utf-8",
            *(q.encode() for q in QUERIES[2:6]),
        ]
    )
    + b"\n"
)


@pytest.mark.parametrize(
    "output", [["--call"], ["--json", "--run", "--dry-run"]], ids=["call", "json-run"]
)
def test_batch_4_prints_what_batch_1_prints(
    tiny_model: Path, octopus_home: Path, output: list[str]
) -> None:
    def ask(batch: str) -> subprocess.CompletedProcess[bytes]:
        command = [OCTOPUS, "ask", "-", *output, "--batch", batch, *ONE_THREAD]
        command += ["--model", str(tiny_model)]
        return subprocess.run(
            command, input=PIPED, capture_output=True, env=_env(octopus_home), timeout=300
        )

    one, four = ask("1"), ask("4")

    assert four.returncode == one.returncode == 7  # the non-UTF-8 line
    assert four.stderr == one.stderr
    assert b"stdin line 4 is not valid UTF-8" in four.stderr
    if output == ["--call"]:
        assert four.stdout == one.stdout
        assert len(four.stdout.splitlines()) == 7  # six calls and the bad line's blank
        return
    records = [[json.loads(line) for line in r.stdout.splitlines()] for r in (one, four)]
    sizes = [[r["timings"]["batch_size"] for r in run if "timings" in r] for run in records]
    assert set(sizes[0]) == {1} and max(sizes[1]) > 1
    for record in records[0] + records[1]:
        record.pop("timings", None)  # the only field that may differ
    assert records[1] == records[0]
    assert [r["line"] for r in records[1]] == [1, 2, 4, 5, 6, 7, 8]


def _read_line(stream: object, timeout: float) -> bytes | None:
    """One line from a pipe, or None if none arrives within ``timeout`` seconds."""
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            return None
    return stream.readline()  # type: ignore[attr-defined]


SURE = ("--min-confidence", "0")  # random weights are never confident


@contextlib.contextmanager
def _asking(model: Path, home: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``octopus ask -`` with pipes, killed on the way out whatever the test did."""
    process = subprocess.Popen(
        [OCTOPUS, "ask", "-", "--call", "--batch", "4", *ONE_THREAD, *SURE, "--model", str(model)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(home),
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def test_each_answer_is_written_while_stdin_stays_open(
    tiny_model: Path, octopus_home: Path
) -> None:
    with _asking(tiny_model, octopus_home) as process:
        for query in (b"take a selfie\n", b"call mom\n"):
            process.stdin.write(query)
            process.stdin.flush()  # and keep stdin open: an interactive pipe
            line = _read_line(process.stdout, timeout=120)
            assert line is not None, "no answer while stdin was open"
            assert line.endswith(b")\n")
        process.stdin.close()
        # Random weights: an answer may lack a value (8); every line was answered.
        assert process.wait(timeout=120) in (0, 8)
        assert process.stdout.read() == b""


def test_reader_gone_while_stdin_open_exits_141_quietly(
    tiny_model: Path, octopus_home: Path
) -> None:
    """The input thread still waits on stdin when the process ends: no shutdown crash."""
    with _asking(tiny_model, octopus_home) as process:
        process.stdin.write(b"take a selfie\n")
        process.stdin.flush()
        assert _read_line(process.stdout, timeout=120) is not None
        process.stdout.close()  # the reader goes away (`| head -1`)
        process.stdin.write(b"call mom\n")
        process.stdin.flush()
        assert process.wait(timeout=120) == 141
        assert process.stderr.read() == b""
