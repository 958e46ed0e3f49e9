from __future__ import annotations

from bot.nlu_parser import NearWords, unknown_words_only, words_of

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


def test_the_projects_own_training_words_are_known() -> None:
    # "nevermind", a stop example of the demo, was keyboard mash: the encoder's vocabulary
    # has "never" and "mind" but not the word whole.
    assert unknown_words_only("nevermind", VOCAB)
    known = VOCAB | words_of(["Nevermind, I'll keep it", "track NW-1 pls"])
    assert not unknown_words_only("NEVERMIND!", known)
    assert unknown_words_only("blorp zzqx", known)
    assert words_of(["Nevermind, I'll keep it"]) == {"nevermind", "keep"}  # 3+ letters only


def test_a_slip_of_a_project_word_is_no_keyboard_mash() -> None:
    # "wher is my ordr" was not understood whatever the model read: no word known whole.
    near = NearWords(VOCAB | {"return", "item", "right", "here", "very"})
    for typed in ("wher is my ordr", "retrun an itme", "shippping", "rihgt", "ORDR?"):
        assert not unknown_words_only(typed, {"an"}, near), typed
    for mash in ("blorp zzqx", "asdkjh qweoiu zxcmn", "ueue ieie", "xyz", "hehe", "erty"):
        assert unknown_words_only(mash, {"an"}, near), mash
    assert "ordr" in near and "odr" not in near  # four letters or more, one slip
    # two slips are no slip ("rdero" read as "order", then as a goodbye)
    assert "rdero" not in near and "ordre" in near and "shippimg" in NearWords({"shipping"})
