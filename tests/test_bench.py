"""octopus bench: figures and ratios, every way of answering on a real (tiny) model, output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from octopus_cli.bench import report
from octopus_cli.bench.queries import QUERIES, bench_queries
from octopus_cli.bench.suite import (
    BenchModel,
    BenchOptions,
    bench_model,
    check_targets,
    ratio,
    summarize_mode,
    throughput,
)
from octopus_cli.calls import OutcomeKind, parse_output
from octopus_cli.cli import app
from octopus_cli.functions import FunctionSet
from octopus_cli.runtime import Runtime
from tests.convert.fixtures import build_tiny_octopus_checkpoint


def test_queries_cover_every_function_and_their_calls_parse(android: FunctionSet) -> None:
    queries = bench_queries(android, len(QUERIES))
    assert {name for _, name, _ in QUERIES} == {f.name for f in android.functions}
    for item, (_, name, arguments) in zip(queries, QUERIES, strict=True):
        outcome = parse_output(item.target, android)
        assert outcome.kind in (OutcomeKind.CALL, OutcomeKind.IRRELEVANT), item.target
        assert outcome.calls[0].name == name
        for key, value in arguments.items():
            assert outcome.calls[0].arguments[key] == value
    assert [q.query for q in bench_queries(android, 23)][21:] == [q.query for q in queries[:2]]


def _result(latencies_s: list[float], rss: int = 300 * 2**20) -> dict:
    rows = [
        {"latency_s": s, "evaluated": 10, "generated": 4, "tokens": [], "text": ""}
        for s in latencies_s
    ]
    return {"load_seconds": 0.5, "peak_rss_bytes": rss, "rows": rows}


def test_summary_percentiles_and_per_query_ratios() -> None:
    ours = summarize_mode(_result([0.1, 0.2, 0.3, 0.4, 1.0]))
    assert ours["p50_ms"] == pytest.approx(300)
    assert ours["p90_ms"] == pytest.approx(760)  # linear interpolation, as octopus eval
    assert ours["peak_rss_mb"] == 300
    slow = summarize_mode(_result([1.0, 1.0, 3.0]))
    # over the 3 queries both ran: 10x, 5x, 10x
    assert ratio(slow, ours) == {"queries": 3, "median": 10.0, "min": 5.0, "max": 10.0}


def test_targets_are_checked_in_the_right_direction() -> None:
    results = {
        "models": {
            "m": {
                "file_mb": 250.0,
                "modes": {"ours": {"peak_rss_mb": 600.0}},
                "ratios": {"b1/ours": {"median": 6.0}, "ours/floor": {"median": 1.25}},
                "throughput": {"speedup": 2.5},
                "cold_start": {"ratio": 1.1},
            }
        }
    }
    met = {c["target"]: c["met"] for c in check_targets(results)}
    assert met == {
        "m: b1/ours per query": True,
        "m: ours/floor": False,
        "m: ours peak memory (MB)": False,  # 600 > 250 + 300
        "m: batched/single piped throughput": True,
        "m: cold start / minimal script": True,
    }


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A tiny Octopus checkpoint (Hugging Face form) and its GGUF, made by the converter."""
    from octopus_cli.convert import convert_checkpoint

    root = tmp_path_factory.mktemp("bench-tiny")
    checkpoint = build_tiny_octopus_checkpoint(root / "hf")
    gguf = root / "tiny.f32.gguf"
    convert_checkpoint(checkpoint, gguf, quant="f32", progress=False)
    return checkpoint, gguf


