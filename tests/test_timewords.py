"""Reading dates, clock times and durations out of a query (octopus_cli.timewords)."""

from __future__ import annotations

import datetime as dt

import pytest

from octopus_cli.timewords import (
    clock_times_in,
    dates_in,
    datetime_values,
    durations_in,
    time24_values,
)

D = dt.date


@pytest.mark.parametrize(
    ("query", "dates"),
    [
        ("schedule it on 2026-07-10 please", [D(2026, 7, 10)]),
        ("Set up a meeting on March 6, 2026", [D(2026, 3, 6)]),
        ("plan it on apr 30 2025", [D(2025, 4, 30)]),
        ("on Sunday 24th November 2024", [D(2024, 11, 24)]),
        ("on the 16th of June 2024", [D(2024, 6, 16)]),
        ("on Sept. 3rd, 2027", [D(2027, 9, 3)]),
        # A numeric date that reads both ways is offered both ways; one that can't, once.
        ("on 3/6/2026", [D(2026, 3, 6), D(2026, 6, 3)]),
        ("on 25.12.2026", [D(2026, 12, 25)]),
        ("from May 30, 2026 to June 1, 2026", [D(2026, 5, 30), D(2026, 6, 1)]),
        # No year, no real day, or no date at all: nothing.
        ("on March 6", []),
        ("on February 30, 2026", []),
        ("you may 5 times", []),
    ],
)
def test_dates_in(query: str, dates: list[dt.date]) -> None:
    assert dates_in(query) == dates


@pytest.mark.parametrize(
    ("query", "times"),
    [
        ("wake me at 6:45 am", ["06:45"]),
        ("at 12:36PM", ["12:36"]),
        ("at 12 am", ["00:00"]),
        ("at 8.15 p.m.", ["20:15"]),
        ("an alarm for 15:30", ["15:30"]),
        ("at 11AM please", ["11:00"]),
        ("seven pm", ["19:00"]),
        ("at 7 o'clock", ["07:00", "19:00"]),  # no am or pm: both ways
        ("at 7", ["07:00", "19:00"]),
        ("for 10 in the morning", ["10:00"]),
        ("at 8:15 in the evening", ["20:15"]),
        ("quarter past 10 at night", ["22:15"]),
        ("at quarter to noon", ["11:45"]),
        ("at quarter to 1 in the afternoon", ["12:45"]),
        ("half past three pm", ["15:30"]),
        ("twenty to eight in the morning", ["07:40"]),
        ("at noon", ["12:00"]),
        ("at midnight", ["00:00"]),
        ("from 3 to 5 pm", ["03:00", "15:00", "17:00"]),
        ("Sync 3-5pm", ["03:00", "15:00", "17:00"]),
        ("from five to seven pm", ["05:00", "17:00", "19:00"]),
        ("ten to eight pm", ["19:50"]),
        ("20 past 7 am", ["07:20"]),
        ("from 13:14 to 1:44 p.m.", ["13:14", "13:44"]),
        # Figures that are not times of day.
        ("wait up to 3 minutes", []),
        ("for 1.5 hours", []),
        ("call +1-901-555-0395", []),
        ("set the temperature to 72 degrees", []),
        ("on 2026-07-10", []),
    ],
)
def test_clock_times_in(query: str, times: list[str]) -> None:
    assert [t.strftime("%H:%M") for t in clock_times_in(query)] == times
    assert time24_values(query) == times


@pytest.mark.parametrize(
    ("query", "minutes"),
    [
        ("for an hour", [60]),
        ("for 90 minutes", [90]),
        ("for 1.5 hours", [90]),
        ("it lasts an hour and a half", [90]),
        ("for two and a half hours", [150]),
        ("for half an hour", [30]),
        ("for a quarter of an hour", [15]),
        ("three quarters of an hour", [45]),
        ("a 30-minute call", [30]),
        ("a two-hour workshop", [120]),
        ("for 2 hours and 15 minutes", [135]),
        ("for 1h30", [90]),
        ("an hour-long chat", [60]),
        ("a minute and a half", [1.5]),
        ("for 45 mins", [45]),
        ("wait 90 seconds", [1.5]),
        ("at 3 pm on 2026-01-02", []),
        # A figure and unit inside a name are not a length of time.
        ("link up with DESKTOP-7H2K", []),
        ("pair WH-1000XM4, wait 30s", [0.5]),
        ("back in 5-10 minutes", [10]),
    ],
)
def test_durations_in(query: str, minutes: list[float]) -> None:
    assert durations_in(query) == [dt.timedelta(minutes=m) for m in minutes]


def test_datetime_values_add_each_duration_to_each_time_on_each_date() -> None:
    query = "Podcast recording on Sunday 24th November 2024 at 12:36PM, it lasts an hour and a half"
    assert datetime_values(query) == ["2024-11-24-12-36", "2024-11-24-14-06"]
    # An end that passes midnight is on the next day.
    assert datetime_values("Gig on 2026-12-31 at 11 pm for 2 hours") == [
        "2026-12-31-23-00",
        "2027-01-01-01-00",
    ]
    # A range names both ends; a time without am or pm is offered both ways.
    assert datetime_values("Standup on 2026-05-12 from 9 to 9:15 am") == [
        "2026-05-12-09-00",
        "2026-05-12-21-00",
        "2026-05-12-09-15",
    ]


def test_datetime_values_need_a_date_and_a_time() -> None:
    assert datetime_values("Standup at 9 am for 15 minutes") == []
    assert datetime_values("Standup on 2026-05-12") == []
