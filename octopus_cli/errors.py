"""One exception family for everything a user can get wrong or the machine can refuse.

The CLI maps these, in one place (``octopus_cli.cli``), to ``Error: ...`` on stderr and
the exit code each class carries. Library code raises them; it never prints or exits.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of the ``octopus`` command (see ``octopus --help``)."""

    OK = 0
    ERROR = 1  # any other failure
    USAGE = 2  # bad command line (Click's own code)
    RUNTIME = 3  # model missing, unknown, corrupt, without functional tokens; load failure
    NO_FUNCTION = 4  # the model chose no function (irrelevant query)
    HANDLER = 5  # handler failed, timed out, is missing, or was declined
    UNPARSABLE = 6  # the model's output is malformed or breaks the function's signature
    BAD_INPUT = 7  # unreadable input: non-UTF-8 stdin, too long a query, bad function set
    NEEDS_INPUT = 8  # a function fits but the query lacks a value it needs (none was given)
    UNSURE = 9  # the model's choice of function is below --min-confidence (not confirmed)
    BROKEN_PIPE = 141  # stdout closed by the reader (128 + SIGPIPE, as shells report it)


class OctopusError(Exception):
    """Base class: a message for the user, a hint of what to do, and an exit code."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ModelError(OctopusError):
    """The model cannot be found, fetched, read or used."""

    exit_code = ExitCode.RUNTIME


class ModelNotFoundError(ModelError):
    """A model name is not in the registry and is not an existing file."""


class CorruptModelError(ModelError):
    """The file exists but llama.cpp cannot load it (truncated, not GGUF, ...)."""


class MissingFunctionalTokensError(ModelError):
    """The model lacks a functional token the function set needs."""


class HubError(ModelError):
    """The model hub could not be reached or refused a download."""


class ConversionError(OctopusError):
    """A checkpoint cannot be converted (unsupported, inconsistent or incomplete)."""

    exit_code = ExitCode.RUNTIME


class FunctionSetError(OctopusError):
    """A function set or handler file is malformed."""

    exit_code = ExitCode.BAD_INPUT


class InputError(OctopusError):
    """Input the tool cannot read (for example non-UTF-8 bytes on stdin)."""

    exit_code = ExitCode.BAD_INPUT


class QueryTooLongError(InputError):
    """A query whose prompt leaves no room in the model's context for the answer."""


class HandlerError(OctopusError):
    """A handler is missing, failed, timed out or was declined."""

    exit_code = ExitCode.HANDLER


class HandlerDeclined(HandlerError):
    """The user answered no when asked to run a handler; ``ask`` reports it, the REPL goes on."""
