"""Training data: deterministic, valid call for every query, varied, honestly held out."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from octopus_cli.calls import OutcomeKind, parse_output
from octopus_cli.errors import InputError
from octopus_cli.functions import FunctionSet, load_function_set
from octopus_cli.grammar import format_value
from octopus_cli.grounding import fitting, format_matches, named_choices, stated_figures
from octopus_cli.timewords import amounts_in, lengths_in
from octopus_cli.train import templates_android as T
from octopus_cli.train.data import (
    HELDOUT,
    TRAIN,
    Example,
    build_dataset,
    check_example,
    date_phrases,
    generate_examples,
    read_examples,
    same_values,
    split_examples,
    templates_sha256,
    time_phrases,
)

from copy_check import is_copied

PER_FUNCTION = 200
IRRELEVANT = 2000


@pytest.fixture(scope="module")
def examples(android: FunctionSet) -> list[Example]:
    return generate_examples(android, per_function=PER_FUNCTION, irrelevant=IRRELEVANT, seed=7)


def test_same_seed_same_examples_other_seed_other_examples(
    android: FunctionSet, examples: list[Example]
) -> None:
    again = generate_examples(android, per_function=PER_FUNCTION, irrelevant=IRRELEVANT, seed=7)
    assert again == examples
    other = generate_examples(android, per_function=PER_FUNCTION, irrelevant=IRRELEVANT, seed=8)
    assert [e.query for e in other] != [e.query for e in examples]


def test_generation_does_not_depend_on_the_process_hash_seed(android: FunctionSet) -> None:
    """Python salts str hashes per process; the files must not change with it."""
    script = (
        "import hashlib, json\n"
        "from octopus_cli.functions import load_function_set\n"
        "from octopus_cli.train.data import build_dataset\n"
        "train, heldout = build_dataset(\n"
        "    load_function_set(), per_function=30, irrelevant=200, seed=4\n"
        ")\n"
        "print(hashlib.sha256(json.dumps([e.to_record() for e in train + heldout]).encode())"
        ".hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1


def test_every_example_parses_back_to_exactly_its_call(
    android: FunctionSet, examples: list[Example]
) -> None:
    assert len(examples) == 20 * PER_FUNCTION + IRRELEVANT  # 6,000 examples
    for example in examples:
        outcome = parse_output(example.target, android)
        spec = android.by_name(example.function)
        expected = OutcomeKind.IRRELEVANT if spec.irrelevant else OutcomeKind.CALL
        assert outcome.kind is expected, (example, outcome.error)
        assert outcome.call.name == example.function
        assert same_values(outcome.call.arguments, example.arguments), example
        # positional, every parameter written out, single-quoted strings
        assert example.target.startswith(f"<nexa_{spec.token}>(")
        assert example.target.endswith(")<nexa_end>")
        assert '"' not in example.target.split("(", 1)[1].replace("\\'", "")
        assert "=" not in re.sub(r"'(\\.|[^'\\])*'", "", example.target)
        check_example(example, android)


def test_negatives_are_at_least_thirty_percent_and_include_near_misses(
    examples: list[Example],
) -> None:
    negatives = [e for e in examples if e.function == "irrelevant_function"]
    assert len(negatives) / len(examples) >= 0.30
    queries = {e.query.lower() for e in negatives}
    near_miss_words = ("record a video", "bluetooth", "lock my phone", "cancel my")
    for words in near_miss_words:
        assert any(words in q for q in queries), words
    train, _ = split_examples(examples)
    trained = {e.query.lower() for e in train if e.function == "irrelevant_function"}
    for pinned in T.NEAR_MISS_TEMPLATES[: T.PINNED_NEAR_MISSES]:
        words = pinned.split("{")[0].strip()
        assert any(words in q for q in trained), pinned  # the named near misses always train


def test_canonical_wordings_always_train(examples: list[Example]) -> None:
    train, heldout = split_examples(examples)
    for function in T.TEMPLATES:
        pinned = {f"{function}/{i}" for i in range(T.PINNED_TEMPLATES)}
        assert pinned <= {e.template for e in train if e.function == function}, function
        assert not pinned & {e.template for e in heldout}


def test_queries_are_varied(examples: list[Example]) -> None:
    """Distinct queries, many templates per function, wide slot pools."""
    assert len({e.query for e in examples}) / len(examples) >= 0.99
    templates = defaultdict(set)
    for e in examples:
        templates[e.function].add(e.template)
    for function, used in templates.items():
        assert len(used) >= 20, function
    for function, entries in T.TEMPLATES.items():
        assert len(entries) >= 25, function
    assert len(T.NEAR_MISS_TEMPLATES) + len(T.GENERAL_TEMPLATES) >= 150
    assert len(set(T.FIRST_NAMES)) >= 300
    assert len(set(T.CITIES)) >= 300
    assert len(set(T.NEWS_TOPICS)) >= 200
    assert len(set(T.YOUTUBE_QUERIES)) >= 200
    assert len(set(T.MUSIC_NAMES)) >= 150


def test_heldout_is_disjoint_by_template_and_slot_values(examples: list[Example]) -> None:
    train, heldout = split_examples(examples)
    assert 0.12 < len(heldout) / len(examples) < 0.28
    assert {e.split for e in train} == {TRAIN} and {e.split for e in heldout} == {HELDOUT}
    train_queries = {e.query.lower() for e in train}
    assert not any(e.query.lower() in train_queries for e in heldout)
    assert not {e.template for e in train} & {e.template for e in heldout}
    copied = {
        "get_weather_forecast": "location",
        "get_trending_news": "query",
        "search_youtube_videos": "query",
        "send_text_message": "message",
        "create_calendar_event": "title",
        "connect_to_bluetooth_device": "device_name",
        "play_music_on_nest_hub": "music_name",
        "play_video_on_nest_hub": "video_name",
        "set_timer_alarm": "label",
        "create_contact": "name",
        "send_email": "recipient",
    }
    for function, argument in copied.items():
        seen = {
            split: {str(e.arguments[argument]).lower() for e in part if e.function == function}
            for split, part in (("train", train), ("heldout", heldout))
        }
        if argument == "label":  # the default label is shared by design
            seen = {k: v - {"alarm"} for k, v in seen.items()}
        assert seen["heldout"], function
        assert not seen["train"] & seen["heldout"], (function, seen["train"] & seen["heldout"])


def test_phone_numbers_with_a_country_code_become_e164(examples: list[Example]) -> None:
    numbers = [
        (e.query, e.arguments["phone_number"])
        for e in examples
        if e.function in ("make_phone_call", "create_contact")
    ]
    international = [(q, n) for q, n in numbers if n.startswith("+")]
    assert international and len(international) < len(numbers)
    for query, number in international:
        assert re.fullmatch(r"\+[0-9]{8,15}", number), number
        assert number in re.sub(r"[ ()-]", "", query), (query, number)
    for query, number in numbers:
        if not number.startswith("+"):
            assert number in query, (query, number)  # no country code: copied as written
    assert any("(" in n for _, n in numbers)  # "(212) 555-0182" is taught as people write it


def test_copied_values_appear_verbatim_and_fit_the_grammar(
    android: FunctionSet, examples: list[Example]
) -> None:
    """Every parameter the set marks copy is taught as the copy rules will decode it."""
    checked = 0
    for e in examples:
        spec = android.by_name(e.function)
        assert spec is not None
        for param in spec.parameters:
            if not param.copy:
                continue
            value = e.arguments[param.name]
            if param.unit is not None:  # a length of time stated; else the default or a figure
                stated = lengths_in(e.query, param.unit)
                offered = stated or [param.default, *amounts_in(e.query, param.unit)]
                assert value in offered, (e.query, value)
            elif param.format is not None:  # an address, number or time found in the query
                assert value in format_matches(e.query, param.format), (e.query, value)
            elif param.choices is not None:  # a choice the query names
                assert value in named_choices(e.query, param), (e.query, value)
            elif param.type in ("int", "float"):  # a figure the query states, in range
                offered = fitting(param, stated_figures(e.query, param))
                assert value in offered, (e.query, value, offered)
            else:  # the default, or whole words of the query as written
                assert is_copied(value, param, e.query), (e.query, param.name, value)
            assert not isinstance(value, str) or len(value) <= 128  # the grammar's longest
            checked += 1
    assert checked > len(examples) // 2
    whole = {
        ("send_text_message", "message"): T.SMS_MESSAGES,
        ("send_email", "title"): T.EMAIL_SUBJECTS,
        ("create_calendar_event", "title"): T.EVENT_TITLES,
    }
    for (function, argument), pool in whole.items():
        lowered = {item.lower() for item in pool}
        for e in examples:
            if e.function == function:  # free text is copied whole, "the ..." included
                assert e.arguments[argument].lower() in lowered, e
    bodies = [e.arguments["content"] for e in examples if e.function == "send_email"]
    assert max(len(b) for b in bodies) > 80  # long free text is taught, not only short
    assert any(
        e.arguments["content"].count(". ") >= 1 for e in examples if e.function == "send_email"
    )


def _reference_time(phrase: str) -> tuple[int, int]:
    """An independent reading of the time phrases, to check the generator's conversion."""
    text = phrase.lower().strip()
    fixed = {"noon": (12, 0), "midday": (12, 0), "12 noon": (12, 0), "midnight": (0, 0)}
    if text in fixed:
        return fixed[text]
    if text == "quarter to noon":
        return 11, 45
    if text == "quarter to midnight":
        return 23, 45
    periods = {
        "in the morning": "am",
        "in the afternoon": "pm",
        "in the evening": "pm",
        "at night": "pm",
    }
    meridiem = None
    for words, value in periods.items():
        if text.endswith(words):
            text, meridiem = text[: -len(words)].strip(), value
    match = re.fullmatch(r"(.*?)\s*([ap])\.?m\.?", text)
    if match:
        text, meridiem = match.group(1), match.group(2) + "m"
    text = text.replace(" o'clock", "")
    offset = 0
    for words, minutes in (("half past ", 30), ("quarter past ", 15), ("quarter to ", -15)):
        if text.startswith(words):
            text, offset = text[len(words) :], minutes
    hour, _, minute = text.partition(":")
    hour, minute = int(hour), int(minute or 0)
    if meridiem == "am" and hour == 12:
        hour = 0
    elif meridiem == "pm" and hour != 12:
        hour += 12
    total = (hour * 60 + minute + offset) % (24 * 60)
    return divmod(total, 60)


