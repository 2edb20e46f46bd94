"""Training and evaluation data for functional-token models, made without a language model.

:func:`generate_examples` fills query templates (``templates_android``) with slot values
and writes the exact call each query asks for, in the model's own output format::

    <nexa_3>('ana.silva@example.com', 'Running late', 'I will be 10 minutes late.')<nexa_end>

Data policy (the model can only learn what is consistent; see ``templates_android`` too):

* Targets are positional, every parameter in signature order, defaults written out
  (``<nexa_1>('AI', 'en')``): one fixed shape per function, which ``parse_output`` and
  ``bind_call`` read back to exactly the example's arguments. Strings are single-quoted
  Python literals (``\\'`` inside), as the decoding grammar allows; floats keep their ``.0``.
* Copied values are the query's own words: names, places, topics and devices without a
  leading "the" or "my"; free text (messages, email bodies, titles) whole.
* Times and dates in queries are explicit (am/pm or a part of the day, or 24-hour; dates
  name their year); the prompt carries no clock, so relative dates are not generated.
* Held-out examples come from held-out templates *and* held-out slot values (a stable hash
  of the text decides, independent of the seed), so the held-out score measures
  generalisation to new wordings and new values, not memory. Small closed sets (services,
  languages, choices, numbers) are shared where a split is impossible. The plainest
  wordings of each function and the key near misses are pinned to training.

Function sets other than Android's get a generic generator from each function's name,
description and typed parameters; a user's own JSONL examples are merged into either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from octopus_cli.atomic import write_atomic
from octopus_cli.calls import OutcomeKind, parse_output
from octopus_cli.errors import InputError
from octopus_cli.functions import (
    FunctionSet,
    FunctionSpec,
    Parameter,
    e164,
    load_function_set,
)
from octopus_cli.grammar import format_value
from octopus_cli.train import templates_android as T

TRAIN, HELDOUT = "train", "heldout"
DEFAULT_HELDOUT_FRACTION = 0.2
USER_TEMPLATE = "user"

# ---------------------------------------------------------------------------- examples


@dataclass(frozen=True)
class Example:
    """One query and the exact call it asks for."""

    query: str
    function: str
    arguments: dict[str, Any]
    target: str
    template: str = ""  # "<function name>/<template index>", or "user"
    split: str = TRAIN
    line: int | None = None  # line number in the file it was read from
    # For scoring only: parameters the query leaves out, so the right answer is to ask
    # for them (needs_input); such a line has no target and never trains.
    missing: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The JSONL line written by ``octopus data`` and read by ``octopus eval``."""
        return {
            "query": self.query,
            "function": self.function,
            "arguments": self.arguments,
            "target": self.target,
        }


def format_call(function_set: FunctionSet, spec: FunctionSpec, arguments: dict[str, Any]) -> str:
    """Target text: every parameter, positionally, in signature order, then the end token."""
    values = ", ".join(format_value(arguments[p.name]) for p in spec.parameters)
    return f"{function_set.token_text(spec.token)}({values}){function_set.end_token}"


def bind_arguments(spec: FunctionSpec, arguments: dict[str, Any]) -> dict[str, Any]:
    """Complete and check arguments against a signature; ValueError says what is wrong."""
    unknown = sorted(set(arguments) - {p.name for p in spec.parameters})
    if unknown:
        raise ValueError(f"{spec.name} has no argument {unknown[0]!r}")
    bound: dict[str, Any] = {}
    for param in spec.parameters:
        if param.name in arguments:
            value = arguments[param.name]
        elif param.has_default:
            value = param.default
        else:
            raise ValueError(f"{spec.name} is missing argument {param.name!r}")
        problem = param.problem(value)
        if problem:
            raise ValueError(f"{spec.name}: {param.name}={value!r} {problem}")
        bound[param.name] = float(value) if param.type == "float" else value
    return bound


def make_example(
    function_set: FunctionSet,
    spec: FunctionSpec,
    query: str,
    arguments: dict[str, Any],
    *,
    template: str = "",
    split: str = TRAIN,
) -> Example:
    bound = bind_arguments(spec, arguments)
    target = format_call(function_set, spec, bound)
    return Example(query, spec.name, bound, target, template, split)


def check_example(example: Example, function_set: FunctionSet) -> None:
    """Raise ValueError unless the target parses back to exactly the example's call."""
    outcome = parse_output(example.target, function_set)
    spec = function_set.by_name(example.function)
    if spec is None:
        raise ValueError(f"unknown function {example.function!r}")
    expected = OutcomeKind.IRRELEVANT if spec.irrelevant else OutcomeKind.CALL
    if outcome.kind is not expected or outcome.call is None:
        raise ValueError(f"{example.target!r} reads as {outcome.kind}: {outcome.error}")
    call = outcome.call
    if call.name != example.function or not same_values(call.arguments, example.arguments):
        raise ValueError(f"{example.target!r} reads as {call.call_string()}")


def same_values(left: dict[str, Any], right: dict[str, Any]) -> bool:
    """Equal keys, values and types (True is not 1, 5 is not 5.0)."""
    return left.keys() == right.keys() and all(
        type(left[k]) is type(right[k]) and left[k] == right[k] for k in left
    )


# ---------------------------------------------------------------------- stable splits


def _unit_hash(*parts: str) -> float:
    """A number in [0, 1) fixed by the text alone (Python's hash() changes per process)."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_pool(items: Sequence[Any], fraction: float, label: str) -> tuple[list, list]:
    """(train, held-out) parts of a pool, chosen by each item's text, not by the seed."""
    train, heldout = [], []
    for item in dict.fromkeys(items):  # drop duplicates, keep order
        (heldout if _unit_hash(label, str(item)) < fraction else train).append(item)
    if not heldout or not train:  # tiny pool: share it rather than starve a split
        return list(dict.fromkeys(items)), list(dict.fromkeys(items))
    return train, heldout


