"""Function sets: the functions a functional-token model can call, loaded from TOML.

A function set maps each functional token (``<nexa_0>`` ...) to a name and a typed
signature. It is data, not code, so users can point ``--functions`` at their own file.
The built-in Android set ships in the top-level ``functions/`` folder, installed as
``octopus_cli.function_sets``.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from octopus_cli.errors import FunctionSetError

PARAMETER_TYPES: dict[str, type] = {"str": str, "int": int, "float": float, "bool": bool}

# Named string formats: a regex for validation. The grammar module has a GBNF twin of each.
STRING_FORMATS: dict[str, str] = {
    "time24": r"([01][0-9]|2[0-3]):[0-5][0-9]",
    "datetime": r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])-([01][0-9]|2[0-3])-[0-5][0-9]",
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
    "phone": r"\+?\(?[0-9][0-9 ().-]{1,19}",  # "(212) 555-0182" opens with a bracket
    "language": r"[a-z]{2}",
}


def e164(number: str) -> str:
    """A phone number written with its country code, as "+" and its digits (E.164)."""
    return "+" + re.sub(r"[^0-9]", "", number)


DEFAULT_SET = "android"
_PARAM_KEYS = {
    "name", "type", "choices", "default", "min", "max", "format", "unit", "copy", "after",
    "words",
    "description",
}  # fmt: skip
# Units of a number that is a length of time (see Parameter.unit).
TIME_UNITS = ("seconds", "minutes", "hours")
# Formats whose values are copied from the query as found there (see Parameter.copy).
COPYABLE_FORMATS = ("email", "phone", "time24", "datetime")
_FUNCTION_KEYS = {"token", "name", "description", "parameters", "irrelevant"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Parameter:
    """One typed parameter of a function."""

    name: str
    type: str
    choices: tuple[Any, ...] | None = None
    default: Any = None
    has_default: bool = False
    minimum: float | None = None
    maximum: float | None = None
    format: str | None = None
    unit: str | None = None
    """For a number that is a length of time: what one counts (one of TIME_UNITS)."""
    copy: bool = False
    """The value is the user's own words: whole words of the query, or with a format, a
    match of that format found in it (for a time or datetime, a time the query names, on a
    date it names, or that plus a duration it names; for a number with a unit, a figure of
    the query or a length of time it names, in that unit, which then replaces the default).
    For a number without a unit: a figure the query states, in digits or words, inside
    the range. The decoding grammar keeps the model to those; where the query holds none
    and there is no default, it offers only ``None``, and the answer asks for the value."""
    words: dict[str, tuple[str, ...]] | None = None
    """For choices marked ``copy``: the words by which a query names each choice ("ringer"
    for 'ring'); with copy, a choice the query does not name is not offered."""
    after: str | None = None
    """For a datetime: the parameter just before it, which it may not precede (an event's
    end and its start). With ``copy``, the decoding grammar pairs each start with the later
    values the query names (the same value only when it names a single moment). Not a
    validation rule: where the query names no time the grammar types the values freely,
    and everything it lets through must validate."""
    description: str = ""

    @property
    def python_type(self) -> type:
        return PARAMETER_TYPES[self.type]

    def problem(self, value: Any, check_choices: bool = True) -> str | None:
        """Why ``value`` breaks this parameter's rules, or None if it fits."""
        expected = self.python_type
        # bool is an int in Python, and an int is an acceptable float; nothing else converts.
        fits = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            fits = True
        if not fits:
            return f"expected {self.type}, got {type(value).__name__}"
        if check_choices and self.choices is not None and value not in self.choices:
            return f"must be one of {', '.join(map(repr, self.choices))}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum}"
        if self.format is not None and not re.fullmatch(STRING_FORMATS[self.format], value):
            return f"must match the {self.format} format"
        return None

    def trained_signature(self) -> tuple[Any, ...]:
        """What a model learns of this parameter (all but description, unit, copy and after)."""
        limits = (self.minimum, self.maximum, self.format)
        return (self.name, self.type, self.choices, self.has_default, self.default, *limits)

    def signature(self) -> str:
        text = f"{self.name}: {self.type}"
        if self.has_default:
            text += f" = {self.default!r}"
        return text


@dataclass(frozen=True)
class FunctionSpec:
    """A function reachable through one functional token."""

    token: int
    name: str
    description: str
    parameters: tuple[Parameter, ...] = ()
    irrelevant: bool = False

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)

    def signature(self) -> str:
        return f"{self.name}({', '.join(p.signature() for p in self.parameters)})"


