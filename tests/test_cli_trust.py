"""Answers that must not act: a value the query lacks (needs_input) and a function the
model is unsure of (unsure), through the CLI with queued model outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from octopus_cli.cli import app

runner = CliRunner()

NO_NUMBER = "<nexa_9>('Jessica', None)<nexa_end>"
DOOR = "<nexa_19>('open')<nexa_end>"


def invoke(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input)


@pytest.fixture
def recorded(record_handlers) -> Path:
    """Handlers for create_contact and open_or_lock_door that record their argv."""
    return record_handlers(
        {"create_contact": ["{name}", "{phone_number}"], "open_or_lock_door": ["{status}"]}
    )


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone is at the terminal to answer questions."""
    monkeypatch.setattr("octopus_cli.prompts.stdin_is_terminal", lambda: True)


def test_a_missing_value_is_asked_for_never_made_up(queue_outputs) -> None:
    queue_outputs([NO_NUMBER])
    result = invoke("ask", "save Jessica as a new contact")
    assert result.exit_code == 8, result.output
    assert "create_contact needs phone_number (a phone number)" in result.stdout


def test_needs_input_json_names_what_is_missing_and_has_no_call(queue_outputs) -> None:
    queue_outputs([NO_NUMBER])
    result = invoke("ask", "--json", "save Jessica as a new contact")
    assert result.exit_code == 8
    record = json.loads(result.stdout)
    assert record["status"] == "needs_input"
    assert record["call"] is None
    assert record["function"] == "create_contact"
    assert record["arguments"] == {"name": "Jessica", "phone_number": None}
    assert record["missing"] == [{"name": "phone_number", "type": "str", "wants": "a phone number"}]


def test_an_out_of_range_figure_is_named(queue_outputs) -> None:
    queue_outputs(["<nexa_16>(None)<nexa_end>"])
    result = invoke("ask", "--json", "Preheat the oven to 400 degrees")
    assert result.exit_code == 8
    record = json.loads(result.stdout)
    assert record["note"] == "target_temperature: the query's 400 is not a number from 50 to 90"


def test_run_yes_never_runs_an_answer_that_lacks_a_value(queue_outputs, recorded: Path) -> None:
    queue_outputs([NO_NUMBER, NO_NUMBER])
    assert invoke("ask", "--run", "--yes", "save Jessica as a new contact").exit_code == 8
    result = invoke("ask", "-", "--run", "--yes", input="save Jessica as a new contact\n")
    assert json.loads(result.stdout)["status"] == "needs_input"
    assert not recorded.exists()


def test_on_a_terminal_the_missing_value_is_asked_and_checked(
    queue_outputs, recorded: Path, terminal: None
) -> None:
    queue_outputs([NO_NUMBER])
    reply = "not a number\n+44 20 7946 0958\ny\n"  # refused, then taken; then run it
    result = invoke("ask", "--run", "save Jessica as a new contact", input=reply)
    assert result.exit_code == 0, result.output
    assert "create_contact: phone_number (a phone number)?" in result.stderr
    assert "must match the phone format" in result.stderr
    assert json.loads(recorded.read_text()) == ["Jessica", "+442079460958"]


def test_on_a_terminal_an_empty_reply_leaves_it_asking(
    queue_outputs, recorded: Path, terminal: None
) -> None:
    queue_outputs([NO_NUMBER])
    result = invoke("ask", "--run", "save Jessica as a new contact", input="\n")
    assert result.exit_code == 8
    assert not recorded.exists()


def test_below_the_threshold_the_answer_is_unsure_and_does_not_run(
    queue_outputs, recorded: Path
) -> None:
    queue_outputs([(DOOR, 0.51), (DOOR, 0.51)])
    result = invoke("ask", "--json", "--run", "--yes", "Peace out, heading into the movie now")
    assert result.exit_code == 9, result.output
    record = json.loads(result.stdout)
    assert record["status"] == "unsure"
    assert record["call"] is None
    assert record["guess"] == "open_or_lock_door(status='open')"
    assert record["confidence"] == 0.51
    assert not recorded.exists()
    human = invoke("ask", "Peace out")
    assert human.exit_code == 9
    assert "Not sure a function fits; best guess: open_or_lock_door" in human.stdout


def test_the_threshold_is_an_option_and_zero_turns_it_off(queue_outputs, recorded: Path) -> None:
    caller = queue_outputs([(DOOR, 0.51)])
    result = invoke("ask", "--min-confidence", "0", "--run", "--yes", "open the door")
    assert result.exit_code == 0, result.output
    assert caller.options.min_confidence == 0.0
    assert json.loads(recorded.read_text()) == ["open"]


def test_default_threshold_is_the_documented_one(queue_outputs) -> None:
    from octopus_cli.calls import DEFAULT_MIN_CONFIDENCE

    caller = queue_outputs([(DOOR, DEFAULT_MIN_CONFIDENCE)])  # at the threshold: a call
    assert invoke("ask", "open the door").exit_code == 0
    assert caller.options.min_confidence == DEFAULT_MIN_CONFIDENCE