def split_templates(
    templates: Sequence[Any], fraction: float, label: str, pinned: int = 0
) -> tuple[list, list]:
    """Hold out the ``round(n * fraction)`` templates (at least one) with the lowest hash.

    The first ``pinned`` templates always train. Returns (index, template) pairs.
    """
    indexed = list(enumerate(templates))
    candidates = indexed[pinned:]
    if len(indexed) < 2 or len(candidates) < 2:
        return indexed, indexed
    ranked = sorted(candidates, key=lambda item: _unit_hash(label, _template_text(item[1])))
    count = min(len(candidates) - 1, max(1, round(len(indexed) * fraction)))
    heldout = sorted(ranked[:count])
    train = sorted(indexed[:pinned] + ranked[count:])
    return train, heldout


def _template_text(entry: Any) -> str:
    return entry[0] if isinstance(entry, tuple) else entry


def split_examples(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """Train and held-out lists; a held-out query that also appears in train is dropped."""
    examples = list(examples)
    train = [e for e in examples if e.split == TRAIN]
    seen = {_normal(e.query) for e in train}
    heldout = [e for e in examples if e.split == HELDOUT and _normal(e.query) not in seen]
    return train, heldout


def _normal(query: str) -> str:
    return " ".join(query.lower().split())


# ------------------------------------------------------------------------ slot drawing


@dataclass
class _Draw:
    """State while one query is filled in: the split, the arguments found so far."""

    rng: random.Random
    heldout: bool
    fraction: float
    arguments: dict[str, Any] = field(default_factory=dict)
    copied: list[str] = field(default_factory=list)  # arguments whose text is the query's
    scratch: dict[str, Any] = field(default_factory=dict)

    def pick(self, pool: Sequence[Any], label: str) -> Any:
        train, heldout = _pool_parts(pool, self.fraction, label)
        return self.rng.choice(heldout if self.heldout else train)


_POOL_CACHE: dict[tuple[int, float, str], tuple[Sequence[Any], list, list]] = {}


def _pool_parts(pool: Sequence[Any], fraction: float, label: str) -> tuple[list, list]:
    """Cached split of a module-level pool (the cache keeps the pool alive, so ids are safe)."""
    key = (id(pool), fraction, label)
    if key not in _POOL_CACHE:
        _POOL_CACHE[key] = (pool, *split_pool(pool, fraction, label))
    _, train, heldout = _POOL_CACHE[key]
    return train, heldout


@dataclass(frozen=True)
class _Position:
    """The template text around a slot: decides whether a determiner fits."""

    before: str
    after: str

    @property
    def determiner_before(self) -> bool:
        words = self.before.split()
        return bool(words) and words[-1].lower() in {"the", "my", "a", "your", "our"}

    @property
    def noun_after(self) -> bool:
        """``latest {topic} news``: the value is used as a modifier, so no article."""
        match = re.match(r"\s*([A-Za-z]+)", self.after)
        return bool(match) and match.group(1).lower() in _MODIFIED_NOUNS


_MODIFIED_NOUNS = {
    "news",
    "headlines",
    "articles",
    "videos",
    "video",
    "clips",
    "alarm",
    "track",
    "weather",
    "forecast",
    "directions",
    "route",
    "volume",
    "stories",
}
Resolver = Callable[[_Draw, _Position], str]
_DETERMINERS = ("the ", "my ")


def _copy(pool: Sequence[str], argument: str, label: str, named: bool = True) -> Resolver:
    """A slot whose text becomes the argument verbatim.

    For ``named`` things (places, topics, devices, people) a leading "the" or "my" is not
    part of the value; free text (messages, titles) is copied whole.
    """

    def resolve(draw: _Draw, where: _Position) -> str:
        item = draw.pick(pool, label)
        value, determiner = item, ""
        for word in _DETERMINERS if named else ():
            if item.startswith(word):
                value, determiner = item[len(word) :], word
        if determiner and not where.determiner_before and not where.noun_after:
            surface = determiner + value if draw.rng.random() < 0.7 else value
        else:
            surface = value
        draw.arguments[argument] = value
        draw.copied.append(argument)
        return surface

    return resolve


def _choose(table: dict[Any, Sequence[str]], argument: str) -> Resolver:
    """A slot whose wording names one value of a closed set."""

    def resolve(draw: _Draw, where: _Position) -> str:
        if argument in draw.arguments:  # a fixed argument decides the value
            value = draw.arguments[argument]
        else:
            value = draw.rng.choice(list(table))
            draw.arguments[argument] = value
        return draw.rng.choice(list(table[value]))

    return resolve


def _decor(pool: Sequence[str], label: str) -> Resolver:
    """A slot that only adds variety; it sets no argument."""

    def resolve(draw: _Draw, where: _Position) -> str:
        return str(draw.pick(pool, label))

    return resolve


# --- names, addresses, numbers ---------------------------------------------------------


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _make_address(draw: _Draw) -> str:
    first = _ascii_word(draw.pick(T.FIRST_NAMES, "first"))
    last = _ascii_word(draw.pick(T.LAST_NAMES, "last"))
    domain = draw.rng.choice(T.EMAIL_DOMAINS)
    local = draw.rng.choice(
        [
            first,
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}",
            f"{first}{draw.rng.randint(1, 99)}",
            f"{last}.{first}",
        ]
    )
    return f"{local}@{domain}"


def _email(draw: _Draw, where: _Position) -> str:
    address = _make_address(draw)
    draw.arguments["recipient"] = address
    draw.copied.append("recipient")
    return address


