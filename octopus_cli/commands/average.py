"""``octopus average``: one artifact from several training runs (a uniform model soup).

Registered by the CLI as ``octopus average``. The work is in
:mod:`octopus_cli.train.average` (numpy only, no torch).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from octopus_cli.commands import options as opt


def average_command(
    runs: Annotated[
        list[Path],
        typer.Argument(
            help="Artifact directories written by octopus train (two or more).",
            metavar="RUN",
            file_okay=False,
            show_default=False,
        ),
    ],
    out: opt.ArtifactOutOption,
    rank: Annotated[
        int | None,
        typer.Option(
            "--rank",
            min=1,
            help="Cut each averaged change to its RANK largest singular directions (SVD), so "
            "the adapter keeps one run's size. Default: keep the exact average.",
            show_default=False,
        ),
    ] = None,
    as_json: opt.ManifestJsonOption = False,
) -> None:
    """Average the weight changes of several training runs into one artifact.

    Two runs of one recipe with different seeds score alike but disagree on many single
    answers; their average keeps what they share. The runs must be of the same base model
    and function set. The result is exact (a LoRA whose rank is the sum of the runs'
    ranks), so the adapter grows by one run's size per run, unless --rank cuts it back.
    Assemble it like any artifact (octopus models pull, make install) and score it with
    octopus eval --against.

    Examples:

      octopus train --out runs/seed0 --seed 0

      octopus train --out runs/seed1 --seed 1

      octopus average runs/seed0 runs/seed1 --out models/mine

      octopus average runs/seed0 runs/seed1 --rank 16 --out models/mine-small
    """
    if len(runs) < 2:
        raise typer.BadParameter("name two or more runs", param_hint="RUNS")
    from octopus_cli.train.average import average_runs

    manifest = average_runs(runs, out, rank)
    if as_json:
        typer.echo(json.dumps(manifest, indent=2))
        return
    typer.echo(f"averaged {len(runs)} runs into {out} (LoRA rank {manifest['lora']['r']})")
