"""Score a functional-token model on query/function/arguments lines.

Each answer lands in exactly one :class:`Category`, checked in order, first match wins:
a broken answer (no end token, unparsable, unknown token) is counted as that before asking
whether it chose the right function, and a wrong function before its arguments.
``correct`` is the right function with every argument equal in value and type (``5`` is
not ``5.0``; defaults count as written out), or for a line that names what its query
leaves out (``"missing"``), a question for exactly those values. ``withheld`` is an answer
to a query that fits no function that calls nothing either, but asks or says it is
unsure: no call runs, so it counts as right.

Besides accuracy, the trust figures: calls on queries that fit no function, calls that
carry a value the query never gave (:func:`octopus_cli.grounding.grounded`), how often
the answer asks or is unsure, and accuracy against the share of queries answered as the
confidence threshold moves (each line is answered once, with no threshold, and judged at
every threshold afterwards).
"""

from __future__ import annotations

import dataclasses
import functools
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from octopus_cli.atomic import write_atomic

if TYPE_CHECKING:
    from octopus_cli.caller import Caller
from octopus_cli.calls import Outcome, OutcomeKind, judged, parse_calls
from octopus_cli.errors import InputError
from octopus_cli.functions import FunctionSet
from octopus_cli.grounding import grounded
from octopus_cli.runtime import Answer
from octopus_cli.train.data import Example, bind_arguments, read_jsonl, same_values


class Category(StrEnum):
    """Where an answer went wrong; the order is the order of the checks."""

    NO_END = "no_end"
    UNPARSABLE = "unparsable"
    UNKNOWN_TOKEN = "unknown_token"
    CALLED_ON_IRRELEVANT = "called_on_irrelevant"  # a function for a query that fits none
    MISSED_CALL = "missed_call"  # "no function fits" for a query that fits one
    OTHER_FUNCTION = "other_function"  # another function, or more calls than the one expected
    WRONG_ARGUMENT_NAMES = "wrong_argument_names"  # unknown, missing or surplus arguments
    BREAKS_SIGNATURE = "breaks_signature"  # a value of the wrong type or out of range
    DIFFERENT_VALUE = "different_value"  # a valid call, but not the expected one
    ASKED = "asked"  # a question for a value where the query gave every one (or others)
    UNSURE = "unsure"  # below the confidence threshold where a call was expected
    WITHHELD = "withheld"  # no function fits, and the answer asks or is unsure: no call
    CORRECT = "correct"

    @property
    def is_right(self) -> bool:
        return self in (Category.CORRECT, Category.WITHHELD)


_BROKEN = {
    OutcomeKind.NO_END: Category.NO_END,
    OutcomeKind.UNPARSABLE: Category.UNPARSABLE,
    OutcomeKind.UNKNOWN_TOKEN: Category.UNKNOWN_TOKEN,
}


def called_tokens(outcome: Outcome, function_set: FunctionSet) -> list[int]:
    """Token numbers of the top-level calls, even when their arguments were rejected."""
    if outcome.calls:
        return [call.token for call in outcome.calls]
    end = outcome.raw.find(function_set.end_token)
    text = (outcome.raw if end < 0 else outcome.raw[:end]).strip()
    try:
        return [call.token for call in parse_calls(text, function_set)]
    except Exception:  # parse_calls rejects with a private exception type
        return []


