"""Where octopus keeps user files.

``OCTOPUS_HOME`` puts everything (config, data, models, history) under one directory,
which is how tests and scripts isolate themselves. Otherwise the platform's usual
places are used: ``~/.config/octopus`` and ``~/.local/share/octopus`` on Linux
(honouring XDG variables), ``~/Library/Application Support/octopus`` on macOS.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "octopus"
HOME_ENV = "OCTOPUS_HOME"


def _home_override() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """User configuration: handler overrides, default model choice."""
    if (home := _home_override()) is not None:
        return home / "config"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / APP_NAME


def data_dir() -> Path:
    """User data: converted and pulled models, REPL history, files made by handlers."""
    if (home := _home_override()) is not None:
        return home / "data"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_NAME
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / APP_NAME


def models_dir() -> Path:
    return data_dir() / "models"


def history_file() -> Path:
    return data_dir() / "repl_history"


def handlers_override_file() -> Path:
    return config_dir() / "handlers.toml"
