"""The command layer through Typer's CliRunner, with a model whose outputs are queued."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from octopus_cli.cli import app

runner = CliRunner()


def invoke(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, list(args), input=input)


def test_help_lists_commands_and_exit_codes() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in (
        "ask",
        "repl",
        "functions",
        "models",
        "convert",
        "data",
        "eval",
        "train",
        "bench",
    ):
        assert command in result.stdout
    assert "Exit codes" in result.stdout
    assert "octopus ask" in result.stdout  # examples


def test_command_help_reflows_prose_and_keeps_examples_and_brackets() -> None:
    from octopus_cli.cli import reflow_help

    doc = """First line.

    A paragraph wrapped
    in the source, with an
    --option at a line start.

    Examples:

      octopus ask "one"
      octopus ask "two"
    - a list item
    - another
    """
    assert reflow_help(doc).split("\n\n") == [
        "First line.",
        "A paragraph wrapped in the source, with an --option at a line start.",
        "Examples:",
        '  octopus ask "one"\n  octopus ask "two"\n- a list item\n- another',
    ]
    result = invoke("train", "--help", input=None)
    assert result.exit_code == 0
    assert "pip install -e '.[train]'" in result.stdout


COMMANDS = [
    ["ask"], ["repl"], ["functions"], ["convert"], ["data"], ["eval"], ["train"],
    ["average"], ["bench"], ["models", "list"], ["models", "pull"], ["models", "path"],
    ["models", "rm"],
]  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_examples_fit_an_80_column_terminal(command: list[str]) -> None:
    # An example wrapped in the middle cannot be copied whole.
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    examples = [i for i, line in enumerate(lines) if line.lstrip().startswith("octopus ")]
    assert examples, "no examples in the help"
    for i in examples:
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        assert not after or after.startswith(("octopus ", "printf ", "cat ", "HF_", "OCTOPUS_")), (
            f"{lines[i].strip()!r} wraps onto {after!r}"
        )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_prose_fills_an_80_column_terminal(command: list[str]) -> None:
    # A line break kept from the source shows as a line that stops short while the next
    # line's first word would have fitted on it.
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    prose = lines[: next(i for i, line in enumerate(lines) if line.startswith("╭"))]
    for line, following in itertools.pairwise(prose):
        text, after = line.rstrip(), following.strip()
        if not text.strip() or not after or following.startswith("   "):
            continue
        assert len(text) + 1 + len(after.split()[0]) > 79, f"{text.strip()!r} breaks early"


def test_every_command_is_listed_and_ends_its_help_on_a_closed_pipe() -> None:
    # A command added without cls=HelpCommand would exit 1 on `octopus NEW --help | true`,
    # and one missing from COMMANDS would escape the 80-column check above.
    import typer.main

    from octopus_cli.help_console import HelpCommand, HelpGroup

    def walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
        found = [(path, command)]
        if isinstance(command, HelpGroup):
            for name, sub in command.commands.items():
                found += walk(sub, [*path, name])
        return found

    tree = walk(typer.main.get_command(app), [])
    assert sorted(path for path, command in tree if not isinstance(command, HelpGroup)) == sorted(
        COMMANDS
    )
    for path, command in tree:
        assert isinstance(command, (HelpGroup, HelpCommand)), path


def test_ask_prints_the_call(queue_outputs) -> None:
    caller = queue_outputs([" <nexa_0>('front')<nexa_end>"])
    result = invoke("ask", "take a selfie with the front camera")
    assert result.exit_code == 0, result.output
    assert "take_a_photo(camera='front')" in result.stdout
    assert caller.queries == ["take a selfie with the front camera"]


@pytest.mark.parametrize(("flag", "copy_values"), [((), True), (("--free-values",), False)])
def test_copy_rules_are_on_unless_free_values(queue_outputs, flag, copy_values: bool) -> None:
    for command in ("ask", "repl"):
        caller = queue_outputs([" <nexa_2>('Oslo')<nexa_end>"])
        if command == "ask":
            result = invoke(command, *flag, "weather in Oslo")
        else:
            result = invoke(command, *flag, input="weather in Oslo\n")
        assert result.exit_code == 0, result.output
        assert caller.options.copy_values is copy_values
        assert caller.options.grammar is True


def test_ask_call_prints_only_the_call(queue_outputs) -> None:
    queue_outputs(["<nexa_1>('AI')<nexa_end>"])
    result = invoke("ask", "--call", "news about AI")
    assert result.exit_code == 0
    assert result.stdout == "get_trending_news(query='AI', language='en')\n"


def test_ask_json_has_the_documented_fields(queue_outputs) -> None:
    queue_outputs(["<nexa_13>(4, 'media')<nexa_end>"])
    result = invoke("ask", "--json", "media volume to 4")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["query"] == "media volume to 4"
    assert record["status"] == "call"
    assert record["function"] == "set_volume"
    assert record["token"] == 13
    assert record["arguments"] == {"level": 4, "volume_type": "media"}
    assert record["call"] == "set_volume(level=4, volume_type='media')"
    assert record["raw"] == "<nexa_13>(4, 'media')<nexa_end>"
    assert "timings" in record


def test_irrelevant_query_exits_4(queue_outputs) -> None:
    queue_outputs(["<nexa_20>()<nexa_end>", "<nexa_20>()<nexa_end>"])
    result = invoke("ask", "what is love")
    assert result.exit_code == 4
    assert "No function fits" in result.stdout
    assert invoke("ask", "--call", "what is love").stdout == "irrelevant_function()\n"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("<nexa_0>('front'<nexa_end>", "unparsable"),
        ("<nexa_0>('front')", "no_end"),
        ("<nexa_99>()<nexa_end>", "unknown_token"),
        ("<nexa_11>(42)<nexa_end>", "invalid_argument"),
    ],
)
def test_unusable_answers_exit_6_with_one_error_line(queue_outputs, raw: str, kind: str) -> None:
    queue_outputs([raw])
    result = invoke("ask", "something")
    assert result.exit_code == 6
    assert result.stderr.startswith(f"Error: the model's answer is unusable ({kind})")
    assert "Traceback" not in result.output


def test_unusable_answer_in_json_mode_is_still_one_object(queue_outputs) -> None:
    queue_outputs(["<nexa_0>(camera=<nexa_end>"])
    result = invoke("ask", "--json", "selfie")
    assert result.exit_code == 6
    record = json.loads(result.stdout)
    assert record["status"] == "unparsable"
    assert record["function"] is None
    assert record["raw"] == "<nexa_0>(camera=<nexa_end>"


def test_piped_queries_stream_one_json_line_each(queue_outputs) -> None:
    caller = queue_outputs(
        ["<nexa_0>('front')<nexa_end>", "<nexa_19>('lock')<nexa_end>", "<nexa_20>()<nexa_end>"]
    )
    result = invoke("ask", "-", input="selfie please\n\n   \nlock the door\nhello\n")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [json.loads(line)["function"] for line in lines] == [
        "take_a_photo",
        "open_or_lock_door",
        "irrelevant_function",
    ]
    assert [json.loads(line)["line"] for line in lines] == [1, 4, 5]
    assert caller.queries == ["selfie please", "lock the door", "hello"]


def test_no_query_with_piped_stdin_streams_too(queue_outputs) -> None:
    queue_outputs(["<nexa_6>()<nexa_end>"])
    result = invoke("ask", "--call", input="smoke detector?\n")
    assert result.stdout == "check_nest_smoke_detector_status()\n"


def test_non_utf8_line_is_reported_and_skipped(queue_outputs) -> None:
    queue_outputs(["<nexa_0>()<nexa_end>", "<nexa_19>('open')<nexa_end>"])
    result = invoke("ask", "-", input=b"photo\n\xff\xfe bad\nopen the door\n")
    assert result.exit_code == 7
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["status"] for r in records] == ["call", "bad_input", "call"]
    assert records[1]["line"] == 2
    assert "stdin line 2 is not valid UTF-8" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["ask", "--json", "--call", "x"],
        ["ask", "--yes", "x"],
        ["ask", "--dry-run", "x"],
        ["ask", "-", "--run"],
        ["ask", "--gpu-layers", "-5", "x"],
        ["nonsense"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2


def test_unknown_model_exits_3() -> None:
    result = invoke("ask", "--model", "no-such-model", "take a selfie")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: unknown model 'no-such-model'")


def test_missing_model_file_exits_3(tmp_path: Path) -> None:
    result = invoke("ask", "--model", str(tmp_path / "gone.gguf"), "take a selfie")
    assert result.exit_code == 3
    assert result.stderr.startswith("Error:")


def test_corrupt_model_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x00" * 64)
    result = invoke("ask", "--model", str(bad), "take a selfie")
    assert result.exit_code == 3
    assert "Error: llama.cpp could not load bad.gguf" in result.stderr


def test_bad_function_set_file_exits_7(tmp_path: Path) -> None:
    bad = tmp_path / "set.toml"
    bad.write_text("[[function]]\ntoken = 'zero'\n")
    result = invoke("functions", "--functions", str(bad))
    assert result.exit_code == 7
    assert result.stderr.startswith("Error:")


def test_functions_lists_all_tokens_as_json() -> None:
    result = invoke("functions", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [row["token"] for row in rows] == list(range(21))
    assert rows[0]["signature"] == "take_a_photo(camera: str = 'back')"
    assert all("handler" in row for row in rows)
    assert rows[0]["copied"] == []  # a choice, not the user's words
    assert rows[3]["copied"] == ["recipient", "title", "content"]


def test_functions_table() -> None:
    result = invoke("functions")
    assert result.exit_code == 0
    assert "<nexa_0>" in result.stdout and "take_a_photo" in result.stdout


def test_repl_session(queue_outputs) -> None:
    caller = queue_outputs(["<nexa_0>('front')<nexa_end>", "<nexa_19>('lock')<nexa_end>"])
    script = "/help\ntake a selfie\n/json\nlock the door\n/bogus\n/quit\nnever asked\n"
    result = invoke("repl", input=script)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "/functions" in out  # the help text
    assert "take_a_photo(camera='front')" in out
    assert "/json is on" in out
    assert '"function": "open_or_lock_door"' in out
    assert "Unknown command /bogus" in out
    assert caller.queries == ["take a selfie", "lock the door"]  # nothing after /quit


def test_repl_leaves_on_end_of_input(queue_outputs) -> None:
    queue_outputs(["<nexa_2>('Oslo')<nexa_end>"])
    result = invoke("repl", input="weather in oslo\n")
    assert result.exit_code == 0
    assert "get_weather_forecast(location='Oslo')" in result.stdout


HOSTILE_OUTPUT = "<nexa_7>('Ann', '; rm -rf ~ $(touch PWNED) `id` \\'q\\' \"d\"\\nnext')<nexa_end>"
HOSTILE_MESSAGE = "; rm -rf ~ $(touch PWNED) `id` 'q' \"d\"\nnext"


@pytest.fixture
def recorded_handler(record_handlers) -> Path:
    """A user handler override for send_text_message that records its argv as JSON."""
    return record_handlers({"send_text_message": ["{contact_name}", "{message}"]})


def test_run_yes_passes_hostile_arguments_as_literal_argv(
    queue_outputs, recorded_handler: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    queue_outputs([HOSTILE_OUTPUT])
    result = invoke("ask", "--run", "--yes", "text Ann something")
    assert result.exit_code == 0, result.output
    assert json.loads(recorded_handler.read_text()) == ["Ann", HOSTILE_MESSAGE]
    assert not (tmp_path / "PWNED").exists()


def test_run_asks_and_defaults_to_no(queue_outputs, recorded_handler: Path) -> None:
    queue_outputs([HOSTILE_OUTPUT])
    result = invoke("ask", "--run", "text Ann", input="\n")
    assert result.exit_code == 5
    assert "About to run" in result.stderr
    assert "Error: declined" in result.stderr
    assert "nothing was run; pass --yes to skip the question" in result.stderr
    assert not recorded_handler.exists()


def test_run_confirmed_with_y(queue_outputs, recorded_handler: Path) -> None:
    queue_outputs([HOSTILE_OUTPUT])
    result = invoke("ask", "--run", "text Ann", input="y\n")
    assert result.exit_code == 0, result.output
    assert json.loads(recorded_handler.read_text()) == ["Ann", HOSTILE_MESSAGE]
    assert "Run it? [y/N]" in result.stderr
    assert result.stdout.splitlines()[-1] == "sent to Ann"  # what the handler said


def test_the_question_leaves_stdout_to_the_answer(queue_outputs, recorded_handler: Path) -> None:
    # A script reads the call line or the JSON object: the prompt goes to stderr, whole.
    queue_outputs([HOSTILE_OUTPUT, HOSTILE_OUTPUT])
    declined = invoke("ask", "--run", "--call", "text Ann", input="")
    assert declined.exit_code == 5
    assert declined.stdout.startswith("send_text_message(")
    assert "Run it? [y/N] \n" in declined.stderr  # EOF ends the prompt's line
    ran = invoke("ask", "--run", "--json", "text Ann", input="yes\n")
    assert ran.exit_code == 0, ran.output
    handler = json.loads(ran.stdout)["handlers"][0]
    assert handler["ran"] is True and handler["returncode"] == 0
    assert handler["stdout"] == "sent to Ann\n" and handler["stderr"] == ""


def test_a_misspelt_function_in_the_handler_file_is_a_warning(
    queue_outputs, octopus_home: Path
) -> None:
    # The user's file may serve other sets, so this is no error; but it must not pass unseen.
    config = octopus_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "handlers.toml").write_text('[handlers.take_a_fota]\nlinux = ["true"]\n')
    listed = invoke("functions", "--json")
    assert listed.exit_code == 0
    warning = "'take_a_fota' is not a function of set 'android' (did you mean 'take_a_photo'?)"
    assert listed.stderr.startswith("Warning: ") and warning in listed.stderr
    json.loads(listed.stdout)  # stdout keeps only the JSON
    queue_outputs(["<nexa_0>('front')<nexa_end>"])
    ran = invoke("ask", "--run", "--dry-run", "--call", "take a selfie")
    assert ran.stderr.count("Warning: ") == 1 and warning in ran.stderr
    # The REPL reads the file again for each run and listing, but says each warning once.
    import sys

    (config / "handlers.toml").write_text(
        '[handlers.take_a_fota]\nlinux = ["true"]\n'
        f'[handlers.take_a_photo]\n{sys.platform} = ["true"]\n'
    )
    queue_outputs(["<nexa_0>('front')<nexa_end>", "<nexa_0>('back')<nexa_end>"])
    session = invoke("repl", "--run", input="/functions\ntake a selfie\nn\n/functions\nphoto\nn\n")
    assert session.exit_code == 0, session.output
    assert session.stderr.count("Warning: ") == 1 and warning in session.stderr
    assert session.stdout.count("not run") == 2


def test_what_a_handler_says_on_stderr_is_shown_though_it_exits_0(
    queue_outputs, octopus_home: Path
) -> None:
    # gsettings without a session bus exits 0 but says the setting was not saved.
    import sys

    complaint = "failed to commit changes to dconf"
    config = octopus_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-c", f"import sys; sys.stderr.write({complaint!r} + '\\n')"]
    (config / "handlers.toml").write_text(
        f"[handlers.enable_do_not_disturb]\n{sys.platform} = {json.dumps(argv)}\n"
    )
    queue_outputs(["<nexa_15>(True)<nexa_end>", "<nexa_15>(True)<nexa_end>"])
    asked = invoke("ask", "--run", "--yes", "do not disturb me")
    assert asked.exit_code == 0, asked.output
    assert asked.stderr.splitlines()[-1] == complaint
    in_repl = invoke("repl", "--run", input="do not disturb me\ny\n")
    assert in_repl.exit_code == 0, in_repl.output
    assert complaint in in_repl.stderr


def test_repl_run_declined_is_no_error_and_the_session_goes_on(
    queue_outputs, recorded_handler: Path
) -> None:
    # In the REPL "no" is an answer, not a failure, and there is no --yes to suggest.
    queue_outputs([HOSTILE_OUTPUT, HOSTILE_OUTPUT])
    result = invoke("repl", "--run", input="text Ann\nn\ntext Ann again\ny\n")
    assert result.exit_code == 0, result.output
    assert "--yes" not in result.output and "Error:" not in result.output
    assert "not run" in result.stdout
    assert result.stderr.count("Run it? [y/N]") == 2
    assert json.loads(recorded_handler.read_text()) == ["Ann", HOSTILE_MESSAGE]
    assert "sent to Ann" in result.stdout


def test_run_dry_run_prints_argv_only(queue_outputs, recorded_handler: Path) -> None:
    queue_outputs([HOSTILE_OUTPUT, HOSTILE_OUTPUT])
    result = invoke("ask", "--run", "--dry-run", "text Ann")
    assert result.exit_code == 0
    assert "would run" in result.stderr
    assert not recorded_handler.exists()
    as_json = invoke("ask", "--json", "--run", "--dry-run", "text Ann")
    handlers = json.loads(as_json.stdout)["handlers"]
    assert handlers[0]["ran"] is False
    assert handlers[0]["argv"][-2:] == ["Ann", HOSTILE_MESSAGE]


def test_run_without_handler_exits_5(queue_outputs) -> None:
    queue_outputs(["<nexa_19>('lock')<nexa_end>"])  # no local way to reach a door lock
    result = invoke("ask", "--run", "--yes", "lock the door")
    assert result.exit_code == 5
    assert result.stderr.startswith("Error:")


def test_repl_ctrl_c_cancels_the_query_and_carries_on(queue_outputs) -> None:
    caller = queue_outputs([KeyboardInterrupt(), "<nexa_15>(True)<nexa_end>"])
    result = invoke("repl", input="a long query\nquiet please\n")
    assert result.exit_code == 0
    assert "cancelled" in result.stdout
    assert "enable_do_not_disturb(enabled=True)" in result.stdout
    assert caller.queries == ["a long query", "quiet please"]


def test_a_function_set_directory_exits_7(tmp_path: Path) -> None:
    result = invoke("functions", "--functions", str(tmp_path))
    assert result.exit_code == 7
    assert "is a directory" in result.stderr


def test_gpu_layers_on_a_cpu_build_warn(queue_outputs, monkeypatch: pytest.MonkeyPatch) -> None:
    queue_outputs(["<nexa_0>('front')<nexa_end>", "<nexa_0>('front')<nexa_end>"])
    monkeypatch.setattr("octopus_cli.session.gpu_offload_supported", lambda: False)
    result = invoke("ask", "--gpu-layers", "-1", "selfie")
    assert result.exit_code == 0
    assert "no GPU backend, so --gpu-layers is ignored" in result.stderr
    monkeypatch.setattr("octopus_cli.session.gpu_offload_supported", lambda: True)
    assert "Warning" not in invoke("ask", "--gpu-layers", "-1", "selfie").stderr


def test_repl_usage_lines_keep_their_brackets(queue_outputs) -> None:
    queue_outputs([])
    result = invoke("repl", input="/json maybe\n/run sometimes\n")
    assert "usage: /json [on|off]" in result.stdout
    assert "usage: /run [on|off]" in result.stdout


def test_shell_completion_is_offered_and_flags_show_no_type() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "80"})
    assert "--install-completion" in result.stdout
    assert "<bool>" not in result.stdout
    assert "<bool>" not in runner.invoke(app, ["ask", "--help"]).stdout
