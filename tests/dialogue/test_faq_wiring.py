"""The dialogue manager answering from the real FAQ base and retriever (real encoder)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import create_db_engine
from bot.dialogue import DialogueManager, dialogue_from_project
from bot.dialogue.config import DEFAULT_FALLBACK_TEXT
from bot.faq_source import KnowledgeFaq
from bot.project import Project, load_project
from bot.sessions import SqlSessionStore
from bot.story_tests import run_story
from bot.training import FaqSeed, seed_faq, training_data
from bot.transcripts import TranscriptLog
from knowledge import FaqBase, FaqRetriever, ImportValidationError, import_data
from nlu import SentenceEncoder
from tests.dialogue.conftest import FixedParser
from tests.project.conftest import write_files


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    encoder = SentenceEncoder(threads=1)
    encoder.warm_up()
    return encoder


@pytest.fixture
def faq_engine(new_database: Callable[[str], str]) -> Iterator[Engine]:
    engine = create_db_engine(new_database("sqlite"))
    yield engine
    engine.dispose()


@pytest.fixture
def wired(
    faq_engine: Engine,
    project: Project,
    encoder: SentenceEncoder,
    make_dm: Callable[..., DialogueManager],
    tmp_path: Path,
) -> Iterator[tuple[DialogueManager, FaqBase, FaqRetriever]]:
    base = FaqBase(faq_engine)
    assert seed_faq(project, base).written == 3
    assert seed_faq(project, base).written == 0  # files seed an empty base only: staff edits stay
    retriever = FaqRetriever(base, encoder, data_dir=tmp_path / "faq")
    retriever.start()
    retriever.wait_adapted(timeout=60)
    dm = make_dm(faq=KnowledgeFaq(retriever, base))
    yield dm, base, retriever
    retriever.close()


async def test_answers_come_from_the_faq_base_and_follow_edits(wired) -> None:  # type: ignore[no-untyped-def]
    dm, base, retriever = wired
    replies = await dm.handle("w1", "how long does shipping take?")
    assert [m.text for m in replies] == ["Shipping takes 2-4 working days."]
    entry = base.get_by_key("shipping_time")
    base.update(
        entry.id,
        expected_version=entry.version,
        author="staff",
        answer="Shipping now takes 1-2 days.",
        links=[{"title": "Carriers", "url": "https://shop.example/carriers"}],
    )
    retriever.refresh()
    replies = await dm.handle("w1", "how long does shipping take?")
    assert [m.text for m in replies] == ["Shipping now takes 1-2 days."]
    # A link reaches rasa-webchat as a link (type and url), not as a reply that sends its title.
    assert replies[0].to_socketio()["quick_replies"] == [
        {
            "content_type": "text",
            "title": "Carriers",
            "payload": "",
            "type": "web_url",
            "url": "https://shop.example/carriers",
        }
    ]
    page = await dm.transcripts.read("w1", limit=100)
    faq = [e.data["faq"] for e in page.events if e.type == "user"]
    assert faq[0]["entry"] == "shipping_time" and faq[0]["decision"] == "answer"


async def test_an_unrelated_question_is_not_answered(wired) -> None:  # type: ignore[no-untyped-def]
    dm, _base, _retriever = wired
    replies = await dm.handle("w2", "what is the airspeed of an unladen swallow")
    assert [m.text for m in replies] == ["Sorry, could you say that differently?"]


RETRIEVAL_PROJECT = {
    "config.yml": """
        language: en
        pipeline: []
        policies: []
    """,
    "domain.yml": """
        version: "3.1"
        intents: [greet, faq, chitchat]
        responses:
          utter_greet:
            - text: "Hello!"
          utter_faq/ask_hours:
            - text: "We are open 9 to 5 on weekdays."
          utter_faq/ask_returns:
            - text: "Returns are free within 30 days."
          utter_chitchat/ask_name:
            - text: "I am Desk, the shop's assistant."
    """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
          - intent: greet
            examples: |
              - hello
          - intent: faq/ask_hours
            examples: |
              - when are you open
              - what are your opening hours
          - intent: faq/ask_returns
            examples: |
              - can I return an item
              - how do returns work
          - intent: chitchat/ask_name
            examples: |
              - what is your name
              - who are you
    """,
    "data/rules.yml": """
        version: "3.1"
        rules:
          - rule: faq
            steps:
              - intent: faq
              - action: utter_faq
          - rule: chitchat
            steps:
              - intent: chitchat
              - action: utter_chitchat
    """,
    "tests/test_stories.yml": """
        version: "3.1"
        stories:
          - story: a question then chitchat
            steps:
              - user: when are you open
                intent: faq
              - action: utter_faq
              - user: what is your name
                intent: chitchat
              - action: utter_chitchat
    """,
}


