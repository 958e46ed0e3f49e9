"""Telling a message in another language than the project's (py3langid, offline)."""

from __future__ import annotations

import pytest

from bot.language import LanguageCheck
from bot.nlu_parser import words_of

# as the parser collects a project's words: of three letters or more
KNOWN = words_of(["How do I return an item?", "Where is my order?", "how long does it take"])


@pytest.fixture(scope="module")
def english() -> LanguageCheck:
    return LanguageCheck("en", KNOWN)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Hallo, wo ist meine Bestellung NW-48213?", "de"),
        ("¿Dónde está mi pedido?", "es"),
        ("Où est ma commande ?", "fr"),
        ("Waar is mijn bestelling?", "nl"),
        ("我的订单在哪里", "zh"),
        ("Где мой заказ?", "ru"),
    ],
)
def test_other_languages_are_told(english: LanguageCheck, text: str, code: str) -> None:
    foreign = english.foreign(text)
    assert foreign is not None and foreign.code == code
    assert foreign.probability >= 0.7


@pytest.mark.parametrize(
    "text",
    [
        "hw do i retrn an item",  # the project's own words carry it, typos and all
        "how lng does delivry take",
        "where is my order",
        "danke",  # a word or two tell nothing reliable
        "Fjällräven Kånken",
        "ok",
        "NW-48213",
        "asdkjh qweoiu zxcmn",  # mash: no language is sure of it
    ],
)
def test_the_projects_language_short_messages_and_mash_are_not(
    english: LanguageCheck, text: str
) -> None:
    assert english.foreign(text) is None


def test_a_german_bot_tells_english_apart() -> None:
    german = LanguageCheck("de-DE", {"wo", "ist", "meine", "bestellung"})
    assert german.foreign("Wo ist meine Bestellung?") is None
    other = german.foreign("Where can I find the return policy for shoes?")
    assert other is not None and (other.code, other.name) == ("en", "English")


def test_a_code_the_identifier_knows_by_another_name_and_one_it_does_not_know() -> None:
    # Norwegian Bokmål projects say "nb"; the identifier says "no": their users were told
    # to write in "nb".
    bokmal = LanguageCheck("nb", set())
    assert bokmal.foreign("Jeg har ikke mottatt ordren ennå") is None
    assert bokmal.foreign("Where is my order, I have been waiting for weeks?") is not None
    unknown = LanguageCheck("xx", set())  # nothing could be told: the check is off
    assert unknown.foreign("Hallo, wo ist meine Bestellung?") is None
