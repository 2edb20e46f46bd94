"""The installed ``octopus`` command in real processes: pipes, exit codes, a real GGUF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tiny_gguf import write_tiny_gemma

OCTOPUS = str(Path(sys.executable).with_name("octopus"))


def run(
    *args: str, input: bytes | None = None, home: Path, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "OCTOPUS_HOME": str(home)}
    env.pop("OCTOPUS_MODEL", None)
    return subprocess.run(
        [OCTOPUS, *args], input=input, capture_output=True, env=env, timeout=timeout
    )


SURE = ("--min-confidence", "0")  # random weights are never confident


def test_console_script_is_installed() -> None:
    assert Path(OCTOPUS).is_file(), "run `make install` first: the octopus command is missing"


def test_ask_json_with_a_real_model(tiny_model: Path, octopus_home: Path) -> None:
    result = run(
        "ask", "--json", *SURE, "--model", str(tiny_model), "take a selfie", home=octopus_home
    )
    assert result.returncode in (0, 4, 8), result.stderr
    record = json.loads(result.stdout)
    assert record["status"] in ("call", "irrelevant", "needs_input")
    assert record["raw"].startswith("<nexa_")
    assert record["raw"].endswith("<nexa_end>")
    assert record["timings"]["generated_tokens"] >= 3
    assert result.stderr == b""


def test_three_piped_lines_give_three_json_lines(tiny_model: Path, octopus_home: Path) -> None:
    queries = b"take a selfie\nweather in Rome\n\nlock the door\n"
    result = run("ask", *SURE, "--model", str(tiny_model), input=queries, home=octopus_home)
    assert result.returncode in (0, 8), result.stderr
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert [r["query"] for r in records] == ["take a selfie", "weather in Rome", "lock the door"]
    assert all(r["status"] in ("call", "irrelevant", "needs_input") for r in records)


def test_closed_stdout_ends_quietly(tiny_model: Path, octopus_home: Path) -> None:
    queries = "".join(f"query number {i}\n" for i in range(200))
    script = f'"{OCTOPUS}" ask - --call --model "{tiny_model}" | head -1; exit ${{PIPESTATUS[0]}}'
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    result = subprocess.run(
        ["bash", "-c", script], input=queries.encode(), capture_output=True, env=env, timeout=120
    )
    assert len(result.stdout.decode().splitlines()) == 1
    assert result.stderr == b"", result.stderr.decode()
    assert result.returncode == 141


@pytest.mark.parametrize(
    "args",
    [["functions"], ["ask"], ["--help"], ["ask", "--help"], ["models", "--help"]],
    ids=["functions", "ask", "help", "ask-help", "models-help"],
)
def test_rendered_output_into_a_closed_pipe_exits_141(
    args: list[str], tiny_model: Path, octopus_home: Path
) -> None:
    # Rich's own handler of a closed pipe exits 1; the tables, answers and help it prints
    # must end as the JSON lines do (`octopus ask Q | true`, `octopus --help | true`).
    # The reader's end is closed before octopus starts, so every write meets a closed pipe.
    if args == ["ask"]:
        args = ["ask", "--model", str(tiny_model), "take a selfie"]
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    try:
        result = subprocess.run(
            [OCTOPUS, *args], stdout=write_end, stderr=subprocess.PIPE, env=env, timeout=120
        )
    finally:
        os.close(write_end)
    assert result.stderr == b"", result.stderr.decode()
    assert result.returncode == 141


def test_commands_start_without_typers_help_renderer() -> None:
    # typer.rich_utils is a third of the start-up time; only --help and usage errors need it.
    code = "import sys, octopus_cli.cli; print('typer.rich_utils' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout == b"False\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["ask", "--json", "take a selfie"], ["functions"], ["--help"]])
def test_full_disk_gives_one_error_not_a_traceback(
    args: list[str], tiny_model: Path, octopus_home: Path
) -> None:
    if args[0] == "ask":
        args = [*args, "--model", str(tiny_model)]
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    with open("/dev/full", "wb") as full:
        result = subprocess.run(
            [OCTOPUS, *args], stdout=full, stderr=subprocess.PIPE, env=env, timeout=120
        )
    stderr = result.stderr.decode()
    assert result.returncode == 1
    assert stderr.startswith("Error: input/output failed (No space left on device)"), stderr
    assert len(stderr.strip().splitlines()) == 2  # the error and its hint


def test_a_query_too_long_for_the_context_spoils_only_its_line(
    tiny_model: Path, octopus_home: Path
) -> None:
    too_long = "text 5551234567 " * 700  # some 7,700 prompt tokens: the context holds 2,048
    queries = f"take a selfie\n{too_long}\nlock the door\n".encode()
    for batch in ("16", "1"):
        result = run("ask", "-", "--batch", batch, "--model", str(tiny_model), input=queries,
                     home=octopus_home)  # fmt: skip
        records = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert [r["line"] for r in records] == [1, 2, 3]
        assert [r["status"] == "bad_input" for r in records] == [False, True, False]
        assert records[1]["error"].startswith("stdin line 2: the query is too long")
        assert result.returncode == 7
        assert b"Traceback" not in result.stderr


def test_non_utf8_stdin_exits_7(tiny_model: Path, octopus_home: Path) -> None:
    result = run("ask", "-", "--model", str(tiny_model), input=b"\xff\xfe\xfd\n", home=octopus_home)
    assert result.returncode == 7
    assert b"not valid UTF-8" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_gguf_exits_3_with_one_error(
    tiny_model: Path, octopus_home: Path, tmp_path: Path, damage: str
) -> None:
    data = tiny_model.read_bytes()
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(data[: len(data) // 3] if damage == "truncated" else os.urandom(4096))
    result = run("ask", "--model", str(bad), "take a selfie", home=octopus_home)
    assert result.returncode == 3
    stderr = result.stderr.decode()
    assert stderr.startswith("Error:")
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) <= 2  # the error and its hint


def test_model_without_functional_tokens_exits_3(octopus_home: Path, tmp_path: Path) -> None:
    plain = write_tiny_gemma(tmp_path / "plain.gguf", functional_tokens=0, with_end_token=False)
    result = run("ask", "--model", str(plain), "take a selfie", home=octopus_home)
    assert result.returncode == 3
    assert b"lacks 22 functional tokens" in result.stderr


def test_unknown_model_exits_3(octopus_home: Path) -> None:
    result = run("ask", "--model", "nope", "take a selfie", home=octopus_home)
    assert result.returncode == 3
    assert result.stderr.startswith(b"Error: unknown model 'nope'")


def test_model_from_environment_variable(tiny_model: Path, octopus_home: Path) -> None:
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home), "OCTOPUS_MODEL": str(tiny_model)}
    result = subprocess.run(
        [OCTOPUS, "ask", "--call", *SURE, "take a selfie"],
        capture_output=True,
        env=env,
        timeout=120,
    )
    assert result.returncode in (0, 4, 8), result.stderr
    assert result.stdout.decode().strip().endswith(")")


def test_stdout_closed_from_the_start(tiny_model: Path, octopus_home: Path) -> None:
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    script = f'"{OCTOPUS}" ask --call --model "{tiny_model}" "take a selfie" >&-'
    result = subprocess.run(["bash", "-c", script], capture_output=True, env=env, timeout=120)
    assert result.returncode == 141
    assert result.stderr.decode().startswith("Error: standard output is closed")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--model", "x"], "No such option: --model"),
        (["ask", "--json", "--call", "q"], "choose one of --json and --call"),
        (["ask", "--bogus", "q"], "No such option: --bogus"),
        (["ask", "  "], "give a query, or pipe queries on stdin"),
    ],
)
def test_usage_errors_exit_2_without_traceback(
    args: list[str], said: str, octopus_home: Path
) -> None:
    result = run(*args, home=octopus_home)
    assert result.returncode == 2
    stderr = result.stderr.decode()
    assert "Traceback" not in stderr
    assert stderr.startswith("Usage: octopus")
    assert said in stderr


def test_help_and_version(octopus_home: Path) -> None:
    assert run("--version", home=octopus_home).stdout.startswith(b"octopus ")
    assert b"Exit codes" in run("--help", home=octopus_home).stdout
    assert run(home=octopus_home).returncode == 0  # no command, not a terminal: help


def _interrupted_run(model: Path, home: Path, delay: float) -> tuple[int, bytes, bytes]:
    """``ask -`` on 50 queries, with SIGINT ``delay`` seconds after the start."""
    import signal
    import time

    env = {**os.environ, "OCTOPUS_HOME": str(home)}
    env.pop("OCTOPUS_MODEL", None)
    process = subprocess.Popen(
        [OCTOPUS, "ask", "-", "--model", str(model)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None
    process.stdin.write("".join(f"take a selfie number {i}\n" for i in range(50)).encode())
    process.stdin.close()
    process.stdin = None
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    return process.returncode, out, err


@pytest.mark.parametrize("delay", [0.1, 0.3])
def test_ctrl_c_while_starting_up_exits_130_in_one_line(
    tiny_model: Path, octopus_home: Path, delay: float
) -> None:
    code, out, err = _interrupted_run(tiny_model, octopus_home, delay)
    assert code == 130, err
    assert err == b"Interrupted.\n"
    assert len(out.splitlines()) < 50


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.4, 0.8, 1.2])
def test_ctrl_c_while_the_model_loads_is_not_lost(
    mini_model: Path, octopus_home: Path, delay: float
) -> None:
    """llama.cpp logs through a ctypes callback while it loads, which used to swallow the
    interrupt: the run then answered every query."""
    code, out, err = _interrupted_run(mini_model, octopus_home, delay)
    assert code == 130, err
    assert b"Traceback" not in err and b"Exception ignored" not in err
    assert err.endswith(b"Interrupted.\n")
    assert len(out.splitlines()) < 50


def test_a_query_that_is_not_utf8_exits_7_in_one_line(octopus_home: Path) -> None:
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    result = subprocess.run(
        [OCTOPUS.encode(), b"ask", b"take a \xff selfie"], capture_output=True, env=env, timeout=60
    )
    assert result.returncode == 7
    assert result.stderr.startswith(b"Error: the query is not valid UTF-8\n")
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize("args", [["ask", "-"], ["ask"], ["repl"]])
def test_closed_stdin_is_a_clean_error(octopus_home: Path, args: list[str]) -> None:
    env = {**os.environ, "OCTOPUS_HOME": str(octopus_home)}
    script = " ".join(f'"{a}"' for a in [OCTOPUS, *args]) + " <&-"
    result = subprocess.run(["bash", "-c", script], capture_output=True, env=env, timeout=60)
    assert result.returncode == 7, result.stderr
    assert b"standard input is closed" in result.stderr
    assert b"Traceback" not in result.stderr