@pytest.mark.slow
def test_every_way_of_answering_runs_on_a_real_model(
    tiny_pair: tuple[Path, Path], android: FunctionSet, tmp_path: Path
) -> None:
    checkpoint, gguf = tiny_pair
    queries = bench_queries(android, 3)
    model = BenchModel("tiny", gguf, hf=str(checkpoint), forced=True, max_length=300)
    options = BenchOptions(
        queries=queries, b1_queries=2, transformers_queries=1, threads=2, scratch=tmp_path
    )
    figures = bench_model(model, options)
    modes = figures["modes"]
    assert set(modes) == {"ours", "ours-nogrammar", "b1", "b2", "floor", "transformers"}
    runtime = Runtime(gguf)
    target_tokens = [len(runtime.tokenize(q.target, add_bos=False)) for q in queries]
    # Steered random weights give exactly the expected calls, through the grammar too.
    assert figures["samples"]["ours"] == [q.target for q in queries]
    assert modes["ours"]["generated_per_query"] == pytest.approx(sum(target_tokens) / 3, abs=0.05)
    assert modes["b2"]["generated_per_query"] == modes["ours"]["generated_per_query"]
    # b1 and b2 evaluate the whole prompt; ours and the floor only the query's own tokens.
    assert modes["b2"]["evaluated_per_query"] > modes["ours"]["evaluated_per_query"]
    assert modes["floor"]["evaluated_per_query"] == modes["ours"]["evaluated_per_query"]
    assert 0 < modes["b1"]["generated_per_query"] <= 256
    assert modes["transformers"]["generated_per_query"] > 0
    assert all(m["peak_rss_mb"] > 0 and m["p50_ms"] > 0 for m in modes.values())
    assert set(figures["ratios"]) == {
        "b1/ours",
        "b2/ours",
        "transformers/ours",
        "ours/floor",
        "ours/ours-nogrammar",
    }
    results = {"machine": {}, "models": {"tiny": figures}}
    results["targets"] = check_targets(results)
    report.write_json(results, tmp_path / "out" / "bench.json")
    report.write_plot(results, tmp_path / "out" / "bench.png")
    assert json.loads((tmp_path / "out" / "bench.json").read_text())["models"]["tiny"]["modes"]
    assert (tmp_path / "out" / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bench.json", "bench.png"]


@pytest.mark.slow
def test_bench_command_writes_its_files(tiny_pair: tuple[Path, Path], tmp_path: Path) -> None:
    _, gguf = tiny_pair
    out = tmp_path / "results"
    args = ["bench", "--model", str(gguf), "--queries", "2", "--b1-queries", "1"]
    args += ["--skip", "transformers", "--skip", "throughput", "--skip", "cold", "--out", str(out)]
    # Wide enough that a slow run's five-digit latencies cannot wrap a row label.
    result = CliRunner().invoke(app, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "b2 naive, stop id" in result.output
    assert "Targets" in result.output
    data = json.loads((out / "bench.json").read_text())
    assert set(data["models"]["tiny.f32"]["modes"]) == {
        "ours",
        "ours-nogrammar",
        "b1",
        "b2",
        "floor",
    }


@pytest.mark.slow
def test_piped_throughput_alternates_rounds_and_compares_outputs(
    tiny_pair: tuple[Path, Path], android: FunctionSet, tmp_path: Path
) -> None:
    _, gguf = tiny_pair
    seen: list[str] = []
    options = BenchOptions(
        queries=bench_queries(android, 3),
        throughput_queries=5,
        throughput_rounds=2,
        batch=3,
        threads=1,
        scratch=tmp_path,
        progress=seen.append,
    )
    figures = throughput(BenchModel("tiny", gguf), options)
    assert [m.split(", ", 1)[1] for m in seen] == [
        "--batch 1, round 1 of 2",
        "--batch 3, round 1 of 2",
        "--batch 1, round 2 of 2",
        "--batch 3, round 2 of 2",
    ]
    for key in ("batch_1", "batch_3"):
        runs = figures[key]["runs_s"]
        assert len(runs) == 2 and figures[key]["seconds"] == pytest.approx(sum(runs) / 2, abs=0.01)
        # seconds and queries/s are each rounded to 0.01 from the same unrounded median
        seconds, rate = figures[key]["seconds"], figures[key]["queries_per_s"]
        assert 5 / (seconds + 0.005) - 0.005 <= rate <= 5 / (seconds - 0.005) + 0.005
    expected = figures["batch_3"]["queries_per_s"] / figures["batch_1"]["queries_per_s"]
    assert figures["speedup"] == pytest.approx(expected, rel=0.01)
    assert figures["same_output"] is True  # a random F32 model: no near-ties among 5 queries


def test_bench_command_rejects_an_unknown_part() -> None:
    result = CliRunner().invoke(app, ["bench", "--skip", "everything"])
    assert result.exit_code == 2
    assert "cannot skip 'everything'" in result.output


def test_shaped_vocabulary_round_trips_through_the_converter(
    tiny_pair: tuple[Path, Path], tmp_path: Path
) -> None:
    """The GGUF's pieces, as a SentencePiece model, read back by the converter unchanged."""
    from octopus_cli.bench.shaped import write_tokenizer_files
    from octopus_cli.convert.vocab import load_vocabulary

    _, gguf = tiny_pair
    size = write_tokenizer_files(tmp_path, gguf)
    vocab = load_vocabulary(tmp_path, size)
    import llama_cpp

    runtime = Runtime(gguf)
    assert size == runtime.n_vocab
    texts = [llama_cpp.llama_vocab_get_text(runtime._vocab, i).decode() for i in range(size)]
    functional = texts.index("<nexa_0>")
    assert vocab.added == {texts[i]: i for i in range(functional, size)}
    assert vocab.tokens[:functional] == [t.encode() for t in texts[:functional]]
    assert vocab.scores[:functional] == pytest.approx(
        [llama_cpp.llama_vocab_get_score(runtime._vocab, i) for i in range(functional)]
    )
