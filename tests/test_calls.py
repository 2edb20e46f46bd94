"""Parsing and validating model output: every outcome kind, from real output shapes."""

from __future__ import annotations

import pytest

from octopus_cli.calls import OutcomeKind, judged, parse_output, read_value
from octopus_cli.functions import FunctionSet


def test_published_model_output_parses_to_typed_call(android: FunctionSet) -> None:
    # The real model's greedy output, cut at <nexa_end> (the rest is never generated).
    outcome = parse_output(" <nexa_0>('front')<nexa_end>", android)
    assert outcome.kind is OutcomeKind.CALL
    assert outcome.call.name == "take_a_photo"
    assert outcome.call.arguments == {"camera": "front"}
    assert outcome.call.call_string() == "take_a_photo(camera='front')"


def test_text_after_end_token_is_ignored(android: FunctionSet) -> None:
    raw = "<nexa_0>('front')<nexa_end>\n\nFunction description: \ndef take_a_photo(camera):"
    assert parse_output(raw, android).call.arguments == {"camera": "front"}


def test_defaults_are_filled_and_keywords_accepted(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_5>('Paris', destination='Lyon')<nexa_end>", android)
    assert outcome.call.arguments == {"origin": "Paris", "destination": "Lyon", "mode": "driving"}
    news = parse_output("<nexa_1>(query='AI')<nexa_end>", android)
    assert news.call.call_string() == "get_trending_news(query='AI', language='en')"


def test_types_are_checked_and_ints_widen_to_float(android: FunctionSet) -> None:
    assert parse_output("<nexa_16>(72)<nexa_end>", android).call.arguments == {
        "target_temperature": 72.0
    }
    assert isinstance(
        parse_output("<nexa_16>(72)<nexa_end>", android).call.arguments["target_temperature"], float
    )
    bad = parse_output("<nexa_11>('5')<nexa_end>", android)
    assert bad.kind is OutcomeKind.INVALID_ARGUMENT
    assert "expected int" in bad.error
    # bool is an int in Python; a signature that says int must not take True.
    assert parse_output("<nexa_11>(True)<nexa_end>", android).kind is OutcomeKind.INVALID_ARGUMENT


@pytest.mark.parametrize(
    "number", ["(212) 555-0182", "+1 (212) 555-0182", "020 7946 0000", "+442079460958"]
)
def test_phone_numbers_as_people_write_them(android: FunctionSet, number: str) -> None:
    outcome = parse_output(f"<nexa_8>('{number}')<nexa_end>", android)
    assert outcome.kind is OutcomeKind.CALL
    assert outcome.call.arguments == {"phone_number": number}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("<nexa_0>('side')<nexa_end>", "must be one of 'front', 'back'"),
        ("<nexa_11>(11)<nexa_end>", "at most 10"),
        ("<nexa_16>(49.5)<nexa_end>", "at least 50"),
        ("<nexa_10>('7pm')<nexa_end>", "time24"),
        ("<nexa_12>('Lunch', '2024-13-01-12-00', '2024-01-01-13-00')<nexa_end>", "datetime"),
        ("<nexa_3>('bob', 'Hi', 'Lunch?')<nexa_end>", "email"),
        ("<nexa_8>('call me')<nexa_end>", "phone"),
        ("<nexa_8>('(()) 5')<nexa_end>", "phone"),
    ],
)
def test_values_break_signature(android: FunctionSet, raw: str, message: str) -> None:
    outcome = parse_output(raw, android)
    assert outcome.kind is OutcomeKind.INVALID_ARGUMENT
    assert message in outcome.error


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("<nexa_0>(lens='front')<nexa_end>", "has no argument 'lens'"),
        ("<nexa_2>()<nexa_end>", "missing argument 'location'"),
        ("<nexa_0>('front', 'back')<nexa_end>", "takes 1 arguments, got 2"),
        ("<nexa_2>('Rome', location='Rome')<nexa_end>", "given twice"),
    ],
)
def test_wrong_arguments(android: FunctionSet, raw: str, message: str) -> None:
    outcome = parse_output(raw, android)
    assert outcome.kind is OutcomeKind.WRONG_ARGUMENTS
    assert message in outcome.error


@pytest.mark.parametrize(
    "raw",
    [
        "<nexa_0>('front'<nexa_end>",
        "take_a_photo('front')<nexa_end>",
        "<nexa_0>(__import__('os').system('id'))<nexa_end>",
        "<nexa_0>(*['front'])<nexa_end>",
        "<nexa_0>('front') + 1<nexa_end>",
        "<nexa_0>('a' if True else 'b')<nexa_end>",
        "<nexa_end>",
        "import os<nexa_end>",
    ],
)
def test_malformed_output_is_a_result_not_an_exception(android: FunctionSet, raw: str) -> None:
    outcome = parse_output(raw, android)
    assert outcome.kind is OutcomeKind.UNPARSABLE
    assert outcome.calls == ()


def test_missing_end_token_and_unknown_token(android: FunctionSet) -> None:
    assert parse_output("<nexa_0>('front')", android).kind is OutcomeKind.NO_END
    unknown = parse_output("<nexa_42>()<nexa_end>", android)
    assert unknown.kind is OutcomeKind.UNKNOWN_TOKEN
    assert "<nexa_42>" in unknown.error


