"""The SentencePiece vocabulary with its added tokens, typed the way llama.cpp's converter does.

Rules follow ``TextModel._create_vocab_sentencepiece`` and ``gguf.SpecialVocab`` in
llama.cpp (``conversion/base.py``, ``gguf-py/gguf/vocab.py``) so a model converted here
tokenizes exactly like one converted there:

- every id below ``vocab_size`` gets a token; ids the tokenizer does not fill become
  ``[PAD{id}]`` with score -10000 and type UNUSED;
- SentencePiece pieces keep their score; type UNKNOWN, CONTROL, UNUSED or BYTE from the
  model, anything else (user-defined pieces included) NORMAL;
- ``added_tokens.json`` entries become USER_DEFINED with score -1000, at the id the file
  gives (never the order of its keys);
- ``tokenizer_config.json``'s ``added_tokens_decoder`` then retypes: ``special`` (or a
  name that looks special) is CONTROL, otherwise USER_DEFINED with ``▁`` read as a space.

We are stricter than upstream where it only warns: an added token beyond ``vocab_size``,
or two files giving one token two ids, is an error, since the result would be a model
whose functional tokens silently point at the wrong rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import TokenType

from octopus_cli.errors import ConversionError

SPECIAL_TYPES = ("bos", "eos", "unk", "sep", "pad", "cls", "mask")
_SPACE = "\u2581"


@dataclass
class Vocabulary:
    """Everything the GGUF tokenizer section needs."""

    tokens: list[bytes]
    scores: list[float]
    types: list[int]
    added: dict[str, int]  # text of each added token -> id, from the tokenizer files
    special_ids: dict[str, int] = field(default_factory=dict)
    add_special: dict[str, bool] = field(default_factory=dict)
    chat_template: str | list[dict[str, str]] | None = None

    def text(self, token_id: int) -> str:
        return self.tokens[token_id].decode("utf-8", errors="replace")


def _read_json(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConversionError(f"cannot read {path.name}: {exc}") from None


def _looks_special(text: str) -> bool:
    """Upstream's ``does_token_look_special``: names some checkpoints forget to mark special."""
    return (
        text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]")
        or (text.startswith("<|") and text.endswith("|>"))
        or (text.startswith("<\uff5c") and text.endswith("\uff5c>"))
        or (text.startswith("<unused") and text.endswith(">"))
    )


def load_vocabulary(directory: Path, vocab_size: int) -> Vocabulary:
    """Build the vocabulary of the checkpoint in ``directory``; ``vocab_size`` is config's."""
    model_file = directory / "tokenizer.model"
    if not model_file.is_file():
        raise ConversionError(
            f"no tokenizer.model in {directory}",
            hint="Gemma checkpoints ship a SentencePiece tokenizer.model next to config.json",
        )
    try:
        from sentencepiece import SentencePieceProcessor
    except ImportError:  # pragma: no cover - declared as a runtime dependency
        raise ConversionError(
            "the sentencepiece package is needed to read tokenizer.model",
            hint="pip install sentencepiece",
        ) from None
    sp = SentencePieceProcessor()
    try:
        sp.LoadFromFile(str(model_file))
    except (OSError, RuntimeError) as exc:
        raise ConversionError(f"tokenizer.model is not a SentencePiece model: {exc}") from None
    n_pieces = sp.vocab_size()
    if n_pieces > vocab_size:
        raise ConversionError(
            f"tokenizer.model has {n_pieces} pieces but config.json's vocab_size is {vocab_size}",
            hint="the tokenizer does not belong to these weights",
        )

    tokens = [f"[PAD{i}]".encode() for i in range(vocab_size)]
    scores = [-10000.0] * vocab_size
    types = [int(TokenType.UNUSED)] * vocab_size
    for i in range(n_pieces):
        kind = TokenType.NORMAL
        if sp.IsUnknown(i):
            kind = TokenType.UNKNOWN
        elif sp.IsControl(i):
            kind = TokenType.CONTROL
        elif sp.IsUnused(i):
            kind = TokenType.UNUSED
        elif sp.IsByte(i):
            kind = TokenType.BYTE
        tokens[i] = sp.IdToPiece(i).encode("utf-8")
        scores[i] = float(sp.GetScore(i))
        types[i] = int(kind)

    added = _collect_added_tokens(directory, vocab_size)

    added_json = _read_json(directory / "added_tokens.json") or {}
    for text, token_id in added_json.items():
        tokens[token_id] = text.encode("utf-8")
        scores[token_id] = -1000.0
        types[token_id] = int(TokenType.USER_DEFINED)

    config = _read_json(directory / "tokenizer_config.json") or {}
    decoder = config.get("added_tokens_decoder") or {}
    for key, data in decoder.items():
        token_id = int(key)
        text = data["content"]
        if data.get("special") or _looks_special(text):
            types[token_id] = int(TokenType.CONTROL)
        else:
            text = text.replace(_SPACE, " ")
            types[token_id] = int(TokenType.USER_DEFINED)
        scores[token_id] = -1000.0
        tokens[token_id] = text.encode("utf-8")

    vocab = Vocabulary(tokens=tokens, scores=scores, types=types, added=added)
    _set_special_tokens(vocab, directory, config)
    vocab.chat_template = _chat_template(directory, config)
    return vocab


