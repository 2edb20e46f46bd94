"""``octopus data``: write training and held-out examples for a function set.

Registered by the CLI as ``octopus data``. User errors are raised as ``octopus_cli.errors``
exceptions, which the CLI maps to messages and exit codes.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from octopus_cli.commands import options as opt
from octopus_cli.commands.options import FunctionsOption
from octopus_cli.console import out_console
from octopus_cli.functions import FunctionSet, load_function_set

if TYPE_CHECKING:  # the generator's templates are slow to import: only when used
    from octopus_cli.train.data import Example

# The generator's DEFAULT_HELDOUT_FRACTION (a test keeps them equal).
HELDOUT_FRACTION = 0.2

TRAIN_FILE, HELDOUT_FILE = "train.jsonl", "heldout.jsonl"


def data_command(
    functions: FunctionsOption = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", file_okay=False, help="Directory for train.jsonl and heldout.jsonl."
        ),
    ] = Path("data"),
    per_function: Annotated[
        int, typer.Option("--per-function", min=1, help="Examples per callable function.")
    ] = 300,
    count: opt.CountOption = None,
    irrelevant: opt.IrrelevantOption = None,
    border: opt.BorderOption = 0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 0,
    heldout_fraction: Annotated[
        float,
        typer.Option(
            "--heldout-fraction",
            min=0.01,
            max=0.9,
            help="Share of templates, slot values and examples kept out of training.",
        ),
    ] = HELDOUT_FRACTION,
    examples: Annotated[
        Path | None,
        typer.Option(
            "--examples",
            help='Your own JSONL lines {"query", "function", "arguments"}, merged in '
            "(a stable fifth of them, by --heldout-fraction, goes to heldout.jsonl).",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Generate query/call examples: train.jsonl and a held-out heldout.jsonl.

    Lines are {"query", "function", "arguments", "target"}; target is the exact model
    output, e.g. <nexa_0>('front')<nexa_end>. Held-out lines use templates and slot
    values that training never sees. The Android set has its own templates; any other
    set gets generic ones from its descriptions and parameters (add --examples).

    Examples:

      octopus data --out data --per-function 300 --seed 1

      octopus data --functions my-functions.toml --examples mine.jsonl --out data
    """
    function_set = load_function_set(functions)
    counts = opt.parse_counts(count, function_set)
    if irrelevant is None:
        irrelevant = opt.default_irrelevant(function_set, per_function, counts)
    elif irrelevant and not any(f.irrelevant for f in function_set.functions):
        raise typer.BadParameter(
            f"function set {function_set.name!r} has no irrelevant function to give negatives",
            param_hint="--irrelevant",
        )
    from octopus_cli.train.data import build_dataset, write_jsonl_atomic

    train, heldout = build_dataset(
        function_set,
        per_function=per_function,
        counts=counts,
        irrelevant=irrelevant,
        border=border,
        seed=seed,
        heldout_fraction=heldout_fraction,
        user_examples=examples,
    )
    write_jsonl_atomic(out / TRAIN_FILE, (e.to_record() for e in train))
    write_jsonl_atomic(out / HELDOUT_FILE, (e.to_record() for e in heldout))
    report = dataset_report(function_set, train, heldout)
    report["files"] = {"train": str(out / TRAIN_FILE), "heldout": str(out / HELDOUT_FILE)}
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _render(report, out_console())


def dataset_report(
    function_set: FunctionSet, train: list[Example], heldout: list[Example]
) -> dict[str, Any]:
    """Counts per split and function, and how many queries are distinct."""
    irrelevant = {f.name for f in function_set.functions if f.irrelevant}
    report: dict[str, Any] = {}
    for name, examples in (("train", train), ("heldout", heldout)):
        per_function = Counter(e.function for e in examples)
        negatives = sum(per_function[n] for n in irrelevant)
        report[name] = {
            "lines": len(examples),
            "distinct_queries": len({e.query for e in examples}),
            "templates": len({e.template for e in examples}),
            "irrelevant_share": round(negatives / len(examples), 3) if examples else None,
            "per_function": {f.name: per_function[f.name] for f in function_set.functions},
        }
    return report


def _render(report: dict[str, Any], console: Console) -> None:
    table = Table(title="Examples", title_justify="left")
    table.add_column("split")
    table.add_column("lines", justify="right")
    table.add_column("distinct", justify="right")  # queries, once each
    table.add_column("templates", justify="right")
    table.add_column("irrelevant", justify="right")
    table.add_column("file", overflow="fold")  # a path is folded, never cut short with …
    for split in ("train", "heldout"):
        row = report[split]
        share = row["irrelevant_share"]
        table.add_row(
            split,
            str(row["lines"]),
            str(row["distinct_queries"]),
            str(row["templates"]),
            "-" if share is None else f"{share * 100:.0f} %",
            report["files"][split],
        )
    console.print(table)
