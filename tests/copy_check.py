"""What a ``copy`` parameter may hold, stated apart from the grammar that enforces it."""

from __future__ import annotations

from typing import Any

from octopus_cli.functions import Parameter
from octopus_cli.grammar import format_matches
from octopus_cli.timewords import amounts_in


def is_copied(value: Any, param: Parameter, query: str) -> bool:
    """Whether ``value`` is the query's own words, as a ``copy`` parameter must be."""
    if param.has_default and value == param.default:
        return True
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
