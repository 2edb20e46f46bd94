"""Local handlers: what ``--run`` executes for the function the model chose.

Handlers are data, kept beside the function set (``android.toml`` ->
``android.handlers.toml``) and overridable per function and platform by the user file
``paths.handlers_override_file()``. A handler is an argv list with ``{parameter}``
placeholders, one list per platform (``sys.platform``: ``linux``, ``darwin``).

The model's output is untrusted, so the rules are strict and checked in code, not left
to the data file:

* a program is always run with ``shell=False``, without stdin and with a timeout;
* the program (argv[0]) is literal text, never a placeholder;
* every placeholder is replaced *inside* one argv element and never splits it, and only
  with values that were validated against the function's signature (checked again here);
* a value that would start an element with ``-`` is refused unless a literal ``--``
  after the program it goes to ends option parsing, so it cannot become an option;
* free text (a value not closed to fixed choices, numbers, bools or fixed formats) may
  only fill a whole argv element, the value of a ``--name=`` option, or a part of a URL
  template after its literal scheme, percent-encoded by ``url``, ``mailto`` or ``tel``.
  That holds whatever the program is: ``["rbash", "-c", "echo {query}"]`` is refused
  because ``{query}`` shares an element with other text. On top of it, free text may never
  follow an option that runs code (``-c``, ``-e``, ``-x``, ``--eval``, ``--command``,
  ``-Command``, ``-exec``, ``/c`` ...), sit at or before an interpreter's literal script
  (``sh``, ``python``, ``osascript`` ...: only arguments after a script file right after
  the program, or after literal code given with its code option, are data), follow a
  program that runs its arguments as a command (``env``, ``sudo``, ``ssh``, ``tmux``,
  ``timeout`` ...; ``systemd-run`` only up to the command it runs, which octopus finds
  exactly), or be a whole argument of an opener (``xdg-open``, ``open``), which could
  name a file or an application to launch. Closed values may appear anywhere but in
  argv[0], also inside script text. Handler files that break a rule are refused at
  load (:class:`~octopus_cli.errors.FunctionSetError`) naming the element and why.

Placeholder syntax: ``{name}`` or ``{name|filter|filter}``; ``{{`` and ``}}`` are literal
braces. Filters (see :data:`FILTERS`):

==============  =====================================================================
``url``         percent-encode for a URL query value or path segment (RFC 3986)
``mailto``      percent-encode an e-mail address for ``mailto:`` but keep the ``@``
``tel``         phone number for a ``tel:`` URI: ``+``, digits and ``-`` only
``percent``     0-10 scale to 0-100 (an int)
``fraction``    0-10 scale to 0.0-1.0
``int``         round a number to an int
``not``         negate a bool
``onoff``       bool to ``on`` / ``off``
``next_datetime``  ``HH:MM`` to ``YYYY-MM-DD HH:MM:00`` of its next occurrence (local)
==============  =====================================================================

Prepared placeholders are made by small built-in steps rather than by the model:
``{ics_file}`` (an RFC 5545 event from ``title``, ``start_time``, ``end_time``),
``{vcf_file}`` (an RFC 6350 contact from ``name``, ``phone_number``), ``{photo_file}``
(a fresh path for a snapshot) and ``{bt_address}`` (the address of the paired Bluetooth
device called ``device_name``, looked up read-only with ``bluetoothctl devices``). Files
go to ``paths.data_dir()/"handler-files"``, written atomically only once the user has
confirmed, so ``--dry-run`` and a declined run leave nothing behind.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import tomllib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from typing import Any
from urllib.parse import quote

from octopus_cli import paths
from octopus_cli.atomic import write_atomic
from octopus_cli.calls import BoundCall
from octopus_cli.errors import FunctionSetError, HandlerDeclined, HandlerError
from octopus_cli.functions import FunctionSet, FunctionSpec, Parameter

PLATFORMS = ("linux", "darwin")
FILES_DIR_NAME = "handler-files"
_ENTRY_KEYS = {"argv", "requires", "timeout"}
_OUTPUT_LIMIT = 1_000_000  # bytes of stdout/stderr kept from a handler
_TAIL = 400  # characters of stderr quoted in an error

# Where free text may go (see Handler.check). These lists only ever refuse more: a value
# fills a whole argument or a percent-encoded part of a URL whatever the program is.
#
# Interpreters: only arguments after the literal script are data. The script is a file
# right after the program, or literal code given with one of the family's code options
# (the options after which the rest of argv is the script's arguments).
_POSIX_SHELLS = r"sh|bash|rbash|dash|ash|zsh|ksh|ksh93|mksh|pdksh|oksh|lksh|yash|posh"
_SHELLS = rf"{_POSIX_SHELLS}|fish|csh|tcsh"
_INTERPRETERS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(rf"(?:{_SHELLS})"), frozenset({"-c"})),
    (re.compile(r"(?:python|pypy)[0-9.]*"), frozenset({"-c"})),
    (re.compile(r"perl[0-9.]*"), frozenset({"-e", "-E"})),
    (re.compile(r"ruby[0-9.]*"), frozenset({"-e"})),
    (re.compile(r"node|nodejs"), frozenset({"-e", "--eval"})),
    (re.compile(r"osascript"), frozenset({"-e"})),
    (re.compile(r"php[0-9.]*"), frozenset({"-r"})),
    (re.compile(r"Rscript|julia"), frozenset({"-e"})),
    (re.compile(r"g?sed"), frozenset({"-e"})),
    # Script first; their code options (lua -e, expect -c ...) do not end the search for it.
    (
        re.compile(
            r"awk|gawk|mawk|nawk|lua[0-9.]*|luajit|tclsh[0-9.]*|wish[0-9.]*|expect|deno|bun|jq"
            r"|guile|racket|elixir|escript|groovy|sbcl|ocaml|swift"
        ),
        frozenset(),
    ),
)
# Programs that join their arguments into one command line: no free text after them.
_JOINERS = re.compile(
    r"ssh|mosh|rsh|autossh|su|runuser|sg|newgrp|watch|script|at|batch|capsh"
    r"|pwsh|powershell|cmd|cmd\.exe"
)
# Programs that run what their operands name (a command, a script, a package, a target),
# where octopus does not model which operand that is: no free text after them.
_RUNNERS = re.compile(
    r"env|xargs|parallel|sudo|sudoedit|doas|pkexec|run0|setpriv|chpst|sshpass|nohup|nice"
    r"|ionice|timeout|setsid|stdbuf|chrt|taskset|time|chroot|unshare|nsenter|flock|firejail"
    r"|bwrap|flatpak-spawn|flatpak|systemd-nspawn|machinectl|strace|ltrace|valgrind|gdb|lldb"
    r"|perf|caffeinate|sandbox-exec|arch|launchctl|xvfb-run|dbus-run-session|dbus-launch"
    r"|torsocks|proxychains4?|faketime|fakeroot|unbuffer|rlwrap|catchsegv|entr|exec|eval"
    r"|command|builtin|source|busybox|toybox|tmux|screen|byobu|zellij|dtach|abduco"
    r"|xterm|uxterm|gnome-terminal|konsole|kitty|alacritty|wezterm|foot|terminator|tilix"
    r"|xfce4-terminal|mate-terminal|lxterminal|qterminal|urxvt|rxvt|st|x-terminal-emulator"
    r"|vi|vim|nvim|view|ex|gvim|emacs|emacsclient|less|more|most|make|gmake|bmake|just"
    r"|npm|npx|yarn|pnpm|bunx|pip[0-9.]*|pipx|uv|uvx|cargo|go|gem|brew|apt|apt-get|dnf|yum"
    r"|pacman|zypper|snap|nix|nix-shell|nix-env|guix|docker|podman|kubectl|shortcuts|automator"
)
# Programs that open what a whole argument names, which may be a file or an application
# to launch: free text reaches them only percent-encoded inside a URL template.
_OPENERS = re.compile(
    r"open|xdg-open|gio|kde-open[0-9]*|kioclient[0-9]*|exo-open|gnome-open|gvfs-open|wslview"
    r"|mimeopen|handlr|see|run-mailcap|sensible-browser|x-www-browser|www-browser"
)
# Wrappers whose command octopus finds exactly: before it only these flags (no argument),
# --name=value options and "--"; any other option and free text may not follow at all.
_WRAPPERS: dict[str, frozenset[str]] = {
    "systemd-run": frozenset(
        {"--user", "--system", "--scope", "-q", "--quiet", "-G", "--collect", "--no-block"}
        | {"--wait", "-d", "--same-dir", "-r", "--remain-after-exit", "--send-sighup"}
        | {"--no-ask-password", "-P", "--pipe", "-t", "--pty"}
    ),
}
# Options whose argument (the next element, or the text after "=") a program may run as
# code: -c, -e, -x ... alone or in a short cluster (-ec, -ne), single-dash words
# (PowerShell's -Command, find's -exec), cmd's /c, and long options named like code.
_SHORT_CODE_OPTION = re.compile(r"-(?=[A-Za-z]{0,2}[ceExS])[A-Za-z]{1,3}")
_WORD_CODE_OPTION = re.compile(
    r"-(?:command|encodedcommand|ec|file|exec|execdir|ok|okdir|eval|script|run|cmd)", re.I
)
_SLASH_CODE_OPTION = re.compile(r"/[ckrCKR]")
_CODE_WORDS = re.compile(
    r"(?:^|[-_])(?:command|cmd|exec|execute|eval|evaluate|expr|expression|script|shell|rsh"
    r"|program|prog|require|import|load|preload|loader|source|run|hook|pager|editor|rcfile"
    r"|init|startup|interpreter|code|split|env|setenv|environment|property|config|plugin"
    r"|module)(?:$|[-_])",
    re.I,
)
_LONG_OPTION_PREFIX = re.compile(r"--[A-Za-z0-9][A-Za-z0-9_.-]*=")
_URL_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_LOCAL_SCHEMES = frozenset({"file", "javascript", "data", "vbscript"})
_ENCODERS = frozenset({"url", "mailto", "tel"})  # filters that percent-encode for a URL
_BARE_WORD = re.compile(r"[a-z][a-z0-9-]*")  # a subcommand (deno run), not a script file
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_SIMPLE_CHOICE = re.compile(r"[A-Za-z0-9_.:@+-]*")
_CLOSED_FORMATS = {"time24", "datetime", "language"}
_MAC_ADDRESS = re.compile(r"[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}")


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filter:
    """A pure transformation of a validated value.

    ``closes`` marks an output from a fixed set whatever the input (a number, a bool, a
    fixed format). The URL encoders (url, mailto, tel) do not close: their output still
    carries free text, percent-encoded, and may only sit inside a URL template.
    """

    name: str
    accepts: frozenset[str]
    returns: str
    apply: Callable[[Any], Any]
    closes: bool
    doc: str


def _number(value: Any) -> float:
    return float(value)


def _tel(value: str) -> str:
    digits = re.sub(r"[^0-9+-]", "", value.replace(" ", "-"))
    return re.sub(r"-{2,}", "-", digits).strip("-")


def _next_datetime(value: str) -> str:
    try:
        clock = dt.datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise HandlerError(f"{value!r} is not a time of day (HH:MM)") from None
    now = dt.datetime.now()
    moment = dt.datetime.combine(now.date(), clock)
    if moment <= now:
        moment += dt.timedelta(days=1)
    return moment.strftime("%Y-%m-%d %H:%M:00")


_NUMBERS = frozenset({"int", "float"})
FILTERS: dict[str, Filter] = {
    f.name: f
    for f in (
        Filter(
            "url",
            frozenset({"str", "int", "float"}),
            "str",
            lambda v: quote(_text(v), safe=""),
            False,
            "percent-encode for a URL query value or path segment",
        ),
        Filter(
            "mailto",
            frozenset({"str"}),
            "str",
            lambda v: quote(v, safe="@"),
            False,
            "percent-encode an address for mailto:, keeping '@'",
        ),
        Filter("tel", frozenset({"str"}), "str", _tel, False, "phone number for a tel: URI"),
        Filter(
            "percent",
            _NUMBERS,
            "int",
            lambda v: max(0, min(100, round(_number(v) * 10))),
            True,
            "0-10 scale to 0-100",
        ),
        Filter(
            "fraction",
            _NUMBERS,
            "float",
            lambda v: max(0.0, min(1.0, round(_number(v) / 10, 3))),
            True,
            "0-10 scale to 0.0-1.0",
        ),
        Filter("int", _NUMBERS, "int", lambda v: round(_number(v)), True, "round to an int"),
        Filter("not", frozenset({"bool"}), "bool", lambda v: not v, True, "negate a bool"),
        Filter("onoff", frozenset({"bool"}), "str", lambda v: "on" if v else "off", True, "on/off"),
        Filter(
            "next_datetime",
            frozenset({"str"}),
            "str",
            _next_datetime,
            True,
            "HH:MM to 'YYYY-MM-DD HH:MM:00' of its next occurrence",
        ),
    )
}


def _text(value: Any) -> str:
    """The one way a value becomes argv text: bools lower-case, whole floats without '.0'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, BoundCall):  # defensive: build_argv refuses nested calls first
        raise HandlerError(f"nested call {value.call_string()} cannot be passed to a handler")
    return str(value)


