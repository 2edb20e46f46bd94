"""Benchmark output: Rich tables on the terminal, a JSON file, a PNG of the latencies."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from octopus_cli.atomic import publish, temporary_sibling, write_atomic
from octopus_cli.errors import OctopusError

MODE_LABELS = {  # short enough for an 80-column table; the docs spell each one out
    "ours": "ours",
    "ours-nogrammar": "ours, no grammar",
    "b1": "b1 card -n 256",
    "b2": "b2 naive, stop id",
    "floor": "floor (decode)",
    "transformers": "c transformers",
}


def render(results: dict[str, Any], console: Console) -> None:
    for name, model in results["models"].items():
        title = f"{name}  ({model['file_mb']:.0f} MB"
        title += ", random weights steered to the expected calls)" if model["forced"] else ")"
        table = Table(title=title, title_justify="left")
        for column in ("way", "queries", "p50 ms", "p90 ms", "eval tok", "gen tok", "peak MB"):
            table.add_column(column, justify="left" if column == "way" else "right")
        for mode, figures in model["modes"].items():
            table.add_row(
                MODE_LABELS.get(mode, mode),
                str(figures["queries"]),
                f"{figures['p50_ms']:.1f}",
                f"{figures['p90_ms']:.1f}",
                f"{figures['evaluated_per_query']:.1f}",
                f"{figures['generated_per_query']:.1f}",
                f"{figures['peak_rss_mb']:.0f}",
            )
        console.print(table)
        if model.get("throughput"):
            t = model["throughput"]
            single, batched = t["batch_1"], t[f"batch_{t['batch']}"]
            console.print(
                f"piped, {t['queries']} queries: {single['queries_per_s']:.2f} q/s one at a time, "
                f"{batched['queries_per_s']:.2f} q/s with --batch {t['batch']} "
                f"({t['speedup']:.2f}x, same output: {t['same_output']})"
            )
        if model.get("cold_start"):
            c = model["cold_start"]
            console.print(
                f"cold start (median of {c['runs']}): octopus ask {c['octopus_s']:.2f} s, "
                f"minimal script {c['minimal_s']:.2f} s ({c['ratio']:.2f}x)"
            )
        console.print()
    targets = Table(title="Targets", title_justify="left")
    for column in ("target", "value", "wanted", "met"):
        targets.add_column(column, justify="left" if column == "target" else "right")
    for check in results["targets"]:
        met = "[green]yes[/green]" if check["met"] else "[red]no[/red]"
        wanted = f"{check['op']} {check['threshold']:g}"
        targets.add_row(check["target"], f"{check['value']:g}", wanted, met)
    console.print(targets)


def write_json(results: dict[str, Any], path: Path) -> None:
    write_atomic(path, (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode())


def write_plot(results: dict[str, Any], path: Path) -> None:
    """Per-query latency of each way of answering, one panel per model, log scale."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise OctopusError(
            "the latency plot needs matplotlib",
            hint="pip install 'octopus-cli[bench]' (or run `make bench`)",
        ) from None
    models = results["models"]
    # boxplot's orientation= came in matplotlib 3.10 and vert= is deprecated since 3.11.
    version = tuple(int(part) for part in re.findall(r"\d+", matplotlib.__version__)[:2])
    horizontal = {"orientation": "horizontal"} if version >= (3, 10) else {"vert": False}
    figure, axes = plt.subplots(len(models), 1, figsize=(9, 1.2 + 2.6 * len(models)), squeeze=False)
    for axis, (name, model) in zip(axes[:, 0], models.items(), strict=True):
        modes = list(model["modes"])
        data = [model["modes"][m]["latencies_ms"] for m in modes]
        axis.boxplot(data, whis=(10, 90), showfliers=True, **horizontal)
        axis.set_yticks(range(1, len(modes) + 1), [MODE_LABELS.get(m, m) for m in modes])
        axis.set_xscale("log")
        axis.set_xlabel("latency per query (ms, log scale; whiskers p10-p90)")
        axis.set_title(f"{name} ({model['file_mb']:.0f} MB)", loc="left")
        axis.grid(axis="x", which="both", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with temporary_sibling(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
        publish(temporary, path)
    plt.close(figure)
