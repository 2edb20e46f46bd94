"""Fuzzing with hypothesis: hostile values through the handler argv builder, hostile
handler templates through the load-time check, hostile model outputs through the parser.

Runs are derandomized and use no example database, so each test tries the same inputs
every time; each one counts the inputs it tried, asserts the count and prints it (see
them with ``pytest -s tests/test_fuzz.py``). Hypothesis keeps its caches in a temporary
directory, never in the checkout.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from octopus_cli import handlers
from octopus_cli.calls import BoundCall, Outcome, OutcomeKind, parse_output
from octopus_cli.errors import HandlerError
from octopus_cli.functions import STRING_FORMATS, FunctionSet, FunctionSpec, Parameter
from octopus_cli.handlers import Handler, Placeholder, load_handlers, parse_element

ARGV_EXAMPLES = 1500  # hostile values through the shipped and test handlers
CHECK_EXAMPLES = 1500  # hostile handler templates through Handler.check
PARSER_EXAMPLES = 1200  # each of the three kinds of hostile model output

COUNTS: dict[str, int] = {}
MAC = "AA:BB:CC:DD:EE:FF"
SENTINEL = "octopus_fuzz_pwned"  # a model output that ran code would put this in sys.modules
FOLDER = Path("/nonexistent/octopus-fuzz/handler-files")  # plan() only names files in it


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def report(name: str, count: int, wanted: int) -> None:
    COUNTS[name] = count
    print(f"\nfuzz {name}: {count} inputs tried")
    assert count >= wanted, f"{name} tried only {count} of {wanted} inputs"


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)
    if COUNTS:
        print(f"\nfuzz total: {sum(COUNTS.values())} inputs in {len(COUNTS)} runs")


# --------------------------------------------------------------- hostile values


PIECES = [
    "; rm -rf ~",
    "$(touch PWNED)",
    "`touch PWNED`",
    "${IFS}",
    "$HOME",
    "'",
    '"',
    "\\",
    "\n",
    "\r\n",
    "\t",
    " ",
    "&&",
    "||",
    "|",
    ">",
    "<",
    "&",
    "*",
    "?",
    "~",
    "!",
    "#",
    "%",
    "%s%n",
    "%2F",
    "%00",
    "=",
    "@",
    "+",
    "-",
    "--",
    "-rf",
    "--output=/etc/passwd",
    "-e",
    "{message}",
    "{{",
    "}}",
    "{",
    "}",
    "&x=1",
    "?q=",
    "/../..",
    "file:///etc/passwd",
    "javascript:alert(1)",
    '" & (do shell script "id") & "',
    "'); __import__('os').system('id'); ('",
    "\u202e",
    "\u200b",
    "\x1b[31m",
    "\x7f",
    "\x07",
    "é",
    "日本語",
    "\U0001f600",
]
TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40)
HOSTILE = st.one_of(
    TEXT,
    st.lists(st.one_of(st.sampled_from(PIECES), TEXT), max_size=12).map("".join),
    st.tuples(st.sampled_from(["-", "--", "-c ", "--eval="]), TEXT).map("".join),
    st.tuples(st.one_of(st.sampled_from(PIECES), TEXT.filter(bool)), st.integers(100, 2000)).map(
        lambda t: t[0] * t[1]  # very long
    ),
)


def datetimes_in_order() -> st.SearchStrategy[tuple[str, str]]:
    def pair(start: dt.datetime, minutes: int) -> tuple[str, str]:
        end = start + dt.timedelta(minutes=minutes)
        return start.strftime("%Y-%m-%d-%H-%M"), end.strftime("%Y-%m-%d-%H-%M")

    moments = st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2098, 12, 31))
    return st.builds(pair, moments, st.integers(0, 60 * 24 * 30))


def value_for(param: Parameter) -> st.SearchStrategy[Any]:
    """Valid values, as hostile as the parameter allows (problem() is None for each)."""
    if param.choices is not None:
        return st.sampled_from(param.choices)
    if param.type == "bool":
        return st.booleans()
    if param.type in ("int", "float"):
        low = int(param.minimum) if param.minimum is not None else -(10**9)
        high = int(param.maximum) if param.maximum is not None else 10**9
        if param.type == "int":
            return st.integers(low, high)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if param.format is not None:
        return st.from_regex(STRING_FORMATS[param.format], fullmatch=True)
    return HOSTILE


@st.composite
def arguments_for(draw: st.DrawFn, spec: FunctionSpec) -> dict[str, Any]:
    args = {p.name: draw(value_for(p)) for p in spec.parameters}
    if spec.name == "create_calendar_event":
        args["start_time"], args["end_time"] = draw(datetimes_in_order())
    for p in spec.parameters:
        assert p.problem(args[p.name]) is None, (p.name, args[p.name])
    return args


# ------------------------------------------------------------ the argv builder


def as_text(value: Any) -> str:
    """The documented text of a value: bools lower-case, whole floats without '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def filtered(value: Any, filters: tuple[str, ...]) -> Any:
    for name in filters:
        value = handlers.FILTERS[name].apply(value)
    return value


