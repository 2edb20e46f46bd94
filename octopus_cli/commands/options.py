"""Options shared by the commands that load a model (``ask``, ``repl``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from octopus_cli.session import CallerOptions

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
        dir_okay=False,
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

IrrelevantOption = Annotated[
    int | None,
    typer.Option(
        "--irrelevant",
        min=0,
        help="Negatives for irrelevant_function (default: half the function examples).",
        show_default=False,
    ),
]


def caller_options(
    model: str | None,
    functions: Path | None,
    grammar: bool,
    gpu_layers: int,
    threads: int | None,
) -> CallerOptions:
    return CallerOptions(
        model=model, functions=functions, grammar=grammar, gpu_layers=gpu_layers, threads=threads
    )


def loading_status(console: Console) -> contextlib.AbstractContextManager[object]:
    """A spinner while the model loads, only when someone is watching that console."""
    if console.is_terminal:
        return console.status("Loading model…", spinner="dots")
    return contextlib.nullcontext()
