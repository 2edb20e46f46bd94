"""``octopus convert``: turn a Hugging Face checkpoint into a GGUF llama.cpp runs.

Registered by the CLI as ``app.command("convert")(convert_command)``. User errors are
raised as ``octopus_cli.errors`` exceptions, which the CLI maps to messages and exit codes.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from octopus_cli.functions import load_function_set
from octopus_cli.paths import models_dir

if TYPE_CHECKING:  # the converter imports gguf: load it only when converting
    from octopus_cli.convert import ConversionSummary


class Quant(StrEnum):
    """Output types; the values are the keys of ``octopus_cli.convert.QUANT_TYPES``."""

    q4_k_m = "q4_k_m"
    q4_0 = "q4_0"
    q8_0 = "q8_0"
    f16 = "f16"
    f32 = "f32"


def default_output(source: str, quant: str) -> Path:
    """``<models dir>/<checkpoint name>.<quant>.gguf``, where ``octopus run`` looks for models."""
    path = Path(source).expanduser()
    name = path.resolve().name if path.is_dir() else Path(source.rstrip("/")).name
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "model"
    return models_dir() / f"{slug}.{quant}.gguf"


def _size(n_bytes: int) -> str:
    if n_bytes < 1000:
        return f"{n_bytes} B"
    value = float(n_bytes)
    for unit in ("KB", "MB", "GB"):
        value /= 1000
        if value < 1000 or unit == "GB":
            break
    return f"{value:.2f} {unit}"


def _params(n: int) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e9 else f"{n / 1e6:.2f} M" if n >= 1e6 else f"{n:,}"


def _quantize_share(summary: ConversionSummary) -> str:
    if not summary.quantize_seconds:
        return ""
    return f" (quantizing {summary.quantize_seconds:.1f} s)"


def print_summary(summary: ConversionSummary) -> None:
    """The closing summary on stdout (progress went to stderr)."""
    rows = [
        ("output", str(summary.out)),
        ("architecture", summary.architecture),
        ("quantization", summary.quant.upper()),
        ("tensors", str(summary.tensors)),
        ("parameters", _params(summary.parameters)),
        ("size", _size(summary.output_bytes)),
        ("functional tokens", str(summary.function_tokens) if summary.function_tokens else "none"),
        ("time", f"{summary.seconds:.1f} s" + _quantize_share(summary)),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        typer.echo(f"{key:<{width}}  {value}")


def convert_command(
    source: Annotated[
        str,
        typer.Argument(
            help="Checkpoint directory, or a Hugging Face repo id such as NexaAIDev/Octopus-v2 "
            "(only config, tokenizer files and safetensors are downloaded).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="GGUF file to write. Default: <data dir>/models/<name>.<quant>.gguf.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    quant: Annotated[
        Quant,
        typer.Option(
            "--quant",
            "-q",
            help="Output type: q4_k_m (4-bit, the default), q4_0, q8_0, f16 or f32.",
            case_sensitive=False,
        ),
    ] = Quant.q4_k_m,
    functions: Annotated[
        Path | None,
        typer.Option(
            "--functions",
            "-f",
            help="Function set TOML the model was trained with (default: the built-in "
            "Android set). Its tokens must be in the checkpoint's vocabulary.",
            exists=False,
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    plain: Annotated[
        bool,
        typer.Option(
            "--plain",
            help="Also convert a checkpoint without the functional tokens (e.g. base "
            "Gemma 3); their metadata is then left out.",
        ),
    ] = False,
    revision: Annotated[
        str | None,
        typer.Option("--revision", help="Hub branch, tag or commit to fetch.", show_default=False),
    ] = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", help="No progress bar (the summary is still printed).")
    ] = False,
) -> None:
    """Convert a Hugging Face Gemma checkpoint with functional tokens to a GGUF.

    Architectures: GemmaForCausalLM (Octopus v2), Gemma2ForCausalLM, Gemma3ForCausalLM.
    Shapes, vocabulary and functional tokens are checked before anything is written.
    Weights are written as F16/F32, then quantized by llama.cpp's own quantizer.
    The output file appears only once complete; a failed or interrupted run leaves nothing.

    Examples:

        octopus convert NexaAIDev/Octopus-v2 --out octopus-v2.q4_k_m.gguf

        octopus convert ./my-finetune -o my.gguf --quant q8_0 -f my_set.toml

        octopus convert ./gemma-3-270m --plain --quant f16
    """
    function_set = load_function_set(functions) if functions is not None else None
    target = out if out is not None else default_output(source, quant.value)
    from octopus_cli.convert import convert_checkpoint  # here: gguf is slow to import

    summary = convert_checkpoint(
        source,
        target,
        quant=quant.value,
        function_set=function_set,
        progress=not quiet,
        require_functional_tokens=not plain,
        revision=revision,
    )
    print_summary(summary)