async def test_a_rasa_project_used_as_it_is_answers_its_retrieval_intents(
    faq_engine: Engine,
    encoder: SentenceEncoder,
    new_database: Callable[[str], str],
    tmp_path: Path,
) -> None:
    # A Rasa project's retrieval intents (faq/x examples, utter_faq/x responses, a rule
    # faq -> utter_faq) left the user with no reply unless it went through `deskbot import rasa`.
    project = load_project(write_files(tmp_path / "bot", RETRIEVAL_PROJECT))
    assert project.domain.retrieval_intents == ("faq", "chitchat")
    base = FaqBase(faq_engine)
    assert seed_faq(project, base).written == 3
    assert {e.external_key: e.tags for e in base.list()} == {
        "ask_hours": ("faq",), "ask_returns": ("faq",), "chitchat/ask_name": ("chitchat",),
    }  # fmt: skip
    hours = base.get_by_key("ask_hours")
    assert (hours.question, hours.alternatives) == (
        "when are you open",
        ("what are your opening hours",),
    )
    retriever = FaqRetriever(base, encoder, data_dir=tmp_path / "faq")
    retriever.start()
    engine = create_db_engine(new_database("sqlite"))
    try:
        parser = FixedParser({
            "when are you open": ("faq", 0.95),
            "what is your name": ("chitchat", 0.95),
            "how do returns work": ("faq", 0.95),
            "what is the airspeed of a swallow": ("faq", 0.95),
        })  # fmt: skip
        dm = dialogue_from_project(
            project,
            store=SqlSessionStore(engine),
            transcripts=TranscriptLog(engine),
            parser=parser,
            faq=KnowledgeFaq(retriever, base),
        )
        said = [m.text for m in await dm.handle("r1", "when are you open")]
        assert said == ["We are open 9 to 5 on weekdays."]
        said = [m.text for m in await dm.handle("r1", "what is your name")]
        assert said == ["I am Desk, the shop's assistant."]
        # A question the FAQ cannot answer: its rule's utter_faq gives the fallback, not
        # silence (utter_faq is no response of the domain).
        said = [m.text for m in await dm.handle("r2", "what is the airspeed of a swallow")]
        assert said == [DEFAULT_FALLBACK_TEXT]
        # Rasa's shortcut for one response of a retrieval intent picks that entry.
        said = [m.text for m in await dm.handle("r1", "/faq/ask_returns")]
        assert said == ["Returns are free within 30 days."]
        said = [m.text for m in await dm.handle("r1", "/chitchat/ask_name")]
        assert said == ["I am Desk, the shop's assistant."]
        # The project's test story, which expects utter_faq, passes as written.
        results = [await run_story(dm, story) for story in project.test_stories]
        assert [(r.passed, r.failure) for r in results] == [(True, None)]
    finally:
        retriever.close()
        engine.dispose()


def test_retrieval_responses_reach_the_base_once_and_never_over_staff_edits(
    faq_engine: Engine, tmp_path: Path
) -> None:
    files = {
        **RETRIEVAL_PROJECT,
        "faq/faq.yml": """
            - id: ask_returns
              question: How do returns work?
              answer: Returns are free for 60 days.
        """,
    }
    root = write_files(tmp_path / "bot", files)
    base = FaqBase(faq_engine)
    assert seed_faq(load_project(root), base).written == 3  # the file's entry, two responses
    # The faq/ file's entry of the same key is not written over by the domain's response.
    assert base.get_by_key("ask_returns").answer == "Returns are free for 60 days."
    hours = base.get_by_key("ask_hours")
    base.update(hours.id, expected_version=hours.version, author="staff", answer="9 to 6.")
    name = base.get_by_key("chitchat/ask_name")
    base.delete(name.id, author="staff", expected_version=name.version)
    # A response added to domain.yml later reaches the base in use; edits and deletions stay.
    domain = (root / "domain.yml").read_text()
    (root / "domain.yml").write_text(
        domain + '  utter_faq/ask_gifts:\n    - text: "We wrap gifts for free."\n'
    )
    assert seed_faq(load_project(root), base).written == 1
    assert base.get_by_key("ask_gifts").answer == "We wrap gifts for free."
    assert base.get_by_key("ask_hours").answer == "9 to 6."
    assert base.get_by_key("chitchat/ask_name").deleted_at is not None
    assert seed_faq(load_project(root), base).written == 0
    # A new project trained on this database was trained on this one's FAQ without a
    # word: training says the base held another project's entries.
    assert seed_faq(load_project(root), base).elsewhere == 0  # its own
    other = write_files(tmp_path / "other", {**files, "domain.yml": 'version: "3.1"\n',
                        "faq/faq.yml": "- id: own\n  question: Q?\n  answer: A.\n"})  # fmt: skip
    assert seed_faq(load_project(other), base) == FaqSeed(written=1, elsewhere=4)
    assert seed_faq(load_project(other), base) == FaqSeed(written=0)  # its own now too


