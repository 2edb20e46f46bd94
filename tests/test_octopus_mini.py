"""The default model, octopus-mini, assembled for real from PyPI and models/octopus-mini."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

OCTOPUS = str(Path(sys.executable).with_name("octopus"))
FRESH = Path(__file__).parent / "data" / "fresh_queries.jsonl"
# Measured 59/60 (98.3 %) for the shipped models/octopus-mini; see its manifest's metrics.
MIN_FRESH_ACCURACY = 0.95


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


def test_fresh_queries_written_apart_from_the_templates(mini_home: Path, tmp_path: Path) -> None:
    """60 hand-written queries the templates never produced (see tests/data)."""
    scored = tmp_path / "fresh.scored.jsonl"
    result = subprocess.run(
        [OCTOPUS, "eval", str(FRESH), "--json", "--out", str(scored)],
        capture_output=True,
        env=_env(mini_home),
        timeout=600,
    )
    assert result.returncode == 0, result.stderr.decode()
    summary = json.loads(result.stdout)
    assert summary["lines"] == 60
    assert len(scored.read_text().splitlines()) == 60
    # Greedy decoding is deterministic, so falling below the floor means a change in the
    # runtime, the grammar or the assembly, not noise.
    assert summary["accuracy"] >= MIN_FRESH_ACCURACY, summary


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