def _phone_number(rng: random.Random) -> tuple[str, str]:
    """A number as people write it, and as the call carries it.

    The spec's signature prefers E.164: a number given with its country code becomes
    "+" and digits ("+44 20 7946 0958" -> "+442079460958"); one without is copied as written.
    """
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))  # noqa: E731
    area = f"{rng.randint(2, 9)}{digits(2)}"
    line = digits(4)
    formats = [
        f"+1 {area} 555 {line}",
        f"+1-{area}-555-{line}",
        f"{area}-555-{line}",
        f"{area}555{line}",
        f"+1{area}555{line}",
        f"{area} 555 {line}",
        f"({area}) 555-{line}",
        f"+1 ({area}) 555-{line}",
        f"+44 20 {digits(4)} {digits(4)}",
        f"+44 7{digits(3)} {digits(6)}",
        f"020 {digits(4)} {digits(4)}",
        f"+33 6 {digits(2)} {digits(2)} {digits(2)} {digits(2)}",
        f"+49 30 {digits(7)}",
        f"+351 9{digits(2)} {digits(3)} {digits(3)}",
        f"+91 9{digits(4)} {digits(5)}",
        f"+81 90 {digits(4)} {digits(4)}",
        f"+61 4{digits(2)} {digits(3)} {digits(3)}",
        f"+34 6{digits(2)} {digits(3)} {digits(3)}",
        f"555-{line}",
    ]
    written = rng.choice(formats)
    return written, e164(written) if written.startswith("+") else written


def _phone(draw: _Draw, where: _Position) -> str:
    written, number = _phone_number(draw.rng)
    draw.arguments["phone_number"] = number
    draw.copied.append("phone_number")
    return written


def _person(argument: str, full_names: float, relations: float) -> Resolver:
    def resolve(draw: _Draw, where: _Position) -> str:
        roll = draw.rng.random()
        if roll < relations:
            return _copy(T.RELATIONS, argument, "relations")(draw, where)
        first = draw.pick(T.FIRST_NAMES, "first")
        name = first
        if roll < relations + full_names:
            name = f"{first} {draw.pick(T.LAST_NAMES, 'last')}"
        draw.arguments[argument] = name
        draw.copied.append(argument)
        return name

    return resolve


def _email_body(draw: _Draw, where: _Position) -> str:
    """One to three sentences, short enough for the grammar's 128-character strings."""
    sentences = [draw.pick(T.EMAIL_SENTENCES, "email-sentence")]
    for _ in range(draw.rng.choice([0, 1, 1, 2])):
        extra = draw.pick(T.EMAIL_SENTENCES, "email-sentence")
        if extra not in sentences and len(" ".join([*sentences, extra])) <= 120:
            sentences.append(extra)
    body = " ".join(sentences)
    draw.arguments["content"] = body
    draw.copied.append("content")
    return body


# --- numbers ---------------------------------------------------------------------------


def _level(draw: _Draw, where: _Position) -> str:
    level = draw.arguments.setdefault("level", draw.rng.randint(0, 10))
    return str(level) if draw.rng.random() < 0.7 else T.NUMBER_WORDS[level]


def _percent(draw: _Draw, where: _Position) -> str:
    level = draw.arguments.setdefault("level", draw.rng.randint(0, 10))
    return draw.rng.choice([f"{level * 10}%", f"{level * 10} percent", f"{level * 10} %"])


_TIMEOUTS: dict[int, tuple[str, ...]] = {
    5: ("5 seconds", "5s", "five seconds"),
    15: ("15 seconds", "15s", "15 sec"),
    20: ("20 seconds", "20s", "twenty seconds"),
    30: ("30 seconds", "30s", "half a minute", "thirty seconds"),
    45: ("45 seconds", "45s"),
    60: ("60 seconds", "a minute", "one minute", "1 minute"),
    90: ("90 seconds", "a minute and a half"),
    120: ("2 minutes", "two minutes", "120 seconds"),
    180: ("3 minutes", "three minutes"),
    300: ("5 minutes", "five minutes"),
    10: ("10 seconds", "10s", "ten seconds"),
}


def _timeout(draw: _Draw, where: _Position) -> str:
    seconds = draw.rng.choice(sorted(_TIMEOUTS))
    draw.arguments["timeout"] = seconds
    return draw.rng.choice(_TIMEOUTS[seconds])


def _temperature(draw: _Draw, where: _Position) -> str:
    whole = draw.rng.randint(50, 90)
    value = float(whole)
    if whole < 90 and draw.rng.random() < 0.2:
        value += 0.5
    draw.arguments["target_temperature"] = value
    number = f"{value:g}"
    return draw.rng.choice(
        [
            number,
            f"{number} degrees",
            f"{number}°F",
            f"{number} °F",
            f"{number} degrees Fahrenheit",
            f"{number}F",
            f"{number} degrees F",
        ]
    )


def _language(draw: _Draw, where: _Position) -> str:
    name = draw.rng.choice(list(T.LANGUAGES))
    draw.arguments["language"] = T.LANGUAGES[name]
    return name


# --- times and dates -------------------------------------------------------------------

MONTHS = (
    "January February March April May June July August September October November December"
).split()
MONTH_ABBREVIATIONS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_MERIDIEM = {"am": ("am", " am", " AM", " a.m.", "AM"), "pm": ("pm", " pm", " PM", " p.m.", "PM")}


def part_of_day(hour: int) -> str | None:
    """The phrase that makes a 12-hour time unambiguous, if one is natural for that hour."""
    if 5 <= hour <= 11:
        return "in the morning"
    if 13 <= hour <= 16:
        return "in the afternoon"
    if 17 <= hour <= 20:
        return "in the evening"
    if 21 <= hour <= 23:
        return "at night"
    return None


def time_phrases(hour: int, minute: int) -> list[str]:
    """Every way the generator may write a time of day; each names exactly HH:MM."""
    h12 = hour % 12 or 12
    meridiem = "am" if hour < 12 else "pm"
    clock = f"{h12}" if minute == 0 else f"{h12}:{minute:02d}"
    phrases = [f"{clock}{suffix}" for suffix in _MERIDIEM[meridiem]]
    if minute == 0:
        phrases.append(f"{h12}:00{_MERIDIEM[meridiem][1]}")
    phrases.append(f"{hour:02d}:{minute:02d}")
    period = part_of_day(hour)
    if period:
        phrases.append(f"{clock} {period}")
        if minute == 0:
            phrases.append(f"{h12} o'clock {period}")
        if minute == 30:
            phrases.append(f"half past {h12} {period}")
        if minute == 15:
            phrases.append(f"quarter past {h12} {period}")
    if minute == 45:
        next_hour = (hour + 1) % 24
        next_period = part_of_day(next_hour)
        if next_period:
            phrases.append(f"quarter to {next_hour % 12 or 12} {next_period}")
        elif next_hour == 12:
            phrases.append("quarter to noon")
        elif next_hour == 0:
            phrases.append("quarter to midnight")
    if (hour, minute) == (12, 0):
        phrases += ["noon", "midday", "12 noon"]
    if (hour, minute) == (0, 0):
        phrases.append("midnight")
    return phrases


