"""The ``convert`` Typer command, registered the way the CLI registers it."""

from __future__ import annotations

from pathlib import Path

import gguf
import pytest
import typer
from typer.testing import CliRunner

from octopus_cli.commands.convert import Quant, convert_command
from octopus_cli.convert import DEFAULT_QUANT, QUANT_TYPES
from octopus_cli.errors import ConversionError, FunctionSetError
from tests.convert.fixtures import build_tiny_checkpoint, build_tiny_octopus_checkpoint


def test_quant_choices_are_the_converters() -> None:
    # The command lists them itself so that starting the CLI does not import gguf.
    assert {q.value for q in Quant} == set(QUANT_TYPES)
    assert Quant.q4_k_m == DEFAULT_QUANT


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    app = typer.Typer()
    app.command("convert")(convert_command)

    @app.command("other")
    def other() -> None:  # a second command, so "convert" is a subcommand as in the CLI
        pass

    return app


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_octopus_checkpoint(tmp_path_factory.mktemp("cmd") / "octopus-tiny")


def test_converts_and_prints_a_summary(app: typer.Typer, ckpt: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.gguf"
    result = CliRunner().invoke(app, ["convert", str(ckpt), "--out", str(out), "-q", "Q8_0"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines() if "  " in line)
    assert lines["output"].strip() == str(out)
    assert lines["quantization"].strip() == "Q8_0"
    assert lines["tensors"].strip() == "20"
    assert lines["architecture"].strip() == "GemmaForCausalLM"
    assert "functional tokens  21" in result.stdout
    assert gguf.GGUFReader(out).fields["general.file_type"].contents() == 7


def test_default_output_goes_to_the_models_dir(
    app: typer.Typer, ckpt: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCTOPUS_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["convert", str(ckpt), "--quiet"])
    assert result.exit_code == 0, result.output
    expected = tmp_path / "home" / "data" / "models" / "octopus-tiny.q4_k_m.gguf"
    assert expected.is_file()
    assert "Converting tensors" not in result.output


def test_user_errors_are_raised_not_printed(app: typer.Typer, tmp_path: Path) -> None:
    plain = build_tiny_checkpoint(tmp_path / "plain", functional_tokens=False)
    result = CliRunner().invoke(app, ["convert", str(plain), "-o", str(tmp_path / "x.gguf")])
    assert isinstance(result.exception, ConversionError)
    assert "Traceback" not in result.output
    assert not (tmp_path / "x.gguf").exists()
    result = CliRunner().invoke(
        app, ["convert", str(plain), "-o", str(tmp_path / "x.gguf"), "--plain", "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert "functional tokens  none" in result.stdout


def test_function_set_file(app: typer.Typer, ckpt: Path, tmp_path: Path) -> None:
    functions = tmp_path / "mine.toml"
    functions.write_text('name = "mine"\n[[function]]\ntoken = 7\nname = "seven"\n')
    out = tmp_path / "m.gguf"
    result = CliRunner().invoke(
        app, ["convert", str(ckpt), "-o", str(out), "-f", str(functions), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    fields = gguf.GGUFReader(out).fields
    assert fields["octopus.function_names"].contents() == ["seven"]
    result = CliRunner().invoke(app, ["convert", str(ckpt), "-f", str(tmp_path / "none.toml")])
    assert isinstance(result.exception, FunctionSetError)


def test_bad_quant_is_a_usage_error(app: typer.Typer, ckpt: Path) -> None:
    result = CliRunner().invoke(app, ["convert", str(ckpt), "--quant", "q3_k"])
    assert result.exit_code == 2
    assert "q4_k_m" in result.output


def test_help_has_examples(app: typer.Typer) -> None:
    result = CliRunner().invoke(app, ["convert", "--help"])
    assert result.exit_code == 0
    assert "octopus convert NexaAIDev/Octopus-v2" in result.output
    for option in ("--out", "--quant", "--functions", "--plain", "--revision", "--quiet"):
        assert option in result.output
