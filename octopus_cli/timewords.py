"""Dates, clock times and durations as people write them in a query.

A 270M model copies words well and adds badly: it writes "the event lasts an hour and a
half" as a one-hour event and "3 minutes" as a timeout of 3. So, as with names and phone
numbers, the decoding grammar offers a ``time24`` or ``datetime`` parameter only the values
the query states: each clock time it names, on each date it names, and each of those
moved on by each duration it names; and a number counted in a unit of time only the
durations the query names, in that unit, or its other figures. The model still chooses
among them.

Reading is deliberately generous: a clock time without am or pm ("at 7") is offered both
ways, and a numeric date that could be either order (3/6/2026) both ways. A query with no
date, or no time, gets no values and the parameter is typed as usual.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator

_SMALL_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()


def _number_words() -> dict[str, int]:
    """ "one" to "ninety-nine" (also "forty five"), and the "a" of "a minute"."""
    words = {word: n for n, word in enumerate(_SMALL_NUMBERS)}
    for tens, word in enumerate(_TENS, start=2):
        words[word] = 10 * tens
        for unit in _SMALL_NUMBERS[1:10]:
            words[f"{word}-{unit}"] = words[f"{word} {unit}"] = 10 * tens + words[unit]
    return words | {"a": 1, "an": 1, "a couple of": 2, "a few": 3}


NUMBER_WORDS = _number_words()
_WORD_ALTERNATION = "|".join(sorted(map(re.escape, NUMBER_WORDS), key=len, reverse=True))
_NUMBER = rf"(?:\d+(?:\.\d+)?|(?:{_WORD_ALTERNATION})\b)"
_HOUR = r"(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"

_MONTH_NAMES = (
    "january jan|february feb|march mar|april apr|may|june jun|july jul|august aug|"
    "september sept sep|october oct|november nov|december dec"
)
_MONTHS = {name: i + 1 for i, names in enumerate(_MONTH_NAMES.split("|")) for name in names.split()}
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(\d{4})"

_MERIDIEM = r"\s*(a\.?\s?m\b\.?|p\.?\s?m\b\.?)"
_DAY_PART = re.compile(
    r"\s*(?:,\s*)?(in the morning|this morning|in the afternoon|this afternoon|"
    r"in the evening|this evening|at night|tonight)\b"
)
_AFTERNOON_PARTS = ("afternoon", "evening", "night", "tonight")


def _number(text: str) -> float:
    text = " ".join(text.split())
    return float(NUMBER_WORDS[text]) if text in NUMBER_WORDS else float(text)


class _Reader:
    """Finds matches of several patterns in turn, each in what earlier ones left unread."""

    def __init__(self, text: str) -> None:
        self.text = text

    def take(self, pattern: str | re.Pattern[str]) -> Iterator[re.Match[str]]:
        for match in list(re.finditer(pattern, self.text)):
            yield match
            start, end = match.span()
            self.text = self.text[:start] + "\0" * (end - start) + self.text[end:]


def _prepared(query: str) -> str:
    return query.lower().replace("\u2019", "'")


def dates_in(query: str) -> list[dt.date]:
    """Every calendar date the query writes out with its year, in the order found."""
    return _dates(_Reader(_prepared(query)))


def _dates(reader: _Reader) -> list[dt.date]:
    found: list[tuple[int, dt.date]] = []

    def add(position: int, year: str, month: int, day: str) -> None:
        with contextlib.suppress(ValueError):  # not a real date (February 30th): skip it
            found.append((position, dt.date(int(year), month, int(day))))

    for m in reader.take(r"\b(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b"):
        add(m.start(), m[1], int(m[2]), m[3])
    for m in reader.take(rf"\b{_MONTH}\s+(?:the\s+)?{_DAY}(?:\s*,)?\s+{_YEAR}\b"):
        add(m.start(), m[3], _MONTHS[m[1]], m[2])
    for m in reader.take(rf"\b{_DAY}\s+(?:of\s+)?{_MONTH}(?:\s*,)?\s+{_YEAR}\b"):
        add(m.start(), m[3], _MONTHS[m[2]], m[1])
    for m in reader.take(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b"):
        first, second = int(m[1]), int(m[2])
        add(m.start(), m[3], first, m[2])  # month first, as in the US
        if first != second:
            add(m.start(), m[3], second, m[1])  # day first, as in most of the world
    return list(dict.fromkeys(date for _, date in sorted(found, key=lambda f: f[0])))


def durations_in(query: str) -> list[dt.timedelta]:
    """Every length of time the query names ("for an hour and a half", "90 minutes")."""
    reader = _Reader(_prepared(query))
    _dates(reader)  # a date's figures are not durations
    return _durations(reader)


# Seconds in a unit, by its first letter: hours, h, minutes, mins, m, seconds, s...
_UNIT_SECONDS = {"h": 3600, "m": 60, "s": 1}
_HOURS = r"(?:hours?|hrs?|h)(?![a-z])"  # not \b: "1h30"
_MINUTES = r"(?:minutes?|mins?|m)(?![a-z])"
_SECONDS = r"(?:seconds?|secs?|s)(?![a-z])"


def _unit(word: str) -> int:
    return _UNIT_SECONDS[word[0]]


def _durations(reader: _Reader) -> list[dt.timedelta]:
    found: list[tuple[int, float]] = []
    joiner = r"\s*(?:-\s*)?"
    unit = rf"({_HOURS}|{_MINUTES}|{_SECONDS})"
    patterns: list[tuple[str, Callable[[re.Match[str]], float]]] = [
        # "3 quarters of an hour", "a quarter of an hour", "quarter hour"
        (rf"\b(?:({_NUMBER})\s+)?quarters?\s+(?:of\s+an\s+)?hour\b",
         lambda m: 900 * (_number(m[1]) if m[1] else 1)),
        # "half an hour", "half a minute"
        (rf"\bhalf\s+an?\s+{unit}", lambda m: _unit(m[1]) / 2),
        # "an hour and a half", "2 hours and a half"
        (rf"\b({_NUMBER}){joiner}{unit}\s+and\s+a\s+half\b",
         lambda m: _unit(m[2]) * (_number(m[1]) + 0.5)),
        # "two and a half hours"
        (rf"\b({_NUMBER})\s+and\s+a\s+half{joiner}{unit}",
         lambda m: _unit(m[2]) * (_number(m[1]) + 0.5)),
        # "2 hours 15 minutes", "1 hour and 30 mins", "1h 30m"
        (rf"\b({_NUMBER}){joiner}{_HOURS}\s*(?:,\s*)?(?:and\s+)?({_NUMBER}){joiner}(?:{_MINUTES}|m(?![a-z]))",
         lambda m: 3600 * _number(m[1]) + 60 * _number(m[2])),
        # "1h30"
        (r"\b(\d{1,2})h(\d{2})(?![\w:.])", lambda m: 3600 * int(m[1]) + 60 * int(m[2])),
        # "90 minutes", "a 30-minute", "1.5 hours", "three minutes"
        (rf"\b({_NUMBER}){joiner}{unit}", lambda m: _unit(m[2]) * _number(m[1])),
        # "an hour-long", "hour long"
        (r"\bhour[- ]long\b", lambda m: 3600.0),
    ]  # fmt: skip
    for pattern, seconds in patterns:
        for m in reader.take(pattern):
            if not _in_a_name(reader.text, m.start(), m.end()):
                found.append((m.start(), seconds(m)))
    lengths = [dt.timedelta(seconds=round(s)) for _, s in sorted(found, key=lambda f: f[0])]
    return [length for length in dict.fromkeys(lengths) if length]


def _in_a_name(text: str, start: int, end: int) -> bool:
    """Whether a figure and unit are glued into a longer token, as in the device name
    "DESKTOP-7H2K" (not 7 hours): a letter or digit right after, or a letter and a hyphen
    right before ("5-10 minutes" is still a length)."""
    after = text[end : end + 1]
    before = text[max(0, start - 2) : start]
    return after.isalnum() or before[-1:].isalnum() or (before[-1:] == "-" and before[:1].isalpha())


def clock_times_in(query: str) -> list[dt.time]:
    """Every time of day the query names; one without am or pm both ways ("at 7")."""
    reader = _Reader(_prepared(query))
    _dates(reader)
    return _clock_times(reader)


def _clock_times(reader: _Reader) -> list[dt.time]:
    found: list[tuple[int, dt.time]] = []

    def add(position: int, end: int, hour: int, meridiem: str | None, offset: int = 0) -> None:
        """``offset`` minutes after (or before) ``hour`` o'clock, read with its am or pm."""
        part = _DAY_PART.match(reader.text, end)
        if meridiem is None and part is not None:
            meridiem = "pm" if part[1].endswith(_AFTERNOON_PARTS) else "am"
        if (meridiem is not None and not 1 <= hour <= 12) or hour > 24:
            return  # "15 pm" is no time
        if meridiem == "am":
            hours = [hour % 12]
        elif meridiem == "pm":
            hours = [hour % 12 + 12]
        elif 1 <= hour <= 11:
            hours = [hour, hour + 12]
        else:
            hours = [hour % 24]
        for h in hours:
            minutes = (h * 60 + offset) % (24 * 60)
            found.append((position, dt.time(minutes // 60, minutes % 60)))

    def meridiem_of(text: str | None) -> str | None:
        return None if not text else ("am" if text.strip()[0] == "a" else "pm")

    def hour_of(text: str) -> int:
        return int(_number(text))

    # "3:30 pm", "15:00", "8.45am" (not "1.5 hours")
    clock = rf"\b(\d{{1,2}})[:.](\d{{2}})(?!\d)(?:{_MERIDIEM})?(?!\s*(?:{_HOURS}|{_MINUTES}))"
    for m in reader.take(clock):
        if int(m[2]) < 60:
            add(m.start(), m.end(), int(m[1]), meridiem_of(m[3]), int(m[2]))
    # "quarter to noon", "half past 3", "20 past 7", "ten to eight pm"; not the range
    # "from 3 to 5" nor "from five to seven"
    relative = (
        r"\b(quarter|half|(?<!from )(?<!between )"
        rf"(?:\d{{1,2}}(?=\s+minutes?\s+\w+\s)|\d{{1,2}}(?=\s+(?:past|after))|{_WORD_ALTERNATION}))"
        rf"(?:\s+minutes?)?\s+(past|after|to|before|till)\s+({_HOUR}|noon|midnight)\b(?![:.]\d)"
        rf"(?:{_MERIDIEM})?"
    )
    for m in reader.take(relative):
        minutes = {"quarter": 15, "half": 30}.get(m[1]) or int(_number(m[1]))
        offset = -minutes if m[2] in ("to", "before", "till") else minutes
        if m[3] in ("noon", "midnight"):
            add(m.start(), m.end(), 12 if m[3] == "noon" else 0, None, offset)
        elif 0 < minutes < 60:
            add(m.start(), m.end(), hour_of(m[3]), meridiem_of(m[4]), offset)
    for m in reader.take(r"\b(noon|midday|midnight)\b"):
        add(m.start(), m.end(), 0 if m[1] == "midnight" else 12, None)
    # "11 am", "seven pm", "7 o'clock", "10 in the morning"
    on_the_hour = rf"\b({_HOUR})(?:{_MERIDIEM}|\s*o'?\s?clock\b|(?={_DAY_PART.pattern}))"
    for m in reader.take(on_the_hour):
        add(m.start(), m.end(), hour_of(m[1]), meridiem_of(m[2]))
    # a bare hour where a time is expected: "at 7", "from 3 to 5"
    bare = (
        rf"\b(?:at|from|to|until|till|til|between|and|starting|ending|by)\s+({_HOUR})\b"
        rf"(?!\s*(?:[-:.]?\d|%|percent|degrees|{_HOURS}|{_MINUTES}|{_SECONDS}|days?|weeks?))"
    )
    for m in reader.take(bare):
        add(m.start(1), m.end(), hour_of(m[1]), None)
    # the first hour of a range: "3 to 5 pm", "3-5pm"
    # (the end may be read already: its characters are then \0)
    for m in reader.take(rf"\b({_HOUR})(?=\s*(?:-|to|until|till)\s*(?:{_HOUR}\b|\0))"):
        add(m.start(1), m.end(), hour_of(m[1]), None)
    return list(dict.fromkeys(time for _, time in sorted(found, key=lambda f: f[0])))


def lengths_in(query: str, unit: str) -> list[float]:
    """Every length of time the query names, counted in ``unit`` ("3 minutes": 180 seconds)."""
    return _counted_in(durations_in(query), unit)


def amounts_in(query: str, unit: str) -> list[float]:
    """The numbers a length-of-time parameter counted in ``unit`` may take from ``query``:
    each length of time it names, in that unit ("3 minutes" is 180 seconds), and each other
    figure of it as written ("timeout 30")."""
    reader = _Reader(_prepared(query))
    _dates(reader)
    lengths = _counted_in(_durations(reader), unit)
    figures = [float(m[0]) for m in reader.take(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")]
    return list(dict.fromkeys(lengths + figures))


def _counted_in(lengths: Iterable[dt.timedelta], unit: str) -> list[float]:
    """Lengths of time as numbers of ``unit`` (180 for three minutes in seconds)."""
    seconds = _unit(unit)
    return [length.total_seconds() / seconds for length in lengths]


def time24_values(query: str) -> list[str]:
    """The HH:MM values a ``time24`` parameter may take from ``query``."""
    return [t.strftime("%H:%M") for t in clock_times_in(query)]


def datetime_values(query: str) -> list[str]:
    """The YYYY-MM-DD-HH-MM values a ``datetime`` parameter may take from ``query``: each
    time on each date, and each of those moved on by each duration (an event's end)."""
    reader = _Reader(_prepared(query))
    dates = _dates(reader)
    times = _clock_times(reader)
    durations = _durations(reader)
    values: list[str] = []
    for date in dates:
        for time in times:
            start = dt.datetime.combine(date, time)
            for moment in (start, *(start + length for length in durations)):
                values.append(moment.strftime("%Y-%m-%d-%H-%M"))
    return list(dict.fromkeys(values))
