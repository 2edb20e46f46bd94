"""``octopus bench``: latency and throughput against the usual ways of running Octopus."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from octopus_cli.batch import DEFAULT_SLOTS
from octopus_cli.commands.options import ThreadsOption
from octopus_cli.console import err_console, out_console
from octopus_cli.models import DEFAULT_MODEL, REGISTRY, artifact_dir, resolve_model

if TYPE_CHECKING:
    from octopus_cli.bench.suite import BenchModel

SKIPPABLE = ("ours-nogrammar", "b1", "b2", "floor", "transformers", "throughput", "cold")


def bench_command(
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            "-m",
            help="Model to measure (registry name or GGUF path); repeat for several. "
            "Default: octopus-mini.",
            show_default=False,
        ),
    ] = None,
    shaped: Annotated[
        bool,
        typer.Option(
            "--shaped/--no-shaped",
            help="Also measure a random-weight model with Octopus v2's real shapes "
            "(2.5 B, Q4_K_M), built once into the data directory: a few minutes, 7 GB.",
        ),
    ] = False,
    queries: Annotated[
        int, typer.Option("--queries", min=1, help="Queries per way of answering.")
    ] = 21,
    b1_queries: Annotated[
        int, typer.Option("--b1-queries", min=1, help="Queries for b1 (256 tokens each).")
    ] = 5,
    transformers_queries: Annotated[
        int,
        typer.Option("--transformers-queries", min=0, help="Queries for transformers (c)."),
    ] = 3,
    max_length: Annotated[
        int,
        typer.Option(
            "--max-length",
            min=16,
            help="transformers generate(max_length=...), as in the model card.",
        ),
    ] = 1024,
    shaped_max_length: Annotated[
        int,
        typer.Option(
            "--shaped-max-length",
            min=16,
            help="max_length for the 2.5 B model in transformers (bf16 on CPU is slow; a "
            "shorter run understates its cost, so its ratio is a lower bound).",
        ),
    ] = 128,
    throughput_queries: Annotated[
        int, typer.Option("--throughput-queries", min=1, help="Piped queries per stream.")
    ] = 200,
    throughput_rounds: Annotated[
        int,
        typer.Option(
            "--throughput-rounds",
            min=1,
            help="Alternating runs of each stream; the median counts.",
        ),
    ] = 3,
    batch: Annotated[
        int, typer.Option("--batch", min=2, help="Batch size for piped throughput.")
    ] = DEFAULT_SLOTS,
    cold_runs: Annotated[
        int, typer.Option("--cold-runs", min=1, help="New processes per cold-start figure.")
    ] = 5,
    skip: Annotated[
        list[str] | None,
        typer.Option(
            "--skip",
            help=f"Leave out a part; repeatable. One of: {', '.join(SKIPPABLE)}.",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory for bench.json and bench.png.")
    ] = Path("bench-results"),
    threads: ThreadsOption = None,
) -> None:
    """Measure our runtime against the model card's ways of running Octopus, in one run.

    For each model: ours (prefix reused, stop at <nexa_end>, grammar on and off); b1,
    the whole prompt each time and up to 256 tokens until EOS (llama-cli -n 256); b2,
    the whole prompt each time with llama-cpp-python, stopping at <nexa_end>; c,
    transformers generate(max_length) in bfloat16; and the floor, bare llama_decode of
    the query's own tokens and the call's tokens. Each runs in its own process (so its
    peak memory is its own) and answers one untimed query first. Then piped throughput
    (octopus ask - one at a time versus --batch) and cold start (a new octopus ask
    process versus a minimal llama-cpp-python script). Prints p50/p90 latency, tokens,
    peak memory and the ratios; writes bench.json and bench.png.

    Examples:

      octopus bench

      octopus bench --shaped --out bench-results

      octopus bench --skip transformers --skip cold --queries 10
    """
    # Imported here: `octopus ask` should not pay for the benchmark's imports at start-up.
    from octopus_cli.bench import report
    from octopus_cli.bench.queries import bench_queries
    from octopus_cli.bench.shaped import build_shaped_model
    from octopus_cli.bench.suite import BenchModel, BenchOptions, run_suite
    from octopus_cli.functions import load_function_set

    skipped = frozenset(skip or ())
    unknown = sorted(skipped - set(SKIPPABLE))
    if unknown:
        raise typer.BadParameter(f"cannot skip {unknown[0]!r}", param_hint="--skip")
    if "transformers" not in skipped and not _have_transformers():
        raise typer.BadParameter(
            "transformers (c) needs torch and transformers (octopus-cli's bench extra; "
            "make bench installs it), or --skip transformers",
            param_hint="--skip",
        )
    models = [_named_model(spec, max_length) for spec in model or [DEFAULT_MODEL]]
    measured_end_to_end = frozenset(m.name for m in models)
    if shaped:
        gguf, hf = build_shaped_model(resolve_model(DEFAULT_MODEL))
        models.append(
            BenchModel(
                "octopus-v2-shaped", gguf, hf=str(hf), forced=True, max_length=shaped_max_length
            )
        )
    options = BenchOptions(
        queries=bench_queries(load_function_set(), queries),
        b1_queries=b1_queries,
        transformers_queries=transformers_queries,
        throughput_queries=throughput_queries,
        throughput_rounds=throughput_rounds,
        batch=batch,
        cold_runs=cold_runs,
        threads=threads,
        skip=skipped,
        # 200 piped queries on the 2.5 B model take half an hour: end-to-end parts run
        # on the named models only.
        throughput_models=measured_end_to_end,
        progress=lambda message: err_console.print(f"[dim]{message}[/dim]"),
    )
    results = run_suite(models, options)
    report.render(results, out_console())
    out.mkdir(parents=True, exist_ok=True)
    report.write_json(results, out / "bench.json")
    report.write_plot(results, out / "bench.png")
    err_console.print(f"[dim]wrote {out / 'bench.json'} and {out / 'bench.png'}[/dim]")


def _named_model(spec: str, max_length: int) -> BenchModel:
    """A registry name or a path; octopus-mini's HF form is merged from its artifact."""
    from octopus_cli.bench.suite import BenchModel

    path = resolve_model(spec)
    hf = None
    entry = REGISTRY.get(spec.lower())
    if entry is not None and entry.artifact:
        hf = f"artifact:{artifact_dir(entry)}"
    name = entry.name if entry is not None else path.stem
    return BenchModel(name, path, hf=hf, max_length=max_length)


def _have_transformers() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))
