"""``deskbot init``: a small working project to start from."""

from __future__ import annotations

from pathlib import Path

from bot.project.source import ProjectError

_CONFIG = """\
# deskbot project configuration (Rasa pipeline/policies keys are read too, if present).
deskbot:
  language: en
  nlu:
    epochs: 10
    seed: 42
  handoff:
    after_fallbacks: 2
  # action_endpoint: http://localhost:5055/webhook   # a remote action server; else in-process
"""

_DOMAIN = """\
version: "3.1"

intents:
  - greet
  - goodbye
  - thanks
  - bot_challenge
  - order_status
  - inform
  - human_handoff

entities:
  - order_number
  - email

slots:
  order_number:
    type: text
    influence_conversation: false
    mappings:
      - type: from_entity
        entity: order_number
  email:
    type: text
    influence_conversation: false
    mappings:
      - type: from_entity
        entity: email

forms:
  order_form:
    required_slots:
      - order_number
      - email

responses:
  utter_greet:
    - text: "Hi! I can look up an order or answer questions. How can I help?"
  utter_goodbye:
    - text: "Goodbye, have a nice day!"
  utter_welcome:
    - text: "You're welcome!"
  utter_iamabot:
    - text: "I'm a bot. Type \\"human\\" any time to talk to a person."
  utter_ask_order_number:
    - text: "What is your order number? It looks like AB-12345."
  utter_ask_email:
    - text: "Which email address did you order with?"
  utter_handoff:
    - text: "I'm passing you to a colleague, please hold on."
  utter_default:
    - text: "Sorry, I didn't get that. Could you say it another way?"

actions:
  - action_order_status
  - action_handoff

session_config:
  session_expiration_time: 60
  carry_over_slots_to_new_session: true
"""

_NLU = """\
version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello
      - hey there
      - good morning
  - intent: goodbye
    examples: |
      - bye
      - goodbye
      - see you later
      - that's all, bye
  - intent: thanks
    examples: |
      - thanks
      - thank you
      - cheers, that helped
      - many thanks
  - intent: bot_challenge
    examples: |
      - are you a bot?
      - am I talking to a human?
      - are you a real person
      - is this a robot
  - intent: order_status
    examples: |
      - where is my order?
      - what's the status of my order
      - track order [AB-12345](order_number)
      - has my order [CD-67890](order_number) shipped yet
  - intent: inform
    examples: |
      - [AB-12345](order_number)
      - it's [XY-10001](order_number)
      - my email is [jane@example.com](email)
      - [sam.lee@example.org](email)
  - intent: human_handoff
    examples: |
      - I want to talk to a human
      - connect me to an agent
      - can I speak to a person
      - human please
  - regex: order_number
    examples: |
      - \\b[A-Z]{2}-\\d{5}\\b
  - regex: email
    examples: |
      - [^@\\s]+@[^@\\s]+\\.[a-z]{2,}
"""

_RULES = """\
version: "3.1"
rules:
  - rule: greet
    steps:
      - intent: greet
      - action: utter_greet
  - rule: goodbye
    steps:
      - intent: goodbye
      - action: utter_goodbye
  - rule: thanks
    steps:
      - intent: thanks
      - action: utter_welcome
  - rule: bot challenge
    steps:
      - intent: bot_challenge
      - action: utter_iamabot
  - rule: hand over to a human
    steps:
      - intent: human_handoff
      - action: utter_handoff
      - action: action_handoff
  - rule: ask again on low confidence
    steps:
      - intent: nlu_fallback
      - action: utter_default
  - rule: start the order form
    steps:
      - intent: order_status
      - action: order_form
      - active_loop: order_form
  - rule: submit the order form
    condition:
      - active_loop: order_form
    steps:
      - action: order_form
      - active_loop: null
      - slot_was_set:
          - requested_slot: null
      - action: action_order_status
"""

_FAQ = """\
- id: opening_hours
  question: When are you open?
  alternatives:
    - What are your opening hours?
    - Are you open on weekends?
  answer: Our support team answers Monday to Friday, 9:00 to 17:00.
  tags: [support]
- id: shipping_time
  question: How long does delivery take?
  alternatives:
    - When will my parcel arrive?
    - How fast is shipping?
  answer: Orders usually arrive within 2-4 working days.
  tags: [shipping]
- id: return_policy
  question: Can I return an item?
  alternatives:
    - What is your return policy?
    - How many days do I have to send something back?
  answer: You can return any unused item within 30 days of delivery.
  tags: [returns]
"""

_ACTIONS = '''\
"""Custom actions (rasa-sdk): served in-process by deskbot, or by `python -m rasa_sdk`."""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

ORDERS = {"AB-12345": "shipped", "CD-67890": "being packed"}


class ActionOrderStatus(Action):
    """Tell the user where their order is."""

    def name(self) -> str:
        return "action_order_status"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        number = str(tracker.get_slot("order_number") or "").upper()
        status = ORDERS.get(number)
        if status is None:
            dispatcher.utter_message(text=f"I couldn't find order {number}.")
        else:
            dispatcher.utter_message(text=f"Order {number} is {status}.")
        return []
'''

_TESTS = """\
version: "3.1"
stories:
  - story: greet and check an order
    steps:
      - user: |
          hello
        intent: greet
      - action: utter_greet
      - user: |
          where is my order [AB-12345](order_number)?
        intent: order_status
      - action: order_form
      - active_loop: order_form
      - user: |
          [jane@example.com](email)
        intent: inform
      - action: order_form
      - active_loop: null
      - action: action_order_status
"""

FILES = {
    "config.yml": _CONFIG,
    "domain.yml": _DOMAIN,
    "data/nlu.yml": _NLU,
    "data/rules.yml": _RULES,
    "faq/faq.yml": _FAQ,
    "actions/__init__.py": "",
    "actions/actions.py": _ACTIONS,
    "tests/test_stories.yml": _TESTS,
}


def create_project(path: Path | str) -> list[Path]:
    """Write a small working project into ``path`` (which must not hold a project already).

    Returns:
        the files written.

    Raises:
        ProjectError: ``path`` exists and is not an empty folder.
    """
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ProjectError(root, 0, "exists and is not empty; choose a new folder")
    written = []
    for name, text in FILES.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    (root / "models").mkdir(exist_ok=True)
    return written