def check_piece(holder: Placeholder, args: dict[str, Any], piece: str) -> None:
    """``piece`` is exactly what the documented filters make of the validated value."""
    if holder.name in handlers.PREPARED:
        if holder.name == "bt_address":
            assert piece == MAC
        else:
            suffix = {"ics_file": ".ics", "vcf_file": ".vcf", "photo_file": ".jpg"}
            assert Path(piece).parent == FOLDER and piece.endswith(suffix[holder.name])
        return
    value = args[holder.name]
    *before, last = holder.filters or ("",)
    assert not before, "the handlers under test use one filter at most"
    if last == "":
        assert piece == as_text(value)
    elif last == "url":
        assert re.fullmatch(r"[A-Za-z0-9_.~%-]*", piece) and unquote(piece) == as_text(value)
    elif last == "mailto":
        assert re.fullmatch(r"[A-Za-z0-9_.~%@-]*", piece) and unquote(piece) == value
    elif last == "tel":
        assert re.fullmatch(r"\+?[0-9][0-9-]*|", piece)
        assert re.sub(r"[^0-9+]", "", piece) == re.sub(r"[^0-9+]", "", value)
    elif last == "percent":
        assert piece == str(max(0, min(100, round(value * 10))))
    elif last == "fraction":
        assert float(piece) == max(0.0, min(1.0, round(value / 10, 3)))
    elif last == "not":
        assert piece == as_text(not value)
    elif last == "next_datetime":
        assert re.fullmatch(r"\d{4}-\d\d-\d\d " + re.escape(value) + ":00", piece)
    else:  # pragma: no cover - a filter the test does not know
        raise AssertionError(f"unchecked filter {last}")


_UNAMBIGUOUS = {"url": r"[A-Za-z0-9_.~%-]*", "mailto": r"[A-Za-z0-9_.~%@-]*", "tel": r"[0-9+-]*"}


def check_element(template: str, args: dict[str, Any], built: str) -> None:
    parts = parse_element(template)
    holders = [p for p in parts if isinstance(p, Placeholder)]
    pattern = "".join(
        re.escape(p)
        if isinstance(p, str)
        else f"({_UNAMBIGUOUS.get(p.filters[-1] if p.filters else '', '.*?')})"
        for p in parts
    )
    match = re.fullmatch(pattern, built, re.DOTALL)
    assert match, (template, built)
    for holder, piece in zip(holders, match.groups(), strict=True):
        check_piece(holder, args, piece)


