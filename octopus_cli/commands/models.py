"""``octopus models``: list, pull, locate and remove models.

Data goes to stdout (the table, a path), everything else to stderr, so
``$(octopus models path)`` and ``octopus models pull NAME > path.txt`` compose in scripts.
Errors are raised as :mod:`octopus_cli.errors` exceptions; the main app turns them into
``Error: ...`` and an exit code.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from octopus_cli import models
from octopus_cli.help_console import HelpCommand, HelpGroup
from octopus_cli.models import MODEL_ENV, ModelStatus
from octopus_cli.paths import models_dir

models_app = typer.Typer(
    name="models",
    cls=HelpGroup,
    help="List, download, locate and remove models.",
    no_args_is_help=True,
)


def _format_size(size: int | None, *, approximate: bool) -> str:
    if size is None:
        return "-"
    value, unit = float(size), "B"
    for next_unit in ("kB", "MB", "GB", "TB"):
        if value < 1000:
            break
        value, unit = value / 1000, next_unit
    text = f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
    return f"~{text}" if approximate else text


def _source(status: ModelStatus) -> str:
    entry = status.entry
    if entry.kind == "assembled":
        return f"models/{entry.artifact} + Gemma 3 270M from PyPI (assembled locally)"
    if entry.kind == "safetensors":
        return f"{entry.repo_id} (converted locally)"
    return f"{entry.repo_id}/{entry.filename}"


@models_app.command("list", cls=HelpCommand)
def list_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """Show the known models, whether each is downloaded, and its size.

    The default model (used when no --model is given) is marked '*'.

    Examples:
    \b
        octopus models list
        octopus models list --json | jq -r '.[] | select(.pulled) | .path'
    """
    statuses = models.list_models()
    default = models.default_model_spec().lower()
    if as_json:
        rows = [
            {
                "name": s.entry.name,
                "default": s.entry.name == default,
                "kind": s.entry.kind,
                "repo_id": s.entry.repo_id,
                "filename": s.entry.filename,
                "revision": s.entry.revision,
                "sha256": s.entry.sha256,
                "pulled": s.pulled,
                "path": str(s.path),
                "size": s.size,
                "description": s.entry.description,
            }
            for s in statuses
        ]
        typer.echo(json.dumps(rows, indent=2))
        return

    table = [("  NAME", "STATUS", "SIZE", "SOURCE")]
    table += [
        (
            ("* " if s.entry.name == default else "  ") + s.entry.name,
            "pulled" if s.pulled else "not pulled",
            _format_size(s.size, approximate=not s.pulled),
            _source(s),
        )
        for s in statuses
    ]
    widths = [max(len(row[column]) for row in table) for column in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        typer.echo("  ".join([*cells, row[3]]))
    typer.echo(f"models directory: {models_dir()}", err=True)


@models_app.command("pull", cls=HelpCommand)
def pull_command(
    name: Annotated[str, typer.Argument(help="Registry name, as shown by 'octopus models list'.")],
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Download again even if already pulled.")
    ] = False,
    progress: Annotated[
        bool, typer.Option("--progress/--no-progress", help="Show download progress bars.")
    ] = True,
    keep_source: Annotated[
        bool,
        typer.Option(
            "--keep-source",
            help="For converted models, keep the downloaded checkpoint after conversion.",
        ),
    ] = False,
) -> None:
    """Download a model from the Hugging Face hub and print its path.

    Published GGUF files are checked against their sha256.
    'octopus-v2' downloads the original checkpoint (about 5 GB)
    and converts it to GGUF locally.
    The hub address comes from HF_ENDPOINT;
    HF_HUB_OFFLINE=1 disables downloads.

    Examples:
    \b
        octopus models pull octopus-v2-q4_k_m
        HF_ENDPOINT=http://mirror.lan:8080 octopus models pull octopus-v2-q4_0
        MODEL="$(octopus models pull octopus-v2-q4_k_m --no-progress)"
    """
    entry = models.get_entry(name)
    already = models.is_pulled(entry)
    if already and not force:
        typer.echo(f"{entry.name} is already pulled (use --force to download it again)", err=True)
    path = models.pull(name, progress=progress, force=force, keep_source=keep_source)
    if force or not already:
        typer.echo(f"pulled {entry.name}", err=True)
    typer.echo(str(path))


@models_app.command("path", cls=HelpCommand)
def path_command(
    model: Annotated[
        str | None,
        typer.Argument(
            help="Registry name or .gguf path "
            f"\\[default: ${MODEL_ENV}, else {models.DEFAULT_MODEL}].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the file a model name resolves to (fails if it is not downloaded).

    Examples:
    \b
        octopus models path octopus-v2-q4_k_m
        OCTOPUS_MODEL=octopus-v2-q4_0 octopus models path
        ls -l "$(octopus models path)"
    """
    typer.echo(str(models.resolve_model(model)))


@models_app.command("rm", cls=HelpCommand)
def rm_command(
    name: Annotated[str, typer.Argument(help="Registry name of the model to delete.")],
) -> None:
    """Delete a pulled model and any partial download or kept checkpoint of it.

    Examples:
    \b
        octopus models rm octopus-v2-f16
    """
    removed = models.remove(name)
    if not removed:
        typer.echo(f"{models.get_entry(name).name} is not downloaded; nothing to remove", err=True)
    for path in removed:
        typer.echo(f"removed {path}", err=True)
