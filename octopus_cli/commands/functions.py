"""``octopus functions``: what the model can call, and which calls can run here."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from octopus_cli.commands.options import FunctionsOption
from octopus_cli.console import out_console
from octopus_cli.functions import load_function_set
from octopus_cli.output import function_rows, function_table


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