TEST_HANDLERS = {
    "send_text_message": [
        [sys.executable, "/opt/octopus/notify.py", "{contact_name}", "--", "{message}"],
        ["sh", "-c", 'printf "%s: %s\\n" "$1" "$2"', "sh", "{contact_name}", "{message}"],
        ["notify-send", "--app-name=octopus", "--body={message}", "--", "{contact_name}"],
        ["curl", "--silent", "https://x.test/send?to={contact_name|url}&text={message|url}"],
        ["systemd-run", "--user", "--quiet", "notify-send", "--", "{contact_name}", "{message}"],
        [
            "osascript",
            "-e",
            "on run argv",
            "-e",
            "display notification (item 2 of argv) with title (item 1 of argv)",
            "-e",
            "end run",
            "{contact_name}",
            "{message}",
        ],
    ],
    "create_contact": [["notify-send", "--", "{name}", "{phone_number}"]],
    "set_volume": [["amixer", "-q", "sset", "Master", "{level|percent}%"]],
}


def all_handlers(function_set: FunctionSet) -> list[Handler]:
    found = []
    for platform in ("linux", "darwin"):
        found += load_handlers(function_set, platform=platform).handlers.values()
    for name, templates in TEST_HANDLERS.items():
        spec = function_set.by_name(name)
        assert spec is not None
        for argv in templates:
            handler = Handler(function=spec, platform="linux", argv=tuple(argv))
            handler.check()  # every test handler is one the rules accept
            found.append(handler)
    return found


def test_argv_builder_keeps_every_hostile_value_one_exact_argument(
    android: FunctionSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handlers, "bluetooth_address", lambda name, timeout=10.0: MAC)
    pool = all_handlers(android)
    assert len(pool) >= 30 + sum(len(t) for t in TEST_HANDLERS.values())
    tried = {"built": 0, "refused": 0}

    @fuzz_settings(ARGV_EXAMPLES)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        handler = data.draw(st.sampled_from(pool), label="handler")
        args = data.draw(arguments_for(handler.function), label="arguments")
        template = handler.argv
        starts_dashed = any(
            isinstance(part, Placeholder)
            and part.name in args
            and as_text(filtered(args[part.name], part.filters)).startswith("-")
            for element in template
            for part in parse_element(element)[:1]
        )
        try:
            built = handler.plan(BoundCall(handler.function, args), folder=FOLDER).argv
        except HandlerError as exc:
            # The only refusal a valid value may meet: it would start an element with "-".
            assert "could be read as an option" in exc.message and starts_dashed, exc.message
            tried["refused"] += 1
            return
        assert "--" in template or not starts_dashed, (template, args)
        assert len(built) == len(template) and built[0] == template[0]
        assert all(isinstance(a, str) and "\x00" not in a for a in built)
        for element, text in zip(template, built, strict=True):
            check_element(element, args, text)
        tried["built"] += 1

    run()
    assert tried["built"] > 0 and tried["refused"] > 0, tried  # both branches were taken
    report("argv builder", tried["built"] + tried["refused"], ARGV_EXAMPLES)


# ----------------------------------------------------------- the load-time check