def test_on_a_terminal_did_you_mean_then_runs_when_confirmed(
    queue_outputs, recorded: Path, terminal: None
) -> None:
    queue_outputs([(DOOR, 0.4), (DOOR, 0.4)])
    declined = invoke("ask", "--run", "open sesame", input="n\n")
    assert declined.exit_code == 9
    assert "Did you mean open_or_lock_door(status='open')?" in declined.stderr
    assert not recorded.exists()
    confirmed = invoke("ask", "--run", "open sesame", input="y\ny\n")  # the guess, then run
    assert confirmed.exit_code == 0, confirmed.output
    assert json.loads(recorded.read_text()) == ["open"]


def test_an_unsure_guess_that_lacks_a_value_asks_for_it_once_confirmed(
    queue_outputs, recorded: Path, terminal: None
) -> None:
    queue_outputs([(NO_NUMBER, 0.4)])
    result = invoke("ask", "--run", "--yes", "Jessica", input="y\n555-0100\n")
    assert result.exit_code == 0, result.output
    assert json.loads(recorded.read_text()) == ["Jessica", "555-0100"]


def test_streamed_lines_carry_their_own_status(queue_outputs) -> None:
    queue_outputs([NO_NUMBER, (DOOR, 0.3), ("<nexa_0>('front')<nexa_end>", 0.99)])
    result = invoke("ask", "-", input="save Jessica\npeace out\ntake a selfie\n")
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["needs_input", "unsure", "call"]


def test_the_repl_asks_for_a_missing_value_and_for_an_unsure_guess(queue_outputs) -> None:
    queue_outputs([NO_NUMBER, (DOOR, 0.5)])
    lines = "save Jessica as a new contact\n555-0100\npeace out\nn\n"
    result = invoke("repl", input=lines)
    assert result.exit_code == 0, result.output
    assert "create_contact: phone_number (a phone number)?" in result.stderr
    assert "create_contact(name='Jessica', phone_number='555-0100')" in result.stdout
    assert "Did you mean open_or_lock_door(status='open')?" in result.stderr
    assert "Not sure a function fits; best guess" in result.stdout


@pytest.mark.parametrize(
    ("outputs", "code"),
    [
        (["<nexa_0>('front')<nexa_end>", "<nexa_20>()<nexa_end>"], 0),
        (["<nexa_0>('front')<nexa_end>", NO_NUMBER], 8),
        ([(DOOR, 0.2), "<nexa_0>('front')<nexa_end>"], 9),
        ([NO_NUMBER, "<nexa_0>(camera=<nexa_end>", (DOOR, 0.2)], 6),
    ],
)
def test_a_streamed_run_exits_with_its_most_serious_line(queue_outputs, outputs, code) -> None:
    queue_outputs(outputs)
    result = invoke("ask", "-", input="".join(f"query {i}\n" for i in range(len(outputs))))
    assert result.exit_code == code, result.output
    assert len(result.stdout.splitlines()) == len(outputs)


def test_a_streamed_run_whose_handler_fails_does_not_exit_0(
    queue_outputs, octopus_home: Path
) -> None:
    config = octopus_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "handlers.toml").write_text(f'[handlers.take_a_photo]\n{sys.platform} = ["false"]\n')
    queue_outputs(["<nexa_20>()<nexa_end>", "<nexa_0>('front')<nexa_end>"])
    result = invoke("ask", "-", "--run", "--yes", input="hello\nselfie\n")
    assert result.exit_code == 5, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert "handler_error" not in records[0]
    assert records[1]["handler_error"]


def test_streamed_queries_reach_the_callers_batched_path(queue_outputs) -> None:
    from octopus_cli.errors import QueryTooLongError

    caller = queue_outputs(
        ["<nexa_0>('front')<nexa_end>", QueryTooLongError("the query is too long"), NO_NUMBER]
    )
    result = invoke("ask", "-", "--batch", "4", input="selfie\nlong\nsave Jessica\n")
    assert caller.batches == [4]
    statuses = [json.loads(line)["status"] for line in result.stdout.splitlines()]
    assert statuses == ["call", "bad_input", "needs_input"]
    assert result.exit_code == 7  # an unreadable line is the most serious
    one = queue_outputs(["<nexa_0>('front')<nexa_end>"])
    assert invoke("ask", "-", "--batch", "1", input="selfie\n").exit_code == 0
    assert one.batches == [1]


def test_the_repl_describes_its_model_through_the_caller(queue_outputs) -> None:
    queue_outputs([])
    result = invoke("repl", input="/model\n")
    assert "octopus · queued-outputs · /help for commands" in result.stdout
    assert "functions  android" in result.stdout
