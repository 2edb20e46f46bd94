"""The ``octopus`` command: a thin Typer layer over the library.

Errors are mapped in one place, :class:`OctopusGroup`: any :class:`OctopusError` becomes
``Error: ...`` (plus a hint) on stderr and the exit code its class carries.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from typing import Annotated, Any

import typer

from octopus_cli import __version__
from octopus_cli.console import err_console, report_error, silence_stdout
from octopus_cli.errors import ExitCode, OctopusError
from octopus_cli.help_console import HelpCommand, HelpGroup

EXIT_CODES_HELP = (
    "[bold]Exit codes[/bold]: 0 success · 1 other error · 2 usage error · "
    "3 model missing, unknown or corrupt · 4 the model chose no function · "
    "5 handler failed, missing or declined · 6 the model's answer is unusable "
    "(no end token, unparsable, unknown token, breaks the signature) · "
    "7 unreadable input (non-UTF-8 stdin, a query too long, bad function set or handler file) · "
    "8 a value the call needs is missing · 9 the model is unsure which function fits · "
    "130 interrupted · 141 stdout closed by the reader."
)


class OctopusGroup(HelpGroup):
    """Maps the domain exceptions of every sub-command to messages and exit codes."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OctopusError as error:
            report_error(error)
            raise typer.Exit(int(error.exit_code)) from None
        except BrokenPipeError:
            # The reader went away (`| head -1`): stop quietly, as a SIGPIPE'd tool would.
            silence_stdout()
            raise typer.Exit(int(ExitCode.BROKEN_PIPE)) from None
        except KeyboardInterrupt:
            _say_interrupted()
            raise typer.Exit(130) from None


app = typer.Typer(
    name="octopus",
    cls=OctopusGroup,
    help=(
        "On-device function calling with functional-token models (Octopus v2) on llama.cpp.\n\n"
        "Examples:\n\n"
        '  octopus ask "take a selfie with the front camera"\n\n'
        "  cat queries.txt | octopus ask - > calls.jsonl\n\n"
        '  octopus ask --run "set the media volume to 4"\n\n'
        "  octopus repl\n\n"
        "  octopus models pull octopus-v2"
    ),
    epilog=EXIT_CODES_HELP,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"octopus {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """With no command on a terminal, start the REPL; otherwise show this help."""
    if ctx.invoked_subcommand is not None:
        return
    if sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty():
        from octopus_cli.commands.repl import repl

        ctx.invoke(repl)
        return
    typer.echo(ctx.get_help())


def _register() -> None:
    from octopus_cli.commands.ask import ask
    from octopus_cli.commands.average import average_command
    from octopus_cli.commands.bench import bench_command
    from octopus_cli.commands.convert import convert_command
    from octopus_cli.commands.data import data_command
    from octopus_cli.commands.eval import eval_command
    from octopus_cli.commands.functions import functions
    from octopus_cli.commands.models import models_app
    from octopus_cli.commands.repl import repl
    from octopus_cli.commands.train import train_command

    app.command(cls=HelpCommand, epilog=EXIT_CODES_HELP)(ask)
    app.command(cls=HelpCommand)(repl)
    app.command(cls=HelpCommand)(functions)
    app.add_typer(models_app, name="models")
    app.command("convert", cls=HelpCommand)(convert_command)
    app.command("data", cls=HelpCommand)(data_command)
    app.command("eval", cls=HelpCommand)(eval_command)
    app.command("train", cls=HelpCommand)(train_command)
    app.command("average", cls=HelpCommand)(average_command)
    app.command("bench", cls=HelpCommand)(bench_command)
    for typer_app in (app, models_app):
        for info in typer_app.registered_commands:
            if info.help is None and info.callback is not None and info.callback.__doc__:
                info.help = reflow_help(info.callback.__doc__)


def reflow_help(doc: str) -> str:
    """Join the lines of each prose paragraph of a docstring.

    Typer keeps single line breaks after the first paragraph, so source lines wrapped at
    our line length come out ragged on an 80-column terminal. Indented paragraphs (the
    examples) and "- " lists keep their lines; a line that starts with an option
    (``--out ...``) is prose.
    """
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(
        p
        if any(line.startswith((" ", "- ")) for line in p.split("\n"))
        else " ".join(p.split("\n"))
        for p in paragraphs
    )


_register()


def main() -> None:
    """Console-script entry point: the last line of defence for interrupts and pipes."""
    if sys.stdout is None:  # started with stdout closed (`octopus ... >&-`)
        if sys.stderr is not None:
            sys.stderr.write("Error: standard output is closed; nowhere to write answers\n")
        raise SystemExit(int(ExitCode.BROKEN_PIPE))
    try:
        app()  # standalone: Typer reports usage errors itself (exit 2)
        code: int | str | None = 0
    except SystemExit as exit_:
        code = exit_.code
        if code == 130:  # Typer ends Ctrl-C during parsing with 130 and says nothing
            _say_interrupted()
    except KeyboardInterrupt:  # outside a command, e.g. while importing
        _say_interrupted()
        code = 130
    except BrokenPipeError:
        silence_stdout()
        code = ExitCode.BROKEN_PIPE
    except OSError as error:
        # I/O that no command turned into an OctopusError, such as a full disk behind
        # `> answers.txt` (also while printing --help): one line, not a traceback.
        report_error(_io_error(error))
        silence_stdout()  # what is still buffered for stdout cannot fail again at exit
        code = ExitCode.ERROR
    _exit(0 if code is None else code if isinstance(code, int) else 1)


_interrupt_said: list[bool] = []


def _say_interrupted() -> None:
    """The one line an interrupted run prints, once."""
    if not _interrupt_said:
        _interrupt_said.append(True)
        with contextlib.suppress(OSError, ValueError):
            err_console.print("Interrupted.")


def _io_error(error: OSError) -> OctopusError:
    where = f": {error.filename}" if error.filename else ""
    return OctopusError(
        f"input/output failed ({error.strerror or error}){where}",
        hint="check free space and permissions where octopus reads and writes",
    )


def _exit(code: int) -> None:
    """Exit without letting a flush into a closed pipe print a traceback at shutdown."""
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        silence_stdout()
        code = code or ExitCode.BROKEN_PIPE
    except OSError as error:  # the last of the output could not be written (a full disk)
        report_error(_io_error(error))
        silence_stdout()
        code = code or ExitCode.ERROR
    sys.exit(code)
