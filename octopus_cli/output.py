"""How answers look: one JSON object per query for scripts, a short Rich view for people.

Everything the model wrote is shown through ``repr`` (inside call strings) or as Rich
``Text``: model output is untrusted and must not smuggle terminal escape sequences.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from octopus_cli.calls import OutcomeKind
from octopus_cli.runtime import Answer


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The ``--json`` object: query, status, first call, all calls, raw output, timings."""
    outcome = answer.outcome
    first = outcome.call
    return {
        "query": answer.query,
        "status": str(outcome.kind),
        "function": first.name if first else None,
        "token": first.token if first else None,
        "arguments": first.to_dict()["arguments"] if first else None,
        "call": call_line(answer) if outcome.calls else None,
        "calls": [c.to_dict() for c in outcome.calls],
        "raw": outcome.raw,
        "error": outcome.error,
        "timings": answer.timings(),
        **answer.extra,
    }


def answer_to_json(answer: Answer) -> str:
    return json.dumps(answer_to_dict(answer), ensure_ascii=False)


def call_line(answer: Answer) -> str:
    """``take_a_photo(camera='front')``; parallel calls joined with ``; ``."""
    return "; ".join(c.call_string() for c in answer.outcome.calls)


def _safe(text: str) -> str:
    """Printable form of untrusted text: control characters escaped as in ``repr``."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def render_answer(answer: Answer, console: Console) -> None:
    """Human view: the call in bold, one row per argument, and the latency."""
    outcome = answer.outcome
    timings = answer.timings()
    latency = ""
    if timings:
        latency = (
            f"{timings['total_ms']:.0f} ms · {timings['evaluated_prompt_tokens']} prompt tokens"
            f" evaluated, {timings['generated_tokens']} generated"
        )
    if outcome.kind is OutcomeKind.IRRELEVANT:
        console.print(
            Text("No function fits this query", style="yellow"),
            Text("(irrelevant_function)", style="dim"),
        )
    elif outcome.kind.is_failure:
        console.print(
            Text(f"Unusable answer ({outcome.kind}): ", style="red")
            + Text(_safe(outcome.error or ""))
        )
        console.print(Text("raw: ", style="dim") + Text(repr(outcome.raw)))
    else:
        for call in outcome.calls:
            console.print(Text(call.call_string(), style="bold green"))
            table = Table.grid(padding=(0, 2))
            table.add_column(style="dim")
            table.add_column()
            table.add_row("function", Text(f"{call.name}  (token {call.token})"))
            for name, value in call.arguments.items():
                shown = value.call_string() if hasattr(value, "call_string") else repr(value)
                table.add_row(name, Text(shown))
            console.print(table)
    if latency:
        console.print(Text(latency, style="dim"))