def test_every_time_phrase_names_its_24_hour_time() -> None:
    for hour in range(24):
        for minute in range(60):
            for phrase in time_phrases(hour, minute):
                assert _reference_time(phrase) == (hour, minute), phrase
    assert "7:30 pm" in time_phrases(19, 30)
    assert "12am" in time_phrases(0, 0) and "12pm" in time_phrases(12, 0)
    assert "quarter to 8 in the morning" in time_phrases(7, 45)
    assert "half past 9 at night" in time_phrases(21, 30)


def _reference_date(phrase: str) -> dt.date:
    text = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", phrase)
    text = re.sub(
        r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday),? ", "", text, flags=re.I
    )
    text = re.sub(r"^the (\d+) of ", r"\1 ", text).replace(",", "")
    for pattern in ("%B %d %Y", "%d %B %Y", "%b %d %Y", "%d %b %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise AssertionError(f"unreadable date phrase {phrase!r}")


def test_every_date_phrase_names_its_date_and_the_right_weekday() -> None:
    day = dt.date(2024, 1, 1)
    while day <= dt.date(2027, 12, 31):
        for phrase in date_phrases(day):
            assert _reference_date(phrase) == day, phrase
            weekday = re.match(r"(\w+day)\b", phrase)
            if weekday:
                assert weekday.group(1) == day.strftime("%A"), phrase
        day += dt.timedelta(days=3)
    assert "Thursday, July 4, 2024" in date_phrases(dt.date(2024, 7, 4))


def test_alarm_and_calendar_queries_carry_their_exact_times(examples: list[Example]) -> None:
    for e in examples:
        text = e.query.lower()
        if e.function == "set_timer_alarm":
            hour, minute = map(int, e.arguments["time"].split(":"))
            assert any(p.lower() in text for p in time_phrases(hour, minute)), e.query
        if e.function == "create_calendar_event":
            start = dt.datetime.strptime(e.arguments["start_time"], "%Y-%m-%d-%H-%M")
            end = dt.datetime.strptime(e.arguments["end_time"], "%Y-%m-%d-%H-%M")
            assert end > start, e
            assert any(p.lower() in text for p in date_phrases(start.date())), e.query
            assert any(p.lower() in text for p in time_phrases(start.hour, start.minute)), e.query
            if end.date() != start.date():
                assert any(p.lower() in text for p in date_phrases(end.date())), e.query


def test_defaults_are_written_out_when_the_query_does_not_say(examples: list[Example]) -> None:
    news = [e for e in examples if e.function == "get_trending_news"]
    assert any(e.arguments["language"] == "en" and "english" not in e.query.lower() for e in news)
    assert all(e.target.count("', '") == 1 for e in news)  # both arguments, always
    routes = Counter(
        e.arguments["mode"] for e in examples if e.function == "find_route_google_maps"
    )
    assert set(routes) == {"driving", "walking", "bicycling", "transit"}
    selfies = [e for e in examples if e.function == "take_a_photo" and "selfie" in e.query.lower()]
    assert selfies and all(e.arguments["camera"] == "front" for e in selfies)


def test_string_literals_are_single_quoted_and_read_back() -> None:
    android = load_function_set()
    for text in ("I'm late", 'say "hi"', "back\\slash", "plain"):
        literal = format_value(text)
        assert literal.startswith("'") and literal.endswith("'")
        outcome = parse_output(f"<nexa_2>({literal})<nexa_end>", android)
        assert outcome.call.arguments["location"] == text
    assert format_value(72.0) == "72.0" and format_value(True) == "True" and format_value(3) == "3"


CUSTOM_SET = """
name = "home"
[[function]]
token = 0
name = "water_plants"
description = "Water the plants in a zone."
parameters = [
  { name = "zone", type = "str" },
  { name = "minutes", type = "int", min = 1, max = 30, default = 5 },
]
[[function]]
token = 1
name = "set_lights"
description = "Switch the lights."
parameters = [
  { name = "on", type = "bool" },
  { name = "at", type = "str", format = "time24" },
  { name = "color", type = "str", choices = ["warm", "cold"], default = "warm" },
]
[[function]]
token = 2
name = "ring_bell"
description = "Ring the bell."
[[function]]
token = 3
name = "none_fits"
description = "No function fits."
irrelevant = true
"""


def test_other_function_sets_get_generic_examples_plus_their_own(tmp_path: Path) -> None:
    path = tmp_path / "home.toml"
    path.write_text(CUSTOM_SET)
    function_set = load_function_set(path)
    mine = tmp_path / "mine.jsonl"
    lines = [
        {
            "query": "water the roses for 10 minutes",
            "function": "water_plants",
            "arguments": {"zone": "roses", "minutes": 10},
        },
        {"query": "ding dong", "function": "ring_bell", "arguments": {}},
        {"query": "what's up", "function": None},
    ]
    mine.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    train, heldout = build_dataset(
        function_set, per_function=60, irrelevant=40, seed=3, user_examples=mine
    )
    everything = train + heldout
    for example in everything:
        check_example(example, function_set)
    counts = Counter(e.function for e in everything)
    assert counts["water_plants"] >= 50 and counts["set_lights"] >= 50
    assert counts["none_fits"] >= 30
    assert counts["ring_bell"] >= 1  # no parameters: only a few distinct wordings exist
    user = [e for e in everything if e.template == "user"]
    assert {e.query for e in user} == {line["query"] for line in lines}
    roses = next(e for e in user if e.query.startswith("water"))
    assert roses.target == "<nexa_0>('roses', 10)<nexa_end>"
    assert next(e for e in user if e.query == "ding dong").arguments == {}
    again = build_dataset(function_set, per_function=60, irrelevant=40, seed=3, user_examples=mine)
    assert again == (train, heldout)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "not a JSON object"),
        ('{"query": "", "function": "take_a_photo"}', "'query' must be"),
        ('{"query": "x", "function": "fly"}', "'fly' is not in function set"),
        (
            '{"query": "x", "function": "take_a_photo", "arguments": {"camera": "side"}}',
            "must be one of",
        ),
        ('{"query": "x", "function": "get_weather_forecast", "arguments": {}}', "missing argument"),
        (
            '{"query": "x", "function": "take_a_photo", "arguments": {"lens": "front"}}',
            "no argument",
        ),
    ],
)
def test_bad_example_lines_name_the_line(
    tmp_path: Path, android: FunctionSet, line: str, message: str
) -> None:
    path = tmp_path / "mine.jsonl"
    good = {"query": "take a selfie", "function": "take_a_photo", "arguments": {"camera": "front"}}
    path.write_text(json.dumps(good) + "\n\n" + line + "\n")
    with pytest.raises(InputError) as error:
        read_examples(path, android)
    assert f"{path}:3:" in error.value.message and message in error.value.message


