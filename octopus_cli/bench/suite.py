"""Run the benchmark: each way of answering in its own process, then figures and ratios.

Everything is measured in one run on one machine, and every comparison is a ratio of two
figures from that run: this machine's absolute speed varies, the ratios much less.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from octopus_cli.batch import DEFAULT_SLOTS
from octopus_cli.bench.queries import BenchQuery
from octopus_cli.errors import OctopusError
from octopus_cli.train.evaluate import percentile

MINIMAL_SCRIPT = Path(__file__).with_name("minimal.py")
WORKER_TIMEOUT_S = 4 * 3600


class BenchError(OctopusError):
    """A benchmark step failed; the message says which and what it printed."""


@dataclass
class BenchModel:
    """A GGUF to measure, and where its weights are in Hugging Face form (for transformers)."""

    name: str
    gguf: Path
    hf: str | None = None  # a checkpoint directory, or "artifact:DIR" for octopus-mini
    forced: bool = False  # random weights: steer decoding to the expected calls
    max_length: int = 1024  # transformers generate(max_length=...), the model card's value


@dataclass
class BenchOptions:
    queries: list[BenchQuery]
    b1_queries: int = 5
    transformers_queries: int = 3
    throughput_queries: int = 200
    throughput_rounds: int = 3
    batch: int = DEFAULT_SLOTS
    cold_runs: int = 5
    threads: int | None = None
    skip: frozenset[str] = frozenset()
    throughput_models: frozenset[str] | None = None  # None: every model
    progress: Callable[[str], None] = lambda message: None
    scratch: Path = field(default_factory=lambda: Path(tempfile.gettempdir()))


def summarize_mode(result: dict[str, Any]) -> dict[str, Any]:
    """Latency percentiles (ms), mean tokens per query, load time and peak memory."""
    rows = result["rows"]
    latencies = [r["latency_s"] * 1000 for r in rows]
    return {
        "queries": len(rows),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "mean_ms": round(statistics.fmean(latencies), 2),
        "evaluated_per_query": round(statistics.fmean(r["evaluated"] for r in rows), 1),
        "generated_per_query": round(statistics.fmean(r["generated"] for r in rows), 1),
        "load_s": round(result["load_seconds"], 3),
        "peak_rss_mb": round(result["peak_rss_bytes"] / 2**20, 1),
        "latencies_ms": [round(x, 2) for x in latencies],
    }


def ratio(numerator: dict[str, Any], denominator: dict[str, Any]) -> dict[str, Any]:
    """Per-query ratios over the queries both ran (the first n), and their median."""
    n = min(len(numerator["latencies_ms"]), len(denominator["latencies_ms"]))
    per_query = [
        a / b
        for a, b in zip(numerator["latencies_ms"][:n], denominator["latencies_ms"][:n], strict=True)
    ]
    return {
        "queries": n,
        "median": round(statistics.median(per_query), 3),
        "min": round(min(per_query), 3),
        "max": round(max(per_query), 3),
    }


def run_worker(spec: dict[str, Any], scratch: Path) -> dict[str, Any]:
    """One mode in a fresh Python process; its result file, or a BenchError."""
    with tempfile.TemporaryDirectory(dir=scratch, prefix="octopus-bench-") as tmp:
        spec_file, result_file = Path(tmp, "spec.json"), Path(tmp, "result.json")
        spec_file.write_text(json.dumps(spec), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-m", "octopus_cli.bench.worker", str(spec_file), str(result_file)],
            capture_output=True,
            text=True,
            timeout=WORKER_TIMEOUT_S,
        )
        if done.returncode != 0 or not result_file.is_file():
            said = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
            raise BenchError(
                f"benchmark mode {spec['mode']} failed (exit {done.returncode}): {said}"
            )
        return json.loads(result_file.read_text(encoding="utf-8"))


def bench_model(model: BenchModel, options: BenchOptions) -> dict[str, Any]:
    """Every mode on one model; figures per mode and the ratios against ours."""
    items = [{"query": q.query, "target": q.target} for q in options.queries]
    base = {"model": str(model.gguf), "threads": options.threads, "forced": model.forced}
    modes: dict[str, Any] = {}
    raw: dict[str, Any] = {}

    def run(mode: str, queries: list[dict[str, Any]], **extra: Any) -> None:
        if mode in options.skip or not queries:
            return
        options.progress(f"{model.name}: {mode} ({len(queries)} queries)")
        raw[mode] = run_worker({**base, "mode": mode, "queries": queries, **extra}, options.scratch)
        modes[mode] = summarize_mode(raw[mode])

    run("ours", items)
    run("ours-nogrammar", items)
    run("b2", items)
    run("b1", items[: options.b1_queries])
    if "ours" in raw:
        # The floor evaluates exactly the tokens our runtime generated for each query.
        generated = [r["tokens"] for r in raw["ours"]["rows"]]
        floor_items = [
            {**item, "generated_tokens": g} for item, g in zip(items, generated, strict=True)
        ]
        run("floor", floor_items)
    if model.hf:
        run(
            "transformers",
            items[: options.transformers_queries],
            hf=model.hf,
            max_length=model.max_length,
        )
    ratios = {}
    if "ours" in modes:
        for other in ("b1", "b2", "transformers"):
            if other in modes:
                ratios[f"{other}/ours"] = ratio(modes[other], modes["ours"])
        if "floor" in modes:
            ratios["ours/floor"] = ratio(modes["ours"], modes["floor"])
        if "ours-nogrammar" in modes:
            ratios["ours/ours-nogrammar"] = ratio(modes["ours"], modes["ours-nogrammar"])
    size = model.gguf.stat().st_size
    return {
        "file": str(model.gguf),
        "file_mb": round(size / 2**20, 1),
        "forced": model.forced,
        "transformers_max_length": model.max_length if model.hf else None,
        "modes": modes,
        "ratios": ratios,
        "samples": {
            mode: [r["text"] for r in raw[mode]["rows"][:3]] for mode in raw if mode != "floor"
        },
    }


def _octopus_command() -> list[str]:
    """The installed ``octopus`` script, as users start it."""
    script = Path(sys.executable).with_name("octopus")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from octopus_cli.cli import main; main()"]


def _timed_run(command: list[str], stdin: bytes | None = None) -> tuple[float, bytes]:
    started = time.perf_counter()
    done = subprocess.run(command, input=stdin, capture_output=True, timeout=WORKER_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 4):  # 4: an irrelevant query, a normal answer
        said = (done.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
        raise BenchError(f"{' '.join(command[:5])} ... exited {done.returncode}: {said}")
    return seconds, done.stdout


def throughput(model: BenchModel, options: BenchOptions) -> dict[str, Any]:
    """``octopus ask -`` over N piped queries: one at a time versus ``--batch``.

    The two alternate for a few rounds and each keeps its median, so that the machine's
    drift (a neighbour's load, turbo) weighs on both alike.
    """
    lines = [
        options.queries[i % len(options.queries)].query for i in range(options.throughput_queries)
    ]
    stdin = ("\n".join(lines) + "\n").encode("utf-8")
    batches = (1, options.batch)
    runs: dict[int, list[float]] = {batch: [] for batch in batches}
    outputs: dict[int, set[bytes]] = {batch: set() for batch in batches}
    for round_ in range(1, options.throughput_rounds + 1):
        for batch in batches:
            options.progress(
                f"{model.name}: piped throughput, --batch {batch}, "
                f"round {round_} of {options.throughput_rounds}"
            )
            command = [*_octopus_command(), "ask", "-", "--call", "--model", str(model.gguf)]
            # Every answer decoded and written: a steered or random model is never confident.
            command += ["--batch", str(batch), "--min-confidence", "0"]
            if options.threads:
                command += ["--threads", str(options.threads)]
            seconds, out = _timed_run(command, stdin)
            runs[batch].append(seconds)
            outputs[batch].add(out)
    results = {}
    for batch in batches:
        seconds = statistics.median(runs[batch])
        results[f"batch_{batch}"] = {
            "seconds": round(seconds, 2),
            "queries_per_s": round(len(lines) / seconds, 2),
            "runs_s": [round(x, 2) for x in runs[batch]],
        }
    single, batched = results["batch_1"], results[f"batch_{options.batch}"]
    return {
        "queries": len(lines),
        "batch": options.batch,
        "rounds": options.throughput_rounds,
        **results,
        "speedup": round(batched["queries_per_s"] / single["queries_per_s"], 3),
        "same_output": len(outputs[1] | outputs[options.batch]) == 1,
    }


def cold_start(model: BenchModel, options: BenchOptions) -> dict[str, Any]:
    """Wall time of a new ``octopus ask`` process against a minimal llama-cpp-python script."""
    query = options.queries[0].query
    ours = [*_octopus_command(), "ask", query, "--call", "--model", str(model.gguf)]
    minimal = [sys.executable, str(MINIMAL_SCRIPT), str(model.gguf), query]
    if options.threads:
        ours += ["--threads", str(options.threads)]
        minimal += [str(options.threads)]
    options.progress(f"{model.name}: cold start, {options.cold_runs} runs each")
    _timed_run(ours)  # warm the page cache for both
    times: dict[str, list[float]] = {"octopus": [], "minimal": []}
    for _ in range(options.cold_runs):  # alternate, so drift hits both alike
        times["octopus"].append(_timed_run(ours)[0])
        times["minimal"].append(_timed_run(minimal)[0])
    medians = {k: statistics.median(v) for k, v in times.items()}
    return {
        "runs": options.cold_runs,
        "octopus_s": round(medians["octopus"], 3),
        "minimal_s": round(medians["minimal"], 3),
        "ratio": round(medians["octopus"] / medians["minimal"], 3),
        "octopus_runs_s": [round(x, 3) for x in times["octopus"]],
        "minimal_runs_s": [round(x, 3) for x in times["minimal"]],
    }


def machine() -> dict[str, Any]:
    import llama_cpp

    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "llama_cpp_python": llama_cpp.__version__,
        "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
    }


TARGETS = (
    # (name, how to read it from the results, comparison, threshold)
    ("b1/ours per query", ("ratios", "b1/ours"), ">=", 5.0),
    ("b2/ours per query", ("ratios", "b2/ours"), ">=", 1.5),
    ("transformers/ours per query", ("ratios", "transformers/ours"), ">=", 10.0),
    ("ours/floor", ("ratios", "ours/floor"), "<=", 1.2),
)


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target per model (and piped throughput, cold start, memory), met or not."""
    checks = []
    for name, model in results["models"].items():
        for label, (section, key), op, threshold in TARGETS:
            if key in model[section]:
                value = model[section][key]["median"]
                checks.append(_check(f"{name}: {label}", value, op, threshold))
        ours = model["modes"].get("ours")
        if ours:
            limit = model["file_mb"] + 300
            checks.append(
                _check(f"{name}: ours peak memory (MB)", ours["peak_rss_mb"], "<=", limit)
            )
        if "throughput" in model:
            speedup = model["throughput"]["speedup"]
            checks.append(_check(f"{name}: batched/single piped throughput", speedup, ">=", 2.0))
        if "cold_start" in model:
            value = model["cold_start"]["ratio"]
            checks.append(_check(f"{name}: cold start / minimal script", value, "<=", 1.3))
    return checks


def _check(name: str, value: float, op: str, threshold: float) -> dict[str, Any]:
    met = value >= threshold if op == ">=" else value <= threshold
    return {"target": name, "value": value, "op": op, "threshold": threshold, "met": met}


def run_suite(models: list[BenchModel], options: BenchOptions) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {"machine": machine(), "models": {}}
    for model in models:
        figures = bench_model(model, options)
        wanted = options.throughput_models
        if "throughput" not in options.skip and (wanted is None or model.name in wanted):
            figures["throughput"] = throughput(model, options)
        if "cold" not in options.skip and (wanted is None or model.name in wanted):
            figures["cold_start"] = cold_start(model, options)
        results["models"][model.name] = figures
    results["targets"] = check_targets(results)
    results["seconds"] = round(time.perf_counter() - started, 1)
    return results
