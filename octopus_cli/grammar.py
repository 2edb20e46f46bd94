"""GBNF grammar that constrains decoding to a valid call of the function set.

The first generated token must be one of the set's functional tokens (named by id,
``<[256000]>``, so it matches the single token and never its spelling in pieces); the
arguments must be a Python-literal argument list typed by that function's signature.

The grammar deliberately stops *before* ``<nexa_end>``: a grammar that itself contains an
end-of-generation token makes llama.cpp abort ("Unexpected empty grammar stack after
accepting piece"). Once the grammar is complete llama.cpp allows only end-of-generation
tokens, and the runtime makes ``<nexa_end>`` one (tokenizer.ggml.eot_token_id).

Every repetition is bounded, so even a model with random weights finishes a call within
:func:`max_call_chars` characters.

Given the query, a parameter marked ``copy`` may only take the user's own words: a run of
whole words of the query (never a piece of a word), or for a parameter with a format a
match of that format found in the query (a phone number given with its country code also
in E.164; a time or datetime the query names, or that plus a duration it names, so "at
12:36 pm for an hour and a half" offers 12:36 and 14:06); for a number with a time ``unit``
a length of time the query names, in that unit, or another figure of it. The model still
chooses; it cannot misspell or invent words, nor add up times wrongly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from octopus_cli.functions import FunctionSet, FunctionSpec, Parameter
from octopus_cli.grounding import (
    MISSING,
    fitting,
    format_matches,
    named_choices,
    stated_figures,
)
from octopus_cli.timewords import amounts_in, lengths_in

MAX_STRING_CHARS = 128
MAX_PARALLEL_CALLS = 3
_MAX_ENUMERATED_RANGE = 200
_INT_DIGITS = 9

# GBNF twins of functions.STRING_FORMATS (inside the quotes).
_FORMAT_RULES: dict[str, str] = {
    "time24": '([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9]',
    "datetime": (
        '[0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])'
        ' "-" ([01] [0-9] | "2" [0-3]) "-" [0-5] [0-9]'
    ),
    "email": (
        '[A-Za-z0-9._%+-]{1,32} "@" [A-Za-z0-9-]{1,24} ("." [A-Za-z0-9-]{1,24}){0,2}'
        ' "." [A-Za-z]{2,6}'
    ),
    "phone": '"+"? "("? [0-9] [0-9 ().-]{1,19}',
    "language": "[a-z] [a-z]",
}
_FORMAT_CHARS = {
    "time24": 5,
    "datetime": 16,
    "email": 32 + 1 + 3 * 25 + 7,
    "phone": 22,
    "language": 2,
}


def _literal(text: str) -> str:
    """A GBNF string literal (JSON escaping is a subset of what GBNF accepts).

    Non-ASCII stays as UTF-8: JSON would write a character outside the BMP as a surrogate
    pair, which GBNF reads as two code points.
    """
    return json.dumps(text, ensure_ascii=False)


def quoted(text: str) -> str:
    """``text`` as the single-quoted Python literal of a call, as training targets write it."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return "'" + escaped.replace("\n", "\\n").replace("\t", "\\t") + "'"