def score(
    expected_function: str | None,
    expected_args: dict[str, Any],
    outcome: Outcome,
    function_set: FunctionSet,
    expected_missing: Sequence[str] = (),
) -> Category:
    """The category of one answer; ``expected_function`` None means no function fits."""
    if outcome.kind in _BROKEN:
        return _BROKEN[outcome.kind]
    holds_back = outcome.kind in (OutcomeKind.NEEDS_INPUT, OutcomeKind.UNSURE)
    expected = function_set.by_name(expected_function) if expected_function else None
    if expected_function and expected is None:
        raise ValueError(f"function {expected_function!r} is not in {function_set.name!r}")
    expect_call = expected is not None and not expected.irrelevant
    irrelevant_tokens = {f.token for f in function_set.functions if f.irrelevant}
    tokens = called_tokens(outcome, function_set)
    calls_something = any(t not in irrelevant_tokens for t in tokens)
    if not expect_call and calls_something:
        return Category.WITHHELD if holds_back else Category.CALLED_ON_IRRELEVANT
    if expect_call and not calls_something:
        return Category.MISSED_CALL
    if expect_call and tokens != [expected.token]:
        return Category.OTHER_FUNCTION
    if outcome.kind is OutcomeKind.UNSURE:
        return Category.UNSURE
    if expected_missing or outcome.kind is OutcomeKind.NEEDS_INPUT:
        assert outcome.call is not None
        asked_for = set(outcome.call.missing)
        if expected_missing and asked_for and asked_for <= set(expected_missing):
            return Category.CORRECT
        return Category.ASKED if asked_for else Category.DIFFERENT_VALUE
    if outcome.kind is OutcomeKind.WRONG_ARGUMENTS:
        return Category.WRONG_ARGUMENT_NAMES
    if outcome.kind is OutcomeKind.INVALID_ARGUMENT:
        return Category.BREAKS_SIGNATURE
    if not expect_call:
        return Category.CORRECT
    assert expected is not None and outcome.call is not None
    wanted = bind_arguments(expected, expected_args)
    if same_values(outcome.call.arguments, wanted):
        return Category.CORRECT
    return Category.DIFFERENT_VALUE


@dataclass
class ScoredLine:
    """One data line, the model's answer and its category."""

    example: Example
    answer: Answer
    category: Category
    unjudged: Outcome | None = None  # the answer before the confidence threshold

    @functools.cached_property
    def ungrounded(self) -> list[str]:
        """Arguments of a call that acts whose value the query never gave."""
        outcome = self.answer.outcome
        if outcome.kind is not OutcomeKind.CALL:
            return []
        return [
            f"{call.name}.{p.name}"
            for call in outcome.calls
            for p in call.function.parameters
            if not grounded(self.example.query, p, call.arguments.get(p.name))
        ]

    @property
    def latency_ms(self) -> float | None:
        generation = self.answer.generation
        return None if generation is None else generation.total_seconds * 1000

    def to_record(self) -> dict[str, Any]:
        outcome = self.answer.outcome
        call = outcome.call
        latency = self.latency_ms
        return {
            "line": self.example.line,
            "query": self.example.query,
            "expected": {
                "function": self.example.function,
                "arguments": self.example.arguments,
                "target": self.example.target,
            },
            "category": str(self.category),
            "correct": self.category.is_right,
            "status": str(outcome.kind),
            "confidence": outcome.confidence,
            "ungrounded": self.ungrounded,
            "function": call.name if call else None,
            "arguments": call.to_dict()["arguments"] if call else None,
            "raw": outcome.raw,
            "error": outcome.error,
            "latency_ms": None if latency is None else round(latency, 2),
        }


def evaluate(
    caller: Caller,
    examples: Sequence[Example],
    *,
    min_confidence: float = 0.0,
    on_line: Callable[[ScoredLine], None] | None = None,
) -> list[ScoredLine]:
    """Ask the caller (with no threshold of its own) every query once, in order, and score
    each answer judged at ``min_confidence``."""
    scored = []
    for example in examples:
        answer = caller.ask(example.query)
        line = judge_line(example, answer, min_confidence, caller.function_set)
        scored.append(line)
        if on_line is not None:
            on_line(line)
    return scored


def judge_line(
    example: Example, answer: Answer, min_confidence: float, function_set: FunctionSet
) -> ScoredLine:
    """One line scored with its answer judged at ``min_confidence``."""
    unjudged = answer.outcome
    outcome = judged(unjudged, unjudged.confidence, min_confidence)
    answer = dataclasses.replace(answer, outcome=outcome)
    category = score(example.function, example.arguments, outcome, function_set, example.missing)
    return ScoredLine(example, answer, category, unjudged)


