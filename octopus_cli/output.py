"""How answers look: one JSON object per query for scripts, a short Rich view for people.

Everything the model wrote is shown through ``repr`` (inside call strings) or as Rich
``Text``: model output is untrusted and must not smuggle terminal escape sequences.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from octopus_cli.calls import OutcomeKind
from octopus_cli.console import report_warning
from octopus_cli.functions import FunctionSet
from octopus_cli.grounding import out_of_range, wants
from octopus_cli.runtime import Answer

if TYPE_CHECKING:
    from octopus_cli.handlers import HandlerTable


def answer_to_dict(answer: Answer) -> dict[str, Any]:
    """The ``--json`` object: query, status, first call, all calls, raw output, timings."""
    outcome = answer.outcome
    first = outcome.call
    acts = outcome.kind in (OutcomeKind.CALL, OutcomeKind.IRRELEVANT)
    record: dict[str, Any] = {
        "query": answer.query,
        "status": str(outcome.kind),
        "function": first.name if first else None,
        "token": first.token if first else None,
        "arguments": first.to_dict()["arguments"] if first else None,
        # Only an answer that can act has a call; an unsure one or one that lacks a value
        # carries its best guess instead, so `jq .call` never picks up a call to run.
        "call": call_line(answer) if outcome.calls and acts else None,
        "calls": [c.to_dict() for c in outcome.calls],
        "confidence": None if outcome.confidence is None else round(outcome.confidence, 4),
        "raw": outcome.raw,
        "error": outcome.error,
        "timings": answer.timings(),
    }
    if outcome.kind is OutcomeKind.NEEDS_INPUT:
        record["missing"] = [m for c in outcome.calls for m in c.missing_values()]
        record["note"] = out_of_range_note(answer)
    if outcome.kind is OutcomeKind.UNSURE:
        record["guess"] = call_line(answer)
    return record | answer.extra


def answer_to_json(answer: Answer) -> str:
    return json.dumps(answer_to_dict(answer), ensure_ascii=False)


def call_line(answer: Answer) -> str:
    """``take_a_photo(camera='front')``; parallel calls joined with ``; ``."""
    return "; ".join(c.call_string() for c in answer.outcome.calls)


def _safe(text: str) -> str:
    """Printable form of untrusted text: control characters escaped as in ``repr``."""
    return "".join(ch if ch.isprintable() or ch == " " else repr(ch)[1:-1] for ch in text)


def out_of_range_note(answer: Answer) -> str | None:
    """Why a number is missing though the query states one: "400 is outside 50 to 90"."""
    notes = []
    for _, param in answer.outcome.missing:
        figures = out_of_range(answer.query, param)
        if figures:
            shown = " or ".join(f"{f:g}" for f in figures)
            notes.append(f"{param.name}: the query's {shown} is not {wants(param)}")
    return "; ".join(notes) or None


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
    elif outcome.kind is OutcomeKind.UNSURE:
        console.print(
            Text("Not sure a function fits; best guess: ", style="yellow")
            + Text(call_line(answer))
            + Text(f"  (confidence {outcome.confidence:.2f})", style="dim")
        )
    elif outcome.kind is OutcomeKind.NEEDS_INPUT:
        for call in outcome.calls:
            if call.missing:
                console.print(
                    Text(f"{call.name} needs ", style="yellow")
                    + Text("; ".join(f"{m['name']} ({m['wants']})" for m in call.missing_values()))
                )
        if note := out_of_range_note(answer):
            console.print(Text(_safe(note), style="dim"))
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
            if outcome.confidence is not None:
                table.add_row("confidence", Text(f"{outcome.confidence:.2f}"))
            for name, value in call.arguments.items():
                shown = value.call_string() if hasattr(value, "call_string") else repr(value)
                table.add_row(name, Text(shown))
            console.print(table)
    if latency:
        console.print(Text(latency, style="dim"))


def handler_table(function_set: FunctionSet, warned: set[str] | None = None) -> HandlerTable:
    """The set's handlers; what the user's handler file names wrongly is a warning on stderr.

    The user's file may serve several function sets, so an entry for a function this set
    lacks is not an error; but said nowhere, a typo in a function's name would go unseen.
    A session that reads the file again and again passes ``warned``, the warnings it has
    shown already, so each is said once.
    """
    from octopus_cli.handlers import load_handlers

    table = load_handlers(function_set)
    for warning in table.warnings:
        if warned is None or warning not in warned:
            report_warning(warning)
        if warned is not None:
            warned.add(warning)
    return table


def function_rows(
    function_set: FunctionSet, warned: set[str] | None = None
) -> list[dict[str, Any]]:
    """One record per function: token, signature, copied parameters, description, handler."""
    table = handler_table(function_set, warned)
    return [
        {
            "token": f.token,
            "token_text": function_set.token_text(f.token),
            "name": f.name,
            "signature": f.signature(),
            "copied": [p.name for p in f.parameters if p.copy],
            "description": f.description,
            "handler": table.describe(f.name),
            "handler_available": table.available(f.name)[0],
        }
        for f in function_set.functions
    ]


def function_table(function_set: FunctionSet, warned: set[str] | None = None) -> Table:
    table = Table(
        title=f"Function set {function_set.name!r} ({sys.platform})", title_justify="left"
    )
    table.add_column("token", justify="right", style="cyan")
    table.add_column("signature", style="bold", overflow="fold")
    table.add_column("handler")
    table.add_column("description", style="dim")
    for row in function_rows(function_set, warned):
        style = "green" if row["handler_available"] else "yellow"
        table.add_row(
            row["token_text"], row["signature"], f"[{style}]{row['handler']}[/]", row["description"]
        )
    return table
