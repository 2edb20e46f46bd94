"""``octopus functions``: what the model can call, and which calls can run here."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from octopus_cli.commands.options import FunctionsOption
from octopus_cli.console import out_console, report_warning
from octopus_cli.functions import FunctionSet, load_function_set

if TYPE_CHECKING:
    from octopus_cli.handlers import HandlerTable


def handler_table(function_set: FunctionSet, warned: set[str] | None = None) -> HandlerTable:
    """The set's handlers; what the user's handler file names wrongly is a warning on stderr.

    The user's file may serve several function sets, so an entry for a function this set
    lacks is not an error; but said nowhere, a typo in a function's name would go unseen.
    A session that reads the file again and again passes ``warned``, the warnings it has
    shown already, so each is said once.
    """
    from octopus_cli.handlers import load_handlers

    table = load_handlers(function_set)
    for warning in table.warnings:
        if warned is None or warning not in warned:
            report_warning(warning)
        if warned is not None:
            warned.add(warning)
    return table


def function_rows(
    function_set: FunctionSet, warned: set[str] | None = None
) -> list[dict[str, Any]]:
    """One record per function: token, signature, copied parameters, description, handler."""
    table = handler_table(function_set, warned)
    return [
        {
            "token": f.token,
            "token_text": function_set.token_text(f.token),
            "name": f.name,
            "signature": f.signature(),
            "copied": [p.name for p in f.parameters if p.copy],
            "description": f.description,
            "handler": table.describe(f.name),
            "handler_available": table.available(f.name)[0],
        }
        for f in function_set.functions
    ]


def function_table(function_set: FunctionSet, warned: set[str] | None = None) -> Table:
    table = Table(
        title=f"Function set {function_set.name!r} ({sys.platform})", title_justify="left"
    )
    table.add_column("token", justify="right", style="cyan")
    table.add_column("signature", style="bold", overflow="fold")
    table.add_column("handler")
    table.add_column("description", style="dim")
    for row in function_rows(function_set, warned):
        style = "green" if row["handler_available"] else "yellow"
        table.add_row(
            row["token_text"], row["signature"], f"[{style}]{row['handler']}[/]", row["description"]
        )
    return table


def functions(
    functions_file: FunctionsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List the functions of a function set: token, signature and local handler.

    Examples:

      octopus functions

      octopus functions --functions my-functions.toml --json
    """
    function_set = load_function_set(functions_file)
    if as_json:
        typer.echo(json.dumps(function_rows(function_set), indent=2))
    else:
        out_console().print(function_table(function_set))
