"""What a query offers a parameter: figures, spoken numbers, and what a missing value wants.

The decoding grammar holds every ``copy`` parameter to values the query holds (see
:mod:`octopus_cli.grammar`). Where the query holds none and the parameter has no default,
the grammar offers only the marker ``None``: the model cannot make a value up, and the
answer becomes ``needs_input``, naming what is missing and what kind of value it wants.

This module reads the values that are not words of the query as written:

* figures for a number without a unit ("brightness to seven", "72 degrees", "70 %" on a
  0 to 10 scale, "max" for the top of a range), inside the parameter's range;
* phone numbers spoken digit by digit ("plus one four one five ...");
* the figures a query states that a parameter's range rules out ("400 degrees" for a
  thermostat of 50 to 90), so an answer can say why it asks instead of replacing them.

It also tells whether a value of a call is grounded in its query, as ``octopus eval``
counts it.
"""

from __future__ import annotations

import re
from typing import Any

from octopus_cli.functions import STRING_FORMATS, Parameter, e164
from octopus_cli.timewords import NUMBER_WORDS, amounts_in, datetime_values, time24_values

MISSING = "None"
"""The literal a grammar offers where the query holds no value for a parameter."""

_FIGURE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(?!\.?\d)(\s*(?:%|percent\b))?")
_COUNTING_WORDS = {
    word: value
    for word, value in NUMBER_WORDS.items()
    if word not in ("a", "an", "a few", "a couple of")
}
_WORD_FIGURE = re.compile(
    r"\b("
    + "|".join(sorted(map(re.escape, _COUNTING_WORDS), key=len, reverse=True))
    + r")\b(\s*(?:%|percent\b))?"
)
# Words that name a point of a bounded scale ("max brightness", "mute the ringer").
_TOP = re.compile(r"\b(max|maximum|maxed|full|fullest|highest|loudest|brightest|all the way up)\b")
_BOTTOM = re.compile(r"\b(min|minimum|lowest|quietest|darkest|all the way down|mute|silent)\b")
_MIDDLE = re.compile(r"\b(half|halfway|middle)\b")

_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_REPEATS = {"double": 2, "triple": 3}
_MIN_SPOKEN_DIGITS = 7


def stated_figures(query: str, param: Parameter) -> list[float]:
    """Every figure the query states for a number parameter, in range or not.

    A percentage on a 0 to 10 scale counts in tenths ("70 %" is 7), as the training data
    writes it; words count too ("seven", "twenty-two"), and on a bounded scale "max",
    "min" and "half" name its top, bottom and middle.
    """
    text = _mended(query.lower().replace("\u2019", "'"))
    scale_of_ten = param.minimum == 0 and param.maximum == 10
    figures: list[float] = []
    for pattern, read in ((_FIGURE, float), (_WORD_FIGURE, lambda w: float(_COUNTING_WORDS[w]))):
        for match in pattern.finditer(text):
            value = read(" ".join(match.group(1).replace("-", " ").split()))
            if match.group(2) and scale_of_ten:
                value = round(value / 10)
            figures.append(value)
    if param.minimum is not None and param.maximum is not None:
        low, high = float(param.minimum), float(param.maximum)
        if _TOP.search(text):
            figures.append(high)
        if _BOTTOM.search(text):
            figures.append(low)
        if _MIDDLE.search(text) and (low + high) % 2 == 0:
            figures.append((low + high) / 2)
    return list(dict.fromkeys(figures))


_KNOWN_WORDS = frozenset(
    [w for w in _COUNTING_WORDS if " " not in w and "-" not in w]
    + "max maximum full highest loudest brightest min minimum lowest quietest darkest mute "
    "silent half halfway middle".split()
)
_MIN_MENDED_LENGTH = 4
# Real words one slip from a number or scale word: never read as a slip.
_NOT_SLIPS = frozenset(
    "there mine line none nice fine wine dine vine pine fall hall fill full fell hale "
    "halt hole mile mike miniature minim mint mini mute muse mutt sever seventh lighted "
    "tree thee three free forty fort four tour pour your hour sour five fire hive dive "
    "give live wife nine ninth tenth eighth sixth weight height sight light".split()
)


