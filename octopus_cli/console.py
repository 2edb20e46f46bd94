"""The consoles, and the one place errors are printed."""

from __future__ import annotations

import contextlib
import os
import sys

from rich.console import Console
from rich.markup import escape

from octopus_cli.errors import OctopusError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


class _StdoutConsole(Console):
    """A stdout console that leaves a closed pipe to the CLI's one handler (exit 141).

    Rich's own handler points stdout at /dev/null and exits 1, so `octopus ask Q | true`
    would report a failure that did not happen.
    """

    def on_broken_pipe(self) -> None:
        self.quiet = True
        raise BrokenPipeError


def out_console() -> Console:
    """The console for answers, tables and summaries on stdout."""
    return _StdoutConsole(highlight=False)


def report_error(error: OctopusError) -> None:
    """Print one ``Error:`` line (and a hint line) on stderr."""
    err_console.print(f"[bold red]Error:[/bold red] {escape(error.message)}")
    if error.hint:
        err_console.print(f"[dim]Hint: {escape(error.hint)}[/dim]")


def report_warning(message: str) -> None:
    """Print one ``Warning:`` line on stderr: something was ignored, the command goes on."""
    err_console.print(f"[yellow]Warning:[/yellow] {escape(message)}")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