@dataclass(frozen=True)
class FunctionSet:
    """All functions of a model, keyed by token number."""

    name: str
    description: str
    functions: tuple[FunctionSpec, ...]
    token_format: str = "<nexa_{}>"
    end_token: str = "<nexa_end>"
    source: Path | None = None
    _by_token: dict[int, FunctionSpec] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_token.update({f.token: f for f in self.functions})

    def by_token(self, token: int) -> FunctionSpec | None:
        return self._by_token.get(token)

    def by_name(self, name: str) -> FunctionSpec | None:
        return next((f for f in self.functions if f.name == name), None)

    def token_text(self, token: int) -> str:
        return self.token_format.format(token)

    @property
    def token_texts(self) -> list[str]:
        """Every special token the model must know: one per function, then the end token."""
        return [self.token_text(f.token) for f in self.functions] + [self.end_token]

    def signature_sha256(self) -> str:
        """A digest of what a model trained on this set learnt: its tokens and signatures.

        Descriptions, comments, ``copy`` marks and ``after`` rules (decoding rules) are
        left out, so a set can be documented or given them without invalidating models
        trained on it.
        """
        functions = [
            [
                f.token,
                f.name,
                f.irrelevant,
                [p.trained_signature() for p in f.parameters],
            ]
            for f in self.functions
        ]
        canonical = json.dumps([self.token_format, self.end_token, functions])
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def token_pattern(self) -> re.Pattern[str]:
        """Regex matching any functional token text, capturing its number."""
        head, _, tail = self.token_format.partition("{}")
        return re.compile(re.escape(head) + r"(\d+)" + re.escape(tail))


def builtin_path(name: str = DEFAULT_SET) -> Path:
    return Path(str(resources.files("octopus_cli.function_sets").joinpath(f"{name}.toml")))


