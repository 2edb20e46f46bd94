"""What a query offers a parameter, and whether a call's values came from the query."""

from __future__ import annotations

import numpy as np
import pytest

from octopus_cli.functions import FunctionSet
from octopus_cli.grounding import (
    fitting,
    format_matches,
    grounded,
    out_of_range,
    spoken_numbers,
    stated_figures,
    wants,
)
from octopus_cli.runtime import choice_probability


def _param(android: FunctionSet, function: str, name: str):
    spec = android.by_name(function)
    assert spec is not None
    param = spec.parameter(name)
    assert param is not None
    return param


@pytest.mark.parametrize(
    ("query", "function", "values"),
    [
        ("set brightness to seven", "change_screen_brightness", [7]),
        ("brightness 8 please", "change_screen_brightness", [8]),
        ("screen at 70% brightness", "change_screen_brightness", [7]),
        ("make the screen 30 percent bright", "change_screen_brightness", [3]),
        ("max brightness", "change_screen_brightness", [10]),
        ("turn the brightness all the way down", "change_screen_brightness", [0]),
        ("half brightness", "change_screen_brightness", [5]),
        ("brightness 15", "change_screen_brightness", []),
        ("set brightness", "change_screen_brightness", []),
        ("set nest to 70.5", "set_nest_temperature", [70.5]),
        ("make it seventy-two degrees", "set_nest_temperature", [72.0]),
        ("set the thermostat to 72 at 7 pm", "set_nest_temperature", [72.0]),
        ("Preheat the oven to 400 degrees", "set_nest_temperature", []),
    ],
)
def test_fitting_figures_are_the_ones_the_query_states(
    android: FunctionSet, query: str, function: str, values: list
) -> None:
    param = android.by_name(function).parameters[0]
    assert fitting(param, stated_figures(query, param)) == values


def test_a_figure_out_of_range_is_reported_not_replaced(android: FunctionSet) -> None:
    param = _param(android, "set_nest_temperature", "target_temperature")
    assert out_of_range("Preheat the oven to 400 degrees", param) == [400.0]
    assert out_of_range("set the thermostat to 72", param) == []
    assert wants(param) == "a number from 50 to 90"


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("call plus one four one five five five five zero one nine nine", ["+14155550199"]),
        ("dial five five five, one two three four", ["5551234"]),
        ("ring oh two oh seven nine four six oh nine five eight", ["02079460958"]),
        ("call double five five one two three four", ["5551234"]),
        ("call one two three", []),  # too short for a phone number
        ("one of the two", []),
    ],
)
def test_numbers_spoken_digit_by_digit(query: str, numbers: list[str]) -> None:
    assert spoken_numbers(query) == numbers


def test_phone_format_offers_spoken_numbers_too() -> None:
    assert "+14155550199" in format_matches(
        "call plus one four one five five five five zero one nine nine", "phone"
    )


@pytest.mark.parametrize(
    ("query", "function", "name", "value", "expected"),
    [
        ("text Bob saying hi there", "send_text_message", "message", "hi there", True),
        ("text Bob saying hi there", "send_text_message", "message", "hello", False),
        ("text Bobby saying hi", "send_text_message", "contact_name", "Bob", False),
        ("Send $20 to Maria", "send_email", "recipient", "MariaonVenmo@venmo.com", False),
        ("email ana@example.com", "send_email", "recipient", "ana@example.com", True),
        ("call +44 20 7946 0958", "make_phone_call", "phone_number", "+442079460958", True),
        ("call 555 0100", "make_phone_call", "phone_number", "+14155550199", False),
        ("Preheat the oven to 400", "set_nest_temperature", "target_temperature", 50.0, False),
        ("thermostat 69", "set_nest_temperature", "target_temperature", 69.0, True),
        ("brightness to seven", "change_screen_brightness", "level", 7, True),
        ("at 9 PM", "create_calendar_event", "start_time", "2022-04-01-21-00", False),
        ("on 2027-03-03 at 9 pm", "create_calendar_event", "start_time", "2027-03-03-21-00", True),
        ("pair my earbuds", "connect_to_bluetooth_device", "timeout", 10, True),  # default
        ("pair my earbuds for 2 minutes", "connect_to_bluetooth_device", "timeout", 120, True),
        ("take a photo", "take_a_photo", "camera", "front", True),  # a choice
    ],
)
def test_grounded_values_come_from_the_query(
    android: FunctionSet, query: str, function: str, name: str, value: object, expected: bool
) -> None:
    assert grounded(query, _param(android, function, name), value) is expected


def test_confidence_is_a_softmax_over_the_choice_tokens() -> None:
    ids = np.array([10, 11, 12])
    logits = np.array([2.0, 0.0, 0.0])
    p = choice_probability(logits, ids, 10)
    assert p == pytest.approx(np.exp(2) / (np.exp(2) + 2))
    assert choice_probability(logits, ids, 99) is None
    big = np.array([1000.0, 999.0, -1000.0])  # no overflow
    assert choice_probability(big, ids, 11) == pytest.approx(1 / (1 + np.e))
