"""Turn a functional-token model's raw output into validated, typed calls.

The output ``<nexa_0>('front')<nexa_end>`` is untrusted text. It is parsed with ``ast``
(never ``eval``): every argument must be a Python literal or a nested functional call.
Parsing never raises on bad model output; it returns an :class:`Outcome` whose ``kind``
says what went wrong, so ``ask``, ``eval`` and the REPL can report it the same way.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from octopus_cli.functions import FunctionSet, FunctionSpec, Parameter, e164
from octopus_cli.grounding import stated_figures, wants

DEFAULT_MIN_CONFIDENCE = 0.6
"""The default of ``--min-confidence``: the highest threshold at which octopus-mini loses
no right call on its held-out split (docs/results.md, "Trust")."""

MAX_OUTPUT_CHARS = 20_000
"""Longer model output is not parsed (Python's parser recurses on deep nesting)."""

_PLACEHOLDER = "__octopus_fn_{}"
_PLACEHOLDER_PATTERN = re.compile(r"__octopus_fn_(\d+)")


class OutcomeKind(StrEnum):
    """What the model's answer amounts to; the order is the order checks are made in."""

    CALL = "call"
    IRRELEVANT = "irrelevant"
    NO_END = "no_end"  # generation stopped before the end token
    UNPARSABLE = "unparsable"
    UNKNOWN_TOKEN = "unknown_token"
    WRONG_ARGUMENTS = "wrong_arguments"  # unknown, missing, duplicate or surplus arguments
    INVALID_ARGUMENT = "invalid_argument"  # a value breaks its parameter's type or rules
    NEEDS_INPUT = "needs_input"  # a function fits, but the query lacks a value it needs
    UNSURE = "unsure"  # the model's choice of function is below the confidence threshold

    @property
    def is_failure(self) -> bool:
        """Whether the model's answer is unusable (not a call, a refusal or a question)."""
        return self not in (
            OutcomeKind.CALL,
            OutcomeKind.IRRELEVANT,
            OutcomeKind.NEEDS_INPUT,
            OutcomeKind.UNSURE,
        )


@dataclass(frozen=True)
class RawCall:
    """A call as written by the model: a token number and literal (or nested) arguments."""

    token: int
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class BoundCall:
    """A call checked against its function's signature, with defaults filled in."""

    function: FunctionSpec
    arguments: dict[str, Any]
    missing: tuple[str, ...] = ()
    """Parameters the query gave no value for (the model wrote ``None``): their
    ``arguments`` are None until the user supplies them (:meth:`with_values`)."""

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def token(self) -> int:
        return self.function.token

    def call_string(self) -> str:
        """Python-call form with keyword arguments: ``take_a_photo(camera='front')``."""
        parts = [f"{k}={_value_string(v)}" for k, v in self.arguments.items()]
        return f"{self.name}({', '.join(parts)})"

    def to_dict(self) -> dict[str, Any]:
        record = {
            "function": self.name,
            "token": self.token,
            "arguments": {k: _value_json(v) for k, v in self.arguments.items()},
            "call": self.call_string(),
        }
        if self.missing:
            record["missing"] = self.missing_values()
        return record

    def missing_values(self) -> list[dict[str, Any]]:
        """Each missing parameter: its name, type and what kind of value it wants."""
        return [
            {"name": p.name, "type": p.type, "wants": wants(p)}
            for p in self.function.parameters
            if p.name in self.missing
        ]

    def with_values(self, values: dict[str, Any]) -> BoundCall:
        """This call with missing values supplied; each must fit its parameter."""
        arguments = dict(self.arguments)
        for name, value in values.items():
            param = self.function.parameter(name)
            if param is None or name not in self.missing:
                raise ValueError(f"{self.name} is not missing {name!r}")
            problem = param.problem(value)
            if problem:
                raise ValueError(f"{name}={value!r} {problem}")
            arguments[name] = float(value) if param.type == "float" else value
        missing = tuple(name for name in self.missing if name not in values)
        return BoundCall(self.function, arguments, missing)

    @property
    def lacks_values(self) -> bool:
        """Whether this call or a call nested in it lacks a value the query did not give."""
        return bool(self.missing) or any(
            isinstance(v, BoundCall) and v.lacks_values for v in self.arguments.values()
        )

    @property
    def has_nested_calls(self) -> bool:
        return any(isinstance(v, BoundCall) for v in self.arguments.values())


@dataclass(frozen=True)
class Outcome:
    """The result of reading one model output."""

    kind: OutcomeKind
    raw: str
    calls: tuple[BoundCall, ...] = ()
    error: str | None = None
    confidence: float | None = None
    """The model's probability for its first function, over the set's functional tokens."""

    @property
    def call(self) -> BoundCall | None:
        return self.calls[0] if self.calls else None

    @property
    def missing(self) -> list[tuple[int, Parameter]]:
        """(call index, parameter) for each value the calls still lack."""
        return [
            (i, p)
            for i, c in enumerate(self.calls)
            for p in c.function.parameters
            if p.name in c.missing
        ]

    def confirmed(self) -> Outcome:
        """An ``unsure`` answer the user confirmed: a call, or a question for its values."""
        if self.kind is not OutcomeKind.UNSURE:
            return self
        kind = OutcomeKind.NEEDS_INPUT if self.missing else OutcomeKind.CALL
        return replace(self, kind=kind, error=None if kind is OutcomeKind.CALL else self.error)

    def supplied(self, index: int, name: str, value: Any) -> Outcome:
        """This answer with one missing value given (checked against its parameter); the
        last one makes it a call."""
        calls = list(self.calls)
        calls[index] = calls[index].with_values({name: value})
        if any(c.missing for c in calls):
            return replace(self, calls=tuple(calls))
        return replace(self, kind=OutcomeKind.CALL, calls=tuple(calls), error=None)


def _value_string(value: Any) -> str:
    return value.call_string() if isinstance(value, BoundCall) else repr(value)


def _value_json(value: Any) -> Any:
    return value.to_dict() if isinstance(value, BoundCall) else value


class _Reject(Exception):
    """Internal: carries the failure kind out of the recursive parse/validate steps."""

    def __init__(self, kind: OutcomeKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def parse_output(raw: str, function_set: FunctionSet) -> Outcome:
    """Parse and validate one raw model output (detokenized with special tokens)."""
    text, ended = _strip_end(raw, function_set.end_token)
    if not ended:
        return Outcome(OutcomeKind.NO_END, raw, error=f"output has no {function_set.end_token}")
    try:
        raw_calls = parse_calls(text, function_set)
        calls = tuple(bind_call(c, function_set) for c in raw_calls)
    except _Reject as reject:
        return Outcome(reject.kind, raw, error=reject.message)
    if all(c.function.irrelevant for c in calls):
        return Outcome(OutcomeKind.IRRELEVANT, raw, calls=calls)
    if any(c.lacks_values for c in calls):
        missing = ", ".join(
            f"{c.name}: {', '.join(c.missing) or 'a value of a nested call'}"
            for c in calls
            if c.lacks_values
        )
        return Outcome(
            OutcomeKind.NEEDS_INPUT, raw, calls=calls, error=f"the query lacks {missing}"
        )
    return Outcome(OutcomeKind.CALL, raw, calls=calls)


_YES = ("y", "yes", "true", "on", "1")
_NO = ("n", "no", "false", "off", "0")


def read_value(param: Parameter, text: str) -> Any:
    """A value a person typed for ``param``, in its type; ValueError says what is wrong."""
    text = text.strip()
    value: Any = text
    if param.type == "bool":
        if text.lower() not in (*_YES, *_NO):
            raise ValueError("answer yes or no")
        value = text.lower() in _YES
    elif param.type in ("int", "float"):
        try:
            value = float(text)
        except ValueError:
            figures = stated_figures(text, param)
            if len(figures) != 1:
                raise ValueError(f"expected {wants(param)}") from None
            value = figures[0]
        if param.type == "int":
            if not float(value).is_integer():
                raise ValueError("expected a whole number")
            value = int(value)
    elif param.format == "phone" and text.startswith("+"):
        value = e164(text)
    problem = param.problem(value)
    if problem:
        raise ValueError(problem)
    return value


def judged(outcome: Outcome, confidence: float | None, min_confidence: float) -> Outcome:
    """``outcome`` with the model's confidence; a call or a question for a value whose
    function the model chose with less than ``min_confidence`` becomes ``unsure``."""
    kind = outcome.kind
    unsure = confidence is not None and confidence < min_confidence
    if unsure and kind in (OutcomeKind.CALL, OutcomeKind.NEEDS_INPUT):
        guess = outcome.call.name if outcome.call else "?"
        error = f"not sure {guess} fits (confidence {confidence:.2f} < {min_confidence:g})"
        return replace(outcome, kind=OutcomeKind.UNSURE, confidence=confidence, error=error)
    return replace(outcome, confidence=confidence)


def _strip_end(raw: str, end_token: str) -> tuple[str, bool]:
    index = raw.find(end_token)
    if index < 0:
        return raw.strip(), False
    return raw[:index].strip(), True


def parse_calls(text: str, function_set: FunctionSet) -> list[RawCall]:
    """Parse ``<nexa_i>(...)[;<nexa_j>(...)]`` into raw calls (parallel and nested)."""
    if not text:
        raise _Reject(OutcomeKind.UNPARSABLE, "empty output: no functional token")
    source = function_set.token_pattern.sub(lambda m: _PLACEHOLDER.format(m.group(1)), text)
    if len(source) > MAX_OUTPUT_CHARS:
        raise _Reject(OutcomeKind.UNPARSABLE, f"output longer than {MAX_OUTPUT_CHARS} characters")
    try:
        module = ast.parse(source, mode="exec")
    except SyntaxError as exc:
        raise _Reject(OutcomeKind.UNPARSABLE, f"not a call expression: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):  # NUL bytes; nesting too deep to parse
        raise _Reject(OutcomeKind.UNPARSABLE, "not a call expression") from None
    if not module.body:
        raise _Reject(OutcomeKind.UNPARSABLE, "no call in output")
    calls = []
    for statement in module.body:
        if not isinstance(statement, ast.Expr):
            raise _Reject(OutcomeKind.UNPARSABLE, "output is not a sequence of calls")
        calls.append(_raw_call(statement.value))
    return calls


def _raw_call(node: ast.expr) -> RawCall:
    prefix = _PLACEHOLDER.format("")
    if not (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith(prefix)
    ):
        raise _Reject(OutcomeKind.UNPARSABLE, "expected a functional token followed by (...)")
    token = int(node.func.id[len(prefix) :])
    args = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise _Reject(OutcomeKind.UNPARSABLE, "starred arguments are not allowed")
        args.append(_argument(arg))
    kwargs: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise _Reject(OutcomeKind.UNPARSABLE, "**kwargs are not allowed")
        if keyword.arg in kwargs:
            raise _Reject(OutcomeKind.WRONG_ARGUMENTS, f"argument {keyword.arg!r} given twice")
        kwargs[keyword.arg] = _argument(keyword.value)
    return RawCall(token, tuple(args), kwargs)


def _argument(node: ast.expr) -> Any:
    if isinstance(node, ast.Call):
        return _raw_call(node)
    try:
        return _restore_tokens(ast.literal_eval(node))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        try:
            shown = ast.unparse(node)[:60]
        except (RecursionError, MemoryError):
            shown = "(nested too deep to show)"
        raise _Reject(OutcomeKind.UNPARSABLE, f"argument is not a literal: {shown}") from None


def _restore_tokens(value: Any) -> Any:
    """Undo the placeholder substitution inside string literals (``'<nexa_1>'`` is text)."""
    if isinstance(value, str):
        return _PLACEHOLDER_PATTERN.sub(lambda m: f"<nexa_{m.group(1)}>", value)
    if isinstance(value, (list, tuple)):
        return type(value)(_restore_tokens(v) for v in value)
    return value


def bind_call(raw: RawCall, function_set: FunctionSet) -> BoundCall:
    """Match arguments to the signature, fill defaults and check every value."""
    function = function_set.by_token(raw.token)
    if function is None:
        raise _Reject(
            OutcomeKind.UNKNOWN_TOKEN,
            f"{function_set.token_text(raw.token)} is not in function set {function_set.name!r}",
        )
    params = function.parameters
    if len(raw.args) > len(params):
        raise _Reject(
            OutcomeKind.WRONG_ARGUMENTS,
            f"{function.name} takes {len(params)} arguments, got {len(raw.args)}",
        )
    given = dict(zip((p.name for p in params), raw.args, strict=False))
    for name, value in raw.kwargs.items():
        if function.parameter(name) is None:
            raise _Reject(OutcomeKind.WRONG_ARGUMENTS, f"{function.name} has no argument {name!r}")
        if name in given:
            raise _Reject(OutcomeKind.WRONG_ARGUMENTS, f"argument {name!r} given twice")
        given[name] = value
    arguments: dict[str, Any] = {}
    missing: list[str] = []
    for param in params:
        if param.name in given:
            value = given[param.name]
            if value is None:  # the grammar's marker: the query holds no value for it
                missing.append(param.name)
                arguments[param.name] = None
                continue
        elif param.has_default:
            value = param.default
        else:
            raise _Reject(
                OutcomeKind.WRONG_ARGUMENTS, f"{function.name} is missing argument {param.name!r}"
            )
        if isinstance(value, RawCall):
            value = bind_call(value, function_set)  # a nested call's result is typed at run time
        else:
            problem = param.problem(value)
            if problem:
                raise _Reject(
                    OutcomeKind.INVALID_ARGUMENT,
                    f"{function.name}: {param.name}={value!r} {problem}",
                )
            if param.type == "float":
                value = float(value)
        arguments[param.name] = value
    return BoundCall(function, arguments, tuple(missing))