def test_parallel_calls(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_15>(True);<nexa_13>(3, 'ring')<nexa_end>", android)
    assert outcome.kind is OutcomeKind.CALL
    assert [c.name for c in outcome.calls] == ["enable_do_not_disturb", "set_volume"]
    assert outcome.calls[1].arguments == {"level": 3, "volume_type": "ring"}


def test_nested_call_is_validated_recursively(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_7>('Ann', <nexa_2>('Oslo'))<nexa_end>", android)
    assert outcome.kind is OutcomeKind.CALL
    inner = outcome.call.arguments["message"]
    assert inner.name == "get_weather_forecast"
    assert outcome.call.call_string() == (
        "send_text_message(contact_name='Ann', message=get_weather_forecast(location='Oslo'))"
    )
    assert outcome.call.to_dict()["arguments"]["message"]["function"] == "get_weather_forecast"
    bad = parse_output("<nexa_7>('Ann', <nexa_2>())<nexa_end>", android)
    assert bad.kind is OutcomeKind.WRONG_ARGUMENTS


def test_irrelevant(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_20>()<nexa_end>", android)
    assert outcome.kind is OutcomeKind.IRRELEVANT
    assert not outcome.kind.is_failure


def test_functional_token_text_inside_string_stays_text(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_4>('how <nexa_3> works')<nexa_end>", android)
    assert outcome.call.arguments == {"query": "how <nexa_3> works"}


def test_hostile_strings_are_just_strings(android: FunctionSet) -> None:
    raw = "<nexa_4>('; rm -rf ~ $(id) `id` \\' \" \\n')<nexa_end>"
    outcome = parse_output(raw, android)
    assert outcome.kind is OutcomeKind.CALL
    assert outcome.call.arguments["query"] == "; rm -rf ~ $(id) `id` ' \" \n"


# -- values the query did not give: needs_input ------------------------------------------


def test_the_not_given_marker_makes_needs_input(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_3>(None, 'late', 'I will be late')<nexa_end>", android)
    assert outcome.kind is OutcomeKind.NEEDS_INPUT
    call = outcome.call
    assert call.missing == ("recipient",)
    assert call.arguments["recipient"] is None
    assert call.missing_values() == [
        {"name": "recipient", "type": "str", "wants": "an email address"}
    ]
    assert [(i, p.name) for i, p in outcome.missing] == [(0, "recipient")]
    assert not outcome.kind.is_failure


def test_supplying_every_missing_value_makes_a_call(android: FunctionSet) -> None:
    outcome = parse_output("<nexa_12>('dentist', None, None)<nexa_end>", android)
    assert [p.name for _, p in outcome.missing] == ["start_time", "end_time"]
    half = outcome.supplied(0, "start_time", "2027-03-03-15-00")
    assert half.kind is OutcomeKind.NEEDS_INPUT
    done = half.supplied(0, "end_time", "2027-03-03-16-00")
    assert done.kind is OutcomeKind.CALL
    assert done.call.arguments["end_time"] == "2027-03-03-16-00"
    with pytest.raises(ValueError, match="datetime format"):
        outcome.supplied(0, "start_time", "3 pm")
    with pytest.raises(ValueError, match="not missing"):
        outcome.supplied(0, "title", "x")


@pytest.mark.parametrize(
    ("function", "text", "value"),
    [
        ("set_nest_temperature", "72", 72.0),
        ("set_nest_temperature", "seventy", 70.0),
        ("change_screen_brightness", "7", 7),
        ("change_screen_brightness", "max", 10),
        ("enable_do_not_disturb", "yes", True),
        ("make_phone_call", "+44 20 7946 0958", "+442079460958"),
        ("send_email", " ana@example.com ", "ana@example.com"),
    ],
)
def test_read_value_types_what_a_person_typed(
    android: FunctionSet, function: str, text: str, value: object
) -> None:
    param = android.by_name(function).parameters[0]
    assert read_value(param, text) == value
    assert type(read_value(param, text)) is type(value)


@pytest.mark.parametrize(
    ("function", "text", "message"),
    [
        ("set_nest_temperature", "400", "at most 90"),
        ("change_screen_brightness", "7.5", "whole number"),
        ("change_screen_brightness", "bright", "a whole number from 0 to 10"),
        ("enable_do_not_disturb", "maybe", "yes or no"),
        ("send_email", "ana at example", "email format"),
    ],
)
def test_read_value_refuses_what_breaks_the_parameter(
    android: FunctionSet, function: str, text: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        read_value(android.by_name(function).parameters[0], text)


# -- the model's confidence: unsure ----------------------------------------------------------


def test_a_call_below_the_threshold_is_unsure_and_carries_its_guess(android: FunctionSet) -> None:
    call = parse_output("<nexa_19>('open')<nexa_end>", android)
    unsure = judged(call, 0.51, 0.9)
    assert unsure.kind is OutcomeKind.UNSURE
    assert unsure.call.name == "open_or_lock_door" and unsure.confidence == 0.51
    assert "0.51" in unsure.error
    assert unsure.confirmed().kind is OutcomeKind.CALL
    assert judged(call, 0.95, 0.9).kind is OutcomeKind.CALL
    assert judged(call, 0.95, 0.9).confidence == 0.95
    assert judged(call, 0.2, 0.0).kind is OutcomeKind.CALL  # 0 turns it off


def test_irrelevant_and_unusable_answers_are_never_unsure(android: FunctionSet) -> None:
    assert judged(parse_output("<nexa_20>()<nexa_end>", android), 0.3, 0.9).kind is (
        OutcomeKind.IRRELEVANT
    )
    assert judged(parse_output("<nexa_11>('5')<nexa_end>", android), 0.3, 0.9).kind is (
        OutcomeKind.INVALID_ARGUMENT
    )


def test_an_unsure_guess_that_lacks_a_value_asks_for_it_once_confirmed(
    android: FunctionSet,
) -> None:
    unsure = judged(parse_output("<nexa_8>(None)<nexa_end>", android), 0.4, 0.9)
    assert unsure.kind is OutcomeKind.UNSURE
    assert unsure.confirmed().kind is OutcomeKind.NEEDS_INPUT
