"""Handlers: untrusted arguments stay literal argv elements; run, confirm and dry-run rules.

Handlers under test point at a real helper script that records its argv as JSON, so the
tests see exactly what a program receives, not what octopus meant to send.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from octopus_cli import paths
from octopus_cli.calls import BoundCall, OutcomeKind, parse_output
from octopus_cli.errors import ExitCode, FunctionSetError, HandlerError
from octopus_cli.functions import FunctionSet, load_function_set
from octopus_cli.handlers import (
    FILTERS,
    PREPARED,
    HandlerTable,
    _fold,
    bluetooth_address,
    execute,
    files_dir,
    handlers_file_for,
    load_handlers,
    make_ics,
    make_vcf,
)

REPO = Path(__file__).resolve().parent.parent
ANDROID = REPO / "functions" / "android.toml"
PLATFORM = sys.platform if sys.platform in ("linux", "darwin") else "linux"

HOSTILE = [
    "; rm -rf ~",
    "$(touch PWNED)",
    "`touch PWNED`",
    "it's \"quoted\" 'twice'",
    "line one\nline two\r\nline three",
    "a && b || c | d > e < f & g",
    "* ? [a-z] ~ $HOME ${PATH}",
    "  leading and trailing spaces  ",
    "tab\there",
    "{message} {{braces}} %s %n \\ backslash",
    "",
]

RECORDER = """\
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sys.argv[2:], out)
"""


# ---------------------------------------------------------------------------- helpers


@pytest.fixture(autouse=True)
def handler_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep user files of every test in its own tmp dir (also without the shared conftest)."""
    home = tmp_path / "octopus-home"
    monkeypatch.setenv(paths.HOME_ENV, str(home))
    return home


@pytest.fixture
def fset() -> FunctionSet:
    return load_function_set(ANDROID)


@pytest.fixture
def recorder(tmp_path: Path) -> Path:
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER, encoding="utf-8")
    return script


def toml_str(value: str | Path) -> str:
    """A TOML basic string (JSON string syntax is valid TOML for these values)."""
    return json.dumps(str(value))


def write_override(tmp_path: Path, handlers: dict[str, list[str] | str], extra: str = "") -> Path:
    """A user handler file giving the same argv on linux and darwin."""
    lines = []
    for name, value in handlers.items():
        if isinstance(value, str):
            rendered = toml_str(value)
        else:
            rendered = "[" + ", ".join(toml_str(v) for v in value) + "]"
        lines += [f"[handlers.{name}]", f"linux = {rendered}", f"darwin = {rendered}", ""]
    file = tmp_path / "user-handlers.toml"
    file.write_text("\n".join(lines) + extra, encoding="utf-8")
    return file


def call_of(fset: FunctionSet, token: int, *args: Any) -> BoundCall:
    """Go through the real parser, as model output would."""
    outcome = parse_output(f"<nexa_{token}>({', '.join(map(repr, args))})<nexa_end>", fset)
    assert outcome.kind is OutcomeKind.CALL, outcome.error
    assert outcome.call is not None
    return outcome.call


def never_asked(argv: list[str]) -> bool:
    raise AssertionError(f"confirm must not be called, got {argv}")


def recorded(out: Path) -> list[str]:
    return json.loads(out.read_text(encoding="utf-8"))


