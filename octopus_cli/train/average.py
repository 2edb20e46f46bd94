"""Average several training runs of one function set into one artifact (a uniform soup).

Why: two runs of the same recipe with different seeds disagree on about one held-out answer
in eleven while scoring within two points of each other. Averaging their weight changes
keeps what the runs agree on and damps what each learnt by chance ("model soups",
Wortsman et al. 2022, arXiv 2203.05482: a uniform average of fine-tunes that share a
starting point).

The average is exact and needs nothing new from the assembler. Run i changes a weight by
``s_i * B_i @ A_i`` (LoRA rank r_i, scale s_i), so the mean over k runs is one LoRA of rank
``r_1 + ... + r_k`` with scale 1: ``A = [A_1; ...; A_k]`` stacked on the rank axis and
``B = [B_1 s_1/k, ..., B_k s_k/k]``. The new token rows are averaged directly. Kept whole,
nothing is lost and the adapter grows with the number of runs (about 7.6 MB each for
Gemma 3 270M); with a ``rank``, each mean change is cut to its largest singular directions
and the adapter keeps one run's size.

numpy only: no torch, so it works without the training extra.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from octopus_cli.assemble import (
    NEW_ROWS,
    Artifact,
    ArtifactError,
    load_artifact,
    resolve_function_set,
)
from octopus_cli.errors import ExitCode
from octopus_cli.train.trainer import (
    ARTIFACT_FORMAT,
    check_writable_target,
    write_artifact,
)

# What must be equal in every run: the same base, tokens, function set and adapted tensors.
_SAME_IN_EVERY_RUN = {
    "base model (sha256)": lambda m: m.base_sha256,
    "added tokens": lambda m: m.added_tokens,
    "LoRA targets": lambda m: m.lora_targets,
}


class AverageError(ArtifactError):
    """The runs cannot be averaged: too few, or not trained for the same model and set."""

    exit_code = ExitCode.BAD_INPUT


def check_compatible(runs: Sequence[Artifact]) -> None:
    """Raise unless every run was trained on the same base, tokens, set and tensors."""
    if len(runs) < 2:
        raise AverageError(
            "averaging needs at least two training runs",
            hint="name two or more artifact directories written by octopus train",
        )
    first = runs[0]
    # Each run's set found and checked as assembly does it; then the same signatures: a
    # set file that only gained comments or copy marks still trains the same calls.
    signature = resolve_function_set(first).signature_sha256()
    for run in runs[1:]:
        differences = [
            what
            for what, key in _SAME_IN_EVERY_RUN.items()
            if key(run.manifest) != key(first.manifest)
        ]
        if resolve_function_set(run).signature_sha256() != signature:
            differences.append("function set")
        if differences:
            raise AverageError(
                f"{run.directory} and {first.directory} differ in their {differences[0]}",
                hint="only runs of the same base model and function set can be averaged",
            )
        if set(run.tensors) != set(first.tensors):
            odd = sorted(set(run.tensors) ^ set(first.tensors))
            raise AverageError(
                f"{run.directory} and {first.directory} hold different tensors (e.g. {odd[0]})",
                hint="only runs of the same base model and function set can be averaged",
            )
        for name, entry in run.tensors.items():
            other = first.tensors[name]
            rank_axis = 0 if name.endswith(".lora_a") else 1
            if name.endswith((".lora_a", ".lora_b")):
                same = _without(entry.shape, rank_axis) == _without(other.shape, rank_axis)
            else:
                same = entry.shape == other.shape
            if not same:
                raise AverageError(
                    f"{name} has shape {list(entry.shape)} in {run.directory} but "
                    f"{list(other.shape)} in {first.directory}"
                )


def _without(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    return shape[:axis] + shape[axis + 1 :]


def averaged_tensors(runs: Sequence[Artifact], rank: int | None = None) -> dict[str, np.ndarray]:
    """The stacked LoRA factors (scale folded into B) and the mean new rows, float16.

    ``rank`` below the runs' summed rank keeps only the mean change's ``rank`` largest
    singular directions (what peft's ``add_weighted_adapter(combination_type="svd")`` does
    when it combines adapters), so the adapter stays one run's size.
    """
    k = len(runs)
    out: dict[str, np.ndarray] = {}
    for name in runs[0].tensors:
        if name.endswith(".lora_b"):
            continue  # written with its lora_a
        if not name.endswith(".lora_a"):  # the new token rows: trained directly, so averaged
            parts = [run.tensors[name].read_f32() for run in runs]
            out[name] = np.mean(parts, axis=0, dtype=np.float32).astype(np.float16)
            continue
        stem = name.removesuffix(".lora_a")
        a = np.concatenate([run.tensors[name].read_f32() for run in runs], axis=0)
        b = np.concatenate(
            [
                run.tensors[f"{stem}.lora_b"].read_f32() * np.float32(run.manifest.lora_scale / k)
                for run in runs
            ],
            axis=1,
        )
        if rank is not None and rank < a.shape[0]:
            if rank > min(b.shape[0], a.shape[1]):
                size = [b.shape[0], a.shape[1]]
                raise AverageError(f"--rank {rank} exceeds the size of {stem} {size}")
            a, b = truncated(a, b, rank)
        out[name] = a.astype(np.float16)
        out[f"{stem}.lora_b"] = b.astype(np.float16)
    if NEW_ROWS not in out:
        raise AverageError(f"the runs have no {NEW_ROWS}")
    return out


def truncated(a: np.ndarray, b: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray]:
    """Factors of the best rank-``rank`` approximation of ``b @ a`` (Eckart-Young).

    Never forms the [out, in] product: with ``b = Qb Rb`` and ``a.T = Qa Ra``,
    ``b @ a = Qb (Rb Ra.T) Qa.T`` and only the small middle matrix needs an SVD. The
    singular values are split evenly between the factors to keep both in float16's range.
    """
    qb, rb = np.linalg.qr(b.astype(np.float64))
    qa, ra = np.linalg.qr(a.T.astype(np.float64))
    u, sigma, vt = np.linalg.svd(rb @ ra.T)
    root = np.sqrt(sigma[:rank])
    new_b = (qb @ u[:, :rank]) * root
    new_a = (root[:, None] * vt[:rank]) @ qa.T
    return new_a.astype(np.float32), new_b.astype(np.float32)


def averaged_manifest(runs: Sequence[Artifact], rank: int | None = None) -> dict[str, Any]:
    """The first run's base, tokens and set; one LoRA (summed or given rank); every recipe."""
    first = runs[0].manifest.raw
    summed = sum(run.manifest.lora_r for run in runs)
    rank = summed if rank is None else min(rank, summed)
    return {
        "format": ARTIFACT_FORMAT,
        "base": first["base"],
        "added_tokens": first["added_tokens"],
        "function_set": first["function_set"],
        "lora": {
            "r": rank,
            "alpha": rank,
            "scale": 1.0,
            "targets": list(runs[0].manifest.lora_targets),
        },
        # How the runs were combined, then each run as it was trained (enough to retrain it).
        "average": {"runs": len(runs), "exact": rank == summed},
        "averaged_from": [
            {
                "lora": run.manifest.raw["lora"],
                "data": run.manifest.raw.get("data"),
                "training": run.manifest.raw.get("training"),
            }
            for run in runs
        ],
        "metrics": {},
    }


def average_runs(sources: Sequence[Path], out: Path, rank: int | None = None) -> dict[str, Any]:
    """Write the average of ``sources`` to ``out`` (both files appear together or not at all).

    ``rank`` None keeps the exact average (rank: the runs' ranks summed).
    """
    runs = [load_artifact(Path(source)) for source in sources]
    check_compatible(runs)
    resolved = {run.directory.resolve() for run in runs}
    if len(resolved) < len(runs):  # one run named twice would count double in the mean
        raise AverageError(
            "a run is named more than once", hint="name each training run's directory once"
        )
    if out.expanduser().resolve() in resolved:
        raise AverageError(
            f"--out {out} is one of the runs being averaged",
            hint="write the average to a new directory",
        )
    check_writable_target(out)
    tensors = averaged_tensors(runs, rank)
    manifest = averaged_manifest(runs, rank)
    write_artifact(out, tensors, manifest)
    return manifest