def _draw_minute(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.35:
        return 0
    if roll < 0.55:
        return 30
    if roll < 0.7:
        return rng.choice([15, 45])
    if roll < 0.9:
        return rng.choice(range(0, 60, 5))
    return rng.randint(0, 59)


def _alarm_time(draw: _Draw, where: _Position) -> str:
    hour, minute = draw.rng.randint(0, 23), _draw_minute(draw.rng)
    draw.arguments["time"] = f"{hour:02d}:{minute:02d}"
    return draw.rng.choice(time_phrases(hour, minute))


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def date_phrases(day: dt.date) -> list[str]:
    """Every way the generator may write a date; all name the year."""
    month, abbreviation = MONTHS[day.month - 1], MONTH_ABBREVIATIONS[day.month - 1]
    weekday = WEEKDAYS[day.weekday()]
    d, y = day.day, day.year
    return [
        f"{month} {d}, {y}",
        f"{month} {d} {y}",
        f"{d} {month} {y}",
        f"{month} {_ordinal(d)}, {y}",
        f"the {_ordinal(d)} of {month} {y}",
        f"{abbreviation} {d} {y}",
        f"{abbreviation} {d}, {y}",
        f"{d} {abbreviation} {y}",
        day.isoformat(),
        f"{weekday}, {month} {d}, {y}",
        f"{weekday} {_ordinal(d)} {month} {y}",
    ]


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d-%H-%M")


_DURATIONS: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # minutes: (phrases, adjective phrases)
    15: (("15 minutes", "a quarter of an hour"), ("15-minute",)),
    30: (("30 minutes", "half an hour"), ("30-minute", "half-hour")),
    45: (("45 minutes",), ("45-minute",)),
    60: (("an hour", "1 hour", "one hour", "60 minutes"), ("1-hour", "one-hour", "hour-long")),
    90: (("90 minutes", "an hour and a half", "1.5 hours"), ("90-minute",)),
    120: (("2 hours", "two hours"), ("2-hour", "two-hour")),
    180: (("3 hours", "three hours"), ("3-hour", "three-hour")),
}


def _calendar_times(draw: _Draw) -> dict[str, Any]:
    """One event's start and end, drawn once per query and shared by its slots."""
    if "when" not in draw.scratch:
        rng = draw.rng
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 4 * 365))
        minutes = rng.choice(sorted(_DURATIONS))
        latest = 23 * 60 + 45 - minutes
        start_minute = rng.choice(range(6 * 60, latest + 1, 15))
        if rng.random() < 0.1:
            start_minute = rng.randint(6 * 60, latest)
        start = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=start_minute)
        end = start + dt.timedelta(minutes=minutes)
        end_day = day
        if draw.scratch.get("multi_day"):
            # A multi-day event ends 1 to 4 days later, at any quarter hour of the day.
            end_day = day + dt.timedelta(days=rng.randint(1, 4))
            end = dt.datetime.combine(end_day, dt.time(rng.randint(6, 22), 15 * rng.randint(0, 3)))
        draw.scratch["when"] = {
            "day": day,
            "end_day": end_day,
            "start": start,
            "end": end,
            "minutes": minutes,
        }
    return draw.scratch["when"]


def _calendar_slot(part: str) -> Resolver:
    def resolve(draw: _Draw, where: _Position) -> str:
        when = _calendar_times(draw)
        rng = draw.rng
        if part == "date":
            text = rng.choice(date_phrases(when["day"]))
        elif part == "end_date":
            text = rng.choice(date_phrases(when["end_day"]))
        elif part == "start":
            text = rng.choice(time_phrases(when["start"].hour, when["start"].minute))
        elif part == "end":
            text = rng.choice(time_phrases(when["end"].hour, when["end"].minute))
        elif part == "duration":
            text = rng.choice(_DURATIONS[when["minutes"]][0])
        else:  # duration_adj
            text = rng.choice(_DURATIONS[when["minutes"]][1])
        draw.arguments["start_time"] = _stamp(when["start"])
        draw.arguments["end_time"] = _stamp(when["end"])
        return text

    return resolve


# --- the slot tables -------------------------------------------------------------------

_COMMON_SLOTS: dict[str, Resolver] = {
    "subject": _decor(T.PHOTO_SUBJECTS, "photo-subject"),
    "companions": _decor(T.SELFIE_COMPANIONS, "companions"),
    "room": _decor(T.ROOMS, "rooms"),
    "door": _decor(T.DOORS, "doors"),
    "guest": _decor(T.GUESTS, "guests"),
}

_NEWS_TOPICS = T.NEWS_TOPICS