PROGRAMS = [
    "rbash",
    "/bin/sh",
    "bash",
    "dash",
    "zsh",
    "fish",
    "python3",
    "/usr/bin/perl",
    "node",
    "ruby",
    "php",
    "osascript",
    "awk",
    "sed",
    "env",
    "sudo",
    "doas",
    "ssh",
    "tmux",
    "screen",
    "watch",
    "timeout",
    "nohup",
    "nice",
    "xargs",
    "busybox",
    "pwsh",
    "cmd",
    "systemd-run",
    "xdg-open",
    "open",
    "notify-send",
    "curl",
    "git",
    "find",
    "/opt/tool",
]
CODE_OPTIONS = ["-c", "-e", "-E", "-x", "-ec", "-lc", "-ne", "--eval", "--command", "-Command"]
CODE_OPTIONS += ["/c", "-exec"]
OPTIONS = ["--", "-u", "-q", "--user", "--quiet", "-p", "--app-name=octopus"]
LITERALS = ["echo", "/opt/x/run.py", "script.sh", "print", "on run argv", 'echo "$1"', "sh", "x"]
FREE_WHOLE = ["{message}", "{contact_name}", "{message|url}"]
FREE_SAFE_SHAPES = [*FREE_WHOLE, "--to={message}", "--body={message}"]
FREE_SAFE_SHAPES += ["https://x.test/?q={message|url}"]
FREE_UNSAFE_SHAPES = [
    "echo {message}",
    "https://x.test/?q={message}",
    "--eval={message}",
    "file:///tmp/{message|url}",
    "{contact_name}{message}",
    "Hi {message}",
    "{message}%",
    "x:{message|url} y",
]
FREE_SHAPES = st.sampled_from(FREE_SAFE_SHAPES + FREE_UNSAFE_SHAPES)
ELEMENTS = st.one_of(  # free text in two draws of five, so it meets every kind of neighbour
    FREE_SHAPES,
    FREE_SHAPES,
    st.sampled_from(CODE_OPTIONS + OPTIONS),
    st.sampled_from(LITERALS),
    st.sampled_from(PROGRAMS),
)
RUNNERS = {"env", "sudo", "doas", "ssh", "tmux", "screen", "watch", "timeout", "nohup", "nice"}
RUNNERS |= {"xargs", "busybox", "pwsh", "cmd"}
INTERPRETERS = {"rbash", "sh", "bash", "dash", "zsh", "fish", "python3", "perl", "node"}
INTERPRETERS |= {"ruby", "php", "osascript", "awk", "sed"}
POSIX_SHELLS = {"rbash", "sh", "bash", "dash", "zsh"}


def is_free(element: str) -> bool:
    return "{message" in element or "{contact_name" in element


def unsafe_reason(argv: list[str]) -> str | None:
    """A reason, stated without the implementation's rules, why free text could be code."""
    # The word after `sh -c CODE` is $0, the script's name for itself: never run.
    zeroth = {
        q + 3
        for q in range(len(argv) - 3)
        if Path(argv[q]).name in POSIX_SHELLS and argv[q + 1] == "-c" and not is_free(argv[q + 2])
    }
    for i, element in enumerate(argv):
        if not is_free(element):
            continue
        if element not in FREE_SAFE_SHAPES:
            return f"{element!r} is not a whole argument, --name= value or encoded URL part"
        if argv[i - 1] in CODE_OPTIONS:
            return f"{element!r} follows the code option {argv[i - 1]!r}"
        for p in range(i):
            if p in zeroth:
                continue
            name = Path(argv[p]).name
            if name in RUNNERS:
                return f"{element!r} comes after {name}, which runs its arguments"
            if name in ("xdg-open", "open") and not element.startswith("https://"):
                return f"{element!r} is a whole argument of {name}"
            if name == "systemd-run" and not any(
                not is_free(a) and not a.startswith("-") for a in argv[p + 1 : i]
            ):
                return f"{element!r} comes before the command systemd-run runs"
            if name in INTERPRETERS:
                script = argv[p + 1] if p + 1 < len(argv) else "{"
                if is_free(script) or (script.startswith("-") and script not in CODE_OPTIONS):
                    return f"{element!r}: no literal script after {name}"
                script_at = p + 1 if not script.startswith("-") else p + 2
                if i <= script_at or (script_at < len(argv) and is_free(argv[script_at])):
                    return f"{element!r} is at or before the script of {name}"
    return None


