"""Symbols the vocabulary lacks (emoji) are read as their names, offsets as written."""

from __future__ import annotations

from nlu.encoder import load_tokenizer, resolve_model_path
from nlu.features import token_offsets, tokenize
from nlu.symbols import readable

TOKENIZER = load_tokenizer(resolve_model_path(None))


def read(text: str) -> list[tuple[str, str]]:
    """(token, the written text it came from) for each non-special token."""
    batch = tokenize(TOKENIZER, [text], max_length=64)
    tokens = TOKENIZER.convert_ids_to_tokens(batch["input_ids"][0])
    pairs = zip(tokens, token_offsets(batch, 0), strict=True)
    return [(t, text[a:b]) for t, (a, b) in pairs if a != b]


def test_emoji_are_told_apart_by_their_names_not_one_unknown_token() -> None:
    # Before, both were [UNK]: teaching 👍 as yes taught every emoji as yes.
    assert read("yes 👍") == [("yes", "yes"), ("thumbs", "👍"), ("up", "👍"), ("sign", "👍")]
    assert [t for t, _ in read("👎")] == ["thumbs", "down", "sign"]
    assert all(TOKENIZER.unk_token not in [t for t, _ in read(x)] for x in ("😡", "🙏", "✅"))


def test_offsets_still_index_the_written_text_around_a_spelled_out_symbol() -> None:
    text = "order NW-48213 😡 now"
    pieces = read(text)
    assert ("nw", "NW") in pieces and ("now", "now") in pieces
    assert {w for t, w in pieces if t in ("po", "##uting", "face")} == {"😡"}


def test_a_skin_tone_reads_as_the_emoji_it_modifies_and_known_symbols_stay() -> None:
    assert [t for t, _ in read("👍🏽")] == [t for t, _ in read("👍")]
    assert readable(TOKENIZER, "café © 2024").origin is None  # nothing unknown: unchanged
    assert read("© 2024")[0] == ("©", "©")


def test_a_keycap_reads_as_the_character_it_frames() -> None:
    # "1️⃣" (1, a variation selector, the enclosing keycap U+20E3) was one [UNK]
    assert read("1\ufe0f\u20e3") == [("1", "1")]
    assert read("option 2\ufe0f\u20e3 please") == [
        ("option", "option"),
        ("2", "2"),
        ("please", "please"),
    ]
    assert [t for t, _ in read("#\ufe0f\u20e3")] == ["#"]


def test_a_row_of_one_symbol_is_named_once_and_leaves_the_rest_in_reach() -> None:
    # Thirty angry faces as names filled the training length (64) before the order number.
    text = "a " + "\U0001f621" * 30 + " NW-48213"
    assert [t for t, _ in read(text)] == [
        "a",
        "po",
        "##uting",
        "face",
        "nw",
        "-",
        "48",
        "##21",
        "##3",
    ]
    assert [t for t, _ in read("\U0001f44e\U0001f44e")] == ["thumbs", "down", "sign"]


def test_full_width_forms_read_as_ascii_with_offsets_as_written() -> None:
    # "ＮＷ－５５８２０" was pieces the vocabulary lacks: the order number was found by its
    # pattern, but the message, not understood, got "didn't get that".
    text = "ＮＷ－５５８２０　ｐｌｅａｓｅ"
    assert readable(TOKENIZER, text).text == "NW-55820 please"
    pieces = read(text)
    assert [t for t, _ in pieces] == [t for t, _ in read("NW-55820 please")]
    assert ("please", "ｐｌｅａｓｅ") in pieces and ("nw", "ＮＷ") in pieces
    assert read("ｈｉ 👍")[-1] == ("sign", "👍")  # with a named symbol, offsets still hold