def _mended(text: str) -> str:
    """``text`` with a one-letter slip in a number word or a scale word undone ("macimum",
    "sevn"), as a typing user makes them; other words are left as they are."""

    def mend(match: re.Match[str]) -> str:
        word = match.group()
        if word in _KNOWN_WORDS or word in _NOT_SLIPS or len(word) < _MIN_MENDED_LENGTH:
            return word
        near = [known for known in _KNOWN_WORDS if _one_slip(word, known)]
        return near[0] if len(near) == 1 else word

    return re.sub(r"[a-z]+", mend, text)


def _one_slip(a: str, b: str) -> bool:
    """Whether ``a`` is ``b`` with one letter changed, added, dropped or two swapped."""
    if abs(len(a) - len(b)) > 1 or len(b) < _MIN_MENDED_LENGTH:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0] if diff else 0
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def fitting(param: Parameter, figures: list[float]) -> list[int | float]:
    """The figures a number parameter can take, in its type and range."""
    values: list[int | float] = []
    for figure in figures:
        if param.type == "int" and not float(figure).is_integer():
            continue
        value: int | float = int(figure) if param.type == "int" else float(figure)
        if param.problem(value) is None:
            values.append(value)
    return list(dict.fromkeys(values))


def out_of_range(query: str, param: Parameter) -> list[float]:
    """The figures the query states for ``param`` that its range rules out."""
    if param.type not in ("int", "float") or param.unit is not None:
        return []
    figures = stated_figures(query, param)
    allowed = set(fitting(param, figures))
    return [f for f in figures if f not in allowed]


# A phone number as people write it: digit groups joined by spaces, dashes and brackets.
_PHONE_RUN = re.compile(r"\+?\(?[0-9][0-9 ().-]*[0-9]")
_PHONE_GROUP = re.compile(r"\+?\(?[0-9]+\)?")
_EMAIL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9._%+-])" + STRING_FORMATS["email"])
_MIN_PHONE_DIGITS = 3


def format_matches(text: str, fmt: str) -> list[str]:
    """The values of format ``fmt`` that ``text`` contains, as a ``copy`` parameter takes them.

    A phone number is offered as written and, when it starts with a country code, in E.164
    ("+44 20 7946 0958" -> "+442079460958"); any run of its digit groups is offered too, as
    a number may stand next to other figures. Times and datetimes are read as people write
    them (see :mod:`octopus_cli.timewords`).
    """
    found: list[str] = []
    if fmt == "time24":
        found = time24_values(text)
    elif fmt == "datetime":
        found = datetime_values(text)
    elif fmt == "email":
        found = [m.group() for m in _EMAIL_IN_TEXT.finditer(text)]
    elif fmt == "phone":
        for run in _PHONE_RUN.finditer(text):
            groups = list(_PHONE_GROUP.finditer(run.group()))
            for i, first in enumerate(groups):
                for last in groups[i:]:
                    number = _without_stray_bracket(run.group()[first.start() : last.end()])
                    if len(e164(number)) - 1 < _MIN_PHONE_DIGITS:  # "+" and the digits
                        continue
                    found.append(number)
                    if number.startswith("+"):
                        found.append(e164(number))
        found += spoken_numbers(text)
    pattern = STRING_FORMATS[fmt]
    return [v for v in dict.fromkeys(found) if re.fullmatch(pattern, v)]


def _without_stray_bracket(number: str) -> str:
    """A number cut from a run without the bracket around it: "(475 555 8823)" -> digits."""
    if number.startswith("(") and ")" not in number:
        number = number[1:]
    if number.endswith(")") and "(" not in number:
        number = number[:-1]
    return number