def test_templates_fingerprint_follows_every_template_and_pool(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A manifest's seed names its examples only together with this fingerprint.
    before = templates_sha256()
    assert before == templates_sha256() and len(before) == 64
    monkeypatch.setattr(T, "ROOMS", (*T.ROOMS, "attic"))
    after_pool = templates_sha256()
    templates = dict(T.TEMPLATES)
    templates["take_a_photo"] = (*templates["take_a_photo"], "snap a {camera} photo")
    monkeypatch.setattr(T, "TEMPLATES", templates)
    assert len({before, after_pool, templates_sha256()}) == 3


def test_data_command_default_heldout_fraction_is_the_generators() -> None:
    # The command states it itself so that starting the CLI does not import the generator.
    from octopus_cli.commands.data import HELDOUT_FRACTION
    from octopus_cli.train.data import DEFAULT_HELDOUT_FRACTION

    assert HELDOUT_FRACTION == DEFAULT_HELDOUT_FRACTION


def test_cli_start_up_does_not_import_the_heavy_modules() -> None:
    # `octopus ask` starts a new process per query; each of these costs tens of ms.
    code = (
        "import sys, octopus_cli.cli; "
        "print(sorted(m for m in ('gguf', 'octopus_cli.train.data', 'octopus_cli.train.trainer', "
        "'octopus_cli.bench.suite', 'torch', 'matplotlib') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_border_negatives_come_last_and_leave_the_rest_as_it_was(
    android: FunctionSet, examples: list[Example]
) -> None:
    with_border = generate_examples(
        android, per_function=PER_FUNCTION, irrelevant=IRRELEVANT, seed=7, border=300
    )
    assert with_border[: len(examples)] == examples
    extra = with_border[len(examples) :]
    assert len(extra) == 300
    assert {e.function for e in extra} == {"irrelevant_function"}
    assert {e.template.split("/")[0] for e in extra} == {"border"}
    heldout = {e.template for e in extra if e.split == "heldout"}
    trained = {e.template for e in extra if e.split == "train"}
    assert heldout and trained and not heldout & trained  # held-out wordings never train
