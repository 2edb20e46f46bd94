"""The stderr console and the one place errors are printed."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from octopus_cli.errors import OctopusError

err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(error: OctopusError) -> None:
    """Print one ``Error:`` line (and a hint line) on stderr."""
    err_console.print(f"[bold red]Error:[/bold red] {escape(error.message)}")
    if error.hint:
        err_console.print(f"[dim]Hint: {escape(error.hint)}[/dim]")
