"""What a ``copy`` parameter may hold, stated apart from the grammar that enforces it."""

from __future__ import annotations

import re
from typing import Any

from octopus_cli.functions import Parameter
from octopus_cli.grounding import format_matches
from octopus_cli.timewords import NUMBER_WORDS, amounts_in


def is_copied(value: Any, param: Parameter, query: str) -> bool:
    """Whether ``value`` is the query's own words, as a ``copy`` parameter must be; None
    (not given) only where the query holds nothing the parameter could take."""
    if param.has_default and value == param.default:
        return True
    if value is None:
        return not param.has_default and not _offered(param, query)
    if param.type in ("int", "float") and param.unit is None:
        return value in _figures(query)
    if param.choices is not None:  # named in the query by itself or one of its words
        names = [str(value), *(param.words or {}).get(str(value), ())]
        return any(re.search(rf"\b{re.escape(n)}\b", query.lower()) for n in names)
    if param.unit is not None:  # a figure of the query, or a length of time it names
        amounts = amounts_in(query, param.unit)
        offered = [a for a in amounts if param.type == "float" or a.is_integer()]
        offered = [a for a in offered if param.problem(param.python_type(a)) is None]
        return value in offered or not offered
    if param.format is not None:
        return value in format_matches(query, param.format) or not format_matches(
            query, param.format
        )
    if not value:
        return False
    for start in range(len(query)):
        end = start + len(value)
        if not query.startswith(value, start):
            continue
        cut_start = start > 0 and _wordy(query, start - 1) and _wordy(query, start)
        cut_end = end < len(query) and _wordy(query, end - 1) and _wordy(query, end)
        if not (cut_start or cut_end or value[0].isspace() or value[-1].isspace()):
            return True
    return False


def _wordy(text: str, i: int) -> bool:
    """A letter, a digit, or an apostrophe with letters on both sides that is not a
    possessive 's (O'Connor is one word; "Sarah's" may be cut to Sarah)."""
    if text[i].isalnum():
        return True
    letters_around = 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()
    possessive = text[i + 1 : i + 2] in ("s", "S") and not text[i + 2 : i + 3].isalnum()
    return text[i] in "'\u2019" and letters_around and not possessive


_SCALE_WORDS = {"max": "top", "maximum": "top", "min": "bottom", "minimum": "bottom"}


def _figures(query: str) -> set[float]:
    """Numbers written in the query: digits, tenths of a percentage, number words, and
    the ends of a 0 to 10 scale named by "max" or "min"."""
    text = query.lower()
    found = {float(n) for n in re.findall(r"\d+(?:\.\d+)?", text)}
    found |= {float(n) / 10 for n in re.findall(r"(\d+)\s*(?:%|percent)", text)}
    found |= {float(v) for w, v in NUMBER_WORDS.items() if re.search(rf"\b{w}\b", text)}
    for word, end in _SCALE_WORDS.items():
        if re.search(rf"\b{word}\b", text):
            found.add(10.0 if end == "top" else 0.0)
    return found


def _offered(param: Parameter, query: str) -> bool:
    """Whether the query holds anything at all for the parameter."""
    if param.choices is not None:
        return any(is_copied(choice, param, query) for choice in param.choices)
    if param.unit is not None:
        return bool(amounts_in(query, param.unit))
    if param.format is not None:
        return bool(format_matches(query, param.format))
    if param.type in ("int", "float"):
        return any(param.problem(param.python_type(f)) is None for f in _figures(query))
    return any(ch.isalnum() for ch in query)