def test_check_never_accepts_free_text_where_it_could_become_code(
    android: FunctionSet,
) -> None:
    spec = android.by_name("send_text_message")
    assert spec is not None
    tried = {"accepted": 0, "refused": 0}

    often = ["systemd-run", "env", "sh", "python3", "osascript", "xdg-open"]
    programs = st.one_of(st.sampled_from(PROGRAMS), st.sampled_from(often))

    @fuzz_settings(CHECK_EXAMPLES)
    @given(programs, st.lists(ELEMENTS, max_size=7), HOSTILE)
    def run(program: str, rest: list[str], hostile: str) -> None:
        argv = [program, *rest]
        handler = Handler(function=spec, platform="linux", argv=tuple(argv))
        try:
            handler.check()
        except HandlerError as exc:
            assert "\n" not in exc.message and re.match(r"argv\[\d+\] |the program ", exc.message)
            assert exc.message.startswith("the program ") or any(
                f"argv[{i}] {e!r}" in exc.message for i, e in enumerate(argv)
            )
            tried["refused"] += 1
            return
        assert unsafe_reason(argv) is None, (argv, unsafe_reason(argv))
        try:
            built = handler.build_argv(BoundCall(spec, {"contact_name": "Ann", "message": hostile}))
        except HandlerError as exc:
            assert "could be read as an option" in exc.message and hostile.startswith("-")
        else:
            assert len(built) == len(argv) and built[0] == program
            for element, text in zip(argv, built, strict=True):
                if element in FREE_WHOLE[:2]:
                    assert text == (hostile if element == "{message}" else "Ann")
        tried["accepted"] += 1

    run()
    assert tried["accepted"] > 0 and tried["refused"] > 0, tried
    report("handler check", tried["accepted"] + tried["refused"], CHECK_EXAMPLES)


# --------------------------------------------------------------- the call parser


TOKENS = [f"<nexa_{n}>" for n in (*range(22), 99, 10**30)] + ["<nexa_-1>", "<nexa_end>"] * 4
SYNTAX = ["(", ")", "'", '"', ",", " ", "=", "[", "]", "{", "}", ":", "*", "**", ".", ";", "\n"]
SYNTAX += ["\\", "#", "None", "True", "False", "...", "-", "+", "~", "not ", "if", "else"]
EXPRESSIONS = [
    f"__import__('sys').modules.__setitem__('{SENTINEL}', 1)",
    f"(lambda: __import__('sys').modules.__setitem__('{SENTINEL}', 1))()",
    f"f\"{{__import__('sys').modules.__setitem__('{SENTINEL}', 1)}}\"",
    f"[__import__('sys').modules.__setitem__('{SENTINEL}', 1) for _ in 'x']",
    f"exec(\"__import__('sys').modules['{SENTINEL}'] = 1\")",
    "__import__('os').system('touch PWNED')",
    "lambda: 0",
    "f'{1}'",
    "f'{x!r:>{width}}'",
    "().__class__.__bases__[0].__subclasses__()",
    "query.upper()",
    "os.path",
    "x[0]",
    "'a' + 'b'",
    "'a' * 10**9",
    "10**10**10",
    "1 if True else 2",
    "(x := 1)",
    "yield",
    "await x",
    "*args",
    "**kwargs",
    "{**{}}",
    "1e309",
    "-1e309",
    "0x_ff",
    "1_000_000",
    "9" * 5000,
    "9" * 4000,
    "-" * 50 + "1",
    "b'bytes'",
    "'\\x00'",
    "'\\N{BULLET}'",
    "1+2j",
    "{'a': 1}",
    "{1, 2}",
    "[1, [2, [3]]]",
    "()",
    "None",
]


SHORT_HOSTILE = st.one_of(
    TEXT, st.lists(st.one_of(st.sampled_from(PIECES), TEXT), max_size=6).map("".join)
)


def literal_reprs() -> st.SearchStrategy[str]:
    scalars = st.one_of(
        SHORT_HOSTILE,
        st.integers(-(10**40), 10**40),
        st.floats(),
        st.booleans(),
        st.none(),
    )
    return st.recursive(
        scalars, lambda c: st.lists(c, max_size=3) | st.tuples(c, c), max_leaves=6
    ).map(repr)


def fitting_value(param: Parameter) -> st.SearchStrategy[Any]:
    """A value that fits ``param`` (hostile text where it is free), or now and then not."""
    fits = SHORT_HOSTILE if param.type == "str" and param.format is None else value_for(param)
    if param.choices is not None:
        fits = st.sampled_from(param.choices)
    wrong = st.one_of(
        st.sampled_from([None, "", "x", -1, 10**6, 2.5, True, [], "25:99"]), literal_reprs()
    )
    return st.one_of(fits, fits, fits, wrong)