def format_value(value: Any) -> str:
    """A Python literal the decoding grammar accepts: strings always single-quoted."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return quoted(value)
    raise TypeError(f"cannot write {type(value).__name__} as a call argument")


def _rule_name(*parts: str) -> str:
    return "-".join(p.replace("_", "-") for p in parts)


def build_grammar(
    function_set: FunctionSet,
    token_ids: Mapping[int, int],
    *,
    max_string_chars: int = MAX_STRING_CHARS,
    max_parallel_calls: int = MAX_PARALLEL_CALLS,
    query: str | None = None,
) -> str:
    """Return the GBNF text; ``token_ids`` maps function token numbers to vocabulary ids.

    With ``query``, parameters marked ``copy`` are held to the query's words; without, they
    are typed like any other string.
    """
    rules: dict[str, str] = {}
    alternatives = []
    copying = _Copying(query) if query is not None else None
    for function in function_set.functions:
        name = _rule_name("fn", function.name)
        rules[name] = _function_rule(function, token_ids[function.token], rules, copying)
        alternatives.append(name)
    extra = max(0, max_parallel_calls - 1)
    root = f'call ("; " call){{0,{extra}}}' if extra else "call"
    rules = {"root": root, "call": " | ".join(alternatives), **rules}
    rules["sep"] = '"," " "?'
    rules["string"] = f'"\'" schar{{0,{max_string_chars}}} "\'"'
    rules["schar"] = '[^\'\\\\\\n\\r] | "\\\\" [\'\\"\\\\nt]'
    if copying is not None:
        rules.update(copying.rules)
    return "\n".join(f"{name} ::= {body}" for name, body in rules.items()) + "\n"


def _function_rule(
    function: FunctionSpec, token_id: int, rules: dict[str, str], copying: _Copying | None
) -> str:
    head = f"<[{token_id}]> "
    params = function.parameters
    if not params:
        return head + '"()"'
    values = []
    for param in params:
        rule = _rule_name("v", function.name, param.name)
        if param.copy and copying is not None:
            rules[rule] = copying.value_rule(param)
        else:
            rules[rule] = _value_rule(param)
        values.append(rule)
    pairs = _ordered_pairs(function, rules, copying)
    stated = {i for i, p in enumerate(params) if copying is not None and copying.states(p)}
    positional = _argument_list(params, values, pairs, stated, keyword=False)
    keyword = _argument_list(params, values, pairs, stated, keyword=True)
    return f'{head}"(" ({positional} | {keyword}) ")"'


def _ordered_pairs(
    function: FunctionSpec, rules: dict[str, str], copying: _Copying | None
) -> dict[int, tuple[str, str]]:
    """One rule, positional and keyword, for each copied ``after`` parameter whose values the
    query names and the parameter before it together, so that the pair is in order; keyed
    by the first one's index."""
    pairs: dict[int, tuple[str, str]] = {}
    for i, param in enumerate(function.parameters):
        if copying is None or param.after is None:
            continue
        before = function.parameters[i - 1]  # load_function_set checks it is this one
        ends_by_start = copying.ordered_values(param) if before.copy and param.copy else {}
        if not ends_by_start:
            continue
        for p in (before, param):  # the pair's rule takes the place of their own
            del rules[_rule_name("v", function.name, p.name)]
        names = []
        for keyword in (False, True):
            first, second = (
                _literal(f"{p.name}=") + " " if keyword else "" for p in (before, param)
            )
            options = [
                f"{first}{_literal(quoted(start))} sep {second}"
                f"({' | '.join(_literal(quoted(end)) for end in ends)})"
                for start, ends in ends_by_start.items()
            ]
            names.append(_rule_name("pair", function.name, param.name, "kw" if keyword else "pos"))
            rules[names[-1]] = " | ".join(options)
        pairs[i - 1] = (names[0], names[1])
    return pairs


def _argument_list(
    params: tuple[Parameter, ...],
    values: list[str],
    pairs: Mapping[int, tuple[str, str]],
    stated: set[int],
    keyword: bool,
) -> str:
    """Arguments in signature order; the trailing ones that have defaults may be left out,
    unless the query states one of them (``stated``) or a later one. ``pairs`` maps a
    parameter's index to a rule for it and the next one together."""

    def item(i: int) -> str:
        if i in pairs:
            return pairs[i][keyword]
        return f"{_literal(params[i].name + '=')} {values[i]}" if keyword else values[i]

    # Build from the end: each optional tail nests inside the previous argument.
    needed = [i for i, p in enumerate(params) if not p.has_default or i in stated]
    last_needed = max(needed, default=-1)
    text = ""
    for i in reversed(range(len(params))):
        if i - 1 in pairs:
            continue  # written by the pair rule of the parameter before it
        current = item(i) + (f" {text}" if text else "")
        optional = "?" if i > last_needed else ""
        text = current if i == 0 else f"(sep {current}){optional}"
    return f"({text})" + ("" if needed else "?")


def _value_rule(param: Parameter) -> str:
    if param.choices is not None:
        return " | ".join(_literal(repr(c)) for c in param.choices)
    if param.type == "bool":
        return '"True" | "False"'
    if param.type == "str":
        if param.format is not None:
            return f'"\'" ({_FORMAT_RULES[param.format]}) "\'"'
        return "string"
    low, high = param.minimum, param.maximum
    small_range = (
        low is not None
        and high is not None
        and float(low).is_integer()
        and float(high).is_integer()
        and high - low <= _MAX_ENUMERATED_RANGE
    )
    if small_range:
        numbers = [_literal(str(n)) for n in range(int(low), int(high) + 1)]
        if param.type == "int":
            return " | ".join(numbers)
        # A float in [low, high]: an integer part, then a fraction, except at the top.
        below = " | ".join(numbers[:-1])
        fraction = '("." [0-9]{1,2})?'
        top = f'{numbers[-1]} ".0"?'
        return f"({below}) {fraction} | {top}" if below else top
    sign = '"-"? ' if low is None or low < 0 else ""
    digits = f'("0" | [1-9] [0-9]{{0,{_INT_DIGITS - 1}}})'  # Python forbids leading zeros
    if param.type == "int":
        return sign + digits
    return f'{sign}{digits} ("." [0-9]{{1,4}})?'


def max_call_chars(
    function_set: FunctionSet,
    *,
    max_string_chars: int = MAX_STRING_CHARS,
    max_parallel_calls: int = MAX_PARALLEL_CALLS,
) -> int:
    """Upper bound on the characters a grammar-constrained answer can take (for max_tokens)."""

    def value_chars(p: Parameter) -> int:
        if p.choices is not None:
            return max(len(repr(c)) for c in p.choices)
        if p.type == "str":
            return 2 + _FORMAT_CHARS.get(p.format or "", 2 * max_string_chars)
        return 16

    longest = max(
        len(f.name) + 2 + sum(len(p.name) + 3 + value_chars(p) for p in f.parameters)
        for f in function_set.functions
    )
    return max_parallel_calls * (longest + 2)


