"""``deskbot check``: problems with file, line and severity; exit codes."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from bot.cli.project import register
from bot.project.check import DOMAIN_KEYS, Problem, check_project, has_errors
from tests.project.conftest import Writer

GOOD = {
    "domain.yml": """
        version: "3.1"
        intents: [greet, buy, inform]
        entities: [product]
        slots:
          product:
            type: text
            mappings: [{type: from_entity, entity: product}]
        forms:
          buy_form:
            required_slots: [product]
        responses:
          utter_greet: [{text: "Hi!"}]
          utter_ask_product: [{text: "Which product?"}]
          utter_done: [{text: "Ordered a {product}."}]
        actions: [action_handoff]
    """,
    "data/nlu.yml": """
        nlu:
          - intent: greet
            examples: |
              - hi
              - hello
          - intent: buy
            examples: |
              - I want to buy a [laptop](product)
          - intent: inform
            examples: |
              - [phone](product)
    """,
    "data/rules.yml": """
        rules:
          - rule: greet
            steps:
              - intent: greet
              - action: utter_greet
          - rule: start
            steps:
              - intent: buy
              - action: buy_form
              - active_loop: buy_form
          - rule: submit
            condition:
              - active_loop: buy_form
            steps:
              - action: buy_form
              - active_loop: null
              - slot_was_set:
                  - requested_slot: null
              - action: utter_done
    """,
}

BAD = {
    **GOOD,
    "config.yml": """
        pipeline:
          - name: DucklingEntityExtractor
    """,
    "domain.yml": """
        version: "3.1"
        intents: [greet, buy, inform]
        entities: [product]
        slots:
          product:
            type: text
            mappings: [{type: from_entity, entity: product}]
          size:
            type: text
            mappings: [{type: from_entity, entity: sizes, conditions: [{active_loop: nope}]}]
          colour:
            type: text
        forms:
          buy_form:
            required_slots: [product, colour, size]
        responses:
          utter_greet: [{text: "Hi!"}]
          utter_ask_product: [{text: "Which product?"}]
          utter_done:
            - text: "Ordered a {product} for {customer}."
              condition: [{type: slot, name: product, value: x}]
            - text: "Slack!"
              channel: slack
        actions: [utter_missing, action_handoff]
    """,
    "data/nlu.yml": GOOD["data/nlu.yml"].rstrip()
    + """
          - intent: greet+buy
            examples: |
              - hi, I want to buy
          - intent: inform
            examples: |
              - Hello
    """,
    "data/stories.yml": """
        stories:
          - story: bad
            steps:
              - checkpoint: here
              - intent: shout
              - action: utter_nothing
              - action: action_unknown
              - active_loop: no_form
              - slot_was_set:
                  - mood: happy
              - or:
                  - intent: greet
                  - intent: buy
              - user: just text
              - bot: some words
    """,
}


def messages(problems: list[Problem]) -> list[tuple[str, int, str, str]]:
    return [(Path(p.file).name, p.line, p.severity, p.message) for p in problems]


def test_good_project_is_clean(project: Writer) -> None:
    assert check_project(project(GOOD)) == []


def test_bad_project_reports_everything(project: Writer) -> None:
    found = messages(check_project(project(BAD)))
    expected = {
        ("config.yml", 2, "warning", (
            "Duckling is not supported; email, url, phone-number found by deskbot's own "
            "patterns (nlu.builtin_entities); not found: the other dimensions"
        )),
        ("nlu.yml", 12, "warning", "multi-intent greet+buy is not supported"),
        ("stories.yml", 4, "warning", "story 'bad': checkpoints are not supported"),
        ("stories.yml", 5, "error", "story 'bad': unknown intent shout"),
        ("stories.yml", 6, "error", "story 'bad': utter_nothing has no response"),
        ("stories.yml", 8, "error", "story 'bad': unknown form no_form"),
        ("stories.yml", 9, "error", "story 'bad': unknown slot mood"),
        ("stories.yml", 14, "warning",
         "story 'bad': end-to-end user text without an intent is not supported"),
        ("stories.yml", 15, "warning", "story 'bad': end-to-end bot text is not supported"),
    }  # fmt: skip
    assert expected <= set(found), sorted(set(found) - expected)
    # Supported by the dialogue manager, so not reported: `or` steps, conditional and
    # channel-specific response variants.
    assert not [m for m in found if "`or`" in m[3] or "variants are not" in m[3]]
    text = "\n".join(m[3] for m in found)
    for words in (
        "unknown action action_unknown",
        "utter_done: {customer} is not a slot",
        "form buy_form: slot colour has no mappings",
        "form buy_form: no utter_ask_colour response",
        "slot size maps unknown entity sizes",
        "slot size: condition names unknown form nope",
        "action utter_missing has no response",
        "example 'Hello' of inform is also an example of greet",
    ):
        assert words in text, words
    assert has_errors(check_project(project(BAD, "again")))
    assert all(line > 0 for _, line, _, _ in found)  # every finding points at a line


def test_unreadable_project_is_one_error(project: Writer) -> None:
    root = project({"domain.yml": "intents: [greet\n"})
    (problem,) = check_project(root)
    assert problem.severity == "error" and problem.line == 2
    assert problem.file == str(root / "domain.yml")


def test_retrieval_actions_count_as_responses(project: Writer) -> None:
    root = project({
        "domain.yml": """
            intents: [faq]
            responses:
              utter_faq/hours: [{text: "9 to 5"}]
        """,
        "data/rules.yml": """
            rules:
              - rule: faq
                steps:
                  - intent: faq
                  - action: utter_faq
        """,
        "data/nlu.yml": """
            nlu:
              - intent: faq/hours
                examples: |
                  - when are you open
        """,
    })  # fmt: skip
    assert check_project(root) == []


def test_what_rasa_would_refuse_or_deskbot_ignores_is_named(project: Writer) -> None:
    # A typo in a domain key was dropped silently (`slot:` surfaced as "form requires
    # unknown slot"); action_back and wait_for_user_input: false did nothing, unsaid.
    root = project({
        "domain.yml": """
            version: "3.1"
            intents: [greet]
            slot:
              mood:
                type: text
            slots:
              name:
                type: text
                inital_value: Ann
                mappings:
                  - type: from_text
                    conditons: []
            responses:
              utter_greet: [{text: "Hi!"}]
            actions: [action_handoff]
        """,
        "data/nlu.yml": """
            nlu:
              - intent: greet
                examples: |
                  - hi
        """,
        "data/rules.yml": """
            rules:
              - rule: greet
                wait_for_user_input: false
                steps:
                  - intent: greet
                  - action: utter_greet
                  - action: action_back
        """,
    })  # fmt: skip
    (root / "credentials.yml").write_text(
        "rest:\nsocketio:\n  user_message_evt: user_uttered\n  bot_message_evt: bot_said\n"
        "  socketio_path: socket.io\nslack:\n  slack_token: x\n"
    )
    (root / "config.yml").write_text(
        "policies:\n  - name: RulePolicy\n    core_fallback_action_name: action_my_fallback\n"
    )
    (root / "actions.py").write_text(
        "from rasa_sdk import Action\n\n\nclass Handoff(Action):\n"
        "    def name(self):\n        return 'action_handoff'\n"
    )
    found = set(messages(check_project(root)))
    keys = ", ".join(sorted(DOMAIN_KEYS))
    assert found == {
        ("domain.yml", 3, "warning", f"unknown domain key 'slot' ignored; expected one of {keys}"),
        ("domain.yml", 9, "warning", "slot name: unknown key 'inital_value' ignored"),
        ("domain.yml", 12, "warning", "slot name: unknown mapping key 'conditons' ignored"),
        ("rules.yml", 2, "warning", "rule 'greet': wait_for_user_input is not supported; after "
         "a rule's last action deskbot goes on with whatever rule or story matches, or listens"),
        ("rules.yml", 7, "warning", "rule 'greet': action_back is not supported (deskbot does "
         "not take back the user's last message); the step does nothing"),
        ("credentials.yml", 2, "warning", "socketio bot_message_evt: 'bot_said' is not used; "
         "deskbot's socket.io channel uses 'bot_uttered'"),
        ("credentials.yml", 6, "warning", "channel slack is not supported; deskbot serves the "
         "REST and socket.io channels"),
        ("config.yml", 2, "warning", "RulePolicy.core_fallback_action_name action_my_fallback "
         "not taken: where no rule or story applies deskbot runs its two-stage fallback "
         "(utter_default, then the offer of a person)"),
        # A project's own handoff (to another bot, say) is followed by deskbot's to a person.
        ("domain.yml", 15, "warning", "action_handoff: deskbot hands the conversation to a "
         "person after it (it joins the agents' queue), whatever your own action_handoff "
         "does first, and runs it on every way to a person (repeated fallbacks, a yes to the "
         "offer of one); if yours hands over to another bot, rename it"),
    }  # fmt: skip


def test_a_validation_action_defines_action_validate_slot_mappings(project: Writer) -> None:
    # rasa-sdk's ValidationAction is that action unless it says another name: it was
    # reported as not defined in actions/.
    root = project({**GOOD, "domain.yml": GOOD["domain.yml"].replace(
        "actions: [action_handoff]", "actions: [action_validate_slot_mappings]"
    )})  # fmt: skip
    actions = root / "actions.py"
    for code in (
        "from rasa_sdk import Action\n",
        "from rasa_sdk import FormValidationAction\n\nclass F(FormValidationAction):\n    pass\n",
    ):
        actions.write_text(code)
        assert [p.message for p in check_project(root)] == [
            "custom action action_validate_slot_mappings is not defined in actions/"
        ]
    actions.write_text(
        "from rasa_sdk import forms\n\n\nclass Slots(forms.ValidationAction, object):\n"
        "    def validate_product(self, value, dispatcher, tracker, domain):\n"
        "        return {'product': value}\n"
    )
    assert check_project(root) == []


def cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_exit_codes(project: Writer) -> None:
    runner = CliRunner()
    good = runner.invoke(cli(), ["check", "--project", str(project(GOOD))])
    assert good.exit_code == 0, good.output
    assert "0 error(s), 0 warning(s)" in good.output
    bad = runner.invoke(cli(), ["check", "--project", str(project(BAD, "bad"))])
    assert bad.exit_code == 1
    assert "data/stories.yml:5: error: story 'bad': unknown intent shout" in bad.output


def test_faq_files_and_test_stories(project: Writer) -> None:
    root = project({
        **GOOD,
        "faq/good.yml": "- {id: a, question: 'Q?', answer: A.}\n",
        "faq/empty_answer.yml": "- {id: a, question: 'Q?'}\n"
        "- id: b\n  question: Q2\n  answer: ' '\n",
        "faq/broken.yml": "- id: a\n  question: [Q?\n",
        "faq/rasa.yml": "responses:\n  utter_faq/a: [{text: A}]\n",
        "faq/typo.yml": "- {id: a, question: Q, answer: A.}\n"
        "- {id: b, question: Q, answer: A., answr: x}\n",
        "faq/typo.csv": "id,question,answer\nc,Q?,A.\nd,Q?\n",
        # the FAQ answers an entry's own phrasing: "I want to buy a laptop" would not start
        # the buy form
        "faq/collides.yml": "- {id: z, question: 'Z?', answer: Z.}\n"
        "- {id: y, question: 'Y?', answer: Y., alternatives: ['I want to buy a LAPTOP!']}\n",
        "tests/test_x.yml": """
            stories:
              - story: nlu decides
                steps:
                  - user: hello
                  - action: utter_greet
                  - user: hi
                    intent: greet
                  - action: utter_nope
        """,
    })  # fmt: skip
    found = {(Path(p.file).name, p.line, p.severity, p.message) for p in check_project(root)}
    assert found == {
        ("empty_answer.yml", 1, "error", "row 1, answer: missing"),
        ("empty_answer.yml", 2, "error", "row 2, answer: answer is empty"),
        ("broken.yml", 3, "error", "malformed YAML: expected ',' or ']', but got '<stream end>'"),
        ("typo.yml", 2, "error", "row 2, answr: unknown field"),
        ("typo.csv", 3, "error", "line 3, answer: missing"),
        ("test_x.yml", 8, "error", "test story 'nlu decides': utter_nope has no response"),
        (
            "collides.yml",
            2,
            "warning",
            "'I want to buy a LAPTOP!' of FAQ entry y is also an example of buy "
            f"({root / 'data' / 'nlu.yml'}:8): the FAQ answers it, not buy's rule; keep it in "
            "one of them",
        ),
    }