_FUNCTION_SLOTS: dict[str, dict[str, Resolver]] = {
    "take_a_photo": {"camera": _choose(T.CAMERA_WORDS, "camera")},
    "get_trending_news": {
        "topic": _copy(_NEWS_TOPICS, "query", "news-topic"),
        "language": _language,
    },
    "get_weather_forecast": {"location": _copy(T.WEATHER_LOCATIONS, "location", "weather")},
    "send_email": {
        "recipient": _email,
        "title": _copy(T.EMAIL_SUBJECTS, "title", "email-subject", named=False),
        "content": _email_body,
    },
    "search_youtube_videos": {"query": _copy(T.YOUTUBE_QUERIES, "query", "youtube")},
    "find_route_google_maps": {
        "origin": _copy(T.PLACES, "origin", "places"),
        "destination": _copy(T.PLACES, "destination", "places"),
        "mode_by": _choose(T.MODE_BY, "mode"),
        "mode_verb": _choose(T.MODE_VERB, "mode"),
        "mode_adj": _choose(T.MODE_ADJ, "mode"),
    },
    "check_nest_smoke_detector_status": {},
    "send_text_message": {
        "contact": _person("contact_name", full_names=0.15, relations=0.15),
        "message": _copy(T.SMS_MESSAGES, "message", "sms", named=False),
    },
    "make_phone_call": {"phone_number": _phone},
    "create_contact": {
        "name": _person("name", full_names=0.75, relations=0.0),
        "phone_number": _phone,
    },
    "set_timer_alarm": {
        "time": _alarm_time,
        "label": _copy(T.ALARM_LABELS, "label", "alarm-label", named=False),
    },
    "change_screen_brightness": {"level": _level, "percent": _percent},
    "create_calendar_event": {
        "title": _copy(T.EVENT_TITLES, "title", "event-title", named=False),
        **{
            part: _calendar_slot(part)
            for part in ("date", "start", "end", "duration", "duration_adj", "end_date")
        },
    },
    "set_volume": {
        "volume_type": _choose(T.VOLUME_WORDS, "volume_type"),
        "level": _level,
        "percent": _percent,
    },
    "connect_to_bluetooth_device": {
        "device_name": _copy(T.BLUETOOTH_DEVICES, "device_name", "bluetooth"),
        "timeout": _timeout,
    },
    "enable_do_not_disturb": {"state": _choose(T.DND_STATE, "enabled")},
    "set_nest_temperature": {"temperature": _temperature},
    "play_music_on_nest_hub": {
        "music_service": _copy(T.MUSIC_SERVICES, "music_service", "music-service"),
        "music_name": _copy(T.MUSIC_NAMES, "music_name", "music"),
    },
    "play_video_on_nest_hub": {
        "video_service": _copy(T.VIDEO_SERVICES, "video_service", "video-service"),
        "video_name": _copy(T.VIDEO_NAMES, "video_name", "video"),
    },
    "open_or_lock_door": {"door_verb": _choose(T.DOOR_VERB, "status")},
}


def _decor_date(draw: _Draw, where: _Position) -> str:
    day = dt.date(2024, 1, 1) + dt.timedelta(days=draw.rng.randint(0, 4 * 365))
    return draw.rng.choice(date_phrases(day))


def _decor_time(draw: _Draw, where: _Position) -> str:
    return draw.rng.choice(time_phrases(draw.rng.randint(0, 23), _draw_minute(draw.rng)))


def _decor_number(low: int, high: int) -> Resolver:
    return lambda draw, where: str(draw.rng.randint(low, high))


def _other_city(draw: _Draw, where: _Position) -> str:
    return draw.pick(T.CITIES, "cities-2")


_IRRELEVANT_SLOTS: dict[str, Resolver] = {
    "city": _decor(T.CITIES, "weather"),
    "city2": _other_city,
    "first_name": _decor(T.FIRST_NAMES, "first"),
    "device_name": _decor(T.BLUETOOTH_DEVICES, "bluetooth"),
    "music_name": _decor(T.MUSIC_NAMES, "music"),
    "video_name": _decor(T.VIDEO_NAMES, "video"),
    "event_title": _decor(T.EVENT_TITLES, "event-title"),
    "topic": _decor([t.removeprefix("the ") for t in _NEWS_TOPICS], "news-topic"),
    "place": _decor([p for p in T.LANDMARKS if p not in ("home", "work")], "places"),
    "date": _decor_date,
    "time": _decor_time,
    "temperature_word": _decor(T.TEMPERATURE_WORDS, "temperature-words"),
    "language_name": _decor(list(T.LANGUAGES), "language-names"),
    "country": _decor(T.COUNTRIES, "countries"),
    "animal": _decor(T.ANIMALS, "animals"),
    "food": _decor(T.FOODS, "foods"),
    "word": _decor(T.WORDS, "words"),
    "room": _decor(T.ROOMS, "rooms"),
    "a": _decor_number(2, 99),
    "b": _decor_number(2, 144),
    "phone": lambda draw, where: _phone_number(draw.rng)[0],
    "oven_temperature": _decor(T.OVEN_TEMPERATURES, "oven-temperatures"),
}


# ------------------------------------------------------------------------- augmentation

# Context before a query; the polite ones only fit requests, not questions.
_PREFIXES = (
    "hey google, ",
    "ok google, ",
    "hey, ",
    "hi! ",
    "quick one: ",
    "um, ",
    "so ",
    "okay, ",
    "hey assistant, ",
    "excuse me, ",
    "I'm in a hurry. ",
    "I'm at home. ",
    "one more thing: ",
    "right, ",
    "listen, ",
    "yo, ",
    "alright, ",
    "sorry to bother you, ",
)
_POLITE_PREFIXES = ("please ", "could you please ", "can you ", "would you ", "kindly ")
_SUFFIXES = (", thanks", " thx", ", thank you", ", cheers")
_REQUEST_SUFFIXES = (" please", " asap", " now", " right away", " for me", " pls", " quickly")
_QUESTION_START = re.compile(
    r"(what|what's|whats|how|how's|is|are|any|will|do|does|did|who|where|when|why|should|"
    r"can|could|would|has|have|i|i'm|i'd|my|it's)\b",
    re.IGNORECASE,
)
_LETTERS = string.ascii_lowercase


def _typo(word: str, rng: random.Random) -> str:
    """One human slip: swap, drop, double or mistype a letter inside the word."""
    i = rng.randint(1, len(word) - 2)
    kind = rng.choice(["swap", "drop", "double", "replace"])
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(_LETTERS) + word[i + 1 :]


def _add_typo(pieces: list[list[Any]], rng: random.Random) -> None:
    candidates = [
        (n, match)
        for n, (text, is_slot) in enumerate(pieces)
        if not is_slot
        for match in re.finditer(r"[A-Za-z]{4,}", text)
    ]
    if not candidates:
        return
    n, match = rng.choice(candidates)
    text = pieces[n][0]
    pieces[n][0] = text[: match.start()] + _typo(match.group(), rng) + text[match.end() :]


