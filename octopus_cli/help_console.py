"""Typer command classes whose help ends a closed pipe with exit 141, as other output does.

Rich's own handler of a closed pipe exits 1, so `octopus --help | head -3` would report a
failure. Typer has no setting for this: its help is printed by ``typer.rich_utils`` through
a console built by ``_get_rich_console``. The classes below swap that builder the first time
help is formatted, so plain commands never import ``typer.rich_utils`` (about a third of
the start-up time).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from typer.core import TyperCommand, TyperGroup

from octopus_cli.console import silence_stdout
from octopus_cli.errors import ExitCode


class _HelpIntoClosedPipe:
    def format_help(self, ctx: Any, formatter: Any) -> Any:
        _use_help_console()
        return super().format_help(ctx, formatter)  # type: ignore[misc]


class HelpCommand(_HelpIntoClosedPipe, TyperCommand):
    """Every ``octopus`` command (pass as ``cls=``)."""


class HelpGroup(_HelpIntoClosedPipe, TyperGroup):
    """Every ``octopus`` command group (pass as ``cls=``)."""


def _use_help_console() -> None:
    import typer.core
    import typer.rich_utils

    if typer.rich_utils._get_rich_console is _help_console:
        return
    global _typer_console
    _typer_console = typer.rich_utils._get_rich_console
    typer.rich_utils._get_rich_console = _help_console
    _hide_flag_types(typer.core.TyperOption)


def _hide_flag_types(option_class: Any) -> None:
    """No type column for a flag: Typer 0.29 labels each one ``<bool>`` (``TyperOption.
    display_type_rich``), which squeezes the help text at 80 columns and says nothing."""
    shown = option_class.display_type_rich

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    option_class.display_type_rich = display_type_rich


def _help_console(stderr: bool = False) -> Console:
    console = _typer_console(stderr)
    console.on_broken_pipe = end_on_closed_pipe  # type: ignore[method-assign]
    return console


_typer_console: Any = None


def end_on_closed_pipe() -> None:
    silence_stdout()
    raise SystemExit(int(ExitCode.BROKEN_PIPE))