def test_an_entry_added_to_a_faq_file_later_reaches_the_base_in_use(
    faq_engine: Engine, tmp_path: Path
) -> None:
    # A project that moves a canned answer into its FAQ file (the demo's shipping questions)
    # must find it in a base seeded before, without losing what staff did there meanwhile.
    entries = """
        - id: hours
          question: When are you open?
          answer: 9 to 5.
        - id: parking
          question: Is there parking?
          answer: Yes, behind the shop.
    """
    root = write_files(tmp_path / "bot", {**RETRIEVAL_PROJECT, "faq/faq.yml": entries})
    base = FaqBase(faq_engine)
    assert seed_faq(load_project(root), base).written == 5  # two entries, three retrieval responses
    hours = base.get_by_key("hours")
    base.update(hours.id, expected_version=hours.version, author="staff", answer="9 to 6.")
    parking = base.get_by_key("parking")
    base.delete(parking.id, author="staff", expected_version=parking.version)
    added = """
        - id: gifts
          question: Do you wrap gifts?
          answer: Yes, for free.
        - id: old
          question: An entry exported as deleted
          answer: Gone.
          deleted: true
    """
    (root / "faq/faq.yml").write_text(textwrap.dedent(entries) + textwrap.dedent(added))
    # A server start does not read the files of a base in use (nor fail on a bad row)...
    (root / "faq/more.yml").write_text("- {id: x, question: Q, answer: A, answr: typo}\n")
    assert seed_faq(load_project(root), base, add_new=False).written == 0
    with pytest.raises(ImportValidationError, match="answr"):  # ... `deskbot train` does
        seed_faq(load_project(root), base)
    (root / "faq/more.yml").unlink()
    assert seed_faq(load_project(root), base).written == 1
    assert base.get_by_key("gifts").answer == "Yes, for free."
    assert "old" not in {e.external_key for e in base.list(include_deleted=True)}
    assert base.get_by_key("hours").answer == "9 to 6."  # the staff's edit stays
    assert base.get_by_key("parking").deleted_at is not None  # and so does their deletion
    assert seed_faq(load_project(root), base).written == 0
    revision = base.current_revision()
    assert seed_faq(load_project(root), base).written == 0 and base.current_revision() == revision


def test_every_faq_entry_gets_a_phrasing_in_the_nlu_data(
    faq_engine: Engine, tmp_path: Path
) -> None:
    # Many entries, small intents and a project faq intent of its own: the cap (twice the
    # largest other intent) would leave entries out; each still gets its question, and the
    # project's faq/x examples count as faq, not as another intent.
    # (greet has entry 5's question as an example, so entry 5 gets its next phrasing)
    greet = (
        "".join(f"      - greeting number {i}\n" for i in range(2)) + "      - entry 5 question?\n"
    )
    own_faq = "".join(f"      - question about topic {i}\n" for i in range(10))
    nlu = f"version: '3.1'\nnlu:\n  - intent: greet\n    examples: |\n{greet}"
    nlu += f"  - intent: faq/ask_topic\n    examples: |\n{own_faq}"
    files = {"domain.yml": "version: '3.1'\nintents: [greet, faq]\n", "data/nlu.yml": nlu}
    root = write_files(tmp_path / "bot", files)
    base = FaqBase(faq_engine)
    drafts = [
        {"id": f"e{i}", "question": f"Entry {i} question?", "answer": "A.",
         "alternatives": [f"entry {i} other way", f"entry {i} third way"]}
        for i in range(12)
    ]  # fmt: skip
    import_data(base, json.dumps(drafts).encode(), fmt="json", author="t", source="t.json")
    data = training_data(load_project(root), base)
    faq = [e.text for e in data.examples if e.intent == "faq"]
    assert {f"Entry {i} question?" for i in range(12) if i != 5} <= set(faq)
    assert [text for text in faq if "other way" in text] == ["entry 5 other way"]
    assert len([e for e in data.examples if e.intent.startswith("faq")]) == 22