# ------------------------------------------------------------- prepared placeholders


@dataclass(frozen=True)
class PendingFile:
    """A file a handler needs, written only when the handler really runs."""

    path: Path
    data: bytes | None  # None: the handler writes it (a photo); only its folder is made


@dataclass(frozen=True)
class Prepared:
    """A placeholder made by a built-in step from the call's arguments."""

    name: str
    needs: tuple[str, ...]
    make: Callable[[dict[str, Any], Path], tuple[str, PendingFile | None]]
    doc: str


def files_dir() -> Path:
    """Where prepared files go (inside the user's data directory)."""
    return paths.data_dir() / FILES_DIR_NAME


def _fresh_path(folder: Path, prefix: str, suffix: str) -> Path:
    # Never derived from model text: a timestamp and a random tag only.
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return folder / f"{prefix}-{stamp}-{uuid.uuid4().hex[:8]}{suffix}"


def _escape_text(value: str) -> str:
    """Escape a TEXT value for iCalendar (RFC 5545 3.3.11) and vCard (RFC 6350 3.4)."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # Other control characters are not allowed in TEXT at all.
    return "".join(c for c in value if c == "\t" or (ord(c) >= 0x20 and ord(c) != 0x7F))


def _fold(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1, RFC 6350 3.2), never inside a char."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += char
        size += width
    out.append(current)
    return "\r\n".join(out)


def _content(lines: list[str]) -> bytes:
    return "".join(_fold(line) + "\r\n" for line in lines).encode("utf-8")


def _utc_stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _event_time(name: str, value: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d-%H-%M")
    except ValueError:
        raise HandlerError(f"{name} {value!r} is not a real date and time") from None


def make_ics(title: str, start_time: str, end_time: str) -> bytes:
    """An RFC 5545 calendar with one event in floating local time."""
    start = _event_time("start_time", start_time)
    end = _event_time("end_time", end_time)
    if end < start:
        raise HandlerError(f"the event ends ({end_time}) before it starts ({start_time})")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//octopus-cli//handlers//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uuid.uuid4()}@octopus-cli",
        f"DTSTAMP:{_utc_stamp()}",
        f"DTSTART:{start:%Y%m%dT%H%M%S}",
    ]
    if end > start:  # an event without DTEND ends when it starts (RFC 5545 3.6.1)
        lines.append(f"DTEND:{end:%Y%m%dT%H%M%S}")
    lines += [f"SUMMARY:{_escape_text(title)}", "END:VEVENT", "END:VCALENDAR"]
    return _content(lines)


def make_vcf(name: str, phone_number: str) -> bytes:
    """An RFC 6350 (vCard 4.0) contact with a formatted name and a mobile number."""
    words = name.split()
    family, given = (words[-1], " ".join(words[:-1])) if len(words) > 1 else ("", name.strip())
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//octopus-cli//handlers//EN",
        f"UID:urn:uuid:{uuid.uuid4()}",
        f"FN:{_escape_text(name)}",
        f"N:{_escape_text(family)};{_escape_text(given)};;;",
        f"TEL;VALUE=uri;TYPE=cell:tel:{_tel(phone_number)}",
        f"REV:{_utc_stamp()}",
        "END:VCARD",
    ]
    return _content(lines)


def _prepare_ics(args: dict[str, Any], folder: Path) -> tuple[str, PendingFile]:
    path = _fresh_path(folder, "event", ".ics")
    data = make_ics(args["title"], args["start_time"], args["end_time"])
    return str(path), PendingFile(path, data)


def _prepare_vcf(args: dict[str, Any], folder: Path) -> tuple[str, PendingFile]:
    path = _fresh_path(folder, "contact", ".vcf")
    return str(path), PendingFile(path, make_vcf(args["name"], args["phone_number"]))


def _prepare_photo(args: dict[str, Any], folder: Path) -> tuple[str, PendingFile]:
    path = _fresh_path(folder, "photo", ".jpg")
    return str(path), PendingFile(path, None)


def bluetooth_address(device_name: str, timeout: float = 10.0) -> str:
    """Find a known device's address by name with ``bluetoothctl devices`` (read-only)."""
    try:
        done = subprocess.run(
            ["bluetoothctl", "devices"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise HandlerError(
            "bluetoothctl is not installed", hint=_default_hint("bluetoothctl")
        ) from None
    except subprocess.TimeoutExpired:
        raise HandlerError(
            "bluetoothctl devices did not answer", hint="is the bluetooth service running?"
        ) from None
    devices: dict[str, str] = {}
    for line in done.stdout.splitlines():
        parts = line.strip().split(" ", 2)
        if len(parts) == 3 and parts[0] == "Device" and _MAC_ADDRESS.fullmatch(parts[1]):
            devices[parts[1]] = parts[2]
    wanted = device_name.strip().casefold()
    exact = [a for a, n in devices.items() if n.casefold() == wanted]
    partial = [a for a, n in devices.items() if wanted and wanted in n.casefold()]
    found = exact or partial
    if len(found) == 1:
        return found[0]
    known = ", ".join(sorted(devices.values())) or "none"
    if not found:
        raise HandlerError(
            f"no known Bluetooth device is called {device_name!r}",
            hint=f"pair it first (bluetoothctl pair <address>); known devices: {known}",
        )
    names = ", ".join(sorted(devices[a] for a in found))
    raise HandlerError(f"several Bluetooth devices match {device_name!r}: {names}")


def _prepare_bt(args: dict[str, Any], folder: Path) -> tuple[str, None]:
    return bluetooth_address(args["device_name"]), None


PREPARED: dict[str, Prepared] = {
    p.name: p
    for p in (
        Prepared("ics_file", ("title", "start_time", "end_time"), _prepare_ics, "event .ics"),
        Prepared("vcf_file", ("name", "phone_number"), _prepare_vcf, "contact .vcf"),
        Prepared("photo_file", (), _prepare_photo, "path for a new .jpg"),
        Prepared("bt_address", ("device_name",), _prepare_bt, "Bluetooth address by name"),
    )
}


# -------------------------------------------------------------------------- templates


@dataclass(frozen=True)
class Placeholder:
    """``{name|filter|...}`` as written in a template element."""

    name: str
    filters: tuple[str, ...]


def parse_element(element: str) -> list[str | Placeholder]:
    """Split one argv template element into literal text and placeholders."""
    parts: list[str | Placeholder] = []
    pos = 0
    for match in _PLACEHOLDER.finditer(element):
        if match.start() > pos:
            parts.append(element[pos : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif match.group(1) is None:
            raise HandlerError(f"unbalanced brace in {element!r} (write {{{{ or }}}} for one)")
        else:
            name, *filters = (p.strip() for p in match.group(1).split("|"))
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise HandlerError(f"bad placeholder {token!r} in {element!r}")
            parts.append(Placeholder(name, tuple(filters)))
        pos = match.end()
    if pos < len(element):
        parts.append(element[pos:])
    return parts


def _merged(parts: list[str | Placeholder]) -> list[str | Placeholder]:
    """``parse_element`` parts with neighbouring literal pieces joined into one."""
    out: list[str | Placeholder] = []
    for part in parts:
        if isinstance(part, str) and out and isinstance(out[-1], str):
            out[-1] += part
        else:
            out.append(part)
    return out


def _takes_code(option: str) -> bool:
    """Whether a program may run the argument of this literal option as code."""
    if option.startswith("--"):
        return bool(_CODE_WORDS.search(option[2:].split("=", 1)[0]))
    return any(
        p.fullmatch(option) for p in (_SHORT_CODE_OPTION, _WORD_CODE_OPTION, _SLASH_CODE_OPTION)
    )


def _free_shape(parts: list[str | Placeholder], free: list[Placeholder]) -> tuple[str, str]:
    """How free text sits in an element: ``whole``, ``option`` (``--name={x}``) or ``url``
    (percent-encoded after a literal scheme), else why not; and its ``--name=`` prefix."""
    if len(parts) == 1:
        return "whole", ""
    head = parts[0]
    if not isinstance(head, str):
        return "is spliced into literal text", ""
    option = _LONG_OPTION_PREFIX.match(head)
    prefix = option.group(0) if option else ""
    if prefix and head == prefix and len(parts) == 2:
        return "option", prefix
    scheme = _URL_SCHEME.match(head, len(prefix))
    text = "".join(p for p in parts if isinstance(p, str))
    if scheme is None or any(c.isspace() or not c.isprintable() for c in text):
        return "is spliced into literal text", prefix  # a URL holds no blanks
    if scheme.group(1).lower() in _LOCAL_SCHEMES:
        return f"may not choose what a {scheme.group(1)}: URL opens", prefix
    if not all(h.filters and h.filters[-1] in _ENCODERS for h in free):
        return "is not percent-encoded for the URL (end it with |url, |mailto or |tel)", prefix
    return "url", prefix


def _program_kind(element: str) -> tuple[str, frozenset[str]] | None:
    """What kind of program ``element`` names (see the lists above), or None if none."""
    name = Path(element).name
    if name in _WRAPPERS:
        return "wrapper", _WRAPPERS[name]
    for pattern, code_options in _INTERPRETERS:
        if pattern.fullmatch(name):
            return "interpreter", code_options
    for kind, pattern in (("joiner", _JOINERS), ("runner", _RUNNERS), ("opener", _OPENERS)):
        if pattern.fullmatch(name):
            return kind, frozenset()
    return None


@dataclass(frozen=True)
class _Program:
    """A program in a handler's argv, and from where on free text may be its argument."""

    index: int
    name: str
    kind: str  # "interpreter", "wrapper", "joiner", "runner" or "opener"
    data_from: int | None  # the first element free text may fill; None: no element
    why: str  # why free text may not come earlier


def _script_end(
    argv: tuple[str, ...],
    literal: list[bool],
    free: list[list[Placeholder]],
    at: int,
    code: frozenset[str],
) -> tuple[int | None, str]:
    """Where the arguments of the interpreter ``argv[at]`` start: after its literal script
    (a file right after it) or literal code after its code options; else None and why."""
    name = Path(argv[at]).name
    first = at + 1
    if first >= len(argv):
        return None, "there is no script"
    if argv[first] in code:
        end = first
        while (
            end + 1 < len(argv)
            and argv[end] in code
            and not free[end + 1]
            and not argv[end + 1].startswith("-")
        ):
            end += 2
        if end == first:
            return None, f"{argv[first]!r} must be followed by literal code"
        return end, ""
    if argv[first].startswith("-"):
        options = ", ".join(sorted(code)) or "none"
        return None, (
            f"octopus cannot tell where the script starts after {argv[first]!r} (the script "
            f"must come right after {name}: a file, or literal code after {options})"
        )
    if not literal[first]:
        return None, "the script must be literal text"
    if _BARE_WORD.fullmatch(argv[first]):
        return None, f"{argv[first]!r} looks like a subcommand, not a script file"
    return first + 1, ""


@dataclass(frozen=True)
class _Layout:
    """What :func:`_programs` found in a handler's argv."""

    programs: list[_Program]  # programs that run code or commands, in argv order
    heads: set[int]  # where a program is named: argv[0], a wrapper's command, look-alikes
    starts: set[int]  # where a program's own options start: heads and interpreter scripts

    def head(self, index: int) -> int:
        """The program whose argument ``argv[index]`` is (the last head before it)."""
        return max(h for h in self.heads if h < index)

    def options_ended(self, argv: tuple[str, ...], index: int) -> bool:
        """Whether a literal ``--`` ends the options of the program ``argv[index]`` goes to."""
        start = max(s for s in self.starts if s < index)
        return "--" in argv[start + 1 : index]


def _programs(argv: tuple[str, ...], literal: list[bool], free: list[list[Placeholder]]) -> _Layout:
    """Programs that run code or commands, and where each program's arguments start.

    Heads are argv[0] and the command of a wrapper; any other literal element that names
    such a program is checked as if a program started there, since octopus cannot know
    that it does not. An interpreter's own options end at its script.
    """
    programs: dict[int, _Program] = {}
    heads = {0}
    starts = {0}
    zeroth: set[int] = set()  # the $0 after ``sh -c CODE``: the script's name, never run

    def visit(at: int) -> None:
        found = _program_kind(argv[at])
        if found is None or at in programs:
            return
        kind, extra = found
        name = Path(argv[at]).name
        data_from: int | None = None
        why = f"{name} runs its arguments as a command"
        if kind == "joiner":
            why = f"{name} joins its arguments into a shell command line"
        elif kind == "opener":
            data_from = at + 1
        elif kind == "interpreter":
            data_from, why = _script_end(argv, literal, free, at, extra)
            if data_from is not None:
                starts.add(data_from - 1)
                if re.fullmatch(_POSIX_SHELLS, name) and argv[at + 1] == "-c":
                    zeroth.add(data_from)
        elif kind == "wrapper":
            command, why = None, f"octopus cannot tell which argument {name} runs"
            for index in range(at + 1, len(argv)):
                element = argv[index]
                if element == "--":
                    command = index + 1 if index + 1 < len(argv) else None
                    break
                if _LONG_OPTION_PREFIX.match(element) or (literal[index] and element in extra):
                    continue
                if element.startswith("-"):
                    why = f"{element!r} is not an option of {name} that octopus knows"
                    break
                command = index
                break
            if command is not None:
                if not literal[command] or argv[command].startswith("-"):
                    raise HandlerError(
                        f"argv[{command}] {argv[command]!r}: the program that {name} runs "
                        "must be literal text"
                    )
                data_from = command + 1
                heads.add(command)
                starts.add(command)
        programs[at] = _Program(at, name, kind, data_from, why)
        if kind == "wrapper" and data_from is not None:
            visit(data_from - 1)

    visit(0)
    for index in range(1, len(argv)):
        if literal[index] and index not in zeroth and _program_kind(argv[index]) is not None:
            heads.add(index)
            starts.add(index)
            visit(index)
    return _Layout(sorted(programs.values(), key=lambda p: p.index), heads, starts)


def _param_closed(param: Parameter) -> bool:
    if param.type in ("int", "float", "bool"):
        return True
    if param.choices is not None:
        return all(_SIMPLE_CHOICE.fullmatch(str(c)) for c in param.choices)
    return param.format in _CLOSED_FORMATS


# --------------------------------------------------------------------------- handlers


@dataclass(frozen=True)
class Plan:
    """What running a handler would do: the exact argv and the files it needs first."""

    argv: list[str]
    files: tuple[PendingFile, ...] = ()


@dataclass(frozen=True)
class Handler:
    """One function's handler on one platform."""

    function: FunctionSpec
    platform: str
    argv: tuple[str, ...]
    requires: tuple[str, ...] = ()
    timeout: float | None = None
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def tools(self) -> list[str]:
        """Programs that must be on PATH: the program itself, then any extra ones."""
        return list(dict.fromkeys([self.argv[0], *self.requires])) if self.argv else []

    def missing_tools(self) -> list[str]:
        """Tools not found on PATH, so the CLI can say which one to install."""
        return [tool for tool in self.tools if shutil.which(tool) is None]

    def install_hint(self, tool: str) -> str:
        return self.hints.get(tool) or _default_hint(tool, self.platform)

    def placeholders(self) -> list[Placeholder]:
        """Every placeholder the templates use, in order (raises HandlerError on bad syntax)."""
        return [p for e in self.argv for p in parse_element(e) if isinstance(p, Placeholder)]

    def check(self) -> None:
        """Static checks: names, filters and types fit the function, and free text only
        fills arguments that no program runs as code (see :meth:`_layout`)."""
        self._layout()

    def _layout(self) -> _Layout:
        """Check the templates; return where each program's own arguments start.

        Free text (a value not closed to fixed choices, numbers or formats) may fill only
        a whole argv element, the value of a ``--name=`` option, or a percent-encoded
        part of a URL after a literal scheme; and never an element after an option that
        runs code (-c, -e, --eval ...), at or before an interpreter's literal script, or
        after a program that runs its arguments as a command (see the lists above).
        """
        if not self.argv:
            raise HandlerError("argv is empty")
        if parse_element(self.argv[0]) != [self.argv[0]]:
            raise HandlerError(
                f"the program {self.argv[0]!r} must be literal text",
                hint="name the program itself in argv[0] and pass values as later arguments",
            )
        parsed = [_merged(parse_element(e)) for e in self.argv]
        free = [
            [p for p in parts if isinstance(p, Placeholder) and not self._check_placeholder(p)]
            for parts in parsed
        ]
        literal = [all(isinstance(p, str) for p in parts) for parts in parsed]
        layout = _programs(self.argv, literal, free)
        for index, holders in enumerate(free):
            if holders:
                self._check_free(index, parsed[index], holders, literal, layout)
        return layout

    def _check_free(
        self,
        index: int,
        parts: list[str | Placeholder],
        holders: list[Placeholder],
        literal: list[bool],
        layout: _Layout,
    ) -> None:
        """Refuse free text in ``argv[index]`` unless it is data wherever it lands."""
        element = self.argv[index]
        name = holders[0].name
        here = f"argv[{index}] {element!r}: free text {{{name}}}"
        program = Path(self.argv[layout.head(index)]).name
        as_argument = (
            f"give it an argument of its own after literal code and read it there, e.g. "
            f'["sh", "-c", "echo \\"$1\\"", "sh", "{{{name}}}"] ($1, item 1 of argv, sys.argv[1])'
        )
        previous = self.argv[index - 1]
        shape, prefix = _free_shape(parts, holders)
        if literal[index - 1] and "=" not in previous and _takes_code(previous):
            raise HandlerError(
                f"{here} must not become code of {program}: it follows {previous!r}, an "
                "option whose argument is run as code",
                hint=as_argument,
            )
        if prefix and _takes_code(prefix[:-1]):
            raise HandlerError(
                f"{here} must not become code of {program}: {prefix!r} is an option whose "
                "value is run as code",
                hint=as_argument,
            )
        if shape not in ("whole", "option", "url"):
            raise HandlerError(
                f"{here} {shape}: a value may only be a whole argument, the value of a "
                "--name= option or a percent-encoded part of a URL",
                hint=f'make it an argument of its own ("{{{name}}}"), or percent-encode it in '
                f'a URL ("https://example.test/?q={{{name}|url}}")',
            )
        for prog in layout.programs:
            if prog.index >= index:
                break
            if prog.kind == "opener":
                if shape != "url":
                    raise HandlerError(
                        f"{here} may reach {prog.name} only percent-encoded in a URL: as a "
                        "whole argument it could name a file or an application to launch",
                        hint=f'use a URL template such as "https://example.test/?q={{{name}|url}}"',
                    )
            elif prog.data_from is None or index < prog.data_from:
                if prog.kind == "interpreter":
                    raise HandlerError(
                        f"{here} must not become code of {prog.name}: only whole arguments "
                        f"after its literal script are data, and {prog.why}",
                        hint=as_argument,
                    )
                raise HandlerError(
                    f"{here} cannot be passed through {prog.name}: {prog.why}",
                    hint=f"run the program directly rather than through {prog.name}, or use "
                    "a parameter with fixed choices",
                )

    def _check_placeholder(self, holder: Placeholder) -> bool:
        """Type-check one placeholder; return whether its text is closed (a fixed choice, a
        number, a bool, a fixed format or a prepared value), not free text."""
        param = self.function.parameter(holder.name)
        if param is not None:
            kind, closed = param.type, _param_closed(param)
        elif holder.name in PREPARED:
            prepared = PREPARED[holder.name]
            lacking = [n for n in prepared.needs if self.function.parameter(n) is None]
            if lacking:
                raise HandlerError(
                    f"{{{holder.name}}} needs parameters {', '.join(lacking)}, "
                    f"which {self.function.name} does not have"
                )
            kind, closed = "str", True
        else:
            known = [p.name for p in self.function.parameters]
            raise HandlerError(
                f"{{{holder.name}}} is not a parameter of {self.function.name} "
                f"(parameters: {', '.join(known) or 'none'})"
            )
        for name in holder.filters:
            filt = FILTERS.get(name)
            if filt is None:
                raise HandlerError(f"unknown filter {name!r} (known: {', '.join(FILTERS)})")
            if kind not in filt.accepts:
                raise HandlerError(f"filter {name!r} does not take a {kind} ({holder.name})")
            kind, closed = filt.returns, closed or filt.closes
        return closed

    def plan(self, call: BoundCall, folder: Path | None = None) -> Plan:
        """Fill the templates from a validated call; no file is written yet."""
        if call.function.name != self.function.name:
            raise HandlerError(f"handler of {self.function.name} got a {call.name} call")
        if call.has_nested_calls:
            raise HandlerError(
                f"{call.call_string()} has a nested call; handlers run single calls only",
                hint="run the inner call first and pass its result as a plain value",
            )
        layout = self._layout()
        for param in self.function.parameters:
            if param.name not in call.arguments:
                raise HandlerError(f"{call.name} is missing argument {param.name!r}")
            problem = param.problem(call.arguments[param.name])
            if problem:
                raise HandlerError(f"{call.name}: {param.name} {problem}")
        folder = folder if folder is not None else files_dir()
        prepared: dict[str, str] = {}
        files: list[PendingFile] = []
        argv: list[str] = []
        for index, element in enumerate(self.argv):
            text = ""
            for part in parse_element(element):
                if isinstance(part, str):
                    text += part
                    continue
                if part.name in call.arguments:
                    value: Any = call.arguments[part.name]
                else:
                    if part.name not in prepared:
                        made, pending = PREPARED[part.name].make(call.arguments, folder)
                        prepared[part.name] = made
                        files += [pending] if pending else []
                    value = prepared[part.name]
                for name in part.filters:
                    value = FILTERS[name].apply(value)
                piece = _text(value)
                if "\x00" in piece:
                    raise HandlerError(f"{part.name} contains a NUL character")
                if (
                    not text
                    and piece.startswith("-")
                    and not layout.options_ended(self.argv, index)
                ):
                    raise HandlerError(
                        f"{part.name}={piece!r} starts with '-' and could be read as an option"
                    )
                text += piece
            argv.append(text)
        return Plan(argv, tuple(files))

    def build_argv(self, call: BoundCall) -> list[str]:
        """The exact argv that would run, each placeholder inside its own element."""
        return self.plan(call).argv


@dataclass
class HandlerTable:
    """Handlers of one function set on one platform, after the user's overrides."""

    function_set: FunctionSet
    platform: str
    handlers: dict[str, Handler]
    reasons: dict[str, str]
    sources: tuple[Path, ...] = ()
    warnings: list[str] = field(default_factory=list)

    def for_function(self, name: str) -> Handler | None:
        return self.handlers.get(name)

    def reason(self, name: str) -> str:
        """Why ``name`` has no handler here (the data file's words, or a generic line)."""
        if name in self.reasons:
            return self.reasons[name]
        if self.function_set.by_name(name) is None:
            return f"{name} is not in function set {self.function_set.name!r}"
        return f"no handler is defined for {self.platform}"

    def available(self, name: str) -> tuple[bool, str]:
        """Whether ``name`` can run here; otherwise why not (no handler, or a missing tool)."""
        handler = self.for_function(name)
        if handler is None:
            return False, self.reason(name)
        missing = handler.missing_tools()
        if missing:
            return False, "missing: " + "; ".join(
                f"{tool} ({handler.install_hint(tool)})" for tool in missing
            )
        return True, ", ".join(handler.tools)

    def describe(self, name: str) -> str:
        """Short status for ``octopus functions``: tools, ``missing: ...`` or ``none on X``."""
        if self.for_function(name) is None:
            return f"none on {self.platform}"
        return self.available(name)[1]


@dataclass(frozen=True)
class HandlerResult:
    """What ``execute`` did; ``ran`` is False for a dry run."""

    argv: list[str]
    ran: bool
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""
    files: tuple[Path, ...] = ()


# ---------------------------------------------------------------------------- loading


def _default_hint(tool: str, platform: str | None = None) -> str:
    if (platform or sys.platform) == "darwin":
        return f"install {tool}, for example with Homebrew: brew install {tool}"
    return f"install {tool} with your distribution's package manager"


def handlers_file_for(function_set: FunctionSet) -> Path | None:
    """``<stem>.handlers.toml`` beside the function set file, if the set came from a file."""
    if function_set.source is None:
        return None
    return function_set.source.with_name(f"{function_set.source.stem}.handlers.toml")


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise FunctionSetError(
            f"cannot read handler file {file}: {exc}",
            hint="fix the TOML, or move the file away to use the shipped handlers",
        ) from None


def _bad(file: Path, message: str, hint: str | None = None) -> FunctionSetError:
    return FunctionSetError(
        f"{file}: {message}",
        hint=hint
        or "handlers look like: [handlers.search_youtube_videos] "
        'linux = ["xdg-open", "https://www.youtube.com/results?search_query={query|url}"]',
    )


def _read_file(
    file: Path, function_set: FunctionSet, *, strict: bool, warnings: list[str]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, str]]]:
    """Parse one handler file into raw per-function, per-platform entries and tool hints."""
    data = _read_toml(file)
    unknown = set(data) - {"handlers", "tools"}
    if unknown:
        raise _bad(file, f"unknown top-level keys {sorted(unknown)}; use [handlers.*], [tools.*]")
    handlers = data.get("handlers", {})
    tools = data.get("tools", {})
    if not isinstance(handlers, dict) or not isinstance(tools, dict):
        raise _bad(file, "[handlers] and [tools] must be tables")
    entries: dict[str, dict[str, Any]] = {}
    for name, entry in handlers.items():
        if function_set.by_name(name) is None:
            message = f"{name!r} is not a function of set {function_set.name!r}"
            names = [f.name for f in function_set.functions]
            message += "".join(f" (did you mean {m!r}?)" for m in get_close_matches(name, names, 1))
            if strict:
                raise _bad(file, message)
            warnings.append(f"{file}: {message}; ignored")
            continue
        if not isinstance(entry, dict):
            raise _bad(file, f"[handlers.{name}] must be a table of platforms")
        extra = set(entry) - set(PLATFORMS)
        if extra:
            raise _bad(file, f"[handlers.{name}]: unknown platforms {sorted(extra)}")
        entries[name] = entry
    hints: dict[str, dict[str, str]] = {}
    for tool, per_platform in tools.items():
        if not isinstance(per_platform, dict) or not all(
            isinstance(v, str) for v in per_platform.values()
        ):
            raise _bad(file, f"[tools.{tool}] must map platforms to install hints (strings)")
        hints[tool] = dict(per_platform)
    return entries, hints


def _build(
    file: Path, spec: FunctionSpec, platform: str, value: Any, hints: dict[str, str]
) -> Handler | str:
    """Turn one platform value (argv list, table, or reason string) into a Handler or reason."""
    where = f"[handlers.{spec.name}] {platform}"
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        value = {"argv": value}
    if not isinstance(value, dict):
        raise _bad(file, f"{where} must be an argv list, a table or a reason string")
    extra = set(value) - _ENTRY_KEYS
    if extra:
        raise _bad(file, f"{where}: unknown keys {sorted(extra)}")
    argv = value.get("argv")
    requires = value.get("requires", [])
    timeout = value.get("timeout")
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise _bad(file, f"{where}: argv must be a list of strings")
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise _bad(file, f"{where}: requires must be a list of program names")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise _bad(file, f"{where}: timeout must be a positive number of seconds")
    if not argv:
        return f"disabled in {file}"
    handler = Handler(
        function=spec,
        platform=platform,
        argv=tuple(argv),
        requires=tuple(requires),
        timeout=float(timeout) if timeout is not None else None,
        hints=hints,
    )
    try:
        handler.check()
    except HandlerError as exc:
        raise _bad(file, f"{where}: {exc.message}", exc.hint) from None
    return handler


def load_handlers(
    function_set: FunctionSet,
    override_file: Path | None = None,
    *,
    platform: str | None = None,
) -> HandlerTable:
    """Load the shipped handlers beside the function set, then the user's overrides.

    Overrides replace single platform entries of a function (``linux`` or ``darwin``), so a
    user can change one command and keep the rest; an empty argv list disables a handler.
    Unknown functions are an error in the shipped file but only a warning in the user's
    file, which may serve several function sets. ``platform`` defaults to ``sys.platform``.
    """
    platform = platform or sys.platform
    if override_file is None:
        default = paths.handlers_override_file()
        override_file = default if default.is_file() else None
    warnings: list[str] = []
    files: list[tuple[Path, bool]] = []
    beside = handlers_file_for(function_set)
    if beside is not None and beside.is_file():
        files.append((beside, True))
    if override_file is not None:
        if not Path(override_file).is_file():
            raise FunctionSetError(
                f"handler file not found: {override_file}",
                hint="create it, or leave the option out to use "
                f"{paths.handlers_override_file()} and the shipped defaults",
            )
        files.append((Path(override_file), False))
    merged: dict[str, dict[str, tuple[Path, Any]]] = {}
    hints: dict[str, str] = {}
    for file, strict in files:
        entries, tool_hints = _read_file(file, function_set, strict=strict, warnings=warnings)
        for name, entry in entries.items():
            for plat, value in entry.items():
                merged.setdefault(name, {})[plat] = (file, value)
        for tool, per_platform in tool_hints.items():
            if platform in per_platform:
                hints[tool] = per_platform[platform]
    handlers: dict[str, Handler] = {}
    reasons: dict[str, str] = {}
    for spec in function_set.functions:
        per_platform = merged.get(spec.name, {})
        # Every platform is checked, so a bad darwin entry is caught on a Linux machine too.
        for plat, (file, value) in per_platform.items():
            built = _build(file, spec, plat, value, hints)
            if plat != platform:
                continue
            if isinstance(built, Handler):
                handlers[spec.name] = built
            else:
                reasons[spec.name] = built
    return HandlerTable(
        function_set=function_set,
        platform=platform,
        handlers=handlers,
        reasons=reasons,
        sources=tuple(f for f, _ in files),
        warnings=warnings,
    )


# -------------------------------------------------------------------------- executing


def _read_back(stream: Any) -> str:
    stream.seek(0)
    return stream.read(_OUTPUT_LIMIT).decode("utf-8", errors="replace")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the handler and anything it started (it runs in its own process group)."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        try:
            if hasattr(os, "killpg"):
                os.killpg(process.pid, sig)
            else:  # pragma: no cover - not a supported platform for handlers
                process.kill()
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(text: str) -> str:
    text = text.strip()
    return ("..." + text[-_TAIL:]) if len(text) > _TAIL else text


def _run(argv: list[str], timeout: float) -> tuple[int, str, str]:
    # Output goes to temporary files, not pipes: a handler such as xdg-open may leave a
    # browser running that inherits its stdout, and a pipe would then never reach EOF.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(
                argv,
                shell=False,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            raise HandlerError(f"cannot start {argv[0]}: {exc.strerror or exc}") from None
        try:
            returncode = process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(process)
            stderr = _tail(_read_back(err))
            raise HandlerError(
                f"{Path(argv[0]).name} timed out after {timeout:g} s and was stopped",
                hint=stderr or None,
            ) from None
        except BaseException:  # Ctrl-C: do not leave the handler running
            _stop(process)
            raise
        return returncode, _read_back(out), _read_back(err)


def execute(
    call: BoundCall,
    table: HandlerTable,
    *,
    assume_yes: bool,
    dry_run: bool,
    confirm: Callable[[list[str]], bool],
    timeout: float = 30.0,
) -> HandlerResult:
    """Run the handler of ``call`` after confirmation; the CLI maps HandlerError to exit 5.

    Order: no handler, missing tool (a dry run's error also shows the argv), build argv,
    dry run (nothing written or run), confirm (unless ``assume_yes``), write prepared
    files, run. A handler's own ``timeout`` in the data file replaces ``timeout`` (for
    example Bluetooth, which can take longer).
    """
    handler = table.for_function(call.name)
    if handler is None:
        override = paths.handlers_override_file()
        raise HandlerError(
            f"no handler for {call.name} on {table.platform}",
            hint=f"{table.reason(call.name)}; you can add one under "
            f"[handlers.{call.name}] in {override}",
        )
    missing = handler.missing_tools()
    if missing:
        hint = "; ".join(f"{tool}: {handler.install_hint(tool)}" for tool in missing)
        if dry_run:  # what was asked for: the command it would run once the tool is there
            hint += f"; it would run: {shlex.join(handler.plan(call).argv)}"
        raise HandlerError(
            f"{call.name} needs {', '.join(missing)}, which is not installed", hint=hint
        )
    plan = handler.plan(call)
    file_paths = tuple(f.path for f in plan.files)
    if dry_run:
        return HandlerResult(argv=plan.argv, ran=False, files=file_paths)
    if not assume_yes and not confirm(list(plan.argv)):
        raise HandlerDeclined("declined", hint="nothing was run")
    for pending in plan.files:
        if pending.data is None:
            pending.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        else:
            write_atomic(pending.path, pending.data, private=True)
    limit = handler.timeout if handler.timeout is not None else timeout
    returncode, stdout, stderr = _run(plan.argv, limit)
    if returncode != 0:
        raise HandlerError(
            f"{Path(plan.argv[0]).name} exited with code {returncode}",
            hint=_tail(stderr) or _tail(stdout) or None,
        )
    return HandlerResult(
        argv=plan.argv,
        ran=True,
        returncode=returncode,
        stdout=stdout,
        stderr=stderr,
        files=file_paths,
    )