# ------------------------------------------------------------------------------ filling


def _render(
    template: str,
    resolvers: dict[str, Resolver],
    draw: _Draw,
) -> list[list[Any]]:
    """Pieces ``[text, is_slot]`` of the filled template, left to right."""
    parsed = list(string.Formatter().parse(template))
    pieces: list[list[Any]] = []
    for index, (literal, slot, _spec, _conversion) in enumerate(parsed):
        if literal:
            pieces.append([literal, False])
        if slot is None:
            continue
        resolver = resolvers.get(slot) or _COMMON_SLOTS.get(slot)
        if resolver is None:
            raise KeyError(f"template {template!r}: no slot named {slot!r}")
        after = parsed[index + 1][0] if index + 1 < len(parsed) else ""
        pieces.append([resolver(draw, _Position(literal, after)), slot])
    return pieces


def _augment(pieces: list[list[Any]], draw: _Draw, free_slots: set[str]) -> str:
    """Typos, context, casing and punctuation, never inside a copied value."""
    rng = draw.rng
    if rng.random() < 0.12:
        _add_typo(pieces, rng)
    ends_free = bool(pieces) and pieces[-1][1] in free_slots
    question = bool(_QUESTION_START.match(pieces[0][0])) or "?" in pieces[-1][0]
    if rng.random() < 0.18:
        polite = () if question else _POLITE_PREFIXES
        pieces.insert(0, [rng.choice(_PREFIXES + polite), False])
    if not ends_free and rng.random() < 0.15:
        requests = () if question else _REQUEST_SUFFIXES
        pieces.append([rng.choice(_SUFFIXES + requests), False])
    first_literal = bool(pieces) and pieces[0][1] is False
    roll = rng.random()
    if roll < 0.15:
        for piece in pieces:
            piece[0] = piece[0].lower()
        for name in draw.copied:
            draw.arguments[name] = draw.arguments[name].lower()
    elif roll < 0.55 and first_literal:
        pieces[0][0] = pieces[0][0][:1].upper() + pieces[0][0][1:]
    query = "".join(piece[0] for piece in pieces)
    if not ends_free and query[-1:].isalnum() and "?" not in query and rng.random() < 0.15:
        query += rng.choice([".", "!"])
    return " ".join(query.split())


_FREE_SLOTS = {"topic", "title", "content", "query", "message", "music_name", "video_name"}


class _TemplateBank:
    """The templates of one function (or the irrelevant pool), split train / held-out."""

    def __init__(
        self, label: str, templates: Sequence[Any], fraction: float, pinned: int = 0
    ) -> None:
        self.label = label
        self.train, self.heldout = split_templates(templates, fraction, label, pinned)

    def draw(self, rng: random.Random, heldout: bool) -> tuple[str, str, dict[str, Any]]:
        index, entry = rng.choice(self.heldout if heldout else self.train)
        text, fixed = entry if isinstance(entry, tuple) else (entry, {})
        return f"{self.label}/{index}", text, dict(fixed)


# ------------------------------------------------------------------- android generator


def _android_signatures() -> dict[str, tuple[str, ...]]:
    builtin = load_function_set()
    return {f.name: tuple(p.name for p in f.parameters) for f in builtin.functions}


def _uses_android_templates(spec: FunctionSpec, signatures: dict[str, tuple[str, ...]]) -> bool:
    return spec.name in T.TEMPLATES and signatures.get(spec.name) == tuple(
        p.name for p in spec.parameters
    )


def _android_example(
    function_set: FunctionSet, spec: FunctionSpec, bank: _TemplateBank, draw: _Draw
) -> Example:
    template_id, text, fixed = bank.draw(draw.rng, draw.heldout)
    draw.arguments.update(fixed)
    draw.scratch["multi_day"] = "{end_date}" in text
    resolvers = _FUNCTION_SLOTS[spec.name]
    pieces = _render(text, resolvers, draw)
    if spec.name == "find_route_google_maps" and draw.arguments.get("origin") == draw.arguments.get(
        "destination"
    ):
        raise _Retry
    query = _augment(pieces, draw, _FREE_SLOTS)
    return make_example(
        function_set, spec, query, draw.arguments, template=template_id, split=_split(draw)
    )


def _irrelevant_example(
    function_set: FunctionSet, spec: FunctionSpec, bank: _TemplateBank, draw: _Draw
) -> Example:
    template_id, text, _ = bank.draw(draw.rng, draw.heldout)
    pieces = _render(text, _IRRELEVANT_SLOTS, draw)
    query = _augment(pieces, draw, set())
    return make_example(function_set, spec, query, {}, template=template_id, split=_split(draw))


def _split(draw: _Draw) -> str:
    return HELDOUT if draw.heldout else TRAIN


class _Retry(Exception):
    """Internal: this draw made a degenerate query (origin equals destination); draw again."""


