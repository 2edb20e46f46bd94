"""Function sets: the built-in Android set matches the published interface; bad files fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from octopus_cli.errors import FunctionSetError
from octopus_cli.functions import FunctionSet, load_function_set

# The interface the published model was trained on (spec: "The 20 Android functions").
PUBLISHED = {
    0: "take_a_photo(camera: str = 'back')",
    1: "get_trending_news(query: str, language: str = 'en')",
    2: "get_weather_forecast(location: str)",
    3: "send_email(recipient: str, title: str, content: str)",
    4: "search_youtube_videos(query: str)",
    5: "find_route_google_maps(origin: str, destination: str, mode: str = 'driving')",
    6: "check_nest_smoke_detector_status()",
    7: "send_text_message(contact_name: str, message: str)",
    8: "make_phone_call(phone_number: str)",
    9: "create_contact(name: str, phone_number: str)",
    10: "set_timer_alarm(time: str, label: str = 'alarm')",
    11: "change_screen_brightness(level: int)",
    12: "create_calendar_event(title: str, start_time: str, end_time: str)",
    13: "set_volume(level: int, volume_type: str)",
    14: "connect_to_bluetooth_device(device_name: str, timeout: int = 10)",
    15: "enable_do_not_disturb(enabled: bool)",
    16: "set_nest_temperature(target_temperature: float)",
    17: "play_music_on_nest_hub(music_service: str, music_name: str)",
    18: "play_video_on_nest_hub(video_service: str, video_name: str)",
    19: "open_or_lock_door(status: str)",
    20: "irrelevant_function()",
}


def test_android_set_matches_published_signatures(android: FunctionSet) -> None:
    assert {f.token: f.signature() for f in android.functions} == PUBLISHED
    assert android.token_texts[0] == "<nexa_0>"
    assert android.token_texts[-1] == "<nexa_end>"
    assert len(android.token_texts) == 22
    assert android.by_token(20).irrelevant
    assert android.by_name("set_volume").parameter("volume_type").choices == (
        "ring",
        "media",
        "alarm",
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "set.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_user_function_set_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name = "home"
token_format = "<fn_{}>"
end_token = "<fn_end>"
[[function]]
token = 0
name = "lights"
parameters = [{ name = "on", type = "bool" }]
""",
    )
    function_set = load_function_set(path)
    assert function_set.name == "home"
    assert function_set.token_texts == ["<fn_0>", "<fn_end>"]
    assert function_set.token_pattern.fullmatch("<fn_0>")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name = 'x'", "no [[function]] tables"),
        ("[[function]]\ntoken = 0\nname = 'a b'", "Python identifier"),
        ("[[function]]\ntoken = -1\nname = 'a'", "token number"),
        ("[[function]]\ntoken = 0\nname = 'a'\n[[function]]\ntoken = 0\nname = 'b'", "duplicate"),
        (
            "[[function]]\ntoken = 0\nname = 'a'\nparameters = [{name='x', type='list'}]",
            "type must be one of",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='int', default='no'}]",
            "expected int",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='int', default=1}, {name='y', type='int'}]",
            "without default follows",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\nparameters = [{name='b',type='bool',copy=true}]",
            "copy applies to str",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='str', choices=['p', 'q'], words={r=['s']}}]",
            "words maps choices to lists of words",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='str', format='language', copy=true}]",
            "copy applies to str",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='str', unit='seconds'}]",
            "unit applies to int and float",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='int', unit='days'}]",
            "unit applies to int and float",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\nparameters = [{name='x', type='str', copy=1}]",
            "copy must be true or false",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='int'}, {name='x', type='int'}]",
            "parameter x is listed twice",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='int', min=10, max=1}]",
            "min 10 is above max 1",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\nparameters = [{name='x', type='int', min='0'}]",
            "min and max must be numbers",
        ),
        (
            "[[function]]\ntoken = 0\nname = 'a'\n"
            "parameters = [{name='x', type='str', choices=['p', 'q'], default='r'}]",
            "'r': must be one of 'p', 'q'",
        ),
        *(
            (
                "[[function]]\ntoken = 0\nname = 'a'\nparameters = [" + params + "]",
                "after names the datetime parameter just before it",
            )
            for params in (
                # not the one before; not a datetime; one with a default; itself
                "{name='s', type='str', format='datetime'}, {name='x', type='int'},"
                " {name='e', type='str', format='datetime', after='s'}",
                "{name='s', type='str'}, {name='e', type='str', after='s'}",
                "{name='s', type='str', format='datetime'},"
                " {name='e', type='str', format='datetime', after='s', default='2024-01-01-00-00'}",
                "{name='e', type='str', format='datetime', after='e'}",
            )
        ),
        ("[[function]\n", "cannot read function set"),
        ("[[function]]\ntoken = 0\nname = 'a'\ncolour = 'red'", "unknown keys"),
    ],
)
def test_bad_function_sets_are_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(FunctionSetError) as info:
        load_function_set(_write(tmp_path, body))
    assert message in info.value.message


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(FunctionSetError, match="not found"):
        load_function_set(tmp_path / "nope.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe name")
    with pytest.raises(FunctionSetError, match="cannot read"):
        load_function_set(binary)
