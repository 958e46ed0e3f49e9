from __future__ import annotations

from bot.nlu_parser import unknown_words_only

VOCAB = {"where", "is", "my", "order", "cost", "shipping", "ok"}


def test_keyboard_mash_is_unknown_but_typos_and_codes_are_not() -> None:
    assert unknown_words_only("blorp zzqx flim", VOCAB)
    assert unknown_words_only("ASDF qwer!!", VOCAB)
    assert not unknown_words_only("shiping cost", VOCAB)  # one known word is enough
    assert not unknown_words_only("where is NW-12345", VOCAB)
    assert not unknown_words_only("NW-12345", VOCAB)  # no word of three letters: not judged
    assert not unknown_words_only("ok", VOCAB)
    assert not unknown_words_only("", VOCAB)
    assert not unknown_words_only("Where", VOCAB)  # case does not matter for uncased models