def templates_sha256() -> str:
    """A fingerprint of every template and slot pool the generator draws from.

    A run's seed says which examples it drew only while the templates stay the same; the
    manifest records this beside the seed so two runs can tell they trained on equal data.
    """
    tables = T.tables()
    tables["GENERIC_TEMPLATES"] = GENERIC_TEMPLATES
    text = json.dumps(tables, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -------------------------------------------------------------------- generic generator

GENERIC_TEMPLATES: tuple[str, ...] = (
    "{action}",
    "{action} with {with_args}",
    "please {action}: {colon_args}",
    "can you {action}? {colon_args}",
    "{action}, {is_args}",
    "I want to {action} ({eq_args})",
    "{description} {with_args}",
    "{action} using {with_args}",
    "could you {action} for me, {colon_args}",
    "{action} - {colon_args}",
    "I need you to {action} with {is_args}",
    "{action} and set {with_args}",
)

_GENERIC_TEXT_POOL = tuple(
    text
    for text in T.CITIES + T.YOUTUBE_QUERIES + T.EVENT_TITLES + T.MUSIC_NAMES + T.EMAIL_SUBJECTS
    if "," not in text
)
_BOOL_WORDS = {True: ("on", "yes", "true", "enabled"), False: ("off", "no", "false", "disabled")}


def _generic_value(param: Parameter, draw: _Draw) -> tuple[str, Any]:
    """(text in the query, value in the call) for one typed parameter."""
    rng = draw.rng
    if param.choices is not None:
        value = rng.choice(param.choices)
        return str(value), value
    if param.type == "bool":
        value = rng.random() < 0.5
        return rng.choice(_BOOL_WORDS[value]), value
    if param.type in ("int", "float"):
        low = param.minimum if param.minimum is not None else 0
        high = param.maximum if param.maximum is not None else max(low + 100, 100)
        if param.type == "int":
            value = rng.randint(int(low), int(high))
            return str(value), value
        value = round(rng.uniform(float(low), float(high)) * 2) / 2
        value = min(max(value, float(low)), float(high))
        return f"{value:g}", float(value)
    if param.format == "time24":
        hour, minute = rng.randint(0, 23), _draw_minute(rng)
        return rng.choice(time_phrases(hour, minute)), f"{hour:02d}:{minute:02d}"
    if param.format == "datetime":
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 4 * 365))
        hour, minute = rng.randint(6, 22), rng.choice([0, 15, 30, 45])
        moment = dt.datetime.combine(day, dt.time(hour, minute))
        text = f"{rng.choice(date_phrases(day))} at {rng.choice(time_phrases(hour, minute))}"
        return text, _stamp(moment)
    if param.format == "email":
        address = _make_address(draw)
        return address, address
    if param.format == "phone":
        return _phone_number(rng)
    if param.format == "language":
        name = rng.choice(list(T.LANGUAGES))
        return name, T.LANGUAGES[name]
    text = draw.pick(_GENERIC_TEXT_POOL, "generic-text")
    return text, text


def _generic_example(
    function_set: FunctionSet, spec: FunctionSpec, bank: _TemplateBank, draw: _Draw
) -> Example:
    rng = draw.rng
    template_id, text, _ = bank.draw(rng, draw.heldout)
    required = [p for p in spec.parameters if not p.has_default]
    mentioned = required + [p for p in spec.parameters if p.has_default and rng.random() < 0.6]
    if text == "{action}" and required:
        raise _Retry
    if text != "{action}" and not mentioned and "{description}" not in text:
        raise _Retry
    parts: dict[str, list[str]] = {"with": [], "colon": [], "is": [], "eq": []}
    for param in sorted(mentioned, key=spec.parameters.index):
        shown, value = _generic_value(param, draw)
        words = param.name.replace("_", " ")
        draw.arguments[param.name] = value
        parts["with"].append(f"{words} {shown}")
        parts["colon"].append(f"{words}: {shown}")
        parts["is"].append(f"{words} is {shown}")
        parts["eq"].append(f"{param.name}={shown}")
    action = spec.name.replace("_", " ")
    description = spec.description.rstrip(".") or action
    query = text.format(
        action=action,
        description=description,
        with_args=" and ".join(parts["with"]),
        colon_args=", ".join(parts["colon"]),
        is_args=", ".join(parts["is"]),
        eq_args=", ".join(parts["eq"]),
    )
    query = " ".join(query.split())
    query = query[:1].upper() + query[1:] if rng.random() < 0.5 else query
    return make_example(
        function_set, spec, query, draw.arguments, template=template_id, split=_split(draw)
    )


# ---------------------------------------------------------------------- the generator


def generate_examples(
    function_set: FunctionSet,
    *,
    per_function: int,
    irrelevant: int,
    seed: int,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    counts: Mapping[str, int] | None = None,
    border: int = 0,
) -> list[Example]:
    """``per_function`` examples per callable function plus ``irrelevant`` negatives.

    ``counts`` overrides ``per_function`` for the functions it names. ``border`` more
    negatives come from the out-of-scope requests at the set's borders (Android sets
    only), drawn last from a bank of their own, so the other examples stay as they were.
    Deterministic for a seed. Each example is tagged train or held-out (about
    ``heldout_fraction`` of each function's examples); :func:`split_examples` separates
    them. Queries are distinct within a function; a function whose templates cannot give
    ``per_function`` distinct queries gets fewer.
    """
    if not 0 < heldout_fraction < 1:
        raise ValueError("heldout_fraction must be between 0 and 1")
    rng = random.Random(seed)
    signatures = _android_signatures()
    examples: list[Example] = []
    counts = counts or {}
    for spec in function_set.functions:
        pinned = 0
        if spec.irrelevant:
            count, maker = irrelevant, _irrelevant_example
            templates: Sequence[Any] = T.GENERAL_TEMPLATES
            if _is_android_like(function_set, signatures):
                templates = [*T.NEAR_MISS_TEMPLATES, *T.GENERAL_TEMPLATES]
                pinned = T.PINNED_NEAR_MISSES
        elif _uses_android_templates(spec, signatures):
            count, templates, maker = (
                counts.get(spec.name, per_function),
                T.TEMPLATES[spec.name],
                _android_example,
            )
            pinned = T.PINNED_TEMPLATES
        else:
            count, templates, maker = (
                counts.get(spec.name, per_function),
                GENERIC_TEMPLATES,
                _generic_example,
            )
        bank = _TemplateBank(spec.name, templates, heldout_fraction, pinned)
        examples += _draw_many(function_set, spec, bank, maker, count, rng, heldout_fraction)
    irrelevant_spec = next((f for f in function_set.functions if f.irrelevant), None)
    if border and irrelevant_spec is not None and _is_android_like(function_set, signatures):
        bank = _TemplateBank("border", T.BORDER_TEMPLATES, heldout_fraction)
        examples += _draw_many(
            function_set, irrelevant_spec, bank, _irrelevant_example, border, rng, heldout_fraction
        )
    return examples


def _is_android_like(function_set: FunctionSet, signatures: dict[str, tuple[str, ...]]) -> bool:
    """Near-miss negatives name Android actions; they suit only sets built on those."""
    callable_specs = [f for f in function_set.functions if not f.irrelevant]
    return bool(callable_specs) and all(
        _uses_android_templates(f, signatures) for f in callable_specs
    )


