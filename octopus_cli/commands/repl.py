"""``octopus repl``: ask one query after another on a model loaded once."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from octopus_cli import paths, prompts
from octopus_cli.calls import OutcomeKind
from octopus_cli.commands import options as opt
from octopus_cli.console import err_console, out_console, report_error
from octopus_cli.errors import HandlerDeclined, InputError, OctopusError
from octopus_cli.output import answer_to_dict, function_table, handler_table, render_answer

if TYPE_CHECKING:
    from octopus_cli.caller import Caller

PROMPT = "octopus> "
HELP = """\
Type a request in plain words, or a command:
  /run [on|off]   run the chosen function's handler (asks before each run)
  /json [on|off]  print answers as JSON
  /functions      list the functions and their handlers
  /model          show the loaded model
  /help           this text
  /quit           leave (Ctrl-D works too; Ctrl-C cancels a running query)"""


def repl(
    model: opt.ModelOption = None,
    functions: opt.FunctionsOption = None,
    grammar: opt.GrammarOption = True,
    free_values: opt.FreeValuesOption = False,
    min_confidence: opt.MinConfidenceOption = opt.DEFAULT_MIN_CONFIDENCE,
    gpu_layers: opt.GpuLayersOption = 0,
    threads: opt.ThreadsOption = None,
    run: Annotated[bool, typer.Option("--run", help="Start with /run on.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Start with /json on.")] = False,
) -> None:
    """Interactive session: line editing, history, slash commands.

    Examples:

      octopus repl

      octopus repl --model ./my-octopus.Q4_K_M.gguf --run
    """
    if sys.stdin is None:
        raise InputError(
            "standard input is closed; the REPL has nothing to read",
            hint='ask one query with octopus ask "..."',
        )
    console = out_console()
    options = opt.caller_options(
        model, functions, grammar, gpu_layers, threads, free_values, min_confidence
    )
    caller = opt.open_caller(options, console)
    shell = Repl(caller, console, run=run, as_json=as_json)
    with _line_editing():
        shell.loop(input)


@contextlib.contextmanager
def _line_editing() -> Iterator[None]:
    """GNU readline line editing, with history kept in the user's data directory."""
    try:
        import readline
    except ImportError:  # Windows without pyreadline: plain input() still works
        yield
        return
    history = paths.history_file()
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    readline.set_history_length(1000)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            history.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history)


class Repl:
    """The loop, separate from the command so tests can feed it lines."""

    def __init__(self, caller: Caller, console: Console, *, run: bool, as_json: bool) -> None:
        self.caller = caller
        self.console = console
        self.run = run
        self.as_json = as_json
        self.warned: set[str] = set()  # handler-file warnings shown this session
        self.commands: dict[str, Callable[[str], bool]] = {
            "/help": self._help,
            "/run": self._toggle("run"),
            "/json": self._toggle("as_json"),
            "/functions": self._functions,
            "/model": self._model,
            "/quit": self._quit,
            "/exit": self._quit,
        }

    def loop(self, read_line: Callable[[str], str]) -> None:
        name = self.caller.model_name
        self.console.print(f"[bold]octopus[/bold] · {escape(name)} · /help for commands")
        while True:
            try:
                line = read_line(PROMPT).strip()
            except EOFError:
                self.console.print()
                return
            except KeyboardInterrupt:
                self.console.print("^C")
                continue
            except UnicodeDecodeError:
                self.console.print("[red]Error:[/red] that line is not valid UTF-8")
                continue
            if not line:
                continue
            if line.startswith("/"):
                command, _, argument = line.partition(" ")
                handler = self.commands.get(command)
                if handler is None:
                    self.console.print(f"Unknown command {escape(command)}; /help lists them")
                elif not handler(argument.strip()):
                    return
                continue
            self.answer(line)

    def answer(self, query: str) -> None:
        try:
            answer = self.caller.ask(query)
            if not self.as_json:  # ask for what is missing, or "did you mean ...?"
                answer = prompts.settle(answer)
        except KeyboardInterrupt:
            self.console.print("[yellow]cancelled[/yellow]")
            return
        except OctopusError as error:
            report_error(error)
            return
        if self.as_json:
            self.console.print_json(json.dumps(answer_to_dict(answer)))
        else:
            render_answer(answer, self.console)
        if self.run and answer.outcome.kind is OutcomeKind.CALL:
            from octopus_cli.handlers import execute

            table = handler_table(self.caller.function_set, self.warned)  # edits apply
            for call in answer.outcome.calls:
                try:
                    result = execute(
                        call, table, assume_yes=False, dry_run=False, confirm=prompts.confirm_argv
                    )
                except HandlerDeclined:
                    self.console.print("[dim]not run[/dim]")
                    continue
                except OctopusError as error:
                    report_error(error)
                    continue
                if result.stdout:
                    self.console.print(escape(result.stdout.rstrip()))
                if result.stderr:  # what a handler complains of, even when it exits 0
                    err_console.print(escape(result.stderr.rstrip()), highlight=False)
                self.console.print(f"[dim]handler exited with {result.returncode}[/dim]")

    # -- slash commands: each returns False to leave the loop ------------------------------

    def _help(self, _: str) -> bool:
        self.console.print(escape(HELP))
        return True

    def _toggle(self, attribute: str) -> Callable[[str], bool]:
        label = "/" + ("json" if attribute == "as_json" else attribute)

        def toggle(argument: str) -> bool:
            if argument not in ("", "on", "off"):
                self.console.print(escape(f"usage: {label} [on|off]"))
                return True
            value = (argument == "on") if argument else not getattr(self, attribute)
            setattr(self, attribute, value)
            self.console.print(f"{label} is {'on' if value else 'off'}")
            return True

        return toggle

    def _functions(self, _: str) -> bool:
        self.console.print(function_table(self.caller.function_set, self.warned))
        return True

    def _model(self, _: str) -> bool:
        lines = self.caller.describe()
        width = max(len(label) for label, _ in lines)
        for label, text in lines:
            self.console.print(f"{label:<{width}}  {escape(text)}", highlight=False)
        return True

    def _quit(self, _: str) -> bool:
        return False
