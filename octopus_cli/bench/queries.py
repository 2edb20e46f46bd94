"""The benchmark's fixed queries: one per Android function plus irrelevant ones.

Each comes with the call a correct model gives. On a trained model the call is only a
label; on the random-weight model it is what decoding is steered to produce, so every
way of answering evaluates and generates as many tokens as the real model would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from octopus_cli.functions import FunctionSet

QUERIES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("take a selfie with the front camera", "take_a_photo", {"camera": "front"}),
    ("what's new with electric cars", "get_trending_news", {"query": "electric cars"}),
    ("will it rain in Lisbon tomorrow", "get_weather_forecast", {"location": "Lisbon"}),
    (
        "email ana@example.com with subject Running late saying I will be ten minutes late",
        "send_email",
        {
            "recipient": "ana@example.com",
            "title": "Running late",
            "content": "I will be ten minutes late",
        },
    ),
    (
        "find youtube videos about sourdough bread",
        "search_youtube_videos",
        {"query": "sourdough bread"},
    ),
    (
        "how do I get from Paris to Lyon by train",
        "find_route_google_maps",
        {"origin": "Paris", "destination": "Lyon", "mode": "transit"},
    ),
    ("is the smoke detector ok", "check_nest_smoke_detector_status", {}),
    (
        "text Sam that dinner is at eight",
        "send_text_message",
        {"contact_name": "Sam", "message": "dinner is at eight"},
    ),
    ("call +1 415 555 0134", "make_phone_call", {"phone_number": "+1 415 555 0134"}),
    (
        "save Maria Lopez as a contact, her number is +34 612 345 678",
        "create_contact",
        {"name": "Maria Lopez", "phone_number": "+34 612 345 678"},
    ),
    ("wake me up at 6:30 am", "set_timer_alarm", {"time": "06:30"}),
    ("dim the screen to 3", "change_screen_brightness", {"level": 3}),
    (
        "add dentist on 2026-03-14 from 9 to 10 am to my calendar",
        "create_calendar_event",
        {"title": "dentist", "start_time": "2026-03-14-09-00", "end_time": "2026-03-14-10-00"},
    ),
    ("set the media volume to 7", "set_volume", {"level": 7, "volume_type": "media"}),
    (
        "connect to my Bose headphones",
        "connect_to_bluetooth_device",
        {"device_name": "Bose headphones"},
    ),
    ("turn on do not disturb", "enable_do_not_disturb", {"enabled": True}),
    ("set the thermostat to 70 degrees", "set_nest_temperature", {"target_temperature": 70.0}),
    (
        "play Kind of Blue on Spotify on the nest hub",
        "play_music_on_nest_hub",
        {"music_service": "Spotify", "music_name": "Kind of Blue"},
    ),
    (
        "put Planet Earth from Netflix on the nest hub",
        "play_video_on_nest_hub",
        {"video_service": "Netflix", "video_name": "Planet Earth"},
    ),
    ("lock the front door", "open_or_lock_door", {"status": "lock"}),
    ("who wrote pride and prejudice", "irrelevant_function", {}),
)


@dataclass(frozen=True)
class BenchQuery:
    query: str
    target: str  # the expected output, e.g. "<nexa_0>('front')<nexa_end>"


def bench_queries(function_set: FunctionSet, count: int) -> list[BenchQuery]:
    """``count`` queries, cycling through the fixed list when more are asked for."""
    from octopus_cli.train.data import bind_arguments, format_call

    made = []
    for query, name, arguments in QUERIES:
        spec = function_set.by_name(name)
        target = format_call(function_set, spec, bind_arguments(spec, arguments))
        made.append(BenchQuery(query, target))
    return [made[i % len(made)] for i in range(count)]