class FakeConfirm:
    """Records the argv shown to the user and answers as told."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.shown: list[list[str]] = []

    def __call__(self, argv: list[str]) -> bool:
        self.shown.append(argv)
        return self.answer


# ------------------------------------------------------------- literal argv elements


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_arguments_reach_the_handler_as_single_literal_elements(
    fset: FunctionSet, tmp_path: Path, recorder: Path, hostile: str
) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path,
        {
            "send_text_message": [
                sys.executable,
                str(recorder),
                str(out),
                "{contact_name}",
                "{message}",
            ]
        },
    )
    table = load_handlers(fset, override)
    call = call_of(fset, 7, hostile, hostile)

    result = execute(call, table, assume_yes=True, dry_run=False, confirm=never_asked)

    assert result.ran and result.returncode == 0
    assert recorded(out) == [hostile, hostile]
    assert result.argv[-2:] == [hostile, hostile]
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_placeholders_inside_an_element_never_split_it(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    # An executable script as the program (not an interpreter): free text fills a whole
    # element, a --name= value or a percent-encoded part of a URL, never more or less.
    program = tmp_path / "record-argv"
    program.write_text(f"#!{sys.executable}\n{RECORDER}", encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path,
        {
            "send_text_message": [
                str(program),
                str(out),
                "--to={contact_name}",
                "https://example.test/?q={message|url}",
                "{{literal}}",
                "{message}",
            ]
        },
    )
    message = "; rm -rf ~ $(id) `id` 'x' \"y\"\nz"
    call = call_of(fset, 7, "Bob & Alice", message)

    execute(
        call, load_handlers(fset, override), assume_yes=True, dry_run=False, confirm=never_asked
    )

    assert recorded(out) == [
        "--to=Bob & Alice",
        "https://example.test/?q=%3B%20rm%20-rf%20~%20%24%28id%29%20%60id%60%20%27x%27%20%22y%22%0Az",
        "{literal}",
        message,
    ]


def test_a_value_that_looks_like_an_option_is_refused_unless_after_double_dash(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    out = tmp_path / "argv.json"
    call = call_of(fset, 7, "bob", "--output=/etc/passwd")
    plain = write_override(
        tmp_path, {"send_text_message": [sys.executable, str(recorder), str(out), "{message}"]}
    )
    with pytest.raises(HandlerError, match="could be read as an option"):
        execute(
            call, load_handlers(fset, plain), assume_yes=True, dry_run=False, confirm=never_asked
        )
    assert not out.exists()

    ended = write_override(
        tmp_path,
        {"send_text_message": [sys.executable, str(recorder), str(out), "--", "{message}"]},
    )
    execute(call, load_handlers(fset, ended), assume_yes=True, dry_run=False, confirm=never_asked)
    assert recorded(out) == ["--", "--output=/etc/passwd"]


def test_nested_calls_are_refused(fset: FunctionSet) -> None:
    outcome = parse_output("<nexa_7>('bob', <nexa_1>('rust'))<nexa_end>", fset)
    assert outcome.call is not None and outcome.call.has_nested_calls
    darwin_sms = load_handlers(fset, platform="darwin").for_function("send_text_message")
    assert darwin_sms is not None
    with pytest.raises(HandlerError, match="nested call"):
        darwin_sms.build_argv(outcome.call)


def test_values_are_validated_again_before_they_fill_a_template(fset: FunctionSet) -> None:
    spec = fset.by_name("change_screen_brightness")
    assert spec is not None
    forged = BoundCall(spec, {"level": "10; reboot"})  # never produced by the parser
    handler = load_handlers(fset, platform="linux").for_function(spec.name)
    assert handler is not None
    with pytest.raises(HandlerError, match="expected int"):
        handler.build_argv(forged)


# --------------------------------------------------------- dry run, confirm and --yes


def test_dry_run_prints_only_without_asking_running_or_writing(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path,
        {
            "create_calendar_event": [
                sys.executable,
                str(recorder),
                str(out),
                "{ics_file}",
                "{title}",
            ]
        },
    )
    call = call_of(fset, 12, "Review", "2026-11-24-09-00", "2026-11-24-10-00")

    result = execute(
        call, load_handlers(fset, override), assume_yes=False, dry_run=True, confirm=never_asked
    )

    assert result.ran is False and result.returncode is None
    assert result.argv[:3] == [sys.executable, str(recorder), str(out)]
    assert result.argv[-1] == "Review"
    assert Path(result.argv[3]).parent == files_dir()
    assert result.files == (Path(result.argv[3]),)
    assert not out.exists()
    assert not files_dir().exists()  # the .ics is only written when the handler runs


def test_confirmation_defaults_to_no_and_declining_runs_nothing(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(recorder), str(out), "{query}"]}
    )
    confirm = FakeConfirm(answer=False)  # what the CLI's default (No) returns

    with pytest.raises(HandlerError) as caught:
        execute(
            call_of(fset, 4, "cats"),
            load_handlers(fset, override),
            assume_yes=False,
            dry_run=False,
            confirm=confirm,
        )

    assert caught.value.message == "declined"
    assert caught.value.hint == "nothing was run"  # the flag to skip the question is the CLI's
    assert caught.value.exit_code == ExitCode.HANDLER == 5
    assert confirm.shown == [[sys.executable, str(recorder), str(out), "cats"]]
    assert not out.exists()


def test_confirmed_run_executes_the_argv_that_was_shown(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(recorder), str(out), "{query}"]}
    )
    confirm = FakeConfirm(answer=True)

    result = execute(
        call_of(fset, 4, "cats $(id)"),
        load_handlers(fset, override),
        assume_yes=False,
        dry_run=False,
        confirm=confirm,
    )

    assert result.ran and confirm.shown == [result.argv]
    assert recorded(out) == ["cats $(id)"]


def test_assume_yes_skips_the_question(fset: FunctionSet, tmp_path: Path, recorder: Path) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(recorder), str(out), "{query}"]}
    )
    result = execute(
        call_of(fset, 4, "dogs"),
        load_handlers(fset, override),
        assume_yes=True,
        dry_run=False,
        confirm=never_asked,
    )
    assert result.ran and recorded(out) == ["dogs"]


def test_handler_gets_no_stdin_and_its_output_is_captured_as_text(
    fset: FunctionSet, tmp_path: Path
) -> None:
    script = tmp_path / "echo.py"
    script.write_text(
        "import sys\n"
        "data = sys.stdin.read()\n"
        "sys.stdout.write('stdin=' + repr(data) + ' arg=' + sys.argv[1])\n"
        "sys.stderr.buffer.write(b'bad byte \\xff')\n",
        encoding="utf-8",
    )
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(script), "{query}"]}
    )
    result = execute(
        call_of(fset, 4, "héllo"),
        load_handlers(fset, override),
        assume_yes=True,
        dry_run=False,
        confirm=never_asked,
    )
    assert result.stdout == "stdin='' arg=héllo"
    assert result.stderr == "bad byte \ufffd"


# --------------------------------------------------------------- failures and timeout


def test_timeout_stops_the_handler(fset: FunctionSet, tmp_path: Path) -> None:
    marker = tmp_path / "finished"
    script = tmp_path / "slow.py"
    script.write_text(
        f"import time, pathlib\ntime.sleep(2)\npathlib.Path({str(marker)!r}).touch()\n",
        encoding="utf-8",
    )
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(script), "{query}"]}
    )
    started = time.monotonic()
    with pytest.raises(HandlerError, match=r"timed out after 0\.5 s") as caught:
        execute(
            call_of(fset, 4, "x"),
            load_handlers(fset, override),
            assume_yes=True,
            dry_run=False,
            confirm=never_asked,
            timeout=0.5,
        )
    assert time.monotonic() - started < 1.8
    assert caught.value.exit_code == ExitCode.HANDLER
    time.sleep(2.5)
    assert not marker.exists()  # it was killed, not left running


def test_a_background_child_holding_stdout_does_not_hang_the_run(
    fset: FunctionSet, tmp_path: Path
) -> None:
    # Like xdg-open starting a browser: the handler exits, its child keeps stdout open.
    script = tmp_path / "spawner.py"
    script.write_text(
        "import subprocess, sys\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3)'])\n"
        "print('launched')\n",
        encoding="utf-8",
    )
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(script), "{query}"]}
    )
    started = time.monotonic()
    result = execute(
        call_of(fset, 4, "x"),
        load_handlers(fset, override),
        assume_yes=True,
        dry_run=False,
        confirm=never_asked,
        timeout=10,
    )
    assert time.monotonic() - started < 2.5
    assert result.returncode == 0 and result.stdout == "launched\n"


def test_nonzero_exit_reports_code_and_stderr_tail(fset: FunctionSet, tmp_path: Path) -> None:
    script = tmp_path / "fail.py"
    script.write_text(
        "import sys\nsys.stderr.write('x' * 2000 + 'device not found')\nsys.exit(3)\n",
        encoding="utf-8",
    )
    override = write_override(
        tmp_path, {"search_youtube_videos": [sys.executable, str(script), "{query}"]}
    )
    with pytest.raises(HandlerError, match="exited with code 3") as caught:
        execute(
            call_of(fset, 4, "x"),
            load_handlers(fset, override),
            assume_yes=True,
            dry_run=False,
            confirm=never_asked,
        )
    assert caught.value.hint is not None
    assert caught.value.hint.endswith("device not found") and len(caught.value.hint) < 500


def test_missing_tool_is_named_with_its_install_hint(fset: FunctionSet, tmp_path: Path) -> None:
    tool = "octopus-test-no-such-tool"
    override = write_override(
        tmp_path,
        {"take_a_photo": [tool, "--out", "{photo_file}"]},
        extra=f'[tools.{tool}]\nlinux = "get it from example.test"\n'
        'darwin = "get it from example.test"\n',
    )
    table = load_handlers(fset, override)
    handler = table.for_function("take_a_photo")
    assert handler is not None and handler.missing_tools() == [tool]
    assert table.describe("take_a_photo") == f"missing: {tool} (get it from example.test)"
    for dry_run in (False, True):  # a dry run says so too, before printing anything
        with pytest.raises(HandlerError, match=tool) as caught:
            execute(
                call_of(fset, 0, "front"),
                table,
                assume_yes=True,
                dry_run=dry_run,
                confirm=never_asked,
            )
        assert caught.value.hint is not None and "get it from example.test" in caught.value.hint
        assert ("it would run: " + tool in caught.value.hint) is dry_run


def test_missing_tool_without_a_hint_gets_a_generic_one(fset: FunctionSet, tmp_path: Path) -> None:
    override = write_override(tmp_path, {"search_youtube_videos": ["octopus-nope", "{query|url}"]})
    assert (
        load_handlers(fset, override)
        .describe("search_youtube_videos")
        .startswith("missing: octopus-nope (install octopus-nope")
    )


def test_no_handler_on_this_platform_explains_why(fset: FunctionSet) -> None:
    table = load_handlers(fset, platform="linux")
    assert table.for_function("open_or_lock_door") is None
    assert table.describe("open_or_lock_door") == "none on linux"
    ok, why = table.available("open_or_lock_door")
    assert not ok and "smart lock" in why
    call = call_of(fset, 19, "open")
    with pytest.raises(HandlerError, match="no handler for open_or_lock_door on linux") as caught:
        execute(call, table, assume_yes=True, dry_run=True, confirm=never_asked)
    assert caught.value.hint is not None and "smart lock" in caught.value.hint
    assert load_handlers(fset, platform="darwin").describe("enable_do_not_disturb") == (
        "none on darwin"
    )


# ------------------------------------------------------------ prepared files (RFCs)


def unfold(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    assert "\n" not in text.replace("\r\n", "")  # CRLF line ends only
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def test_ics_escapes_text_per_rfc5545() -> None:
    title = 'Team; sync, "Q4" \\ review\nnext\r\nline\x07'
    lines = unfold(make_ics(title, "2026-11-24-09-30", "2026-11-24-10-45"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert 'SUMMARY:Team\\; sync\\, "Q4" \\\\ review\\nnext\\nline' in lines
    assert "DTSTART:20261124T093000" in lines and "DTEND:20261124T104500" in lines
    assert any(line.startswith("DTSTAMP:") and line.endswith("Z") for line in lines)
    assert any(line.startswith("UID:") for line in lines)


def test_ics_long_lines_fold_at_75_octets_without_splitting_characters() -> None:
    title = "Réunion " * 30 + "日本語" * 20
    data = make_ics(title, "2026-11-24-09-30", "2026-11-24-10-45")
    for raw in data.split(b"\r\n"):
        assert len(raw) <= 75
        raw.decode("utf-8")  # no multi-byte character cut in half
    assert f"SUMMARY:{title}" in unfold(data)
    assert _fold("x" * 75) == "x" * 75


def test_ics_rejects_impossible_or_reversed_times() -> None:
    with pytest.raises(HandlerError, match="not a real date"):
        make_ics("x", "2026-02-30-09-00", "2026-03-01-09-00")
    with pytest.raises(HandlerError, match="ends"):
        make_ics("x", "2026-11-24-10-00", "2026-11-24-09-00")
    same = unfold(make_ics("x", "2026-11-24-10-00", "2026-11-24-10-00"))
    assert not any(line.startswith("DTEND") for line in same)


def test_vcf_escapes_text_per_rfc6350() -> None:
    lines = unfold(make_vcf('Doe, "Jo"; Jr\\\nSr', "+1 (555) 123-4567"))
    assert lines[:2] == ["BEGIN:VCARD", "VERSION:4.0"] and lines[-1] == "END:VCARD"
    assert 'FN:Doe\\, "Jo"\\; Jr\\\\\\nSr' in lines
    # N: family name (last word) ; given names ; ... with ';' inside a field escaped
    assert 'N:Sr;Doe\\, "Jo"\\; Jr\\\\;;;' in lines
    assert "TEL;VALUE=uri;TYPE=cell:tel:+1-555-123-4567" in lines
    assert "N:;Cher;;;" in unfold(make_vcf("Cher", "555"))


def test_prepared_files_are_written_atomically_when_the_handler_runs(
    fset: FunctionSet, tmp_path: Path, recorder: Path
) -> None:
    out = tmp_path / "argv.json"
    override = write_override(
        tmp_path,
        {
            "create_calendar_event": [sys.executable, str(recorder), str(out), "{ics_file}"],
            "create_contact": [sys.executable, str(recorder), str(out), "{vcf_file}"],
        },
    )
    table = load_handlers(fset, override)
    event = call_of(fset, 12, "Lunch; $(id)", "2026-11-24-12-00", "2026-11-24-13-00")
    result = execute(event, table, assume_yes=True, dry_run=False, confirm=never_asked)
    (ics,) = recorded(out)
    assert Path(ics) in result.files and Path(ics).parent == files_dir()
    assert "SUMMARY:Lunch\\; $(id)" in unfold(Path(ics).read_bytes())
    assert stat.S_IMODE(Path(ics).stat().st_mode) == 0o600

    contact = call_of(fset, 9, "Ann Lee", "+44 20 7946 0958")
    execute(contact, table, assume_yes=True, dry_run=False, confirm=never_asked)
    (vcf,) = recorded(out)
    assert "FN:Ann Lee" in unfold(Path(vcf).read_bytes())
    assert sorted(p.suffix for p in files_dir().iterdir()) == [".ics", ".vcf"]  # no temp files


def test_bluetooth_address_is_looked_up_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "bluetoothctl"
    fake.write_text(
        f"#!{sys.executable}\n"
        "print('Device AA:BB:CC:DD:EE:01 Kitchen Speaker')\n"
        "print('Device AA:BB:CC:DD:EE:02 WH-1000XM4')\n"
        "print('Device AA:BB:CC:DD:EE:03 Kitchen Radio')\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    assert bluetooth_address("wh-1000xm4") == "AA:BB:CC:DD:EE:02"
    assert bluetooth_address("speaker") == "AA:BB:CC:DD:EE:01"
    with pytest.raises(HandlerError, match="several"):
        bluetooth_address("kitchen")
    with pytest.raises(HandlerError, match="no known Bluetooth device") as caught:
        bluetooth_address("; rm -rf ~")
    assert caught.value.hint is not None and "WH-1000XM4" in caught.value.hint


# ------------------------------------------------------------------------- filters


def test_filters() -> None:
    assert FILTERS["url"].apply("a b&c/d?e=f#g") == "a%20b%26c%2Fd%3Fe%3Df%23g"
    assert FILTERS["mailto"].apply("a+b@x.com") == "a%2Bb@x.com"
    assert FILTERS["tel"].apply("+1 (555) 123-4567") == "+1-555-123-4567"
    assert [FILTERS["percent"].apply(v) for v in (0, 3, 10)] == [0, 30, 100]
    assert [FILTERS["fraction"].apply(v) for v in (0, 5, 10)] == [0.0, 0.5, 1.0]
    assert FILTERS["int"].apply(71.6) == 72
    assert FILTERS["not"].apply(True) is False
    assert FILTERS["onoff"].apply(False) == "off"
    upcoming = FILTERS["next_datetime"].apply("23:59")
    assert len(upcoming) == 19 and upcoming.endswith(" 23:59:00")


# ------------------------------------------------------------------- loading rules


def test_malformed_handler_file_names_the_file_and_hints(fset: FunctionSet, tmp_path: Path) -> None:
    bad = tmp_path / "broken.toml"
    bad.write_text("[handlers.take_a_photo\nlinux = [", encoding="utf-8")
    with pytest.raises(FunctionSetError) as caught:
        load_handlers(fset, bad)
    assert str(bad) in caught.value.message and caught.value.hint
    assert caught.value.exit_code == ExitCode.BAD_INPUT


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["xdg-open", "https://x.test/?q={query|shell}"], "unknown filter 'shell'"),
        (["xdg-open", "{location}"], "not a parameter of search_youtube_videos"),
        (["xdg-open", "{query|percent}"], "does not take a str"),
        (["xdg-open", "{query"], "unbalanced brace"),
        (["{query}"], "must be literal"),
        ([], None),  # an empty list disables the handler, it is not an error
        (["sh", "-c", "echo {query}"], "must not become code"),
        (["bash", "-c", "{query}"], "must not become code"),
        ([sys.executable, "{query}"], "must not become code"),
        (["osascript", "-e", 'display notification "{query}"'], "must not become code"),
        (["osascript", "-e", "{query}"], "must not become code"),
        (["env", "{query}"], "cannot be passed through env"),
        (["systemd-run", "--user", "{query}"], "the program that systemd-run runs must be"),
        (["systemd-run", "--user", "-p", "X=1", "true", "{query}"], "'-p' is not an option"),
        (["systemd-run", "--user", "--", "sh", "{query}"], "must not become code of sh"),
        (["systemd-run", "--description={query}", "true"], "cannot be passed through systemd"),
        (["ssh", "host", "echo", "{query}"], "joins its arguments"),
        (["/bin/rbash", "-c", "echo {query}"], "code of rbash: it follows '-c'"),
        (["rbash", "-c", "{query}"], "code of rbash: it follows '-c'"),
        (["perl", "-ne", "print", "{query}"], "script starts after '-ne'"),
        (["perl", "-ne", "{query}"], "code of perl: it follows '-ne'"),
        (["notify-send", "Found: {query|url}"], "spliced into literal text"),
        (["find", ".", "-exec", "{query}", ";"], "code of find: it follows '-exec'"),
        (["git", "-c", "{query}"], "code of git: it follows '-c'"),
        (["pwsh", "-Command", "{query}"], "code of pwsh: it follows '-Command'"),
        (["notify-send", "--eval={query}"], "'--eval=' is an option whose value is run"),
        (["tmux", "new-session", "-d", "echo {query}"], "spliced into literal text"),
        (["tmux", "new-session", "-d", "{query}"], "cannot be passed through tmux"),
        (["screen", "-dm", "{query}"], "cannot be passed through screen"),
        (["timeout", "5", "{query}"], "cannot be passed through timeout"),
        (["sudo", "-u", "me", "notify-send", "{query}"], "cannot be passed through sudo"),
        (["xargs", "-0", "{query}"], "cannot be passed through xargs"),
        (["cmd", "/c", "echo", "{query}"], "joins its arguments"),
        (["notify-send", "Found: {query}"], "spliced into literal text"),
        (["notify-send", "{query}{query}"], "spliced into literal text"),
        (["curl", "https://x.test/?q={query}"], "not percent-encoded for the URL"),
        (["xdg-open", "file:///tmp/{query|url}"], "may not choose what a file: URL opens"),
        (["xdg-open", "{query}"], "only percent-encoded in a URL"),
        (["open", "-a", "Safari", "{query|url}"], "only percent-encoded in a URL"),
        ([sys.executable, "-u", "script.py", "{query}"], "cannot tell where the script starts"),
        (["node", "inspect", "{query}"], "looks like a subcommand"),
        (["osascript", "-l", "JavaScript", "{query}"], "cannot tell where the script starts"),
        (["notify-send", "--", "sh", "{query}"], "must not become code of sh"),
        (["xdg-open", "{ics_file}"], "needs parameters title, start_time, end_time"),
    ],
)
def test_unsafe_or_wrong_templates_are_refused_at_load(
    fset: FunctionSet, tmp_path: Path, argv: list[str], complaint: str | None
) -> None:
    override = write_override(tmp_path, {"search_youtube_videos": argv})
    if complaint is None:
        table = load_handlers(fset, override)
        assert table.for_function("search_youtube_videos") is None
        assert "disabled" in table.reason("search_youtube_videos")
        return
    with pytest.raises(FunctionSetError, match=complaint) as caught:
        load_handlers(fset, override)
    assert str(override) in caught.value.message


@pytest.mark.parametrize(
    "argv",
    [
        ["osascript", "-e", "set volume output volume {level|percent}"],
        [
            "osascript",
            "-e",
            "on run argv",
            "-e",
            "display notification (item 1 of argv)",
            "-e",
            "end run",
            "{volume_type}",
        ],
        ["sh", "-c", 'pactl set-sink-volume @DEFAULT_SINK@ "$1"%', "sh", "{level|percent}"],
    ],
)
def test_closed_values_may_appear_in_scripts(
    fset: FunctionSet, tmp_path: Path, argv: list[str]
) -> None:
    override = write_override(tmp_path, {"set_volume": argv})
    assert load_handlers(fset, override).for_function("set_volume") is not None


def test_free_text_may_follow_a_literal_script_as_a_whole_argument(
    fset: FunctionSet, tmp_path: Path
) -> None:
    argv = [
        "osascript",
        "-e",
        "on run argv",
        "-e",
        "display notification (item 1 of argv)",
        "-e",
        "end run",
        "{message}",
    ]
    override = write_override(tmp_path, {"send_text_message": argv})
    handler = load_handlers(fset, override).for_function("send_text_message")
    assert handler is not None
    hostile = '" & (do shell script "rm -rf ~") & "'
    assert handler.build_argv(call_of(fset, 7, "bob", hostile))[-1] == hostile


@pytest.mark.parametrize(
    ("argv", "last"),
    [
        (["sh", "-c", 'printf "%s\\n" "$1"', "sh", "{message}"], "{message}"),
        (["bash", "-c", 'echo "$1"', "bash", "{message}"], "{message}"),
        ([sys.executable, "/opt/x/notify.py", "{contact_name}", "{message}"], "{message}"),
        (["perl", "-e", "print $ARGV[0]", "{message}"], "{message}"),
        (["awk", "{{print FILENAME}}", "{message}"], "{message}"),
        (["notify-send", "--app-name=octopus", "--body={message}"], "--body={message}"),
        (["notify-send", "--", "{contact_name}", "{message}"], "{message}"),
        (
            ["systemd-run", "--user", "--quiet", "--", "notify-send", "--", "{message}"],
            "{message}",
        ),
        (
            ["curl", "--url=https://x.test/?q={message|url}"],
            "--url=https://x.test/?q={message|url}",
        ),
        (["xdg-open", "sms:?body={message|url}"], "sms:?body={message|url}"),
    ],
)
def test_free_text_as_a_whole_argument_of_data_is_accepted(
    fset: FunctionSet, tmp_path: Path, argv: list[str], last: str
) -> None:
    override = write_override(tmp_path, {"send_text_message": argv})
    handler = load_handlers(fset, override).for_function("send_text_message")
    assert handler is not None
    hostile = "x\"; rm -rf ~; `id` $(id) '\n"
    built = handler.build_argv(call_of(fset, 7, "bob", hostile))
    assert len(built) == len(argv) and built[:-1] == [
        "bob" if a == "{contact_name}" else a.replace("{{", "{").replace("}}", "}")
        for a in argv[:-1]
    ]
    encoded = quote(hostile, safe="")
    assert built[-1] == last.replace("{message}", hostile).replace("{message|url}", encoded)


def test_a_double_dash_before_a_wrapped_command_does_not_end_its_options(
    fset: FunctionSet, tmp_path: Path
) -> None:
    # The "--" ends systemd-run's options, not notify-send's: "-u" would be its option.
    early = ["systemd-run", "--user", "--", "notify-send", "{message}"]
    late = ["systemd-run", "--user", "notify-send", "--", "{message}"]
    call = call_of(fset, 7, "bob", "-u critical")
    for argv, refused in ((early, True), (late, False)):
        override = write_override(tmp_path, {"send_text_message": argv})
        handler = load_handlers(fset, override).for_function("send_text_message")
        assert handler is not None
        if refused:
            with pytest.raises(HandlerError, match="could be read as an option"):
                handler.build_argv(call)
        else:
            assert handler.build_argv(call)[-1] == "-u critical"


@pytest.mark.parametrize(
    ("argv", "element", "why"),
    [
        # The issue: rbash is in no list of interpreters, and the value was spliced into code.
        (["/bin/rbash", "-c", "echo {query}"], "argv[2] 'echo {query}'", "code of rbash"),
        (["tmux", "new-session", "-d", "echo {query}"], "argv[3] 'echo {query}'", "spliced"),
        (["env", "sh", "-c", "echo {query}"], "argv[3] 'echo {query}'", "code of sh"),
    ],
    ids=["rbash", "tmux", "env-sh"],
)
def test_a_handler_that_makes_a_value_code_is_refused_at_load_in_one_clear_line(
    fset: FunctionSet, tmp_path: Path, handler_home: Path, argv: list[str], element: str, why: str
) -> None:
    from typer.testing import CliRunner

    from octopus_cli.cli import app

    override = write_override(tmp_path, {"search_youtube_videos": argv})
    with pytest.raises(FunctionSetError) as caught:
        load_handlers(fset, override)
    error = caught.value
    assert error.exit_code == ExitCode.BAD_INPUT == 7
    assert "\n" not in error.message and error.hint and "\n" not in error.hint
    assert error.message.startswith(f"{override}: [handlers.search_youtube_videos] linux: ")
    assert f"{element}: free text {{query}}" in error.message and why in error.message
    assert '"{query}"' in error.hint  # what to do: give the value an argument of its own

    # The same file as the user's handlers.toml: the CLI says so and exits 7, runs nothing.
    user = paths.handlers_override_file()
    user.parent.mkdir(parents=True)
    user.write_text(override.read_text(encoding="utf-8"), encoding="utf-8")
    result = CliRunner().invoke(app, ["functions"])
    assert result.exit_code == 7
    assert f"Error: {user}: [handlers.search_youtube_videos] " in result.stderr
    assert element in result.stderr


def test_override_replaces_one_platform_and_keeps_the_other(
    fset: FunctionSet, tmp_path: Path
) -> None:
    override = tmp_path / "handlers.toml"
    override.write_text(
        '[handlers.set_volume]\nlinux = ["amixer", "-q", "sset", "Master", "{level|percent}%"]\n'
        '[handlers.not_in_this_set]\nlinux = ["true"]\n',
        encoding="utf-8",
    )
    linux = load_handlers(fset, override, platform="linux")
    darwin = load_handlers(fset, override, platform="darwin")
    call = call_of(fset, 13, 4, "media")
    assert linux.for_function("set_volume").build_argv(call) == [  # type: ignore[union-attr]
        "amixer",
        "-q",
        "sset",
        "Master",
        "40%",
    ]
    assert darwin.for_function("set_volume").build_argv(call) == [  # type: ignore[union-attr]
        "osascript",
        "-e",
        "set volume output volume 40",
    ]
    assert any("not_in_this_set" in w for w in linux.warnings)
    assert linux.sources == (handlers_file_for(fset), override)


def test_user_file_in_config_dir_is_used_by_default(fset: FunctionSet) -> None:
    user = paths.handlers_override_file()
    user.parent.mkdir(parents=True)
    user.write_text("[handlers.get_weather_forecast]\nlinux = []\ndarwin = []\n", encoding="utf-8")
    for platform in ("linux", "darwin"):
        table = load_handlers(fset, platform=platform)
        assert table.for_function("get_weather_forecast") is None
        assert table.for_function("search_youtube_videos") is not None


def test_explicit_override_that_does_not_exist_is_an_error(
    fset: FunctionSet, tmp_path: Path
) -> None:
    with pytest.raises(FunctionSetError, match="not found"):
        load_handlers(fset, tmp_path / "nope.toml")


# -------------------------------------------------------------- the shipped defaults


def sample_arguments(fset: FunctionSet, name: str) -> dict[str, Any]:
    samples = {
        "time24": "07:30",
        "datetime": "2026-11-24-09-00",
        "email": "ann@example.com",
        "phone": "+1 555 0100",
        "language": "de",
    }
    spec = fset.by_name(name)
    assert spec is not None
    args: dict[str, Any] = {}
    for p in spec.parameters:
        if p.choices:
            args[p.name] = p.choices[-1]
        elif p.format:
            args[p.name] = samples[p.format]
        elif p.type == "int":
            args[p.name] = 7
        elif p.type == "float":
            args[p.name] = 71.5
        elif p.type == "bool":
            args[p.name] = True
        else:
            args[p.name] = "Hello; $(id) world"
    if name == "create_calendar_event":
        args["end_time"] = "2026-11-24-10-00"
    return args


@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_shipped_handlers_cover_every_function_with_valid_templates(
    fset: FunctionSet, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handlers_file_for(fset) == REPO / "functions" / "android.handlers.toml"
    assert len(fset.functions) == 21
    table = load_handlers(fset, platform=platform)
    assert table.sources == (REPO / "functions" / "android.handlers.toml",)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "bluetoothctl"
    fake.write_text(f"#!{sys.executable}\nprint('Device AA:BB:CC:DD:EE:FF Hello; $(id) world')\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    with_handler = 0
    for spec in fset.functions:
        handler = table.for_function(spec.name)
        if handler is None:
            # No handler: the data file must say why, in words.
            assert spec.name in table.reasons and len(table.reason(spec.name)) > 20
            continue
        with_handler += 1
        own = {p.name for p in spec.parameters}
        for holder in handler.placeholders():
            assert holder.name in own or set(PREPARED[holder.name].needs) <= own, holder
            assert set(holder.filters) <= set(FILTERS), holder
        argv = handler.build_argv(BoundCall(spec, sample_arguments(fset, spec.name)))
        assert argv[0] == handler.argv[0] and len(argv) == len(handler.argv)
        assert all("{" not in a or spec.name == "set_timer_alarm" for a in argv)
        assert all(isinstance(a, str) for a in argv)
    assert with_handler >= 14


def test_shipped_defaults_do_what_the_issue_asks(fset: FunctionSet) -> None:
    linux = load_handlers(fset, platform="linux")
    darwin = load_handlers(fset, platform="darwin")

    def argv(table: HandlerTable, token: int, *args: Any) -> list[str]:
        call = call_of(fset, token, *args)
        handler = table.for_function(call.name)
        assert handler is not None
        return handler.build_argv(call)

    assert argv(linux, 4, "lo-fi beats") == [
        "xdg-open",
        "https://www.youtube.com/results?search_query=lo-fi%20beats",
    ]
    assert argv(darwin, 5, "Paris", "Lyon", "transit")[1] == (
        "https://www.google.com/maps/dir/?api=1&origin=Paris&destination=Lyon&travelmode=transit"
    )
    assert argv(linux, 3, "ann@example.com", "Hi & bye", "a\nb")[1] == (
        "mailto:ann@example.com?subject=Hi%20%26%20bye&body=a%0Ab"
    )
    assert argv(darwin, 8, "+1 555 0100") == ["open", "tel:+1-555-0100"]
    assert argv(linux, 13, 6, "ring")[-1] == "60%"
    assert argv(darwin, 11, 5) == ["brightness", "0.5"]
    assert argv(linux, 15, True)[-1] == "false"  # Do Not Disturb on = no banners
    alarm = argv(linux, 10, "06:45", "-rm -rf")
    assert alarm[0] == "systemd-run" and alarm[-2:] == ["Alarm 06:45", "-rm -rf"]
    mac_alarm = argv(darwin, 10, "06:45", 'x" & (do shell script "id") & "')
    assert mac_alarm[-2:] == ["06:45", 'x" & (do shell script "id") & "']
    photo = argv(linux, 0, "front")
    assert photo[0] == "ffmpeg" and Path(photo[-1]).parent == files_dir()
    assert argv(darwin, 0, "back")[0] == "imagesnap"


def test_every_tool_used_by_a_shipped_handler_has_an_install_hint(fset: FunctionSet) -> None:
    for platform in ("linux", "darwin"):
        table = load_handlers(fset, platform=platform)
        for handler in table.handlers.values():
            for tool in handler.tools:
                assert tool in handler.hints, (platform, tool)
