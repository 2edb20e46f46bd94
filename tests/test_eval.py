"""``octopus eval`` and ``octopus data``: categories one by one, then the commands end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from octopus_cli.calls import parse_output
from octopus_cli.cli import OctopusGroup
from octopus_cli.commands.data import data_command
from octopus_cli.commands.eval import eval_command
from octopus_cli.functions import FunctionSet, builtin_path
from octopus_cli.train.evaluate import Category, percentile, score

# The commands are registered by the CLI module elsewhere; here a small app of our own.
app = typer.Typer(cls=OctopusGroup)
app.command("eval")(eval_command)
app.command("data")(data_command)
runner = CliRunner()

PHOTO = ("take_a_photo", {"camera": "front"})
WEATHER = ("get_weather_forecast", {"location": "Paris"})
NONE_FITS = ("irrelevant_function", {})


@pytest.mark.parametrize(
    ("expected", "raw", "category"),
    [
        (PHOTO, "<nexa_0>('front')", Category.NO_END),
        (PHOTO, "<nexa_0>('front'<nexa_end>", Category.UNPARSABLE),
        (PHOTO, "hello<nexa_end>", Category.UNPARSABLE),
        (PHOTO, "<nexa_99>()<nexa_end>", Category.UNKNOWN_TOKEN),
        (NONE_FITS, "<nexa_0>('front')<nexa_end>", Category.CALLED_ON_IRRELEVANT),
        (NONE_FITS, "<nexa_11>(42)<nexa_end>", Category.CALLED_ON_IRRELEVANT),  # before args
        ((None, {}), "<nexa_2>('Paris')<nexa_end>", Category.CALLED_ON_IRRELEVANT),
        (PHOTO, "<nexa_20>()<nexa_end>", Category.MISSED_CALL),
        (WEATHER, "<nexa_0>('front')<nexa_end>", Category.OTHER_FUNCTION),
        (WEATHER, "<nexa_0>(lens='front')<nexa_end>", Category.OTHER_FUNCTION),  # before args
        (WEATHER, "<nexa_2>('Paris'); <nexa_4>('rain')<nexa_end>", Category.OTHER_FUNCTION),
        (WEATHER, "<nexa_2>(city='Paris')<nexa_end>", Category.WRONG_ARGUMENT_NAMES),
        (WEATHER, "<nexa_2>()<nexa_end>", Category.WRONG_ARGUMENT_NAMES),
        (WEATHER, "<nexa_2>('Paris', 'tomorrow')<nexa_end>", Category.WRONG_ARGUMENT_NAMES),
        (NONE_FITS, "<nexa_20>('x')<nexa_end>", Category.WRONG_ARGUMENT_NAMES),
        (
            ("change_screen_brightness", {"level": 4}),
            "<nexa_11>(42)<nexa_end>",
            Category.BREAKS_SIGNATURE,
        ),
        (
            ("change_screen_brightness", {"level": 4}),
            "<nexa_11>(4.0)<nexa_end>",
            Category.BREAKS_SIGNATURE,
        ),  # an int parameter takes no float
        (
            ("enable_do_not_disturb", {"enabled": True}),
            "<nexa_15>(1)<nexa_end>",
            Category.BREAKS_SIGNATURE,
        ),  # nor a bool an int
        (WEATHER, "<nexa_2>(5)<nexa_end>", Category.BREAKS_SIGNATURE),
        (WEATHER, "<nexa_2>('Lyon')<nexa_end>", Category.DIFFERENT_VALUE),
        (WEATHER, "<nexa_2>('paris')<nexa_end>", Category.DIFFERENT_VALUE),  # strict
        (
            ("get_trending_news", {"query": "AI"}),
            "<nexa_1>('AI', 'fr')<nexa_end>",
            Category.DIFFERENT_VALUE,
        ),
        (WEATHER, "<nexa_2>('Paris')<nexa_end>", Category.CORRECT),
        (
            WEATHER,
            " <nexa_2>(location='Paris')<nexa_end>\n\nFunction description",
            Category.CORRECT,
        ),
        (("get_trending_news", {"query": "AI"}), "<nexa_1>('AI')<nexa_end>", Category.CORRECT),
        (
            ("get_trending_news", {"query": "AI", "language": "en"}),
            "<nexa_1>('AI', 'en')<nexa_end>",
            Category.CORRECT,
        ),
        (
            ("set_nest_temperature", {"target_temperature": 72}),
            "<nexa_16>(72.0)<nexa_end>",
            Category.CORRECT,
        ),  # a float parameter holds 72 as 72.0 on both sides
        (NONE_FITS, "<nexa_20>()<nexa_end>", Category.CORRECT),
        ((None, {}), "<nexa_20>()<nexa_end>", Category.CORRECT),
    ],
)
def test_score_puts_each_answer_in_the_first_matching_category(
    android: FunctionSet, expected: tuple, raw: str, category: Category
) -> None:
    function, arguments = expected
    assert score(function, arguments, parse_output(raw, android), android) is category


def test_score_rejects_an_unknown_expected_function(android: FunctionSet) -> None:
    with pytest.raises(ValueError, match="fly"):
        score("fly", {}, parse_output("<nexa_20>()<nexa_end>", android), android)


def test_percentile_interpolates_like_numpy() -> None:
    assert percentile([], 50) is None
    assert percentile([10.0], 90) == 10.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 11)], 90) == pytest.approx(9.1)


def _write_lines(path: Path, records: list[dict | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


DATA = [
    {"query": "take a selfie", "function": "take_a_photo", "arguments": {"camera": "front"}},
    {
        "query": "weather in Paris",
        "function": "get_weather_forecast",
        "arguments": {"location": "Paris"},
    },
    {"query": "record a video", "function": "irrelevant_function", "arguments": {}},
    {"query": "what is love", "function": None},
    {"query": "brightness 4", "function": "change_screen_brightness", "arguments": {"level": 4}},
]
OUTPUTS = [
    "<nexa_0>('front')<nexa_end>",  # correct
    "<nexa_2>('Lyon')<nexa_end>",  # different value
    "<nexa_0>('back')<nexa_end>",  # called on an irrelevant query
    "<nexa_20>()<nexa_end>",  # correct
    "<nexa_11>(4)",  # no end
]


def test_eval_reports_accuracy_and_writes_every_scored_line(queue_outputs, tmp_path: Path) -> None:
    caller = queue_outputs(OUTPUTS)
    data = _write_lines(tmp_path / "set.jsonl", DATA)
    result = runner.invoke(app, ["eval", str(data)])
    assert result.exit_code == 0, result.output
    assert caller.queries == [line["query"] for line in DATA]
    for words in (
        "accuracy",
        "40.0 %",
        "(2/5)",
        "irrelevant queries",
        "50.0 %",
        "(1/2)",
        "latency",
        "Per function",
        "Per category",
        "called_on_irrelevant",
    ):
        assert words in result.stdout, words
    scored = tmp_path / "set.scored.jsonl"
    records = [json.loads(line) for line in scored.read_text().splitlines()]
    assert [r["category"] for r in records] == [
        "correct",
        "different_value",
        "called_on_irrelevant",
        "correct",
        "no_end",
    ]
    assert [r["line"] for r in records] == [1, 2, 3, 4, 5]
    assert records[1]["expected"]["arguments"] == {"location": "Paris"}
    assert records[1]["arguments"] == {"location": "Lyon"}
    assert records[4]["function"] is None and records[4]["status"] == "no_end"
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_eval_json_summary_limit_and_out(queue_outputs, tmp_path: Path) -> None:
    queue_outputs(OUTPUTS[:3])
    data = _write_lines(tmp_path / "set.jsonl", DATA)
    out = tmp_path / "reports" / "scored.jsonl"
    result = runner.invoke(app, ["eval", str(data), "--limit", "3", "--json", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["lines"] == 3 and summary["correct"] == 1
    assert summary["accuracy"] == pytest.approx(1 / 3)
    assert summary["irrelevant"] == {"lines": 1, "correct": 0, "accuracy": 0.0}
    assert summary["per_function"]["take_a_photo"] == {"lines": 1, "correct": 1, "accuracy": 1.0}
    assert list(summary["per_category"]) == [str(c) for c in Category]
    assert summary["per_category"]["different_value"]["count"] == 1
    assert summary["latency_ms"] == {"measured": 0, "p50": None, "p90": None}  # fake model
    assert summary["decoding"] == {"grammar": True, "copy_values": True}
    assert len(out.read_text().splitlines()) == 3


def test_eval_refuses_to_write_its_scores_over_the_data(queue_outputs, tmp_path: Path) -> None:
    caller = queue_outputs([])  # refused before the model answers anything
    data = _write_lines(tmp_path / "set.jsonl", DATA)
    before = data.read_bytes()
    result = runner.invoke(app, ["eval", str(data), "--out", str(tmp_path / "." / "set.jsonl")])
    assert result.exit_code == 7
    assert "is the data file being scored" in result.stderr
    assert data.read_bytes() == before
    assert caller.queries == []


def test_eval_summary_says_no_copying_for_a_set_that_marks_nothing_copy(
    queue_outputs, tmp_path: Path
) -> None:
    android = builtin_path().read_text(encoding="utf-8")
    unmarked = tmp_path / "unmarked.toml"
    unmarked.write_text(android.replace(", copy = true", ""), encoding="utf-8")
    assert "copy = true" in android
    queue_outputs(OUTPUTS[:1])
    data = _write_lines(tmp_path / "set.jsonl", DATA[:1])
    result = runner.invoke(app, ["eval", str(data), "--json", "--functions", str(unmarked)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decoding"] == {"grammar": True, "copy_values": False}


@pytest.mark.parametrize(
    ("flags", "decoding"),
    [
        (["--free-values"], {"grammar": True, "copy_values": False}),
        (["--no-grammar"], {"grammar": False, "copy_values": False}),
    ],
)
def test_eval_summary_says_how_it_decoded(queue_outputs, tmp_path: Path, flags, decoding) -> None:
    queue_outputs(OUTPUTS[:1])
    data = _write_lines(tmp_path / "set.jsonl", DATA[:1])
    result = runner.invoke(app, ["eval", str(data), "--json", *flags])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["decoding"] == decoding


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("{not json", "set.jsonl:3: not a JSON object"),
        ('["query"]', "set.jsonl:3: expected a JSON object"),
        ('{"query": "x", "function": "fly"}', "set.jsonl:3: function 'fly' is not in"),
        (
            '{"query": "x", "function": "change_screen_brightness", "arguments": {"level": 99}}',
            "set.jsonl:3: change_screen_brightness: level=99 must be at most 10",
        ),
    ],
)
def test_malformed_data_line_is_an_input_error_naming_the_line(
    tmp_path: Path, bad_line: str, message: str
) -> None:
    data = _write_lines(tmp_path / "set.jsonl", [DATA[0], DATA[1], bad_line])
    result = runner.invoke(app, ["eval", str(data), "--model", str(tmp_path / "none.gguf")])
    assert result.exit_code == 7, result.output  # before any model is loaded
    assert result.stderr.startswith("Error: ") and message in result.stderr


def test_eval_of_an_empty_or_missing_file_is_an_input_error(tmp_path: Path) -> None:
    empty = _write_lines(tmp_path / "empty.jsonl", [""])
    assert runner.invoke(app, ["eval", str(empty)]).exit_code == 7
    missing = runner.invoke(app, ["eval", str(tmp_path / "missing.jsonl")])
    assert missing.exit_code == 7
    assert "Hint: check the path; `octopus data --out DIR` writes one" in missing.stderr


@pytest.mark.parametrize(
    ("content", "error", "hint"),
    [
        (b'{"query": "x"\n', "not a JSON object", "each non-blank line must be one JSON object"),
        (b"\xff\xfe{}\n", "not UTF-8 text (invalid start byte at byte 0)", "save it as UTF-8"),
        (
            b'{"query": "x", "function": "take_photo"}\n',
            "function 'take_photo' is not in",
            "did you mean 'take_a_photo'?",
        ),
        (b'{"query": "x", "function": "fly"}\n', "'fly' is not in", "`octopus functions` lists"),
    ],
)
def test_a_bad_data_file_gets_a_hint(tmp_path: Path, content: bytes, error: str, hint: str) -> None:
    data = tmp_path / "set.jsonl"
    data.write_bytes(content)
    result = runner.invoke(app, ["eval", str(data)])
    assert result.exit_code == 7
    first, second = result.stderr.splitlines()
    assert first.startswith("Error: ") and error in first
    assert second.startswith("Hint: ") and hint in second


def test_eval_on_a_real_model(tiny_model: Path, tmp_path: Path) -> None:
    """Random weights: the answers are nonsense, the report and scored lines are not."""
    data = _write_lines(tmp_path / "set.jsonl", DATA[:3])
    result = runner.invoke(
        app, ["eval", str(data), "--model", str(tiny_model), "--threads", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["lines"] == 3
    assert sum(row["count"] for row in summary["per_category"].values()) == 3
    assert summary["latency_ms"]["measured"] == 3
    assert 0 < summary["latency_ms"]["p50"] <= summary["latency_ms"]["p90"]
    records = [json.loads(x) for x in (tmp_path / "set.scored.jsonl").read_text().splitlines()]
    assert [r["query"] for r in records] == [line["query"] for line in DATA[:3]]
    assert all(r["category"] in {str(c) for c in Category} for r in records)
    assert all(r["latency_ms"] > 0 and r["raw"] for r in records)


def test_data_writes_train_and_heldout_deterministically(tmp_path: Path) -> None:
    args = ["data", "--per-function", "40", "--irrelevant", "300", "--seed", "5", "--json"]
    first = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["train"]["lines"] + report["heldout"]["lines"] == 20 * 40 + 300
    assert report["heldout"]["lines"] > 0
    second = runner.invoke(app, [*args, "--out", str(tmp_path / "b")])
    assert second.exit_code == 0
    for name in ("train.jsonl", "heldout.jsonl"):
        a, b = (tmp_path / d / name for d in ("a", "b"))
        assert a.read_bytes() == b.read_bytes()
        for line in a.read_text().splitlines():
            record = json.loads(line)
            assert set(record) == {"query", "function", "arguments", "target"}
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.endswith(".tmp")]


def test_data_counts_override_per_function_and_set_the_default_negatives(
    tmp_path: Path,
) -> None:
    args = ["data", "--per-function", "10", "--seed", "5", "--json", "--out", str(tmp_path)]
    counts = ["--count", "set_timer_alarm=30", "--count", "create_calendar_event=25"]
    result = runner.invoke(app, [*args, *counts])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)

    def made(name: str) -> int:
        return report["train"]["per_function"][name] + report["heldout"]["per_function"][name]

    assert made("set_timer_alarm") == 30 and made("create_calendar_event") == 25
    assert made("take_a_photo") == 10
    assert made("irrelevant_function") == (18 * 10 + 30 + 25) // 2  # half of the calls


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("set_timer_alarm", "is not NAME=N"),
        ("set_timer_alarm=many", "is not NAME=N"),
        ("launch_rocket=5", "no function 'launch_rocket'"),
        ("irrelevant_function=5", "takes its count from --irrelevant"),
    ],
)
def test_data_rejects_a_bad_count(tmp_path: Path, value: str, said: str) -> None:
    result = runner.invoke(app, ["data", "--count", value, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert said in " ".join(result.output.replace("│", " ").split())  # Rich wraps it in a box
    assert not tmp_path.joinpath("train.jsonl").exists()


def test_data_table_shows_the_whole_path_of_each_file(tmp_path: Path) -> None:
    # At 80 columns a long path was cut to "/tmp/…/trai…": the one thing to copy from it.
    out = tmp_path / "a-rather-long-directory-name" / "of-training-data"
    args = ["data", "--per-function", "3", "--irrelevant", "3", "--out", str(out)]
    result = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    cells = "".join(
        line.split("│")[-2].strip() for line in result.stdout.splitlines() if "│" in line
    )
    assert str(out / "train.jsonl") in cells and str(out / "heldout.jsonl") in cells


def test_data_merges_user_examples_and_rejects_bad_ones(tmp_path: Path) -> None:
    mine = _write_lines(tmp_path / "mine.jsonl", DATA)
    result = runner.invoke(
        app,
        [
            "data",
            "--per-function",
            "5",
            "--irrelevant",
            "5",
            "--examples",
            str(mine),
            "--out",
            str(tmp_path / "d"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "train" in result.stdout and "heldout" in result.stdout
    lines = [
        json.loads(x)
        for name in ("train.jsonl", "heldout.jsonl")
        for x in (tmp_path / "d" / name).read_text().splitlines()
    ]
    assert {line["query"] for line in DATA} <= {line["query"] for line in lines}
    bad = _write_lines(tmp_path / "bad.jsonl", [DATA[0], '{"query": "x"', DATA[1]])
    result = runner.invoke(app, ["data", "--examples", str(bad), "--out", str(tmp_path / "e")])
    assert result.exit_code == 7 and "bad.jsonl:2" in result.stderr


def test_data_for_a_set_without_irrelevant_function(tmp_path: Path) -> None:
    functions = tmp_path / "lights.toml"
    functions.write_text(
        '[[function]]\ntoken = 0\nname = "set_lights"\ndescription = "Switch the lights."\n'
        'parameters = [{ name = "on", type = "bool" }]\n'
    )
    out = tmp_path / "d"
    common = ["data", "--functions", str(functions), "--out", str(out), "--per-function", "6"]
    refused = runner.invoke(app, [*common, "--irrelevant", "5"])
    assert refused.exit_code == 2 and "--irrelevant" in refused.output
    result = runner.invoke(app, [*common, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["train"]["lines"] + report["heldout"]["lines"] == 6
    assert report["train"]["irrelevant_share"] == 0.0


def test_against_an_earlier_run_counts_fixed_and_broken_answers(
    queue_outputs, tmp_path: Path
) -> None:
    data = _write_lines(tmp_path / "set.jsonl", DATA)
    queue_outputs(OUTPUTS)
    assert runner.invoke(app, ["eval", str(data)]).exit_code == 0  # 2/5: lines 1 and 4
    earlier = tmp_path / "set.scored.jsonl"
    queue_outputs(
        [
            "<nexa_0>('front')<nexa_end>",  # still right
            "<nexa_2>('Paris')<nexa_end>",  # fixed
            "<nexa_20>()<nexa_end>",  # fixed
            "<nexa_2>('Rome')<nexa_end>",  # broken
            "<nexa_11>(3)<nexa_end>",  # still wrong, differently
        ]
    )
    # The default --out is the file compared against: it is read before it is replaced.
    result = runner.invoke(app, ["eval", str(data), "--json", "--against", str(earlier)])
    assert result.exit_code == 0, result.output
    against = json.loads(result.stdout)["against"]
    assert (against["fixed"], against["broken"]) == (2, 1)
    assert against["accuracy_before"] == pytest.approx(0.4)
    assert [(c["line"], c["change"]) for c in against["changes"]] == [
        (2, "fixed"),
        (3, "fixed"),
        (4, "broken"),
    ]
    assert against["changes"][2]["before"] == "<nexa_20>()<nexa_end>"
    assert against["changes"][2]["after"] == "<nexa_2>('Rome')<nexa_end>"

    queue_outputs(OUTPUTS[:2])  # and for people: one line in the overview
    result = runner.invoke(app, ["eval", str(data), "--limit", "2", "--against", str(earlier)])
    assert result.exit_code == 0, result.output
    assert "0 fixed · 1 broken" in result.stdout  # line 2 against the second run's answer


@pytest.mark.parametrize(
    ("earlier_lines", "message"),
    [
        (['{"line": 1, "query": "another query", "correct": true}'], "not scored on this data"),
        (["{not json"], "earlier.jsonl:1: not a JSON object"),
        (['{"line": 1, "query": "take a selfie"}'], "earlier.jsonl:1: not a scored line"),
    ],
)
def test_against_a_file_of_other_data_fails_before_any_model_loads(
    tmp_path: Path, earlier_lines: list[str], message: str
) -> None:
    data = _write_lines(tmp_path / "set.jsonl", DATA)
    earlier = tmp_path / "earlier.jsonl"
    earlier.write_text("\n".join(earlier_lines) + "\n", encoding="utf-8")
    missing_model = str(tmp_path / "none.gguf")
    result = runner.invoke(
        app, ["eval", str(data), "--model", missing_model, "--against", str(earlier)]
    )
    assert result.exit_code == 7, result.output  # a missing model would be another code
    assert result.stderr.startswith("Error: ") and message in result.stderr


TRUST_DATA = [
    {"query": "take a selfie", "function": "take_a_photo", "arguments": {"camera": "front"}},
    {"query": "peace out", "function": None},
    {"query": "block 555-0100", "function": None},
    {"query": "save Jess", "function": "create_contact", "missing": ["phone_number"]},
    {
        "query": "text Bob saying hi",
        "function": "send_text_message",
        "arguments": {"contact_name": "Bob", "message": "hi"},
    },
]
TRUST_OUTPUTS = [
    ("<nexa_0>('front')<nexa_end>", 0.99),  # correct, sure
    ("<nexa_19>('open')<nexa_end>", 0.6),  # a call on an irrelevant query: unsure at 0.9
    ("<nexa_8>('555-0100')<nexa_end>", 0.95),  # a false call above any usual threshold
    ("<nexa_9>('Jess', None)<nexa_end>", 0.97),  # asks for what the line says is missing
    ("<nexa_7>('Bob', 'hello')<nexa_end>", 0.8),  # a made-up message, and unsure at 0.9
]


def test_eval_counts_what_a_user_acting_on_the_answers_cares_about(
    queue_outputs, tmp_path: Path
) -> None:
    queue_outputs(TRUST_OUTPUTS)
    data = _write_lines(tmp_path / "trust.jsonl", TRUST_DATA)
    plot = tmp_path / "trust.png"
    result = runner.invoke(
        app, ["eval", str(data), "--json", "--min-confidence", "0.9", "--plot", str(plot)]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    categories = {k: v["count"] for k, v in summary["per_category"].items() if v["count"]}
    assert categories == {"correct": 2, "withheld": 1, "called_on_irrelevant": 1, "unsure": 1}
    assert summary["correct"] == 3  # withheld counts as right
    assert summary["trust"]["false_calls_on_irrelevant"] == 1
    assert summary["trust"]["needs_input"] == 1 and summary["trust"]["unsure"] == 2
    rows = {row["threshold"]: row for row in summary["thresholds"]}
    assert rows[0.0]["false_calls"] == 2 and rows[0.0]["answered"] == 4 / 5
    assert rows[0.9]["false_calls"] == 1 and rows[0.9]["answered"] == 2 / 5
    assert rows[0.999]["false_calls"] == 0 and rows[0.999]["answered"] == 0
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_eval_counts_values_the_query_never_gave(queue_outputs, tmp_path: Path) -> None:
    queue_outputs([("<nexa_7>('Bob', 'hello')<nexa_end>", 0.99)])
    data = _write_lines(tmp_path / "made-up.jsonl", TRUST_DATA[4:])
    result = runner.invoke(app, ["eval", str(data), "--json"])
    trust = json.loads(result.stdout)["trust"]
    assert trust["ungrounded_calls"] == 1
    assert trust["ungrounded_examples"][0]["arguments"] == ["send_text_message.message"]
