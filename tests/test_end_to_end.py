"""From checkpoint to answer: `octopus convert` a tiny Octopus-shaped checkpoint, then ask."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.convert.fixtures import build_tiny_octopus_checkpoint

OCTOPUS = str(Path(sys.executable).with_name("octopus"))


def test_convert_then_ask_gives_validated_calls(tmp_path: Path, octopus_home: Path) -> None:
    checkpoint = build_tiny_octopus_checkpoint(tmp_path / "checkpoint")
    out = tmp_path / "tiny-octopus.Q4_K_M.gguf"
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    converted = subprocess.run(
        [OCTOPUS, "convert", str(checkpoint), "--out", str(out), "--quiet"],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert converted.returncode == 0, converted.stderr.decode()
    assert out.is_file()
    queries = b"take a selfie with the front camera\nset an alarm for 7:30\nhow tall is Everest\n"
    asked = subprocess.run(
        [OCTOPUS, "ask", "-", "--min-confidence", "0", "--model", str(out)],
        input=queries,
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert asked.returncode in (0, 8), asked.stderr.decode()  # random weights may ask
    records = [json.loads(line) for line in asked.stdout.decode().splitlines()]
    assert len(records) == 3
    for record in records:
        # Random weights, but the grammar and the converter's <nexa_end> (an end-of-generation
        # token in our files) still give a complete, validated call every time.
        assert record["status"] in ("call", "irrelevant", "needs_input"), record
        assert record["raw"].endswith("<nexa_end>")


def test_checkpoint_without_functional_tokens_is_refused(
    tmp_path: Path, octopus_home: Path
) -> None:
    from tests.convert.fixtures import build_tiny_gemma3_checkpoint

    checkpoint = build_tiny_gemma3_checkpoint(tmp_path / "plain", functional_tokens=False)
    out = tmp_path / "plain.gguf"
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    result = subprocess.run(
        [OCTOPUS, "convert", str(checkpoint), "--out", str(out), "--quiet"],
        capture_output=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 3
    stderr = result.stderr.decode()
    assert stderr.startswith("Error:") and "<nexa_0>" in stderr
    assert "Traceback" not in stderr
    assert list(tmp_path.glob("*.gguf*")) == []  # no output, no stray temp file