def load_function_set(path: str | Path | None = None) -> FunctionSet:
    """Load a function set from a TOML file; ``None`` loads the built-in Android set."""
    file = Path(path) if path is not None else builtin_path()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FunctionSetError(
            f"function set file not found: {file}",
            hint="pass a TOML file like functions/android.toml to --functions",
        ) from None
    except IsADirectoryError:
        raise FunctionSetError(
            f"function set {file} is a directory",
            hint="pass the TOML file itself, such as functions/android.toml",
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FunctionSetError(f"cannot read function set {file}: {exc}") from None
    return parse_function_set(data, source=file)


def _repeated(values: list[Any]) -> list[Any]:
    """The values that stand more than once in ``values``, sorted."""
    return sorted({v for v in values if values.count(v) > 1}, key=str)


def parse_function_set(data: dict[str, Any], source: Path | None = None) -> FunctionSet:
    """Build and check a function set from already-parsed TOML data."""
    where = str(source) if source else "function set"
    entries = data.get("function")
    if not isinstance(entries, list) or not entries:
        raise FunctionSetError(f"{where}: no [[function]] tables")
    functions = tuple(_parse_function(entry, where) for entry in entries)
    tokens = [f.token for f in functions]
    names = [f.name for f in functions]
    for label, values in (("token", tokens), ("name", names)):
        if duplicates := _repeated(values):
            raise FunctionSetError(f"{where}: duplicate function {label}: {duplicates[0]}")
    token_format = str(data.get("token_format", "<nexa_{}>"))
    if token_format.count("{}") != 1:
        raise FunctionSetError(f"{where}: token_format must contain '{{}}' exactly once")
    return FunctionSet(
        name=str(data.get("name", source.stem if source else "custom")),
        description=str(data.get("description", "")),
        functions=functions,
        token_format=token_format,
        end_token=str(data.get("end_token", "<nexa_end>")),
        source=source,
    )


def _parse_function(entry: Any, where: str) -> FunctionSpec:
    if not isinstance(entry, dict):
        raise FunctionSetError(f"{where}: each [[function]] must be a table")
    unknown = set(entry) - _FUNCTION_KEYS
    name = entry.get("name")
    if unknown:
        raise FunctionSetError(f"{where}: function {name!r} has unknown keys {sorted(unknown)}")
    token = entry.get("token")
    if not isinstance(token, int) or isinstance(token, bool) or token < 0:
        raise FunctionSetError(f"{where}: function {name!r} needs a token number >= 0")
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise FunctionSetError(f"{where}: token {token} needs a Python identifier as name")
    params = entry.get("parameters", [])
    if not isinstance(params, list):
        raise FunctionSetError(f"{where}: {name}.parameters must be a list")
    parameters = tuple(_parse_parameter(p, f"{where}: {name}") for p in params)
    if repeated := _repeated([p.name for p in parameters]):  # a call would lose a value
        raise FunctionSetError(f"{where}: {name}: parameter {repeated[0]} is listed twice")
    for before, p in zip((None, *parameters), parameters, strict=False):
        if p.after is not None and not _follows(p, before):
            raise FunctionSetError(
                f"{where}: {name}.{p.name}: after names the datetime parameter just before it,"
                " and neither has a default"
            )
    seen_default = False
    for p in parameters:
        if seen_default and not p.has_default:
            raise FunctionSetError(f"{where}: {name}: {p.name} without default follows one with")
        seen_default = seen_default or p.has_default
    return FunctionSpec(
        token=token,
        name=name,
        description=str(entry.get("description", "")),
        parameters=parameters,
        irrelevant=bool(entry.get("irrelevant", False)),
    )


def _follows(param: Parameter, before: Parameter | None) -> bool:
    """Whether ``param.after`` is a rule the grammar can keep: two datetimes side by side."""
    return (
        before is not None
        and param.after == before.name
        and param.format == before.format == "datetime"
        and not (param.has_default or before.has_default)
    )


def _parse_parameter(entry: Any, where: str) -> Parameter:
    if not isinstance(entry, dict):
        raise FunctionSetError(f"{where}: each parameter must be a table")
    name = entry.get("name")
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise FunctionSetError(f"{where}: parameter needs a Python identifier as name")
    unknown = set(entry) - _PARAM_KEYS
    if unknown:
        raise FunctionSetError(f"{where}.{name}: unknown keys {sorted(unknown)}")
    type_name = entry.get("type")
    if type_name not in PARAMETER_TYPES:
        raise FunctionSetError(
            f"{where}.{name}: type must be one of {', '.join(PARAMETER_TYPES)}, not {type_name!r}"
        )
    fmt = entry.get("format")
    if fmt is not None and (type_name != "str" or fmt not in STRING_FORMATS):
        raise FunctionSetError(
            f"{where}.{name}: format applies to str and is one of {', '.join(STRING_FORMATS)}"
        )
    unit = entry.get("unit")
    if unit is not None and (type_name not in ("int", "float") or unit not in TIME_UNITS):
        raise FunctionSetError(
            f"{where}.{name}: unit applies to int and float and is one of {', '.join(TIME_UNITS)}"
        )
    copy = entry.get("copy", False)
    if not isinstance(copy, bool):
        raise FunctionSetError(f"{where}.{name}: copy must be true or false")
    copyable = (type_name == "str" and fmt in (None, *COPYABLE_FORMATS)) or type_name in (
        "int",
        "float",
    )
    if copy and not copyable:
        raise FunctionSetError(
            f"{where}.{name}: copy applies to str with no format or one of "
            f"{', '.join(COPYABLE_FORMATS)}, and to int and float"
        )
    words = entry.get("words")
    if words is not None:
        choice_names = [str(c) for c in entry.get("choices") or ()]
        if not (
            isinstance(words, dict)
            and set(words) <= set(choice_names)
            and all(
                isinstance(w, list) and all(isinstance(x, str) for x in w) for w in words.values()
            )
        ):
            raise FunctionSetError(
                f"{where}.{name}: words maps choices to lists of words that name them"
            )
        words = {choice: tuple(w.lower() for w in ws) for choice, ws in words.items()}
    low, high = entry.get("min"), entry.get("max")
    for limit in (low, high):
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int | float)):
            raise FunctionSetError(f"{where}.{name}: min and max must be numbers")
    if low is not None and high is not None and low > high:  # no value could satisfy both
        raise FunctionSetError(f"{where}.{name}: min {low} is above max {high}")
    choices = entry.get("choices")
    if choices is not None:
        if not isinstance(choices, list) or not choices:
            raise FunctionSetError(f"{where}.{name}: choices must be a non-empty list")
        choices = tuple(choices)
    param = Parameter(
        name=name,
        type=type_name,
        choices=choices,
        default=entry.get("default"),
        has_default="default" in entry,
        minimum=entry.get("min"),
        maximum=entry.get("max"),
        format=fmt,
        unit=unit,
        copy=copy,
        words=words,
        after=entry.get("after"),
        description=str(entry.get("description", "")),
    )
    # A default or choice that breaks the parameter's own rules is a bug in the file; so is a
    # default outside the choices, which a call that leaves the argument out would pass on.
    checks = [(param.default, True)] if param.has_default else []
    checks += [(choice, False) for choice in choices or ()]
    for value, check_choices in checks:
        problem = param.problem(value, check_choices=check_choices)
        if problem:
            raise FunctionSetError(f"{where}.{name}: {value!r}: {problem}")
    return param
