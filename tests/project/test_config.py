"""Project configuration: deskbot keys, Rasa pipeline/policies mapping, endpoints."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.project import DEFAULT_NLU_FALLBACK, Domain, ProjectError, Thresholds, read_config
from tests.project.conftest import write_files


def test_rasa_config_is_mapped(helpdesk: Path) -> None:
    config = read_config(helpdesk / "config.yml")
    # Rasa's fallback threshold (0.7) is on DIET's scale; the model calibrates its own
    assert config.thresholds.nlu_fallback is None
    assert config.thresholds.core_fallback == 0.4
    assert config.nlu.seed == 1 and config.nlu.epochs is None  # DIET's epochs are not taken
    assert config.max_history == 4 and config.language == "en"
    notes = [str(n) for n in config.notes]
    assert any("DIETClassifier.epochs ignored" in n and ":11:" in n for n in notes)
    assert any("Duckling" in n and ":16:" in n for n in notes)
    assert any("core_fallback_threshold has no effect" in n for n in notes)  # said, not taken
    # Its Duckling asks for emails, which deskbot finds by its own pattern.
    assert config.nlu.builtin_entities == ("email",)
    assert any("email found by deskbot's own patterns" in n for n in notes)
    assert any("FallbackClassifier.threshold 0.7 not taken" in n for n in notes)


def test_deskbot_keys_win_and_endpoint(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "config.yml": """
            language: de
            pipeline:
              - name: FallbackClassifier
                threshold: 0.6
              - name: my.CustomComponent
            policies:
              - name: RulePolicy
            deskbot:
              language: en
              nlu: {base_model: bert-small, epochs: 5, max_length: 48, typo_copies: 0}
              thresholds:
                {nlu_fallback: 0.35, faq_answer: 0.6, faq_min_similarity: 0.45, faq_over_intent: 0}
              handoff: {after_fallbacks: 3}
              max_history: 6
        """,
        "endpoints.yml": """
            action_endpoint:
              url: http://actions:5055/webhook
        """,
    })  # fmt: skip
    config = read_config(tmp_path / "config.yml", tmp_path / "endpoints.yml")
    assert config.language == "en"
    assert (config.nlu.base_model, config.nlu.epochs, config.nlu.max_length) == (
        "bert-small",
        5,
        48,
    )
    assert config.nlu.typo_copies == 0
    assert config.thresholds.nlu_fallback == 0.35 and config.thresholds.faq_answer == 0.6
    assert config.thresholds.faq_suggest is None  # the retriever's own threshold applies
    assert config.thresholds.faq_min_similarity == 0.45
    assert config.thresholds.faq_over_intent == 0.0
    assert config.handoff.after_fallbacks == 3 and config.max_history == 6
    assert config.action_endpoint == "http://actions:5055/webhook"
    assert [n.message for n in config.notes] == [
        "FallbackClassifier.threshold 0.6 not taken: deskbot calibrates its own when training"
        " (deskbot.thresholds.nlu_fallback overrides)",
        "pipeline component my.CustomComponent is not supported; ignored",
    ]


def test_a_language_the_packaged_encoder_does_not_know_is_told(tmp_path: Path) -> None:
    # A Rasa project with `language: de` trained on the English MiniLM without a word.
    for config, note in (
        ("language: de\n", True),
        ("language: de-CH\nnlu: {base_model: /models/gbert}\n", False),
        ("language: en-GB\n", False),
        ("recipe: default.v1\n", False),
    ):
        write_files(tmp_path, {"config.yml": config})
        notes = [n for n in read_config(tmp_path / "config.yml").notes if "encoder" in n.message]
        assert bool(notes) == note, config
    write_files(tmp_path, {"config.yml": "recipe: default.v1\nlanguage: de\n"})
    (told,) = read_config(tmp_path / "config.yml").notes
    assert (told.line, told.message) == (2, (
        "language de: the packaged encoder (all-MiniLM-L6-v2) knows English; set "
        "deskbot.nlu.base_model to a multilingual BERT-family checkpoint folder"
    ))  # fmt: skip


def test_own_action_endpoint_beats_endpoints_file(tmp_path: Path) -> None:
    write_files(tmp_path, {
        "config.yml": "action_endpoint: http://mine/webhook\n",
        "endpoints.yml": "action_endpoint:\n  url: http://theirs/webhook\n",
    })  # fmt: skip
    assert read_config(tmp_path / "config.yml", tmp_path / "endpoints.yml").action_endpoint == (
        "http://mine/webhook"
    )


def test_endpoints_file_as_rasa_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # "${ACTION_URL}/webhook" stayed literal and every custom action failed; a token and the
    # sections deskbot has its own answer for were dropped without a word.
    write_files(tmp_path, {
        "endpoints.yml": """
            action_endpoint:
              url: "${ACTION_URL}/webhook"
              token: "${ACTION_TOKEN}"
              headers: {X-Team: support}
            tracker_store:
              type: redis
            event_broker:
              type: pika
        """,
    })  # fmt: skip
    monkeypatch.setenv("ACTION_URL", "http://actions:5055")
    monkeypatch.setenv("ACTION_TOKEN", "s3cret&x")
    config = read_config(None, tmp_path / "endpoints.yml")
    assert config.action_endpoint == "http://actions:5055/webhook?token=s3cret%26x"
    assert config.action_endpoint_file == "endpoints.yml"
    assert [(n.line, n.message.split(":")[0]) for n in config.notes] == [
        (5, "tracker_store is not read"),
        (7, "event_broker is not read"),
        (1, "action_endpoint.headers is not supported; ignored"),
    ]
    # Unset where the project is trained or checked (only the server's environment has it,
    # as with docker-compose): noted, not an error, and no empty token is sent.
    monkeypatch.delenv("ACTION_TOKEN")
    unset = read_config(None, tmp_path / "endpoints.yml")
    assert unset.action_endpoint == "http://actions:5055/webhook"
    assert any(
        n.message.startswith("the environment variable ACTION_TOKEN is not set")
        for n in unset.notes
    )


def test_defaults_without_files(tmp_path: Path) -> None:
    config = read_config(tmp_path / "config.yml", tmp_path / "endpoints.yml")
    assert config.action_endpoint is None and config.handoff.after_fallbacks == 2
    assert config.thresholds.nlu_fallback is None


def test_nlu_fallback_threshold_choice() -> None:
    assert Thresholds().nlu_fallback_or(None) == DEFAULT_NLU_FALLBACK == 0.4
    assert Thresholds().nlu_fallback_or(0.62) == 0.62
    assert Thresholds(nlu_fallback=0.3).nlu_fallback_or(0.62) == 0.3


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("deskbot:\n  thresholds:\n    faq_answer: high\n", 3, "expected a number"),
        ("deskbot:\n  nlu:\n    epoch: 3\n", 3, "unknown setting nlu.epoch"),
        ("deskbot:\n  nlu:\n    epochs: 0\n", 3, "nlu.epochs must be at least 1, got 0"),
        ("deskbot:\n  nlu:\n    typo_copies: -1\n", 3, "nlu.typo_copies must be at least 0"),
        ("pipeline:\n  - threshold: 0.3\n", 2, "needs a `name`"),
        ("deskbot:\n  handoff:\n    after_fallbacks: 1.5\n", 3, "expected a number"),
        ("deskbot:\n  handoff:\n    after_fallbacks: -1\n", 3, "must be at least 0, got -1"),
        (
            "deskbot:\n  nlu:\n    builtin_entities: [emial]\n",
            3,
            "unknown built-in entity 'emial'; known: email, url, phone-number",
        ),
        ("deskbot:\n  nlu:\n    builtin_entities: email\n", 3, "expected a list of names"),
    ],
)
def test_bad_settings_name_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "config.yml").write_text(text)
    with pytest.raises(ProjectError) as caught:
        read_config(tmp_path / "config.yml")
    assert caught.value.line == line and words in str(caught.value)


def test_project_thresholds_reach_the_faq_retriever() -> None:
    from bot.faq_source import retriever_config
    from knowledge import RetrieverConfig

    class Configured:
        def __init__(self, thresholds: Thresholds) -> None:
            self.config = replace(read_config(None), thresholds=thresholds)
            self.domain = Domain()

    default = retriever_config(Configured(Thresholds()))  # type: ignore[arg-type]
    assert default == RetrieverConfig()
    tuned = retriever_config(
        Configured(
            Thresholds(
                faq_answer=0.8,
                faq_suggest=0.4,
                faq_min_similarity=0.5,
                faq_answer_similarity=0.6,
                faq_answer_words=1,
            )
        )  # type: ignore[arg-type]
    )
    assert (
        tuned.answer_threshold,
        tuned.suggest_threshold,
        tuned.min_similarity,
        tuned.min_answer_similarity,
        tuned.min_answer_words,
    ) == (0.8, 0.4, 0.5, 0.6, 1)
    # a floor set for another encoder's scale, without the answer floor: no 0.4 imposed
    scaled = retriever_config(Configured(Thresholds(faq_min_similarity=0.2)))  # type: ignore[arg-type]
    assert (scaled.min_similarity, scaled.min_answer_similarity) == (0.2, 0.2)
    # and the one the dialogue manager weighs a FAQ answer against an unsure intent with
    from bot.dialogue.wiring import dialogue_config

    assert dialogue_config(Configured(Thresholds())).faq_over_intent == 0.7  # type: ignore[arg-type]
    off = dialogue_config(
        Configured(Thresholds(faq_over_intent=0.0, faq_over_action=0.2, confirm_action=0.0))  # type: ignore[arg-type]
    )
    assert (off.faq_over_intent, off.faq_over_action, off.confirm_action) == (0.0, 0.2, 0.0)
    assert dialogue_config(Configured(Thresholds())).confirm_action == 0.5  # type: ignore[arg-type]


def test_duckling_without_dimensions_means_all_of_them(tmp_path: Path) -> None:
    for listed in ("", "\n    dimensions: []"):
        (tmp_path / "config.yml").write_text(
            f"pipeline:\n  - name: DucklingEntityExtractor{listed}\n"
        )
        config = read_config(tmp_path / "config.yml")
        assert config.nlu.builtin_entities == ("email", "url", "phone-number"), listed
