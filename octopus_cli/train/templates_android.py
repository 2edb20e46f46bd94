"""The Android function set's training wordings, read from ``functions/android.templates.toml``.

The file holds the templates (a query with ``{slot}`` fields, or a query and the arguments
its wording decides), the slot pools, the words that say an argument, and the negatives;
its header states the policies they follow. This module exposes them under the names
:mod:`octopus_cli.train.data` reads: tuples for lists, a template with fixed arguments as
``(text, arguments)``. A few pools are unions of others (``PLACES``), made here.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

TEMPLATES_FILE = "android.templates.toml"


def _load() -> dict[str, Any]:
    text = resources.files("octopus_cli.function_sets").joinpath(TEMPLATES_FILE).read_text("utf-8")
    return tomllib.loads(text)


def _tuples(value: Any) -> Any:
    """Lists as tuples, all the way down (the generator's pools are immutable)."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    return value


def _template(entry: str | dict[str, Any]) -> str | tuple[str, dict[str, Any]]:
    return entry if isinstance(entry, str) else (entry["text"], dict(entry["arguments"]))


_DATA = _load()

PINNED_TEMPLATES: int = _DATA["pinned_templates"]
PINNED_NEAR_MISSES: int = _DATA["pinned_near_misses"]

_POOLS = {name.upper(): _tuples(pool) for name, pool in _DATA["pools"].items()}
FIRST_NAMES: tuple[str, ...] = _POOLS["FIRST_NAMES"]
LAST_NAMES: tuple[str, ...] = _POOLS["LAST_NAMES"]
RELATIONS: tuple[str, ...] = _POOLS["RELATIONS"]
EMAIL_DOMAINS: tuple[str, ...] = _POOLS["EMAIL_DOMAINS"]
CITIES: tuple[str, ...] = _POOLS["CITIES"]
CITY_WITH_REGION: tuple[str, ...] = _POOLS["CITY_WITH_REGION"]
LANDMARKS: tuple[str, ...] = _POOLS["LANDMARKS"]
NEWS_TOPICS: tuple[str, ...] = _POOLS["NEWS_TOPICS"]
YOUTUBE_QUERIES: tuple[str, ...] = _POOLS["YOUTUBE_QUERIES"]
EMAIL_SUBJECTS: tuple[str, ...] = _POOLS["EMAIL_SUBJECTS"]
EMAIL_SENTENCES: tuple[str, ...] = _POOLS["EMAIL_SENTENCES"]
SMS_MESSAGES: tuple[str, ...] = _POOLS["SMS_MESSAGES"]
ALARM_LABELS: tuple[str, ...] = _POOLS["ALARM_LABELS"]
EVENT_TITLES: tuple[str, ...] = _POOLS["EVENT_TITLES"]
BLUETOOTH_DEVICES: tuple[str, ...] = _POOLS["BLUETOOTH_DEVICES"]
MUSIC_SERVICES: tuple[str, ...] = _POOLS["MUSIC_SERVICES"]
MUSIC_NAMES: tuple[str, ...] = _POOLS["MUSIC_NAMES"]
VIDEO_SERVICES: tuple[str, ...] = _POOLS["VIDEO_SERVICES"]
VIDEO_NAMES: tuple[str, ...] = _POOLS["VIDEO_NAMES"]
PHOTO_SUBJECTS: tuple[str, ...] = _POOLS["PHOTO_SUBJECTS"]
SELFIE_COMPANIONS: tuple[str, ...] = _POOLS["SELFIE_COMPANIONS"]
ROOMS: tuple[str, ...] = _POOLS["ROOMS"]
DOORS: tuple[str, ...] = _POOLS["DOORS"]
GUESTS: tuple[str, ...] = _POOLS["GUESTS"]
NUMBER_WORDS: tuple[str, ...] = _POOLS["NUMBER_WORDS"]
COUNTRIES: tuple[str, ...] = _POOLS["COUNTRIES"]
ANIMALS: tuple[str, ...] = _POOLS["ANIMALS"]
FOODS: tuple[str, ...] = _POOLS["FOODS"]
WORDS: tuple[str, ...] = _POOLS["WORDS"]
TEMPERATURE_WORDS: tuple[str, ...] = _POOLS["TEMPERATURE_WORDS"]
OVEN_TEMPERATURES: tuple[str, ...] = _POOLS["OVEN_TEMPERATURES"]

PLACES = CITIES + LANDMARKS
WEATHER_LOCATIONS = CITIES + CITY_WITH_REGION
SEARCH_TOPICS = YOUTUBE_QUERIES

_WORDS = {name.upper(): _tuples(words) for name, words in _DATA["words"].items()}
LANGUAGES: dict[str, str] = _WORDS["LANGUAGES"]
CAMERA_WORDS: dict[str, tuple[str, ...]] = _WORDS["CAMERA_WORDS"]
MODE_BY: dict[str, tuple[str, ...]] = _WORDS["MODE_BY"]
MODE_VERB: dict[str, tuple[str, ...]] = _WORDS["MODE_VERB"]
MODE_ADJ: dict[str, tuple[str, ...]] = _WORDS["MODE_ADJ"]
VOLUME_WORDS: dict[str, tuple[str, ...]] = _WORDS["VOLUME_WORDS"]
DOOR_VERB: dict[str, tuple[str, ...]] = _WORDS["DOOR_VERB"]
# TOML keys are strings: the do-not-disturb states are keyed "true" and "false" there.
DND_STATE: dict[bool, tuple[str, ...]] = {
    key == "true": words for key, words in _WORDS["DND_STATE"].items()
}

TEMPLATES: dict[str, tuple[str | tuple[str, dict[str, Any]], ...]] = {
    name: tuple(_template(entry) for entry in entries)
    for name, entries in _DATA["templates"].items()
}
NEAR_MISS_TEMPLATES: tuple[str, ...] = _tuples(_DATA["negatives"]["near_miss"])
GENERAL_TEMPLATES: tuple[str, ...] = _tuples(_DATA["negatives"]["general"])
BORDER_TEMPLATES: tuple[str, ...] = _tuples(_DATA["negatives"]["border"])


def tables() -> dict[str, Any]:
    """Every table above by name (what the data recipe's ``templates_sha256`` covers)."""
    return {
        name: value
        for name, value in globals().items()
        if name.isupper() and not name.startswith("_") and name != "TEMPLATES_FILE"
    }