@st.composite
def fitting_call(draw: st.DrawFn, function_set: FunctionSet) -> str:
    """A call of a real function with its parameters, by position or keyword."""
    spec = draw(st.sampled_from(function_set.functions))
    keywords = draw(st.booleans())
    args = []
    for param in spec.parameters:
        if keywords and param.has_default and draw(st.booleans()):
            continue  # the default fills it
        value = draw(fitting_value(param))
        text = value if isinstance(value, str) and value.startswith(("[", "(")) else repr(value)
        args.append(f"{param.name}={text}" if keywords else text)
    return f"<nexa_{spec.token}>({', '.join(args)})"


@st.composite
def calls(draw: st.DrawFn, function_set: FunctionSet, depth: int = 0) -> str:
    if draw(st.booleans()):
        return draw(fitting_call(function_set))
    token = draw(st.one_of(st.sampled_from(range(22)), st.integers(-5, 10**6)))
    spec = function_set.by_token(token)
    names = [p.name for p in spec.parameters] if spec else []
    args = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.integers(0, 9))
        if kind < 5:
            arg = draw(literal_reprs())
        elif kind < 7:
            arg = draw(st.sampled_from(EXPRESSIONS))
        elif depth < 3:
            arg = draw(calls(function_set, depth + 1))
        else:
            arg = "'leaf'"
        if names and draw(st.booleans()):
            arg = f"{draw(st.sampled_from([*names, 'bogus', '__class__']))}={arg}"
        args.append(arg)
    return f"<nexa_{token}>({', '.join(args)})"


@st.composite
def structured_outputs(draw: st.DrawFn, function_set: FunctionSet) -> str:
    if draw(st.booleans()):
        body = [draw(fitting_call(function_set))]
    else:
        body = draw(st.lists(calls(function_set), min_size=1, max_size=3)).copy()
    depth = draw(st.sampled_from([0, 0, 0, 1, 2, 5, 20, 60]))  # within what Python parses
    if depth:
        body[0] = "<nexa_4>(" * depth + body[0] + ")" * depth
    text = draw(st.sampled_from(["; ", "\n", " ", ""])).join(body)
    end = draw(st.sampled_from(["<nexa_end>", "<nexa_end>", "", "<nexa_end>junk", " <nexa_end>"]))
    return text + end


TOKEN_SOUP = st.lists(
    st.one_of(
        st.sampled_from(TOKENS),
        st.sampled_from(SYNTAX),
        st.sampled_from(EXPRESSIONS),
        literal_reprs(),
        TEXT,
    ),
    max_size=40,
).map("".join)
RANDOM_TEXT = st.one_of(
    st.text(max_size=300),
    st.tuples(st.text(max_size=200), st.sampled_from(["<nexa_end>", ""])).map("".join),
    st.tuples(st.sampled_from(["(", "[", "{", "-", "not "]), st.integers(1, 250)).map(
        lambda t: "<nexa_4>(" + t[0] * t[1] + "<nexa_end>"
    ),
)


def check_outcome(raw: str, outcome: Outcome, function_set: FunctionSet) -> None:
    assert isinstance(outcome, Outcome) and isinstance(outcome.kind, OutcomeKind)
    assert outcome.raw == raw
    assert SENTINEL not in sys.modules, "a model output ran code"
    if function_set.end_token not in raw:
        assert outcome.kind is OutcomeKind.NO_END
    if outcome.kind.is_failure:
        assert outcome.calls == () and isinstance(outcome.error, str) and outcome.error
        return
    assert outcome.calls
    if outcome.kind is OutcomeKind.IRRELEVANT:
        assert all(c.function.irrelevant for c in outcome.calls)
    if outcome.kind is OutcomeKind.CALL:
        assert outcome.error is None and not outcome.missing
        assert not all(c.function.irrelevant for c in outcome.calls)
    for call in outcome.calls:
        check_bound(call, function_set, allow_missing=outcome.kind is OutcomeKind.NEEDS_INPUT)


