"""The project model: a deskbot/Rasa project's domain, rules, stories, tests and config."""

from bot.project.check import Problem, check_project, has_errors
from bot.project.config import (
    DEFAULT_NLU_FALLBACK,
    HandoffSettings,
    NluSettings,
    Note,
    ProjectConfig,
    Thresholds,
    read_config,
)
from bot.project.domain import (
    Domain,
    EntityConfig,
    Form,
    IntentConfig,
    MappingCondition,
    ResponseVariant,
    SessionConfig,
    Slot,
    SlotMapping,
    fill,
    is_external_intent,
    placeholders,
    retrieval_key,
)
from bot.project.domain_reader import read_domain
from bot.project.project import Project, load_project
from bot.project.rasa_import import ImportReport, import_rasa, retrieval_faq
from bot.project.scaffold import create_project
from bot.project.source import ProjectError
from bot.project.stories import (
    SLOT_FILLED,
    Rule,
    Step,
    Story,
    TestStory,
    read_data_file,
    read_test_stories,
)

__all__ = [
    "DEFAULT_NLU_FALLBACK",
    "SLOT_FILLED",
    "Domain",
    "EntityConfig",
    "Form",
    "HandoffSettings",
    "ImportReport",
    "IntentConfig",
    "MappingCondition",
    "NluSettings",
    "Note",
    "Problem",
    "Project",
    "ProjectConfig",
    "ProjectError",
    "ResponseVariant",
    "Rule",
    "SessionConfig",
    "Slot",
    "SlotMapping",
    "Step",
    "Story",
    "TestStory",
    "Thresholds",
    "check_project",
    "create_project",
    "fill",
    "has_errors",
    "import_rasa",
    "is_external_intent",
    "load_project",
    "placeholders",
    "read_config",
    "read_data_file",
    "read_domain",
    "read_test_stories",
    "retrieval_faq",
    "retrieval_key",
]