def _collect_added_tokens(directory: Path, vocab_size: int) -> dict[str, int]:
    """Text -> id over every file that lists added tokens, checking that they agree."""
    sources: list[tuple[str, dict[str, int]]] = []
    added_json = _read_json(directory / "added_tokens.json")
    if added_json is not None:
        if not isinstance(added_json, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in added_json.values()
        ):
            raise ConversionError("added_tokens.json must map token text to integer ids")
        sources.append(("added_tokens.json", added_json))
    config = _read_json(directory / "tokenizer_config.json") or {}
    decoder = config.get("added_tokens_decoder") or {}
    try:
        sources.append(
            (
                "tokenizer_config.json",
                {str(v["content"]): int(k) for k, v in decoder.items()},
            )
        )
    except (KeyError, TypeError, ValueError):
        raise ConversionError(
            "tokenizer_config.json has a malformed added_tokens_decoder"
        ) from None
    tokenizer_json = _read_json(directory / "tokenizer.json") or {}
    try:
        sources.append(
            (
                "tokenizer.json",
                {str(t["content"]): int(t["id"]) for t in tokenizer_json.get("added_tokens", [])},
            )
        )
    except (KeyError, TypeError, ValueError):
        raise ConversionError("tokenizer.json has malformed added_tokens") from None

    merged: dict[str, tuple[int, str]] = {}
    for source, mapping in sources:
        for text, token_id in mapping.items():
            if not 0 <= token_id < vocab_size and source == "tokenizer.json":
                # tokenizer.json is not a source of the vocabulary (upstream ignores it too);
                # transformers 5 appends tokens such as <mask> there that the model has no
                # embedding row for. A functional token there is still reported as missing.
                continue
            if not 0 <= token_id < vocab_size:
                raise ConversionError(
                    f"{source} puts {text!r} at id {token_id}, outside vocab_size {vocab_size}",
                    hint="config.json's vocab_size must count the added tokens (resize the "
                    "embeddings after adding tokens, then save again)",
                )
            if text in merged and merged[text][0] != token_id:
                raise ConversionError(
                    f"{text!r} has id {merged[text][0]} in {merged[text][1]} "
                    f"but {token_id} in {source}",
                    hint="the tokenizer files disagree; re-save the tokenizer",
                )
            merged.setdefault(text, (token_id, source))
    return {text: token_id for text, (token_id, _) in merged.items()}


def _token_content(entry: Any) -> str | None:
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("content"), str):
        return entry["content"]
    return None


