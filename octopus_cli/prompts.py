"""Questions octopus asks at a terminal: what is missing, "did you mean ...?", "Run it?".

Everything is said on stderr and read with ``sys.stdin.readline``: click's prompt writes a
space to stdout, which would open the JSON or call line a script reads, and input() would
put the answers in the REPL's history.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import replace

from octopus_cli.calls import OutcomeKind, read_value
from octopus_cli.console import err_console
from octopus_cli.grounding import wants
from octopus_cli.output import call_line, out_of_range_note
from octopus_cli.runtime import Answer


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question: values to fill in, "did you mean ...?"."""
    return sys.stdin is not None and sys.stdin.isatty()


def settle(answer: Answer) -> Answer:
    """On a terminal: ask "did you mean ...?" for an unsure answer, then for each missing
    value (checked like any argument, three tries). Declining, an empty line or EOF leave
    the answer as it is; Ctrl-C stops octopus."""
    outcome = answer.outcome
    if outcome.kind is OutcomeKind.UNSURE:
        sure = f"{outcome.confidence:.2f}" if outcome.confidence is not None else "?"
        if not _ask_yes_no(f"Not sure (confidence {sure}). Did you mean {call_line(answer)}?"):
            return answer
        outcome = outcome.confirmed()
    if outcome.kind is OutcomeKind.NEEDS_INPUT:
        note = out_of_range_note(answer)
        if note:
            err_console.print(note, style="dim", markup=False, highlight=False)
        for index, param in outcome.missing:
            name = outcome.calls[index].name
            for _ in range(3):
                text = _read_reply(f"{name}: {param.name} ({wants(param)})? ")
                if not text.strip():
                    return replace(answer, outcome=outcome)
                try:
                    outcome = outcome.supplied(index, param.name, read_value(param, text))
                    break
                except ValueError as problem:
                    err_console.print(problem, style="yellow", markup=False, highlight=False)
            else:
                return replace(answer, outcome=outcome)
    return replace(answer, outcome=outcome)


def _ask_yes_no(question: str) -> bool:
    return _read_reply(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _read_reply(prompt: str) -> str:
    """One line from stdin after a prompt on stderr ("" at EOF); never joins history."""
    err_console.print(prompt, end="", markup=False, highlight=False)
    reply = sys.stdin.readline()
    if not reply.endswith("\n"):
        err_console.print()
    return reply


def confirm_argv(argv: list[str]) -> bool:
    """Show the exact command and ask; anything but yes (EOF and Ctrl-C too) declines."""
    err_console.print("[bold]About to run:[/bold]", shlex.join(argv), markup=True, highlight=False)
    try:
        return _ask_yes_no("Run it?")
    except KeyboardInterrupt:  # end the prompt's line
        err_console.print()
        return False
