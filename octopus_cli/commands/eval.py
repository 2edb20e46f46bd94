"""``octopus eval``: score a model on query/function/arguments lines.

Registered by the CLI as ``app.command("eval")(eval_command)``. User errors are raised as
``octopus_cli.errors`` exceptions, which the CLI maps to messages and exit codes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from octopus_cli.commands.options import (
    DEFAULT_MIN_CONFIDENCE,
    FreeValuesOption,
    FunctionsOption,
    GpuLayersOption,
    GrammarOption,
    MinConfidenceOption,
    ModelOption,
    ThreadsOption,
    caller_options,
    open_caller,
)
from octopus_cli.console import err_console, out_console
from octopus_cli.errors import InputError
from octopus_cli.functions import load_function_set

if TYPE_CHECKING:
    from octopus_cli.train.evaluate import ScoredLine


def default_scored_path(data: Path) -> Path:
    """``queries.jsonl`` is scored into ``queries.scored.jsonl`` beside it."""
    return data.with_name(f"{data.stem}.scored.jsonl")


def eval_command(
    data: Annotated[
        Path,
        typer.Argument(
            help='JSONL file, one {"query", "function", "arguments"} object per line '
            "(function null or irrelevant_function: no function fits).",
            dir_okay=False,
            show_default=False,
        ),
    ],
    model: ModelOption = None,
    functions: FunctionsOption = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Where to write the scored lines as JSONL (default: DATA.scored.jsonl).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", "-n", min=1, help="Score only the first N lines.", show_default=False
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="An earlier run's scored JSONL on the same data: count the answers this "
            "run fixed and broke.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as one JSON object.")
    ] = False,
    plot: Annotated[
        Path | None,
        typer.Option(
            "--plot",
            help="Also draw accuracy against the share of queries answered as "
            "--min-confidence moves, as a PNG (needs matplotlib).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    grammar: GrammarOption = True,
    free_values: FreeValuesOption = False,
    min_confidence: MinConfidenceOption = DEFAULT_MIN_CONFIDENCE,
    gpu_layers: GpuLayersOption = 0,
    threads: ThreadsOption = None,
) -> None:
    """Score a model: accuracy overall, on irrelevant queries, per function and category.

    Each answer gets one category, first match wins: no_end, unparsable, unknown_token,
    called_on_irrelevant, missed_call, other_function, wrong_argument_names,
    breaks_signature, different_value, asked, unsure, withheld, correct (every value and
    type equal). Right is correct or withheld (no function fits, and the answer asks or
    is unsure instead of calling). Also counted: calls on queries that fit no function,
    calls with a value the query never gave, needs_input and unsure answers, and accuracy
    against the share answered as --min-confidence moves. A line may name what its query
    leaves out, "missing": [...]: asking for it is then correct. Latency is the
    generation time per query (p50, p90).

    Examples:

      octopus eval data/heldout.jsonl

      octopus eval fresh.jsonl --model octopus-mini --out fresh.scored.jsonl

      octopus eval data/heldout.jsonl --limit 200 --json > report.json

      octopus eval data/heldout.jsonl -m new.gguf --against old.scored.jsonl
    """
    function_set = load_function_set(functions)
    # Imported here, not at start-up: the data generator is slow to import.
    from octopus_cli.train.data import read_examples, write_jsonl_atomic
    from octopus_cli.train.evaluate import (
        THRESHOLDS,
        check_same_data,
        compare_scored,
        evaluate,
        plot_thresholds,
        read_scored,
        summarize,
        threshold_table,
    )

    # Fails on a bad line before loading a model.
    examples = read_examples(data, function_set, allow_missing=True)
    if limit is not None:
        examples = examples[:limit]
    if not examples:
        raise InputError(f"{data} has no data lines", hint='one {"query", ...} object per line')
    destination = out or default_scored_path(data)
    if destination.resolve() == data.resolve():
        raise InputError(
            f"--out {destination} is the data file being scored",
            hint="name another file for the scored lines, or leave --out out",
        )
    earlier = None
    if against is not None:  # read now: --out may be the same file
        earlier = read_scored(against)
        check_same_data(examples, earlier, against)
    # No threshold in the caller: each line is judged at every threshold afterwards.
    options = caller_options(model, functions, grammar, gpu_layers, threads, free_values, 0.0)
    caller = open_caller(options, err_console)
    with _progress(len(examples)) as advance:
        scored = evaluate(caller, examples, min_confidence=min_confidence, on_line=advance)
    comparison = None if earlier is None else compare_scored(scored, earlier, against)
    write_jsonl_atomic(destination, (line.to_record() for line in scored))
    summary = summarize(scored, caller.function_set)
    thresholds = sorted({*THRESHOLDS, min_confidence})
    summary["min_confidence"] = min_confidence
    summary["thresholds"] = threshold_table(scored, caller.function_set, thresholds)
    if plot is not None:
        plot_thresholds(summary["thresholds"], plot)
    summary["data"] = str(data)
    summary["scored"] = str(destination)
    # How the figures were decoded, so a report says whether the copy rules were on.
    summary["decoding"] = {"grammar": caller.use_grammar, "copy_values": caller.copy_values}
    if comparison is not None:
        summary["against"] = comparison
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    render_summary(summary, out_console())
    err_console.print(f"[dim]scored lines: {destination}[/dim]", highlight=False)


@contextlib.contextmanager
def _progress(total: int) -> Any:
    """A progress bar on stderr while queries run; silent when stderr is not a terminal."""
    progress = Progress(
        TextColumn("scoring"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[accuracy]}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    )
    counts = {"seen": 0, "correct": 0}
    with progress:
        task = progress.add_task("scoring", total=total, accuracy="")

        def advance(line: ScoredLine) -> None:
            counts["seen"] += 1
            counts["correct"] += line.category.is_right
            accuracy = f"{100 * counts['correct'] / counts['seen']:.1f} % correct"
            progress.update(task, advance=1, accuracy=accuracy)

        yield advance


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f} %"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def render_summary(summary: dict[str, Any], console: Console) -> None:
    """Three small tables: the headline figures, per function, per category."""
    irrelevant = summary["irrelevant"]
    latency = summary["latency_ms"]
    overview = Table.grid(padding=(0, 2))
    overview.add_column(style="dim")
    overview.add_column()
    overview.add_row(
        "accuracy",
        Text(
            f"{_percent(summary['accuracy'])}  ({summary['correct']}/{summary['lines']})",
            style="bold",
        ),
    )
    overview.add_row(
        "irrelevant queries",
        f"{_percent(irrelevant['accuracy'])}  ({irrelevant['correct']}/{irrelevant['lines']})",
    )
    trust = summary["trust"]
    overview.add_row(
        "calls on irrelevant",
        f"{trust['false_calls_on_irrelevant']}  · calls with a value the query never gave: "
        f"{trust['ungrounded_calls']}",
    )
    overview.add_row(
        "asked / unsure",
        f"{trust['needs_input']} needs_input · {trust['unsure']} unsure",
    )
    overview.add_row("latency", f"p50 {_ms(latency['p50'])} · p90 {_ms(latency['p90'])}")
    if against := summary.get("against"):
        overview.add_row(
            "against earlier run",
            f"{against['fixed']} fixed · {against['broken']} broken  "
            f"(was {_percent(against['accuracy_before'])}, {against['file']})",
        )
    console.print(overview)

    functions = Table(title="Per function", title_justify="left")
    functions.add_column("function")
    functions.add_column("lines", justify="right")
    functions.add_column("correct", justify="right")
    functions.add_column("accuracy", justify="right")
    for name, row in summary["per_function"].items():
        functions.add_row(name, str(row["lines"]), str(row["correct"]), _percent(row["accuracy"]))
    console.print(functions)

    if rows := summary.get("thresholds"):
        render_thresholds(rows, console)

    categories = Table(title="Per category (first match wins)", title_justify="left")
    categories.add_column("category")
    categories.add_column("count", justify="right")
    categories.add_column("share", justify="right")
    for name, row in summary["per_category"].items():
        style = "green" if row["right"] else ("dim" if not row["count"] else "")
        categories.add_row(Text(name, style=style), str(row["count"]), _percent(row["share"]))
    console.print(categories)


def render_thresholds(rows: Sequence[dict[str, Any]], console: Console) -> None:
    """Accuracy against the share of queries answered, one row per threshold."""
    table = Table(title="As --min-confidence moves", title_justify="left")
    for column in ("threshold", "answered", "accuracy", "in scope", "out of scope", "false calls"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            f"{row['threshold']:g}",
            _percent(row["answered"]),
            _percent(row["accuracy"]),
            _percent(row["in_scope_accuracy"]),
            _percent(row["out_of_scope_accuracy"]),
            str(row["false_calls"]),
        )
    console.print(table)