THRESHOLDS = (0.0, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)


def threshold_table(
    scored: Sequence[ScoredLine], function_set: FunctionSet, thresholds: Sequence[float]
) -> list[dict[str, Any]]:
    """At each threshold: the share of queries answered with a call, accuracy overall, on
    queries that fit a function and on those that fit none, and calls on the latter."""
    irrelevant = {f.name for f in function_set.functions if f.irrelevant}
    rows = []
    for threshold in thresholds:
        lines = [
            judge_line(
                s.example,
                dataclasses.replace(s.answer, outcome=s.unjudged or s.answer.outcome),
                threshold,
                function_set,
            )
            for s in scored
        ]
        inside = [s for s in lines if s.example.function not in irrelevant]
        outside = [s for s in lines if s.example.function in irrelevant]
        calls = sum(s.answer.outcome.kind is OutcomeKind.CALL for s in lines)
        rows.append(
            {
                "threshold": threshold,
                "answered": _ratio(calls, len(lines)),
                "accuracy": _ratio(sum(s.category.is_right for s in lines), len(lines)),
                "in_scope_accuracy": _ratio(sum(s.category.is_right for s in inside), len(inside)),
                "out_of_scope_accuracy": _ratio(
                    sum(s.category.is_right for s in outside), len(outside)
                ),
                "false_calls": sum(s.answer.outcome.kind is OutcomeKind.CALL for s in outside),
            }
        )
    return rows


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolation percentile (numpy's default); None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _ratio(correct: int, total: int) -> float | None:
    return None if total == 0 else correct / total


def summarize(scored: Sequence[ScoredLine], function_set: FunctionSet) -> dict[str, Any]:
    """Accuracy overall, on irrelevant queries, per function and per category; latency."""
    irrelevant_names = {f.name for f in function_set.functions if f.irrelevant}
    total = len(scored)
    correct = sum(s.category.is_right for s in scored)
    negatives = [s for s in scored if s.example.function in irrelevant_names]
    negatives_correct = sum(s.category.is_right for s in negatives)
    per_function: dict[str, dict[str, Any]] = {}
    for spec in function_set.functions:
        lines = [s for s in scored if s.example.function == spec.name]
        if lines:
            hits = sum(s.category.is_right for s in lines)
            per_function[spec.name] = {
                "lines": len(lines),
                "correct": hits,
                "accuracy": _ratio(hits, len(lines)),
            }
    per_category = {}
    for category in Category:
        count = sum(s.category is category for s in scored)
        per_category[str(category)] = {
            "count": count,
            "share": _ratio(count, total),
            "right": category.is_right,
        }
    latencies = [s.latency_ms for s in scored if s.latency_ms is not None]
    p50, p90 = percentile(latencies, 50), percentile(latencies, 90)
    return {
        "lines": total,
        "correct": correct,
        "accuracy": _ratio(correct, total),
        "irrelevant": {
            "lines": len(negatives),
            "correct": negatives_correct,
            "accuracy": _ratio(negatives_correct, len(negatives)),
        },
        "trust": trust_figures(scored, irrelevant_names),
        "per_function": per_function,
        "per_category": per_category,
        "latency_ms": {
            "measured": len(latencies),
            "p50": None if p50 is None else round(p50, 2),
            "p90": None if p90 is None else round(p90, 2),
        },
    }


def trust_figures(scored: Sequence[ScoredLine], irrelevant_names: set[str]) -> dict[str, Any]:
    """What a user acting on the answers would care about: calls that should not be."""
    kinds = [s.answer.outcome.kind for s in scored]
    ungrounded = [s for s in scored if s.ungrounded]
    return {
        "false_calls_on_irrelevant": sum(
            s.answer.outcome.kind is OutcomeKind.CALL
            for s in scored
            if s.example.function in irrelevant_names
        ),
        "ungrounded_calls": len(ungrounded),
        "ungrounded_examples": [
            {"line": s.example.line, "query": s.example.query, "arguments": s.ungrounded}
            for s in ungrounded[:20]
        ],
        "needs_input": kinds.count(OutcomeKind.NEEDS_INPUT),
        "unsure": kinds.count(OutcomeKind.UNSURE),
    }


def read_scored(path: Path) -> dict[int, dict[str, Any]]:
    """The lines of an earlier ``octopus eval`` output, by data line number."""
    earlier: dict[int, dict[str, Any]] = {}
    for number, record in read_jsonl(
        path, "scored file", written_by="`octopus eval DATA --out FILE`"
    ):
        if not (
            isinstance(record, dict)
            and isinstance(record.get("line"), int)
            and isinstance(record.get("query"), str)
            and isinstance(record.get("correct"), bool)
        ):
            raise InputError(
                f"{path}:{number}: not a scored line (needs line, query and correct)",
                hint="pass a .scored.jsonl file written by octopus eval",
            )
        earlier[record["line"]] = record
    return earlier


def check_same_data(
    examples: Sequence[Example], earlier: dict[int, dict[str, Any]], source: Path
) -> None:
    """InputError unless the earlier run scored these very lines (checked before a model
    is loaded, not after minutes of generation)."""
    for example in examples:
        before = earlier.get(example.line or 0)
        if before is None or before["query"] != example.query:
            raise InputError(
                f"{source} was not scored on this data (line {example.line} differs)",
                hint="pass the .scored.jsonl an earlier octopus eval wrote for the same file",
            )


def compare_scored(
    scored: Sequence[ScoredLine], earlier: dict[int, dict[str, Any]], source: Path
) -> dict[str, Any]:
    """Answers that went from wrong to right (fixed) and right to wrong (broken).

    Two training runs can differ on many lines while their accuracies differ little, so
    these counts say more about a change than the two accuracies do. The lines must have
    passed :func:`check_same_data` (before the model ran).
    """
    changes = []
    before_correct = 0
    for line in scored:
        before = earlier[line.example.line or 0]
        before_correct += before["correct"]
        now = line.category.is_right
        if now != before["correct"]:
            changes.append(
                {
                    "line": line.example.line,
                    "query": line.example.query,
                    "change": "fixed" if now else "broken",
                    "before": before.get("raw"),
                    "after": line.answer.outcome.raw,
                }
            )
    return {
        "file": str(source),
        "accuracy_before": _ratio(before_correct, len(scored)),
        "fixed": sum(c["change"] == "fixed" for c in changes),
        "broken": sum(c["change"] == "broken" for c in changes),
        "changes": changes,
    }


def plot_thresholds(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """Accuracy against the share answered, each point a threshold (needs matplotlib)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    answered = [100 * (row["answered"] or 0) for row in rows]
    for key, label in (
        ("accuracy", "all queries"),
        ("in_scope_accuracy", "a function fits"),
        ("out_of_scope_accuracy", "no function fits"),
    ):
        values = [None if row[key] is None else 100 * row[key] for row in rows]
        axes.plot(answered, values, marker="o", label=label)
    for x, row in zip(answered, rows, strict=True):
        axes.annotate(f"{row['threshold']:g}", (x, 100 * (row["accuracy"] or 0)), fontsize=7)
    axes.set_xlabel("queries answered with a call (%)")
    axes.set_ylabel("right (%)")
    axes.set_title("Accuracy as --min-confidence moves")
    axes.legend()
    axes.grid(alpha=0.3)
    figure.tight_layout()
    data = io.BytesIO()
    figure.savefig(data, format="png", dpi=120)
    plt.close(figure)
    write_atomic(path, data.getvalue())
