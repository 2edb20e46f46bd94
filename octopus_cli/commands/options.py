"""Options shared by several commands (``ask``, ``repl``, ``eval``; ``train``, ``average``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from octopus_cli.calls import DEFAULT_MIN_CONFIDENCE
from octopus_cli.session import CallerOptions

if TYPE_CHECKING:
    from octopus_cli.caller import Caller
    from octopus_cli.functions import FunctionSet

ArtifactOutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        "-o",
        file_okay=False,
        help="Artifact directory: adapter.safetensors (LoRA + new token rows) and "
        "manifest.json. A previous artifact there is replaced when the run succeeds.",
        show_default=False,
    ),
]
ManifestJsonOption = Annotated[
    bool, typer.Option("--json", help="Print the manifest as JSON instead of a summary.")
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        "-m",
        help="Registry name (see `octopus models list`) or path to a GGUF file. "
        "Default: $OCTOPUS_MODEL, then the default model.",
        show_default=False,
    ),
]
FunctionsOption = Annotated[
    Path | None,
    typer.Option(
        "--functions",
        "-f",
        help="Function set TOML file (default: the built-in Android set).",
        show_default=False,
    ),
]
GrammarOption = Annotated[
    bool,
    typer.Option(
        "--grammar/--no-grammar",
        help="Constrain decoding to a valid call of the function set.",
    ),
]
FreeValuesOption = Annotated[
    bool,
    typer.Option(
        "--free-values",
        help="Let parameters marked copy take any text, not only the query's own words.",
    ),
]
MinConfidenceOption = Annotated[
    float,
    typer.Option(
        "--min-confidence",
        min=0.0,
        max=1.0,
        help="Below this probability for its choice of function the answer is 'unsure' "
        "(asked about on a terminal, never run); 0 turns it off.",
    ),
]
GpuLayersOption = Annotated[
    int,
    typer.Option(
        "--gpu-layers",
        "-ngl",
        min=-1,
        help="Layers to offload to Metal or Vulkan (-1: all). Needs a GPU build.",
    ),
]
ThreadsOption = Annotated[
    int | None,
    typer.Option(
        "--threads", "-t", min=1, help="CPU threads (default: all cores).", show_default=False
    ),
]

BorderOption = Annotated[
    int,
    typer.Option(
        "--border",
        min=0,
        help="More negatives from out-of-scope requests at the set's borders (block a "
        "number, preheat the oven, dark theme, 'I'm boarding now'); Android sets only.",
    ),
]
IrrelevantOption = Annotated[
    int | None,
    typer.Option(
        "--irrelevant",
        min=0,
        help="Negatives for irrelevant_function (default: half the function examples).",
        show_default=False,
    ),
]


CountOption = Annotated[
    list[str] | None,
    typer.Option(
        "--count",
        metavar="NAME=N",
        help="Examples for one function instead of --per-function (more for the hard "
        "ones); repeatable.",
        show_default=False,
    ),
]


def parse_counts(values: list[str] | None, function_set: FunctionSet) -> dict[str, int]:
    """``--count NAME=N`` values as {function name: examples}, checked against the set."""
    counts: dict[str, int] = {}
    names = {f.name: f for f in function_set.functions}
    for value in values or []:
        name, _, number = value.partition("=")
        name = name.strip()
        if not number.strip().isdigit():
            raise typer.BadParameter(f"{value!r} is not NAME=N", param_hint="--count")
        if name not in names:
            raise typer.BadParameter(
                f"no function {name!r} in set {function_set.name!r}", param_hint="--count"
            )
        if names[name].irrelevant:
            raise typer.BadParameter(
                f"{name} takes its count from --irrelevant", param_hint="--count"
            )
        counts[name] = int(number)
    return counts


def default_irrelevant(
    function_set: FunctionSet, per_function: int, counts: dict[str, int] | None = None
) -> int:
    """Half as many negatives as calls: a third of the data says "no function fits"."""
    counts = counts or {}
    calls = sum(
        counts.get(f.name, per_function) for f in function_set.functions if not f.irrelevant
    )
    has_irrelevant = any(f.irrelevant for f in function_set.functions)
    return calls // 2 if has_irrelevant else 0


def caller_options(
    model: str | None,
    functions: Path | None,
    grammar: bool,
    gpu_layers: int,
    threads: int | None,
    free_values: bool = False,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
) -> CallerOptions:
    return CallerOptions(
        model=model,
        functions=functions,
        grammar=grammar,
        copy_values=not free_values,
        gpu_layers=gpu_layers,
        threads=threads,
        min_confidence=min_confidence,
    )


def loading_status(console: Console) -> contextlib.AbstractContextManager[object]:
    """A spinner while the model loads, only when someone is watching that console."""
    if console.is_terminal:
        return console.status("Loading model…", spinner="dots")
    return contextlib.nullcontext()


def open_caller(options: CallerOptions, console: Console) -> Caller:
    """Load the model (a spinner on ``console`` meanwhile), saying so when --gpu-layers
    asks for offload that this llama.cpp build cannot do."""
    from octopus_cli import session
    from octopus_cli.console import report_warning

    if options.gpu_layers and not session.gpu_offload_supported():
        report_warning(
            "this llama-cpp-python build has no GPU backend, so --gpu-layers is ignored "
            "(README: GPU)"
        )
    with loading_status(console):
        return session.open_caller(options)