def _set_special_tokens(vocab: Vocabulary, directory: Path, config: dict[str, Any]) -> None:
    """bos/eos/unk/... ids and add_bos/add_eos, in ``gguf.SpecialVocab``'s order of trust.

    An id comes from the token text named in tokenizer_config.json looked up among
    tokenizer.json's added tokens, else from config.json's ``*_token_id``. We add one
    fallback upstream lacks: the named text looked up in the vocabulary itself, for
    checkpoints saved without tokenizer.json and without ids in config.json.
    """
    tokenizer_json = _read_json(directory / "tokenizer.json") or {}
    model_config = _read_json(directory / "config.json") or {}
    special_map = _read_json(directory / "special_tokens_map.json") or {}
    json_added = {t.get("content"): t.get("id") for t in tokenizer_json.get("added_tokens", [])}
    by_text: dict[bytes, int] = {}
    for i, token in enumerate(vocab.tokens):
        by_text.setdefault(token, i)

    # add_bos/add_eos from tokenizer.json's post-processor template wins over the config.
    post = tokenizer_json.get("post_processor") or {}
    for processor in post.get("processors", [post]) if post else []:
        if processor.get("type") == "TemplateProcessing":
            _read_template(processor, config, vocab.add_special)

    for typ in SPECIAL_TYPES:
        flag = config.get(f"add_{typ}_token")
        if isinstance(flag, bool):
            vocab.add_special.setdefault(typ, flag)
        content = _token_content(config.get(f"{typ}_token"))
        if content is None:
            content = _token_content(special_map.get(f"{typ}_token"))
        token_id = json_added.get(content) if content is not None else None
        if not isinstance(token_id, int):
            token_id = model_config.get(f"{typ}_token_id")
            if token_id is None and isinstance(model_config.get("text_config"), dict):
                token_id = model_config["text_config"].get(f"{typ}_token_id")
        if not isinstance(token_id, int) and content is not None:
            token_id = by_text.get(content.encode("utf-8"))
        if isinstance(token_id, int) and 0 <= token_id < len(vocab.tokens):
            vocab.special_ids[typ] = token_id


def _special(item: dict[str, Any]) -> str | None:
    return item.get("SpecialToken", {}).get("id")


def _read_template(
    processor: dict[str, Any], config: dict[str, Any], add_special: dict[str, bool]
) -> None:
    """add_bos/add_eos/add_sep from a simple TemplateProcessing, as ``gguf.SpecialVocab``.

    ``single`` = [bos] A [eos]: a leading or trailing special token means "add it".
    ``pair`` = [bos] A [sep] B [eos]: a separator between A and B means "add sep".
    """
    bos = _token_content(config.get("bos_token"))
    eos = _token_content(config.get("eos_token"))
    sep = _token_content(config.get("sep_token"))
    single = processor.get("single", [])
    first = last = None
    if len(single) > 1:
        if first := _special(single[0]):
            add_special["bos"] = first == bos
        if last := _special(single[-1]):
            add_special["eos"] = last == eos
    pair = processor.get("pair", [])
    if pair:
        start = 1 if first and _special(pair[0]) == first else 0
        stop = -1 if last and _special(pair[-1]) == last else None
        pair = pair[start:stop]
    if not pair:
        return
    seq_a = pair[0].get("Sequence", {}).get("id")
    seq_b = pair[-1].get("Sequence", {}).get("id")
    middle = pair[1:-1]
    if seq_a == "A" and seq_b == "B" and middle:
        separators = {sep, eos} - {None}
        add_sep = bool(_special(middle[0]) in separators and not last)
        if len(middle) == 2 and _special(middle[1]) in separators:
            add_sep = True
        add_special["sep"] = add_sep


def _chat_template(directory: Path, config: dict[str, Any]) -> str | list[dict[str, str]] | None:
    """The chat template, from tokenizer_config.json or a chat_template.jinja/.json beside it."""
    template = config.get("chat_template")
    if template is None:
        jinja = directory / "chat_template.jinja"
        if jinja.is_file():
            template = jinja.read_text(encoding="utf-8")
        else:
            template = (_read_json(directory / "chat_template.json") or {}).get("chat_template")
    return template if isinstance(template, str | list) else None