def _draw_many(
    function_set: FunctionSet,
    spec: FunctionSpec,
    bank: _TemplateBank,
    maker: Callable[[FunctionSet, FunctionSpec, _TemplateBank, _Draw], Example],
    count: int,
    rng: random.Random,
    fraction: float,
) -> list[Example]:
    made: list[Example] = []
    seen: set[str] = set()
    attempts = 0
    while len(made) < count and attempts < 40 * count + 100:
        attempts += 1
        draw = _Draw(rng=rng, heldout=rng.random() < fraction, fraction=fraction)
        try:
            example = maker(function_set, spec, bank, draw)
        except _Retry:
            continue
        key = _normal(example.query)
        if key in seen:
            continue
        seen.add(key)
        made.append(example)
    return made


# ------------------------------------------------------------------- JSONL in and out


LINE_FORMAT = '{"query": "...", "function": "NAME", "arguments": {...}}'


def read_examples(
    path: Path,
    function_set: FunctionSet,
    *,
    heldout_fraction: float | None = None,
    allow_missing: bool = False,
) -> list[Example]:
    """Read ``{"query", "function", "arguments"}`` lines; InputError names a bad line.

    ``function`` may be the irrelevant function's name, or null for "no function fits".
    Missing arguments with defaults are filled in. With ``heldout_fraction``, a stable hash
    of each query puts about that share of the lines in the held-out split. With
    ``allow_missing`` (scoring), a line may name the parameters its query leaves out,
    ``"missing": [...]``: the answer it expects is a question for them.
    """
    irrelevant = next((f for f in function_set.functions if f.irrelevant), None)
    examples = []
    for number, record in read_jsonl(path, "data file", written_by="`octopus data --out DIR`"):
        where = f"{path}:{number}"
        if not isinstance(record, dict):
            raise InputError(
                f"{where}: expected a JSON object with query, function, arguments",
                hint=f"write one object per line: {LINE_FORMAT}",
            )
        query = record.get("query")
        if not isinstance(query, str) or not query.strip():
            raise InputError(f"{where}: 'query' must be a non-empty string")
        name = record.get("function")
        spec = irrelevant if name is None else function_set.by_name(str(name))
        if spec is None and name is None:
            raise InputError(
                f"{where}: function is null (no function fits), but function set "
                f"{function_set.name!r} has no irrelevant function"
            )
        if spec is None:
            names = [f.name for f in function_set.functions]
            close = get_close_matches(str(name), names, 1)
            raise InputError(
                f"{where}: function {name!r} is not in function set {function_set.name!r}",
                hint=f"did you mean {close[0]!r}?"
                if close
                else "`octopus functions` lists the set's functions; use null for none",
            )
        arguments = record.get("arguments") or {}
        if not isinstance(arguments, dict):
            raise InputError(f"{where}: 'arguments' must be a JSON object")
        split = TRAIN
        if heldout_fraction is not None and _unit_hash("user", _normal(query)) < heldout_fraction:
            split = HELDOUT
        if allow_missing and record.get("missing"):
            examples.append(_missing_example(where, spec, query.strip(), record, number))
            continue
        try:
            example = make_example(
                function_set, spec, query.strip(), arguments, template=USER_TEMPLATE, split=split
            )
        except ValueError as exc:
            raise InputError(f"{where}: {exc}") from None
        examples.append(dataclasses.replace(example, line=number))
    return examples


def _missing_example(
    where: str, spec: FunctionSpec, query: str, record: dict[str, Any], number: int
) -> Example:
    """A scoring line whose query leaves the named parameters out."""
    missing = record["missing"]
    names = {p.name for p in spec.parameters}
    if not (isinstance(missing, list) and missing and all(m in names for m in missing)):
        raise InputError(f"{where}: 'missing' must list parameters of {spec.name}")
    arguments = record.get("arguments") or {}
    return Example(
        query, spec.name, dict(arguments), "", USER_TEMPLATE, line=number, missing=tuple(missing)
    )


def read_jsonl(
    path: Path, kind: str, *, written_by: str | None = None
) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) for each non-blank line; InputError names the bad line.

    ``written_by`` names the command that writes such a file, for the hint when it is missing.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(
            f"{kind} not found: {path}",
            hint=f"check the path; {written_by} writes one" if written_by else "check the path",
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot read {path}: not UTF-8 text ({exc.reason} at byte {exc.start})",
            hint="save it as UTF-8, one JSON object per line",
        ) from None
    except (IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", hint="give a JSONL file") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{number}: not a JSON object ({exc.msg})",
                hint="each non-blank line must be one JSON object",
            ) from None


def write_jsonl_atomic(path: Path, records: Iterable[dict[str, Any]]) -> None:
    """Write JSON lines so a reader sees the whole file or the old one."""
    lines = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    write_atomic(Path(path), lines.encode("utf-8"))


def build_dataset(
    function_set: FunctionSet,
    *,
    per_function: int,
    irrelevant: int,
    seed: int,
    heldout_fraction: float = DEFAULT_HELDOUT_FRACTION,
    user_examples: Path | None = None,
    counts: Mapping[str, int] | None = None,
    border: int = 0,
) -> tuple[list[Example], list[Example]]:
    """Generated plus user examples, split, each checked to parse back to its call."""
    mine = []  # read first: a bad line should fail before any work is done
    if user_examples is not None:
        mine = read_examples(user_examples, function_set, heldout_fraction=heldout_fraction)
    examples = generate_examples(
        function_set,
        per_function=per_function,
        irrelevant=irrelevant,
        seed=seed,
        heldout_fraction=heldout_fraction,
        counts=counts,
        border=border,
    )
    examples += mine
    for example in examples:
        check_example(example, function_set)
    train, heldout = split_examples(examples)
    random.Random(seed).shuffle(train)
    random.Random(seed + 1).shuffle(heldout)
    return train, heldout
