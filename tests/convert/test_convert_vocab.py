"""The vocabulary: ids from the files, llama.cpp's token types, special tokens, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sentencepiece as spm
from gguf import TokenType

from octopus_cli.convert.vocab import load_vocabulary
from octopus_cli.errors import ConversionError
from tests.convert.fixtures import FUNCTION_TOKENS, build_tiny_octopus_checkpoint


@pytest.fixture
def ckpt(tmp_path: Path) -> Path:
    return build_tiny_octopus_checkpoint(tmp_path / "ckpt")


def _vocab_size(ckpt: Path) -> int:
    return json.loads((ckpt / "config.json").read_text())["vocab_size"]


def test_added_tokens_sit_at_their_ids_not_key_order(ckpt: Path) -> None:
    keys = list(json.loads((ckpt / "added_tokens.json").read_text()))
    assert keys[:3] == ["<nexa_0>", "<nexa_10>", "<nexa_11>"]  # the fixture's string order
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt))
    base = _vocab_size(ckpt) - len(FUNCTION_TOKENS)
    for i, text in enumerate(FUNCTION_TOKENS):
        assert vocab.added[text] == base + i
        assert vocab.tokens[base + i] == text.encode()
        assert vocab.scores[base + i] == -1000.0
        assert vocab.types[base + i] == TokenType.CONTROL  # special in added_tokens_decoder


def test_sentencepiece_pieces_keep_scores_and_types(ckpt: Path) -> None:
    sp = spm.SentencePieceProcessor(model_file=str(ckpt / "tokenizer.model"))
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt))
    for i in range(sp.vocab_size()):
        assert vocab.tokens[i] == sp.IdToPiece(i).encode()
        # ids 0-6 are in added_tokens_decoder, which gives them -1000 as upstream does
        assert vocab.scores[i] == (-1000.0 if i < 7 else sp.GetScore(i))
    assert vocab.types[3] == TokenType.CONTROL  # <unk>, retyped by added_tokens_decoder
    byte_ids = [i for i in range(sp.vocab_size()) if sp.IsByte(i)]
    assert len(byte_ids) == 256 and {vocab.types[i] for i in byte_ids} == {TokenType.BYTE}
    normal = [i for i in range(sp.vocab_size()) if not (sp.IsByte(i) or sp.IsControl(i))]
    assert {vocab.types[i] for i in normal[7:]} == {TokenType.NORMAL}


def test_without_added_tokens_decoder_they_are_user_defined(ckpt: Path) -> None:
    config = json.loads((ckpt / "tokenizer_config.json").read_text())
    del config["added_tokens_decoder"]
    (ckpt / "tokenizer_config.json").write_text(json.dumps(config))
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt))
    assert {vocab.types[vocab.added[t]] for t in FUNCTION_TOKENS} == {TokenType.USER_DEFINED}


def test_unused_ids_are_padding(ckpt: Path) -> None:
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt) + 3)
    assert vocab.tokens[-3:] == [f"[PAD{_vocab_size(ckpt) + i}]".encode() for i in range(3)]
    assert vocab.types[-3:] == [TokenType.UNUSED] * 3
    assert vocab.scores[-3:] == [-10000.0] * 3


def test_special_tokens_and_flags(ckpt: Path) -> None:
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt))
    assert vocab.special_ids == {"bos": 2, "eos": 1, "unk": 3, "pad": 0}
    assert vocab.add_special == {"bos": True, "eos": False}
    assert vocab.chat_template and "<start_of_turn>" in vocab.chat_template


def test_tokenizer_json_post_processor_and_added_tokens(ckpt: Path) -> None:
    """tokenizer.json's template decides add_bos/add_eos and its ids win for specials."""
    tokenizer = {
        "added_tokens": [{"id": 1, "content": "<eos>"}, {"id": 2, "content": "<bos>"}],
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<bos>"}}, {"Sequence": {"id": "A"}},
                       {"SpecialToken": {"id": "<eos>"}}],
        },
    }  # fmt: skip
    (ckpt / "tokenizer.json").write_text(json.dumps(tokenizer))
    config = json.loads((ckpt / "tokenizer_config.json").read_text())
    config["add_eos_token"] = False  # the template says otherwise, and wins (as upstream)
    (ckpt / "tokenizer_config.json").write_text(json.dumps(config))
    vocab = load_vocabulary(ckpt, _vocab_size(ckpt))
    assert vocab.add_special == {"bos": True, "eos": True}
    assert vocab.special_ids["eos"] == 1


def test_added_token_beyond_vocab_size_is_refused(ckpt: Path) -> None:
    with pytest.raises(ConversionError, match=r"<nexa_end>.*outside vocab_size") as err:
        load_vocabulary(ckpt, _vocab_size(ckpt) - 1)
    assert "vocab_size must count the added tokens" in (err.value.hint or "")


def test_files_that_disagree_are_refused(ckpt: Path) -> None:
    added = json.loads((ckpt / "added_tokens.json").read_text())
    added["<nexa_3>"], added["<nexa_4>"] = added["<nexa_4>"], added["<nexa_3>"]
    (ckpt / "added_tokens.json").write_text(json.dumps(added))
    with pytest.raises(ConversionError, match=r"'<nexa_[34]>' has id .* in added_tokens\.json"):
        load_vocabulary(ckpt, _vocab_size(ckpt))


def test_tokenizer_model_is_required_and_checked(ckpt: Path) -> None:
    with pytest.raises(ConversionError, match=r"\d+ pieces but config\.json's vocab_size is 10"):
        load_vocabulary(ckpt, 10)
    (ckpt / "tokenizer.model").write_bytes(b"garbage")
    with pytest.raises(ConversionError, match="not a SentencePiece model"):
        load_vocabulary(ckpt, _vocab_size(ckpt))
    (ckpt / "tokenizer.model").unlink()
    with pytest.raises(ConversionError, match=r"no tokenizer\.model"):
        load_vocabulary(ckpt, _vocab_size(ckpt))