_APOSTROPHES = frozenset("'\u2019")


def _in_word(text: str, i: int) -> bool:
    """Whether ``text[i]`` belongs to a word: a letter or digit, or an apostrophe between
    letters (O'Connor, Xi'an, don't), except a possessive 's ("Sarah's phone" may give
    'Sarah')."""
    char = text[i]
    if char.isalnum():
        return True
    if char not in _APOSTROPHES or not 0 < i < len(text) - 1:
        return False
    if not (text[i - 1].isalpha() and text[i + 1].isalpha()):
        return False
    possessive = text[i + 1] in "sS" and not text[i + 2 : i + 3].isalnum()
    return not possessive


def _joined(text: str, i: int) -> bool:
    """Whether position ``i`` falls inside a word (between two of its characters)."""
    return 0 < i < len(text) and _in_word(text, i - 1) and _in_word(text, i)


_HARD_BREAKS = frozenset("\n\r")  # a copied value stays within one line of the query


class _Copying:
    """The rules that hold ``copy`` parameters to one query's words."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.rules: dict[str, str] = {}
        self._span_rule: str | None = None
        self._spans_built = False
        self._matches: dict[str, list[str]] = {}
        self._lengths: dict[str, list[float]] = {}

    def value_rule(self, param: Parameter) -> str:
        if param.choices is not None:
            named = named_choices(self.query, param)
            value = " | ".join(_literal(repr(c)) for c in named) if named else None
        elif param.unit is not None:
            value = self._amounts(param)
        elif param.type in ("int", "float"):
            figures = fitting(param, stated_figures(self.query, param))
            value = " | ".join(_literal(format_value(v)) for v in figures) if figures else None
        elif param.format is None:
            span = self._spans()
            value = f'"\'" {span} "\'"' if span else None
        else:
            found = self._found(param.format)
            value = " | ".join(_literal(quoted(v)) for v in found) if found else None
        if value is None:  # nothing to copy: the default, or else the marker for "not given"
            return _literal(format_value(param.default) if param.has_default else MISSING)
        if param.has_default and not self.states(param):
            value = f"{_literal(format_value(param.default))} | {value}"
        return value

    def ordered_values(self, param: Parameter) -> dict[str, list[str]]:
        """The values the parameter before an ``after`` one may take from the query, each
        with the values this one may then take: the later ones. Only a query that names
        one moment (no end, no length of time) gets an end equal to the start."""
        assert param.format is not None
        found = self._found(param.format)
        later = {start: [v for v in found if v > start] for start in found}
        if not any(later.values()):
            return {start: [start] for start in found}
        return {start: ends for start, ends in later.items() if ends}

    def _found(self, fmt: str) -> list[str]:
        if fmt not in self._matches:  # read once: start and end time share it
            self._matches[fmt] = format_matches(self.query, fmt)
        return self._matches[fmt]

    def states(self, param: Parameter) -> bool:
        """Whether the query states a length of time this copied parameter can take ("for
        90 seconds"), so the call must give it: the default does not stand in for it."""
        if not param.copy or param.unit is None:
            return False
        if param.unit not in self._lengths:  # asked by the value rule and the argument list
            self._lengths[param.unit] = lengths_in(self.query, param.unit)
        return bool(fitting(param, self._lengths[param.unit]))

    def _amounts(self, param: Parameter) -> str | None:
        """The figures and lengths of time of the query, in the parameter's unit and type."""
        assert param.unit is not None
        values = fitting(param, amounts_in(self.query, param.unit))
        return " | ".join(_literal(format_value(v)) for v in values) if values else None

    def _spans(self) -> str | None:
        """A rule for any run of whole words of the query; None if it has no words."""
        if self._spans_built:
            return self._span_rule
        self._spans_built = True
        text = self.query
        starts = [i for i in range(len(text)) if not text[i].isspace() and not _joined(text, i)]
        ends = {
            j for j in range(1, len(text) + 1) if not text[j - 1].isspace() and not _joined(text, j)
        }
        cuts = sorted({*starts, *ends})
        # One rule per cut: the text up to the next cut, then (where a value may end there)
        # optionally, or else necessarily, the rule of that next cut. Built from the right.
        rule_at: dict[int, str] = {}
        for k in reversed(range(len(cuts) - 1)):
            here, there = cuts[k], cuts[k + 1]
            piece = text[here:there]
            if _HARD_BREAKS.intersection(piece):
                continue
            literal = _literal(quoted(piece)[1:-1])
            following = rule_at.get(there)
            if there in ends:
                body = f"{literal} ({following})?" if following else literal
            elif following:
                body = f"{literal} {following}"
            else:
                continue
            rule_at[here] = f"copied-{k}"
            self.rules[rule_at[here]] = body
        first_words = [rule_at[i] for i in starts if i in rule_at]
        if first_words:
            self._span_rule = "copied"
            self.rules["copied"] = " | ".join(first_words)
        return self._span_rule