def check_bound(call: BoundCall, function_set: FunctionSet, allow_missing: bool) -> None:
    assert function_set.by_token(call.token) is call.function
    assert set(call.arguments) == {p.name for p in call.function.parameters}
    for param in call.function.parameters:
        value = call.arguments[param.name]
        if isinstance(value, BoundCall):
            check_bound(value, function_set, allow_missing)
        elif param.name in call.missing:
            assert allow_missing and value is None  # a CALL never lacks a value, nested or not
        else:
            assert param.problem(value) is None, (param.name, value)
            assert type(value) is param.python_type, (param.name, value)


@pytest.mark.parametrize(
    "kind", ["structured calls", "token soup", "random text"], ids=lambda k: k.replace(" ", "-")
)
def test_parser_never_raises_never_runs_code_and_calls_validate(
    android: FunctionSet, kind: str
) -> None:
    sys.modules.pop(SENTINEL, None)
    strategy = {
        "structured calls": structured_outputs(android),
        "token soup": TOKEN_SOUP,
        "random text": RANDOM_TEXT,
    }[kind]
    kinds: dict[OutcomeKind, int] = {}

    @fuzz_settings(PARSER_EXAMPLES)
    @given(strategy)
    def run(raw: str) -> None:
        outcome = parse_output(raw, android)
        check_outcome(raw, outcome, android)
        kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1

    run()
    assert SENTINEL not in sys.modules
    if kind == "structured calls":  # the generator reaches real calls, not only failures
        assert kinds.get(OutcomeKind.CALL, 0) >= PARSER_EXAMPLES // 10, kinds
        assert kinds.get(OutcomeKind.NEEDS_INPUT, 0) > 0 and kinds.get(OutcomeKind.NO_END, 0) > 0
    print({k.value: n for k, n in sorted(kinds.items())})
    report(f"parser, {kind}", sum(kinds.values()), PARSER_EXAMPLES)


# Found by this fuzzing: a few hundred nested unary operators, or a long chain of binary
# operators or subscripts, made parse_output raise RecursionError or MemoryError (from
# ast.parse, or from ast.unparse in an error message) instead of returning UNPARSABLE.
DEEP = {
    "unary-minus-400": "<nexa_4>(" + "-" * 400 + "1)<nexa_end>",
    "not-400": "<nexa_4>(" + "not " * 400 + "1)<nexa_end>",
    "plus-chain-1000": "<nexa_4>(" + "1+" * 1000 + "1)<nexa_end>",
    "subscripts-1000": "<nexa_4>(x" + "[0]" * 1000 + ")<nexa_end>",
    "unary-minus-100000": "<nexa_4>(" + "-" * 100_000 + "1)<nexa_end>",
}


@pytest.mark.parametrize("raw", DEEP.values(), ids=DEEP.keys())
def test_parser_survives_very_deep_expressions(android: FunctionSet, raw: str) -> None:
    outcome = parse_output(raw, android)
    assert outcome.kind is OutcomeKind.UNPARSABLE


# Found by this fuzzing: a nested call that lacks a value made the whole answer a CALL.
@pytest.mark.parametrize(
    "raw", ["<nexa_7>('bob', <nexa_0>(None))<nexa_end>", "<nexa_7>(<nexa_4>(None), 'x')<nexa_end>"]
)
def test_a_call_with_a_nested_call_lacking_a_value_is_not_a_call(
    android: FunctionSet, raw: str
) -> None:
    outcome = parse_output(raw, android)
    nested = [v for v in outcome.calls[0].arguments.values() if isinstance(v, BoundCall)]
    assert nested and nested[0].missing  # what the output says: the inner call lacks a value
    assert outcome.kind is OutcomeKind.NEEDS_INPUT
