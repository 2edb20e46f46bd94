"""What a ``copy`` parameter may hold, stated apart from the grammar that enforces it."""

from __future__ import annotations

from octopus_cli.functions import Parameter
from octopus_cli.grammar import format_matches


def is_copied(value: str, param: Parameter, query: str) -> bool:
    """Whether ``value`` is the query's own words, as a ``copy`` parameter must be."""
    if param.has_default and value == param.default:
        return True
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
        cut_start = start > 0 and query[start - 1].isalnum() and value[0].isalnum()
        cut_end = end < len(query) and query[end].isalnum() and value[-1].isalnum()
        if not (cut_start or cut_end or value[0].isspace() or value[-1].isspace()):
            return True
    return False
