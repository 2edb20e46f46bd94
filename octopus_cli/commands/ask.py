"""``octopus ask``: one query from the command line, or one per line from stdin."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, TextIO

import typer

from octopus_cli import prompts
from octopus_cli.batch import DEFAULT_SLOTS, MAX_SLOTS
from octopus_cli.calls import OutcomeKind
from octopus_cli.commands import options as opt
from octopus_cli.console import err_console, out_console
from octopus_cli.errors import ExitCode, HandlerDeclined, HandlerError, InputError, OctopusError
from octopus_cli.output import answer_to_dict, call_line, render_answer
from octopus_cli.runtime import Answer

if TYPE_CHECKING:
    from octopus_cli.caller import Caller


def ask(
    query: Annotated[
        str | None,
        typer.Argument(
            help="What you want done, in plain words. '-' (or no query with piped stdin) "
            "reads one query per line and writes one JSON line per query.",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (query, call, raw, timings).")
    ] = False,
    call_only: Annotated[
        bool, typer.Option("--call", help="Print only the call, e.g. take_a_photo(camera='front').")
    ] = False,
    run: Annotated[
        bool, typer.Option("--run", help="Run the function's local handler (asks first).")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="With --run: do not ask.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --run: print the handler's argv only.")
    ] = False,
    model: opt.ModelOption = None,
    functions: opt.FunctionsOption = None,
    grammar: opt.GrammarOption = True,
    free_values: opt.FreeValuesOption = False,
    min_confidence: opt.MinConfidenceOption = opt.DEFAULT_MIN_CONFIDENCE,
    gpu_layers: opt.GpuLayersOption = 0,
    threads: opt.ThreadsOption = None,
    batch: Annotated[
        int,
        typer.Option(
            "--batch",
            min=1,
            max=MAX_SLOTS,
            help="Queries read from stdin are decoded N at a time, in one llama.cpp batch "
            "(faster per query); output order is still input order, and each answer is "
            "written as soon as it and those before it are done. 1: one at a time. The "
            "calls are those of --batch 1 but for rare numerical near-ties.",
        ),
    ] = DEFAULT_SLOTS,
) -> None:
    """Answer a request with a function call.

    Examples:

      octopus ask "take a selfie with the front camera"

      octopus ask --call "what's the weather in Lisbon"

      octopus ask --json "email ana@example.com that I'm late"

      printf 'call mom\\nplay jazz on the nest hub\\n' | octopus ask -

      octopus ask --run --dry-run "find a route from Paris to Lyon by bike"
    """
    if as_json and call_only:
        raise typer.BadParameter("choose one of --json and --call")
    if (yes or dry_run) and not run:
        raise typer.BadParameter("--yes and --dry-run go with --run")
    if query is not None and query != "-":
        _check_utf8(query)
    if sys.stdin is None and (query is None or query == "-"):
        raise InputError(
            "standard input is closed; there are no queries to read",
            hint='give the query as an argument: octopus ask "take a selfie"',
        )
    stream = query == "-" or (query is None and not sys.stdin.isatty())
    if not stream and not (query or "").strip():
        raise typer.BadParameter("give a query, or pipe queries on stdin (one per line)")
    if stream and run and not (yes or dry_run):
        raise typer.BadParameter("with queries on stdin, --run needs --yes or --dry-run")
    options = opt.caller_options(
        model, functions, grammar, gpu_layers, threads, free_values, min_confidence
    )
    caller = opt.open_caller(options, err_console)
    interactive = not (stream or as_json or call_only) and prompts.stdin_is_terminal()
    asker = _Asker(caller, run=run, yes=yes, dry_run=dry_run, interactive=interactive)
    if stream:
        code = asker.stream(sys.stdin.buffer, sys.stdout, call_only=call_only, batch=batch)
    else:
        assert query is not None
        code = asker.single(query, as_json=as_json, call_only=call_only)
    raise typer.Exit(int(code))


STREAM_SEVERITY = (
    ExitCode.BAD_INPUT,
    ExitCode.HANDLER,
    ExitCode.UNPARSABLE,
    ExitCode.NEEDS_INPUT,
    ExitCode.UNSURE,
    ExitCode.OK,
)
"""A streamed run's exit code, most serious first: 0 when every line was answered with a
call or "no function fits" (and, with --run, every handler ran and succeeded)."""


def exit_code_for(kind: OutcomeKind) -> ExitCode:
    """The exit code of an answer that is not unusable."""
    return {
        OutcomeKind.IRRELEVANT: ExitCode.NO_FUNCTION,
        OutcomeKind.NEEDS_INPUT: ExitCode.NEEDS_INPUT,
        OutcomeKind.UNSURE: ExitCode.UNSURE,
    }.get(kind, ExitCode.OK)


class _Asker:
    """Answers queries on one loaded caller and applies the output and --run choices."""

    def __init__(
        self, caller: Caller, *, run: bool, yes: bool, dry_run: bool, interactive: bool = False
    ) -> None:
        self.caller = caller
        self.run = run
        self.yes = yes
        self.dry_run = dry_run
        self.interactive = interactive
        self._handlers = None

    def _handler_table(self) -> Any:
        if self._handlers is None:
            from octopus_cli.output import handler_table

            self._handlers = handler_table(self.caller.function_set)
        return self._handlers

    def run_handlers(self, answer: Answer) -> list[dict[str, Any]]:
        """Run (or dry-run) the handler of each call; raises HandlerError on failure."""
        from octopus_cli.handlers import execute

        results = []
        for call in answer.outcome.calls:
            try:
                result = execute(
                    call,
                    self._handler_table(),
                    assume_yes=self.yes,
                    dry_run=self.dry_run,
                    confirm=prompts.confirm_argv,
                )
            except HandlerDeclined as declined:  # the flag that skips the question is ours
                raise HandlerDeclined(
                    declined.message, hint=f"{declined.hint}; pass --yes to skip the question"
                ) from None
            record: dict[str, Any] = {
                "argv": result.argv,
                "ran": result.ran,
                "returncode": result.returncode,
            }
            if result.ran:
                record |= {"stdout": result.stdout, "stderr": result.stderr}
            results.append(record)
        return results

    def single(self, query: str, *, as_json: bool, call_only: bool) -> ExitCode:
        answer = self.caller.ask(query)
        if self.interactive:
            answer = prompts.settle(answer)
        kind = answer.outcome.kind
        handler_error: HandlerError | None = None
        if self.run and kind is OutcomeKind.CALL:
            try:
                answer.extra["handlers"] = self.run_handlers(answer)
            except HandlerError as error:
                handler_error = error
                answer.extra["handler_error"] = error.message
        if as_json:
            _write_line(sys.stdout, json.dumps(answer_to_dict(answer), ensure_ascii=False))
        elif call_only:
            if answer.outcome.calls:
                _write_line(sys.stdout, call_line(answer))
        elif not kind.is_failure:  # failures are reported once, as an error, below
            render_answer(answer, out_console())
            for item in answer.extra.get("handlers", []):
                verb = "ran" if item["ran"] else "would run"
                err_console.print(f"[dim]{verb}:[/dim] {shlex.join(item['argv'])}", highlight=False)
                if item.get("stdout"):  # what the handler said is the user's answer too
                    _write_line(sys.stdout, item["stdout"].rstrip("\n"))
                if item.get("stderr"):  # e.g. gsettings exits 0 yet says it could not save
                    _write_line(sys.stderr, item["stderr"].rstrip("\n"))
        if handler_error is not None:
            raise handler_error
        if kind.is_failure:
            if not as_json:
                raise _UnusableAnswer(answer)
            return ExitCode.UNPARSABLE
        return exit_code_for(kind)

    def stream(self, source: BinaryIO, out: TextIO, *, call_only: bool, batch: int = 1) -> ExitCode:
        """One JSON line (or call line) per non-blank input line, flushed as it is ready.

        The exit code is the most serious of the lines' (see :data:`STREAM_SEVERITY`).
        """
        codes = {ExitCode.OK}
        for line, answer in self._answers(source, batch):
            if answer is None:
                assert line.error is not None
                err_console.print(f"[bold red]Error:[/bold red] {line.error.message}")
                record = {"line": line.number, "status": "bad_input", "error": line.error.message}
                _write_line(out, "" if call_only else json.dumps(record))
                codes.add(ExitCode.BAD_INPUT)
                continue
            answer.extra["line"] = line.number
            kind = answer.outcome.kind
            code = ExitCode.UNPARSABLE if kind.is_failure else exit_code_for(kind)
            codes.add(code if code in STREAM_SEVERITY else ExitCode.OK)  # irrelevant: answered
            if self.run and kind is OutcomeKind.CALL:
                try:
                    answer.extra["handlers"] = self.run_handlers(answer)
                except HandlerError as error:
                    answer.extra["handler_error"] = error.message
                    codes.add(ExitCode.HANDLER)
            if call_only:
                _write_line(out, call_line(answer))
            else:
                _write_line(out, json.dumps(answer_to_dict(answer), ensure_ascii=False))
        return min(codes, key=STREAM_SEVERITY.index)

    def _answers(self, source: BinaryIO, batch: int) -> Iterator[tuple[_Line, Answer | None]]:
        """Each line with its answer (None for an unreadable line), in input order; with
        ``batch`` > 1 the caller decodes that many together, reading on a thread."""
        items = ((line, line.query) for line in _read_lines(_reader_for_thread(source)))
        for line, answer in self.caller.ask_in_order(items, batch=batch):
            if isinstance(answer, InputError):  # this query alone: the rest go on
                yield line.failed(answer), None
            else:
                yield line, answer


@dataclass
class _Line:
    """One non-blank stdin line: its query, or why it could not be read."""

    number: int
    query: str | None
    error: InputError | None = None

    def failed(self, error: InputError) -> _Line:
        """This line, with the reason its query got no answer."""
        return _Line(self.number, self.query, InputError(f"stdin line {self.number}: {error}"))


def _reader_for_thread(source: BinaryIO) -> BinaryIO:
    """A reader of its own on ``source``'s file descriptor, for the input thread.

    A thread blocked reading a pipe holds its reader's lock; if the process then ends (the
    reader of our stdout went away), shutdown closes ``sys.stdin``, cannot take that lock
    and aborts ("could not acquire lock ... possibly due to daemon threads"). A private
    reader is never closed at shutdown. Streams without a descriptor are used as they are.
    """
    try:
        fd = source.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return source
    return open(fd, "rb", closefd=False)  # kept open by the thread while it reads


def _read_lines(source: BinaryIO) -> Iterator[_Line]:
    for number, raw in enumerate(source, start=1):
        try:
            query = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            error = InputError(f"stdin line {number} is not valid UTF-8; skipped")
            yield _Line(number, None, error)
            continue
        if query:
            yield _Line(number, query)


class _UnusableAnswer(OctopusError):
    exit_code = ExitCode.UNPARSABLE

    def __init__(self, answer: Answer) -> None:
        kind = answer.outcome.kind
        super().__init__(
            f"the model's answer is unusable ({kind}): {answer.outcome.error}",
            hint="try rephrasing, use --json to see the raw output, or keep --grammar on",
        )


def _check_utf8(query: str) -> None:
    """The command line gives undecodable bytes as lone surrogates; say so, once."""
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(
            "the query is not valid UTF-8",
            hint="check the terminal's or the script's encoding (LANG=C.UTF-8)",
        ) from None


def _write_line(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()