def named_choices(query: str, param: Parameter) -> list[Any]:
    """The choices a query names: each choice by its own name or by one of its ``words``
    (a one-letter slip forgiven in words of four letters or more)."""
    said = _mended(query.lower()).replace("\u2019", "'")
    tokens = re.findall(r"[a-z0-9']+", said)
    found = []
    for choice in param.choices or ():
        names = (*(param.words or {}).get(str(choice), ()), str(choice).lower())
        if any(_names(name, tokens) for name in names):
            found.append(choice)
    return found


def _names(name: str, tokens: list[str]) -> bool:
    """Whether the words of ``name`` stand in ``tokens`` in a row."""
    parts = name.split()
    for i in range(len(tokens) - len(parts) + 1):
        window = tokens[i : i + len(parts)]
        if all(
            a == b or (len(b) >= _MIN_MENDED_LENGTH and _one_slip(a, b))
            for a, b in zip(window, parts, strict=True)
        ):
            return True
    return False


def spoken_numbers(query: str) -> list[str]:
    """Phone numbers said digit by digit: "plus one four one five five five five ..."
    gives "+14155550199"; "double five" is 55. At least seven digits."""
    words = re.findall(r"[a-z]+|\+|\d", query.lower())
    numbers: list[str] = []
    digits, plus, repeat = "", False, 1
    for word in [*words, "."]:
        if word in _REPEATS:
            repeat = _REPEATS[word]
            continue
        digit = _DIGIT_WORDS.get(word) or (word if word.isdigit() else None)
        if digit is not None and not (word == "o" and not digits):
            digits += digit * repeat
            repeat = 1
            continue
        if len(digits) >= _MIN_SPOKEN_DIGITS:
            numbers.append(("+" if plus else "") + digits)
        plus = word in ("plus", "+")
        digits, repeat = "", 1
    return list(dict.fromkeys(numbers))


def wants(param: Parameter) -> str:
    """What kind of value a parameter wants, in a few words for a person."""
    if param.format == "email":
        return "an email address"
    if param.format == "phone":
        return "a phone number"
    if param.format == "datetime":
        return "a date and time"
    if param.format == "time24":
        return "a time of day"
    if param.type in ("int", "float"):
        kind = "a whole number" if param.type == "int" else "a number"
        if param.minimum is not None and param.maximum is not None:
            kind += f" from {param.minimum:g} to {param.maximum:g}"
        elif param.minimum is not None:
            kind += f" of at least {param.minimum:g}"
        if param.unit is not None:
            kind += f" ({param.unit})"
        return kind
    if param.choices is not None:
        return "one of " + ", ".join(map(repr, param.choices))
    return param.description or "some text"


def _normal(text: str) -> str:
    """Lowercase words, with quotes and a possessive 's dropped ("Sarah's" -> sarah)."""
    text = re.sub(r"['\u2019]s\b", " ", text.lower())
    text = re.sub(r"(?<![a-z])['\u2019]|['\u2019](?![a-z])", " ", text)
    text = re.sub(r"[^\w@+.']+", " ", text)
    return " ".join(re.sub(r"\.+(?=\s|$)", " ", text).split())  # a full stop ends no word


def grounded(query: str, param: Parameter, value: Any) -> bool:
    """Whether a call's value for ``param`` is one the query gave (or the default).

    Choices and booleans are always grounded (the set names them); text must be words of
    the query; an email, phone number, time or date must be one the query names; a number
    must be a figure the query states (or a length of time it names, in the unit).
    """
    if param.has_default and value == param.default:
        return True
    if param.choices is not None and param.copy:
        return value in named_choices(query, param)
    if param.choices is not None or param.type == "bool" or param.format == "language":
        return True
    if value is None:
        return True
    if param.type in ("int", "float"):
        figures = stated_figures(query, param)
        if param.unit is not None:
            figures += amounts_in(query, param.unit)
        return float(value) in {float(f) for f in figures}
    if param.format is not None:
        found = format_matches(query, param.format)
        return str(value) in found or e164(str(value)) in {e164(f) for f in found}
    return f" {_normal(str(value))} " in f" {_normal(query)} "
