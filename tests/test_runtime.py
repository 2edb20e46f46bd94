"""Real llama.cpp: tiny random-weight Gemma files with functional tokens, and Gemma 3 270M."""

from __future__ import annotations

from pathlib import Path

import pytest

from octopus_cli.calls import OutcomeKind
from octopus_cli.errors import CorruptModelError, MissingFunctionalTokensError, ModelError
from octopus_cli.functions import FunctionSet
from octopus_cli.grammar import build_grammar
from octopus_cli.runtime import PROMPT_PREFIX, FunctionCaller, Runtime, build_prompt

from copy_check import is_copied
from tiny_gguf import write_tiny_gemma

QUERIES = [
    "take a selfie with the front camera",
    "what's the weather like in Lisbon tomorrow?",
    "email ana@example.com that the meeting moved to 3pm",
    "search youtube for lo-fi beats",
    "how do I get from Paris to Lyon by train",
    "is the smoke detector ok",
    "text mom I'll be late",
    "call +1 415 555 0100",
    "add Bob as a contact, 555-0199",
    "wake me up at 6:45",
    "dim the screen to 3",
    "lunch with Sam tomorrow noon to 1",
    "set ring volume to 7",
    "connect to my AirPods",
    "turn on do not disturb",
    "make it 70 degrees",
    "play Kind of Blue on Spotify on the nest hub",
    "play the cooking show on netflix on the hub",
    "lock the front door",
    "what is the meaning of life",
]


def test_prompt_matches_the_published_template() -> None:
    assert build_prompt("hi") == (
        "Below is the query from the users, please call the correct function and generate "
        "the parameters to call the function.\n\nQuery: hi \n\nResponse:"
    )
    assert build_prompt("hi").startswith(PROMPT_PREFIX)


def test_grammar_names_each_functional_token_by_id(android: FunctionSet) -> None:
    ids = {f.token: 1000 + f.token for f in android.functions}
    grammar = build_grammar(android, ids)
    for token_id in ids.values():
        assert f"<[{token_id}]>" in grammar
    assert 'fn-check-nest-smoke-detector-status ::= <[1006]> "()"' in grammar
    assert "\"'front'\" | \"'back'\"" in grammar
    assert "<nexa_end>" not in grammar  # the end token is never inside the grammar


def test_grammar_gives_validated_call_for_every_query(
    tiny_model_variant: Path, android: FunctionSet
) -> None:
    caller = FunctionCaller(Runtime(tiny_model_variant), android)
    for query in QUERIES:
        answer = caller.ask(query)
        generation = answer.generation
        assert generation.tokens[0] in caller.token_ids, query  # first token: a function
        assert generation.tokens[-1] == caller.end_id, (query, generation.stop_reason)
        assert answer.outcome.kind in (
            OutcomeKind.CALL,
            OutcomeKind.IRRELEVANT,
            OutcomeKind.NEEDS_INPUT,
        ), (query, answer.outcome.error, answer.outcome.raw)
        for call in answer.outcome.calls:
            for param in call.function.parameters:
                value = call.arguments[param.name]
                assert value is None or param.problem(value) is None
                if param.copy:
                    assert is_copied(call.arguments[param.name], param, query), (query, call)


def test_random_weights_invent_values_when_free(
    tiny_model_variant: Path, android: FunctionSet
) -> None:
    """The counterpart of the copy check above: without the rules, values are made up."""
    caller = FunctionCaller(Runtime(tiny_model_variant), android, copy_values=False)
    invented = 0
    for query in QUERIES:
        for call in caller.ask(query).outcome.calls:
            for param in call.function.parameters:
                invented += param.copy and not is_copied(call.arguments[param.name], param, query)
    assert invented > 0


def test_without_grammar_output_is_still_a_structured_result(
    tiny_model: Path, android: FunctionSet
) -> None:
    caller = FunctionCaller(Runtime(tiny_model), android, use_grammar=False, max_tokens=24)
    answer = caller.ask("take a selfie")
    tokens = answer.generation.tokens
    assert len(tokens) <= 24
    if answer.generation.stop_reason == "max_tokens":
        assert answer.outcome.kind is OutcomeKind.NO_END
    else:  # it stopped on <nexa_end> or another end token: what came before is parsed
        assert tokens[-1] == caller.end_id or caller.runtime.is_end_of_generation(tokens[-1])
        assert answer.outcome.raw == caller.runtime.detokenize(tokens)


def test_prefix_is_evaluated_once_and_gives_the_same_tokens(
    tiny_model: Path, android: FunctionSet
) -> None:
    cached = FunctionCaller(Runtime(tiny_model), android)
    fresh = FunctionCaller(Runtime(tiny_model, prefix_cache=False), android)
    prefix_tokens = len(cached.runtime.tokenize(PROMPT_PREFIX))
    for query in QUERIES[:6]:
        a, b = cached.ask(query), fresh.ask(query)
        assert a.generation.tokens == b.generation.tokens
        assert a.generation.evaluated_prompt_tokens <= a.generation.prompt_tokens - prefix_tokens
        assert b.generation.evaluated_prompt_tokens == b.generation.prompt_tokens


def test_model_without_functional_tokens_is_refused(tmp_path: Path, android: FunctionSet) -> None:
    path = write_tiny_gemma(tmp_path / "plain.gguf", functional_tokens=0, with_end_token=False)
    with pytest.raises(MissingFunctionalTokensError) as info:
        FunctionCaller(Runtime(path), android)
    assert "lacks 22 functional tokens" in info.value.message
    assert "<nexa_0>" in info.value.message


@pytest.mark.parametrize("damage", ["truncated", "not-gguf", "empty", "header-only"])
def test_damaged_files_give_a_clear_error(tmp_path: Path, tiny_model: Path, damage: str) -> None:
    data = tiny_model.read_bytes()
    path = tmp_path / f"{damage}.gguf"
    path.write_bytes(
        {
            "truncated": data[: len(data) // 2],
            "not-gguf": b"PK\x03\x04" + data[4:4096],
            "empty": b"",
            "header-only": data[:64],
        }[damage]
    )
    with pytest.raises(CorruptModelError):
        Runtime(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        Runtime(tmp_path / "nope.gguf")


def test_gemma3_loads_generates_and_prefix_cache_matches(gemma3_model: Path) -> None:
    cached = Runtime(gemma3_model)
    fresh = Runtime(gemma3_model, prefix_cache=False)
    cached.warm(cached.tokenize(PROMPT_PREFIX))
    for query in ["take a selfie with the front camera", "what is the weather in Paris"]:
        prompt = cached.tokenize(build_prompt(query))
        a = cached.generate(prompt, max_tokens=12)
        b = fresh.generate(prompt, max_tokens=12)
        assert a.tokens == b.tokens
        assert len(a.tokens) == 12 and a.text.strip()
        assert a.evaluated_prompt_tokens < a.prompt_tokens
        assert b.evaluated_prompt_tokens == b.prompt_tokens


def test_gemma3_has_no_functional_tokens(gemma3_model: Path, android: FunctionSet) -> None:
    with pytest.raises(MissingFunctionalTokensError):
        FunctionCaller(Runtime(gemma3_model), android)
