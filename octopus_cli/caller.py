"""What commands ask of a model: the :class:`Caller` protocol, and the local one.

Commands take answers from a ``Caller`` and print them; they never reach into llama.cpp.
:class:`LocalCaller` is the real one (a :class:`~octopus_cli.runtime.FunctionCaller` on a
loaded model, batching piped queries through :class:`~octopus_cli.batch.BatchedCaller`);
the tests' scripted model answers from queued outputs through the same protocol.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol, TypeVar

from octopus_cli.batch import BatchedCaller
from octopus_cli.errors import InputError
from octopus_cli.functions import FunctionSet
from octopus_cli.runtime import Answer, FunctionCaller

Tag = TypeVar("Tag")


class Caller(Protocol):
    """Answers queries with calls of one function set."""

    function_set: FunctionSet
    use_grammar: bool
    copy_values: bool

    @property
    def model_name(self) -> str:
        """A short name for the model, for a banner."""
        ...

    def ask(self, query: str) -> Answer:
        """One query's answer."""
        ...

    def ask_in_order(
        self, items: Iterable[tuple[Tag, str | None]], *, batch: int = 1
    ) -> Iterator[tuple[Tag, Answer | InputError | None]]:
        """An answer per ``(tag, query)`` in input order, each as soon as it and those before
        it are ready; ``batch`` > 1 decodes that many at a time. A None query passes through
        as None; a query that cannot be asked (too long) comes back as its InputError."""
        ...

    def describe(self) -> list[tuple[str, str]]:
        """(label, text) lines about the model and how it decodes."""
        ...


class LocalCaller(FunctionCaller):
    """A :class:`FunctionCaller` with the rest of the :class:`Caller` protocol."""

    @property
    def model_name(self) -> str:
        return self.runtime.model_path.name

    def ask_in_order(
        self, items: Iterable[tuple[Tag, str | None]], *, batch: int = 1
    ) -> Iterator[tuple[Tag, Answer | InputError | None]]:
        if batch > 1:
            with BatchedCaller(self, slots=batch) as batched:
                yield from batched.ask_in_order(items)
            return
        for tag, query in items:
            if query is None:
                yield tag, None
                continue
            try:
                yield tag, self.ask(query)
            except InputError as error:
                yield tag, error

    def describe(self) -> list[tuple[str, str]]:
        path = self.runtime.model_path
        meta = self.runtime.metadata
        decoding = "grammar " + ("on" if self.use_grammar else "off")
        if self.copy_values:
            decoding += ", values copied from the query"
        return [
            ("model", f"{path} ({path.stat().st_size / 1e6:.0f} MB)"),
            ("arch", meta.get("general.architecture", "?")),
            ("name", meta.get("general.name", "?")),
            ("functions", f"{self.function_set.name} ({len(self.function_set.functions)})"),
            ("decoding", f"{decoding}, --min-confidence {self.min_confidence:g}"),
        ]
