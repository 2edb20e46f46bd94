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
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from octopus_cli.functions import FunctionSet, FunctionSpec, Parameter

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
    "phone": '"+"? "("? [0-9] [0-9 ()-]{1,19}',
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
    """A GBNF string literal (JSON escaping is a subset of what GBNF accepts)."""
    return json.dumps(text)


def _rule_name(*parts: str) -> str:
    return "-".join(p.replace("_", "-") for p in parts)


def build_grammar(
    function_set: FunctionSet,
    token_ids: Mapping[int, int],
    *,
    max_string_chars: int = MAX_STRING_CHARS,
    max_parallel_calls: int = MAX_PARALLEL_CALLS,
) -> str:
    """Return the GBNF text; ``token_ids`` maps function token numbers to vocabulary ids."""
    rules: dict[str, str] = {}
    alternatives = []
    for function in function_set.functions:
        name = _rule_name("fn", function.name)
        rules[name] = _function_rule(function, token_ids[function.token], rules)
        alternatives.append(name)
    extra = max(0, max_parallel_calls - 1)
    root = f'call ("; " call){{0,{extra}}}' if extra else "call"
    rules = {"root": root, "call": " | ".join(alternatives), **rules}
    rules["sep"] = '"," " "?'
    rules["string"] = f'"\'" schar{{0,{max_string_chars}}} "\'"'
    rules["schar"] = '[^\'\\\\\\n\\r] | "\\\\" [\'\\"\\\\nt]'
    return "\n".join(f"{name} ::= {body}" for name, body in rules.items()) + "\n"


def _function_rule(function: FunctionSpec, token_id: int, rules: dict[str, str]) -> str:
    head = f"<[{token_id}]> "
    params = function.parameters
    if not params:
        return head + '"()"'
    values = []
    for param in params:
        rule = _rule_name("v", function.name, param.name)
        rules[rule] = _value_rule(param)
        values.append(rule)
    positional = _argument_list(params, values, keyword=False)
    keyword = _argument_list(params, values, keyword=True)
    return f'{head}"(" ({positional} | {keyword}) ")"'


def _argument_list(params: tuple[Parameter, ...], values: list[str], keyword: bool) -> str:
    """Arguments in signature order; the trailing ones that have defaults may be left out."""

    def item(i: int) -> str:
        return f"{_literal(params[i].name + '=')} {values[i]}" if keyword else values[i]

    # Build from the end: each optional tail nests inside the previous argument.
    text = ""
    for i in reversed(range(len(params))):
        current = item(i) + (f" {text}" if text else "")
        optional = "?" if params[i].has_default else ""
        text = current if i == 0 else f"(sep {current}){optional}"
    required = [p for p in params if not p.has_default]
    return f"({text})" + ("" if required else "?")


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
