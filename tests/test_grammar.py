"""The decoding grammar's ``copy`` rules, checked by llama.cpp's own grammar sampler.

Each case feeds a call's text, byte by byte, to the grammar built for one query and asks
llama.cpp whether it accepts it: the words of the query pass, a misspelt or invented
value, or a piece of a word, does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from octopus_cli.functions import FunctionSet
from octopus_cli.grammar import quoted
from octopus_cli.grounding import format_matches
from octopus_cli.runtime import FunctionCaller, GrammarConstraint, Runtime

from tiny_gguf import FIRST_BYTE_TOKEN


@pytest.fixture(scope="module")
def caller(tiny_model: Path, android: FunctionSet) -> FunctionCaller:
    return FunctionCaller(Runtime(tiny_model, n_ctx=512), android)


@pytest.fixture(scope="module")
def free_caller(tiny_model: Path, android: FunctionSet) -> FunctionCaller:
    return FunctionCaller(Runtime(tiny_model, n_ctx=512), android, copy_values=False)


def accepts(caller: FunctionCaller, query: str, function: str, arguments: str) -> bool:
    """Whether the grammar for ``query`` takes ``<token>arguments`` as a whole call."""
    spec = caller.function_set.by_name(function)
    assert spec is not None
    grammar = caller.grammar_for(query)
    assert grammar is not None
    constraint = GrammarConstraint(caller.runtime.vocabulary, grammar)
    position = [f.token for f in caller.function_set.functions].index(spec.token)
    tokens = [caller.token_ids[position]]
    tokens += [FIRST_BYTE_TOKEN + byte for byte in arguments.encode("utf-8")]
    try:
        for token in tokens:
            if not constraint.allows(token, 0.0):
                return False
            constraint.accept(token)
        return constraint.allows(caller.end_id, 0.0)  # the call is complete
    finally:
        constraint.close()


YOUTUBE = "can you pull up origami crane on youtube?"
CALENDAR = "add Demo on March 6, 2026 at 12:36 pm for an hour and a half"
CASES = [
    (YOUTUBE, "search_youtube_videos", "('origami crane')", True),
    (YOUTUBE, "search_youtube_videos", "('origami crane on youtube?')", True),
    (YOUTUBE, "search_youtube_videos", "('origina crane')", False),  # misspelt
    (YOUTUBE, "search_youtube_videos", "('ami crane')", False),  # a piece of a word
    (YOUTUBE, "search_youtube_videos", "('origami cr')", False),
    (YOUTUBE, "search_youtube_videos", "('Origami crane')", False),  # not as written
    (YOUTUBE, "search_youtube_videos", "('paper birds')", False),  # invented
    (YOUTUBE, "search_youtube_videos", "('origami  crane')", False),
    # A quote in the query is escaped in the call, as the training targets write it.
    (
        "look for how to solve a Rubik's cube clips",
        "search_youtube_videos",
        "('how to solve a Rubik\\'s cube')",
        True,
    ),
    ("weather in Reykjavík 🌧 tomorrow", "get_weather_forecast", "('Reykjavík')", True),
    ("weather in Reykjavík 🌧 tomorrow", "get_weather_forecast", "('Reykjavík 🌧')", True),
    ("weather in Reykjavík 🌧 tomorrow", "get_weather_forecast", "('Reykjav')", False),
    # A copied value never runs across a line break: it stays within one line of the query.
    ("weather in Oslo\nand Bergen", "get_weather_forecast", "('Bergen')", True),
    ("weather in Oslo\nand Bergen", "get_weather_forecast", "('Oslo\\nand')", False),
    # A tab is written escaped, as the training targets write it.
    ("text Ana that a\tb", "send_text_message", "('Ana', 'a\\tb')", True),
    # A parameter's default is allowed even though the query does not say it.
    ("wake me up at 6:45", "set_timer_alarm", "('06:45', 'alarm')", True),
    ("wake me up at 6:45", "set_timer_alarm", "('06:45', 'wake')", True),
    ("wake me up at 6:45", "set_timer_alarm", "('06:45', 'snooze')", False),
    # A time is one the query names, without am or pm either way...
    ("wake me up at 6:45", "set_timer_alarm", "('18:45')", True),
    ("wake me up at 6:45 am", "set_timer_alarm", "('18:45')", False),
    ("wake me up at quarter to 7 in the morning", "set_timer_alarm", "('06:45')", True),
    ("wake me up at quarter to 7 in the morning", "set_timer_alarm", "('07:45')", False),
    # ...and a datetime one on a date the query names, or that plus a length of time it names.
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-06-12-36', '2026-03-06-14-06')", True),
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-06-12-36', '2026-03-06-13-36')", False),
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-07-12-36', '2026-03-07-14-06')", False),
    # The end comes after the start; only a query that names one moment ends where it starts.
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-06-12-36', '2026-03-06-12-36')", False),
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-06-14-06', '2026-03-06-12-36')", False),
    (CALENDAR, "create_calendar_event", "('Demo', '2026-03-06-14-06', '2026-03-06-14-06')", False),
    (
        CALENDAR,
        "create_calendar_event",
        "(title='Demo', start_time='2026-03-06-12-36', end_time='2026-03-06-14-06')",
        True,
    ),
    (
        CALENDAR,
        "create_calendar_event",
        "(title='Demo', start_time='2026-03-06-12-36', end_time='2026-03-06-12-36')",
        False,
    ),
    (
        "add Demo on March 6, 2026 at 12:36 pm",
        "create_calendar_event",
        "('Demo', '2026-03-06-12-36', '2026-03-06-12-36')",
        True,
    ),
    # Nothing to read and no default: only the marker for "not given", never a made-up value.
    ("wake me up early", "set_timer_alarm", "('05:10')", False),
    ("wake me up early", "set_timer_alarm", "(None)", True),
    ("wake me up early", "set_timer_alarm", "(None, 'early')", True),
    ("wake me up at 6:45", "set_timer_alarm", "(None)", False),
    # A length of time in the parameter's unit, any other figure of the query, or the default.
    (
        "pair with my earbuds and wait up to 3 minutes",
        "connect_to_bluetooth_device",
        "('earbuds', 180)",
        True,
    ),
    (
        "pair with my earbuds and wait up to 3 minutes",
        "connect_to_bluetooth_device",
        "('earbuds', 3)",
        False,
    ),
    # A length of time the query states must be given: the default does not stand in for it.
    *(
        (
            "pair with my earbuds and wait up to 3 minutes",
            "connect_to_bluetooth_device",
            call,
            False,
        )
        for call in ("('earbuds')", "('earbuds', 10)", "(device_name='earbuds')")
    ),
    ("pair with my earbuds, timeout 45", "connect_to_bluetooth_device", "('earbuds', 45)", True),
    ("pair with my earbuds, timeout 45", "connect_to_bluetooth_device", "('earbuds')", True),
    # No figure in the query: the default, never an invented timeout.
    ("pair with my earbuds", "connect_to_bluetooth_device", "('earbuds', 45)", False),
    ("pair with my earbuds", "connect_to_bluetooth_device", "('earbuds')", True),
    ("pair with my earbuds", "connect_to_bluetooth_device", "('earbuds', 10)", True),
    # Phone numbers: as written, or in E.164 when given with a country code.
    ("call +44 20 7946 0958 now", "make_phone_call", "('+442079460958')", True),
    ("call +44 20 7946 0958 now", "make_phone_call", "('+44 20 7946 0958')", True),
    ("call +44 20 7946 0958 now", "make_phone_call", "('+442079460959')", False),
    ("call (212) 555-0182", "make_phone_call", "('(212) 555-0182')", True),
    ("call (212) 555-0182", "make_phone_call", "('+12125550182')", False),
    # A number put in brackets is copied without them.
    (
        "add Tariq (475 555 8823) to my contacts",
        "create_contact",
        "('Tariq', '475 555 8823')",
        True,
    ),
    (
        "add Tariq (475 555 8823) to my contacts",
        "create_contact",
        "('Tariq', '475 555 882')",
        False,
    ),
    # An apostrophe between letters is inside the word: a name is not cut at it...
    (
        "text Siobhan O'Connor saying see you at the pub",
        "send_text_message",
        "('Siobhan O\\'Connor', 'see you at the pub')",
        True,
    ),
    (
        "text Siobhan O'Connor saying see you at the pub",
        "send_text_message",
        "('Siobhan O', 'see you at the pub')",
        False,
    ),
    # ... but a possessive 's may be left out.
    ("text Sarah's phone saying hi", "send_text_message", "('Sarah', 'hi')", True),
    # No number in the query: nothing but the marker.
    ("call the office", "make_phone_call", "('555-0100')", False),
    ("call the office", "make_phone_call", "(None)", True),
    ("call my mom", "make_phone_call", "(phone_number=None)", True),
    # A number spoken digit by digit.
    (
        "call plus one four one five five five five zero one nine nine",
        "make_phone_call",
        "('+14155550199')",
        True,
    ),
    ("email John that I will be late", "send_email", "(None, 'late', 'I will be late')", True),
    ("email John that I will be late", "send_email", "('john@example.com', 'late', 'late')", False),
    # A date the query does not name is not made up.
    (
        "add dentist to my calendar at 3 pm",
        "create_calendar_event",
        "('dentist', None, None)",
        True,
    ),
    (
        "add dentist to my calendar at 3 pm",
        "create_calendar_event",
        "('dentist', '2024-01-01-15-00', '2024-01-01-16-00')",
        False,
    ),
    ("save Jessica as a new contact", "create_contact", "('Jessica', None)", True),
    ("save Jessica as a new contact", "create_contact", "('Jessica', '555-0100')", False),
    # A number without a default: a figure the query states, in digits or words, in range.
    ("set brightness to seven", "change_screen_brightness", "(7)", True),
    ("set brightness to seven", "change_screen_brightness", "(8)", False),
    ("screen at 70% brightness", "change_screen_brightness", "(7)", True),
    ("max brightness", "change_screen_brightness", "(10)", True),
    ("max brightness", "change_screen_brightness", "(None)", False),
    ("mute the ringer", "set_volume", "(0, 'ring')", True),
    ("set the thermostat to 72", "set_nest_temperature", "(72.0)", True),
    ("set the thermostat to 72", "set_nest_temperature", "(70.0)", False),
    ("set the thermostat", "set_nest_temperature", "(70.0)", False),
    ("set the thermostat", "set_nest_temperature", "(None)", True),
    # A stated figure out of range is not replaced by one in range.
    ("Preheat the oven to 400 degrees", "set_nest_temperature", "(90.0)", False),
    ("Preheat the oven to 400 degrees", "set_nest_temperature", "(None)", True),
    ("brightness 15", "change_screen_brightness", "(10)", False),
    # A choice without a default: only one the query names, by its name or its words.
    ("mute the ringer", "set_volume", "(0, 'media')", False),
    ("set the volume to 5", "set_volume", "(5, 'ring')", False),
    ("set the volume to 5", "set_volume", "(5, None)", True),
    ("Set the music volume to 5", "set_volume", "(5, 'media')", True),
    ("deal with the back door", "open_or_lock_door", "('lock')", False),
    ("deal with the back door", "open_or_lock_door", "(None)", True),
    ("let Ana in", "open_or_lock_door", "('open')", True),
    ("let Ana in", "open_or_lock_door", "('lock')", False),
    (
        "mail bob.x@acme.co.uk about Lunch saying see you at noon",
        "send_email",
        "('bob.x@acme.co.uk', 'Lunch', 'see you at noon')",
        True,
    ),
    (
        "mail bob.x@acme.co.uk about Lunch saying see you at noon",
        "send_email",
        "('bob@acme.co.uk', 'Lunch', 'see you at noon')",
        False,
    ),
    (
        "mail bob.x@acme.co.uk about Lunch saying see you at noon",
        "send_email",
        "(recipient='bob.x@acme.co.uk', title='Lunch', content='see you')",
        True,
    ),
]


@pytest.mark.parametrize(("query", "function", "arguments", "expected"), CASES)
def test_copied_values_are_the_querys_own_words(
    caller: FunctionCaller, query: str, function: str, arguments: str, expected: bool
) -> None:
    assert accepts(caller, query, function, arguments) is expected


def test_free_values_lift_the_copy_rules(free_caller: FunctionCaller) -> None:
    assert accepts(free_caller, YOUTUBE, "search_youtube_videos", "('origina crane')")
    assert not accepts(free_caller, YOUTUBE, "search_youtube_videos", "('origami' crane)")
    assert free_caller.grammar_for(YOUTUBE) == free_caller.grammar


def test_a_long_query_gets_room_for_a_value_as_long(caller: FunctionCaller) -> None:
    query = "text Ana " + "la " * 200
    assert caller.max_tokens_for("short") == caller.max_tokens
    assert caller.max_tokens_for(query) > 2 * len(query)


def phone_and_email_cases() -> Iterator[tuple[str, str, list[str]]]:
    yield "phone", "ring +1 (212) 555-0182", ["+1 (212) 555-0182", "+12125550182"]
    yield "phone", "call 555-0182, room 12", ["555-0182"]
    yield "phone", "add Tariq (475 555 8823) now", ["475 555 8823"]
    yield "email", "mail Ana.B@mail.example.org.", ["Ana.B@mail.example.org"]


@pytest.mark.parametrize(("fmt", "text", "wanted"), list(phone_and_email_cases()))
def test_format_matches_offer_what_the_text_contains(
    fmt: str, text: str, wanted: list[str]
) -> None:
    found = format_matches(text, fmt)
    assert set(wanted) <= set(found)
    assert "12" not in found  # too few digits to be a number


def test_quoted_escapes_as_python_literals() -> None:
    assert quoted("it's a \\ path") == "'it\\'s a \\\\ path'"
    assert quoted("a\tb\nc") == "'a\\tb\\nc'"
