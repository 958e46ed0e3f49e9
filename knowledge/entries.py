"""FAQ entries as values: the stored entry, the draft staff write, and a revision record."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

from knowledge.errors import InvalidEntryError

#: Fields an edit may change; everything else is managed by the base.
EDITABLE_FIELDS = (
    "question",
    "alternatives",
    "answer",
    "buttons",
    "links",
    "tags",
    "language",
    "active",
)
MAX_KEY_LENGTH = 200
#: A question, an alternative phrasing, a tag, a button or link text: one line of a form.
MAX_TEXT_LENGTH = 1_000
#: An answer is read in a chat bubble; anything longer belongs on a linked page.
MAX_ANSWER_LENGTH = 10_000
#: Phrasing ids keep 16 bits for the position; far fewer are ever useful.
MAX_ALTERNATIVES = 1000


@dataclass(frozen=True, slots=True)
class Button:
    """A quick-reply button under an answer (Rasa's ``{"title", "payload"}``)."""

    title: str
    payload: str


@dataclass(frozen=True, slots=True)
class Link:
    """A link under an answer."""

    title: str
    url: str


@dataclass(frozen=True, slots=True)
class FaqDraft:
    """The editable content of an entry, as staff or an import file give it.

    ``absent`` names the editable fields the source did not carry (a Rasa file has no tags, a
    CSV may lack a column): a new entry gets their defaults, an existing one keeps its values.
    ``version`` is the entry's version when its file was exported (an import merges the
    file's changes with the base's since, ``knowledge.merge``); ``deleted`` marks an entry
    exported as deleted, which stays so. ``made_key``: the source gave no key, and
    ``external_key`` was made from the question (``key_from_question``); an import then
    updates the entry that has that key and this question, or numbers a new one past it.
    """

    external_key: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = "en"
    active: bool = True
    absent: frozenset[str] = frozenset()
    version: int | None = None
    deleted: bool = False
    made_key: bool = False

    def fields(self) -> dict[str, Any]:
        """The editable fields in their stored (JSON) form."""
        return {
            "question": self.question,
            "alternatives": list(self.alternatives),
            "answer": self.answer,
            "buttons": [{"title": b.title, "payload": b.payload} for b in self.buttons],
            "links": [{"title": x.title, "url": x.url} for x in self.links],
            "tags": list(self.tags),
            "language": self.language,
            "active": self.active,
        }

    def given(self) -> dict[str, Any]:
        """The editable fields the source carried, in their stored (JSON) form."""
        return {name: v for name, v in self.fields().items() if name not in self.absent}


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One stored FAQ entry: a question, its other phrasings and the answer."""

    id: int
    external_key: str
    question: str
    answer: str
    alternatives: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = "en"
    active: bool = True
    version: int = 1
    deleted_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def phrasings(self) -> tuple[str, ...]:
        """The question first, then the alternatives: every text the index holds."""
        return (self.question, *self.alternatives)

    @property
    def searchable(self) -> bool:
        """Only active entries that are not deleted are answered."""
        return self.active and self.deleted_at is None

    def draft(self) -> FaqDraft:
        """The entry's editable content (for export or an edit form)."""
        return FaqDraft(
            external_key=self.external_key,
            question=self.question,
            answer=self.answer,
            alternatives=self.alternatives,
            buttons=self.buttons,
            links=self.links,
            tags=self.tags,
            language=self.language,
            active=self.active,
        )

    def snapshot(self) -> dict[str, Any]:
        """The entry as JSON-ready data (what a revision records)."""
        return {
            "id": self.id,
            "external_key": self.external_key,
            **self.draft().fields(),
            "version": self.version,
            "deleted_at": self.deleted_at.isoformat() if self.deleted_at else None,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


@dataclass(frozen=True, slots=True)
class Revision:
    """One change of one entry; ``id`` is the base's global revision number."""

    id: int
    entry_id: int
    entry_version: int
    action: str
    changes: Mapping[str, Any]
    snapshot: Mapping[str, Any]
    author: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed after a revision: the latest state of every touched entry.

    ``stamp`` identifies the revision row ``revision`` itself (see ``FaqBase.revision_stamp``);
    None when nothing changed or the base is empty.
    """

    revision: int
    entries: tuple[FaqEntry, ...] = field(default_factory=tuple)
    stamp: str | None = None


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp"})


def _text(value: Any, name: str, *, limit: int = MAX_TEXT_LENGTH) -> str:
    if not isinstance(value, str):
        raise InvalidEntryError(f"{name} must be text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidEntryError(f"{name} is empty")
    if len(text) > limit:
        raise InvalidEntryError(f"{name} is {len(text):,} characters long; the limit is {limit:,}")
    if "\x00" in text:  # PostgreSQL text cannot hold it; nothing legitimate needs it
        raise InvalidEntryError(f"{name} contains a NUL character (\\x00)")
    # Text a reader cannot see (zero-width spaces, control characters only) would be an
    # entry nobody can read or find; the chat channels refuse such messages too.
    if all(unicodedata.category(ch) in _INVISIBLE for ch in text):
        raise InvalidEntryError(f"{name} is empty (it has no visible character)")
    control = next(
        (ch for ch in text if ch not in "\t\n\r" and unicodedata.category(ch) == "Cc"), None
    )
    if control is not None:
        raise InvalidEntryError(f"{name} contains the control character U+{ord(control):04X}")
    if any("\ud800" <= ch <= "\udfff" for ch in text):  # no UTF-8 encoder writes one
        raise InvalidEntryError(
            f"{name} contains a lone UTF-16 surrogate, which is not valid Unicode"
        )
    return text


def _texts(value: Any, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise InvalidEntryError(f"{name} must be a list of texts")
    out: list[str] = []
    for i, item in enumerate(value):
        text = _text(item, f"{name}[{i}]")
        if text not in out:
            out.append(text)
    return tuple(out)


def _pairs(value: Any, name: str, keys: tuple[str, str]) -> list[tuple[str, str]]:
    if not isinstance(value, list | tuple):
        raise InvalidEntryError(f"{name} must be a list of objects with {' and '.join(keys)}")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Button | Link):
            item = {keys[0]: getattr(item, keys[0]), keys[1]: getattr(item, keys[1])}
        if not isinstance(item, Mapping) or set(item) != set(keys):
            raise InvalidEntryError(f"{name}[{i}] must have exactly the keys {', '.join(keys)}")
        out.append(
            (
                _text(item[keys[0]], f"{name}[{i}].{keys[0]}"),
                _text(item[keys[1]], f"{name}[{i}].{keys[1]}"),
            )
        )
    return out


def clean_field(name: str, value: Any) -> Any:
    """Validate and normalise one editable field into its Python value.

    Raises:
        InvalidEntryError: the field is unknown or its value is invalid.
    """
    if name == "question":
        return _text(value, name)
    if name == "answer":
        return _text(value, name, limit=MAX_ANSWER_LENGTH)
    if name in ("alternatives", "tags"):
        texts = _texts(value, name)
        if len(texts) > MAX_ALTERNATIVES:
            raise InvalidEntryError(f"{name} has more than {MAX_ALTERNATIVES} items")
        return texts
    if name == "buttons":
        return tuple(Button(t, p) for t, p in _pairs(value, name, ("title", "payload")))
    if name == "links":
        links = _pairs(value, name, ("title", "url"))
        for i, (_, url) in enumerate(links):
            if not url.startswith(("http://", "https://", "mailto:", "tel:", "/")):
                raise InvalidEntryError(f"{name}[{i}].url {url!r} is not an http(s) URL")
        return tuple(Link(t, u) for t, u in links)
    if name == "language":
        lang = _text(value, name)
        if len(lang) > 16:
            raise InvalidEntryError(f"language {lang!r} is longer than 16 characters")
        return lang
    if name == "active":
        if not isinstance(value, bool):
            raise InvalidEntryError(f"active must be true or false, got {value!r}")
        return value
    raise InvalidEntryError(f"unknown field {name!r}; editable: {', '.join(EDITABLE_FIELDS)}")


#: Fields that are one line of a form: a line break in one was lost on the way through the
#: editor's one-line field and Rasa's example lists.
ONE_LINE_FIELDS = ("question", "alternatives", "tags")


def check_one_line(key: str, stored: Mapping[str, Any]) -> None:
    """Refuse a line break in the one-line fields among ``stored`` (fields in their stored
    form). Checked on what is written, so entries saved before the rule still export and
    import unchanged.

    Raises:
        InvalidEntryError: naming the entry and the field.
    """
    for name in ONE_LINE_FIELDS:
        value = stored.get(name)
        texts = [value] if isinstance(value, str) else list(value or ())
        for i, text in enumerate(texts):
            if "\n" in text or "\r" in text:
                where = name if isinstance(value, str) else f"{name}[{i}]"
                raise InvalidEntryError(
                    f"{key}: {where} must be one line; it contains a line break"
                )


def clean_key(value: Any) -> str:
    """Validate an external key (non-empty, at most 200 characters, no surrounding spaces)."""
    key = _text(value, "external_key")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidEntryError(f"external_key is longer than {MAX_KEY_LENGTH} characters")
    return key


def check_new_key(key: str) -> None:
    """Refuse a key with a space for a new entry: a key is never renamed, and one with a
    space names no Rasa intent (every Rasa export of the base failed for it, long after it
    was saved). Entries stored before this rule keep theirs.

    Raises:
        InvalidEntryError: the key has a space.
    """
    problem = spaced_key_problem(key)
    if problem:
        raise InvalidEntryError(f"external_key {problem}")


def spaced_key_problem(key: str) -> str | None:
    """What is wrong with a key that has a space ("'a b' has a space; ..."), or None."""
    if not any(ch.isspace() for ch in key):
        return None
    return f"{key!r} has a space; write it with _ or - instead, as {'_'.join(key.split())!r}"


#: A key made from a question keeps this many characters at most (whole words).
MADE_KEY_LENGTH = 60


def key_from_question(question: str) -> str:
    """The external key for an entry its author gave none: the question's words, joined by
    underscores ("Do you sell gift cards?" -> ``do_you_sell_gift_cards``), accents dropped."""
    words = re.findall(r"(?u)[^\W_]+", "".join(_unaccented(c) for c in question.lower()))
    key = ""
    for word in words:
        longer = f"{key}_{word}" if key else word
        if len(longer) > MADE_KEY_LENGTH:
            break
        key = longer
    return key or (words[0][:MADE_KEY_LENGTH] if words else "entry")


def _unaccented(char: str) -> str:
    """A Latin letter without its accents ("é" -> "e"); any other character as it is (a
    Japanese "ど" is a different word without its mark)."""
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base if base.isascii() and base.isalpha() else char


def other_phrasings(question: str, alternatives: Iterable[str]) -> tuple[str, ...]:
    """The alternatives without the question itself (it is indexed once, as the question)."""
    return tuple(a for a in alternatives if a != question)


# Words, and runs of other symbols ("C++", an emoji); sentence punctuation is left out.
_SAID = re.compile(r"(?u)\w+|[^\w\s.,!?;:'\"\u2026\u00bf\u00a1()\[\]-]+")

#: Normalised phrasing -> (entry id, external key, phrasing as written) of each entry having it.
PhrasingOwners = dict[tuple[str, ...], list[tuple[int, str, str]]]
#: How many other entries a note about a shared phrasing names before "and N more".
NAMED_OWNERS = 3


def same_words(text: str) -> tuple[str, ...]:
    """What ``text`` says, case, spacing and sentence punctuation aside ("Plan A?" and
    "plan a" alike; "plan B", "C++" and "C" not)."""
    return tuple(_SAID.findall(text.lower()))


def phrasing_owners(entries: Iterable[FaqEntry]) -> PhrasingOwners:
    """Which entries have each phrasing."""
    owners: PhrasingOwners = {}
    for entry in entries:
        seen: set[tuple[str, ...]] = set()
        for phrasing in entry.phrasings:
            said = same_words(phrasing)
            if said not in seen:
                seen.add(said)
                owners.setdefault(said, []).append((entry.id, entry.external_key, phrasing))
    return owners


def shared_phrasing_note(phrasing: str, keys: list[str]) -> str:
    """A phrasing other entries (``keys``) have too, said for staff: a message saying it
    matches them all equally, so the bot answers with none of them."""
    named = ", ".join(keys[:NAMED_OWNERS])
    more = f" and {len(keys) - NAMED_OWNERS} more" if len(keys) > NAMED_OWNERS else ""
    return (
        f"\u201c{phrasing}\u201d is also a phrasing of {named}{more}, so a message saying it "
        "is suggested at most, never answered"
    )


def clean_draft(draft: FaqDraft) -> FaqDraft:
    """Validate every field of a draft; return it normalised (trimmed, de-duplicated).

    Absent fields hold their defaults, which a new entry gets.
    """
    optional = set(EDITABLE_FIELDS) - {"question", "answer"}
    if not draft.absent <= optional:
        bad = ", ".join(sorted(draft.absent - optional))
        raise InvalidEntryError(f"only optional fields may be absent, not {bad}")
    defaults = {f.name: f.default for f in fields(FaqDraft) if f.name in draft.absent}
    values = {
        name: clean_field(name, defaults.get(name, getattr(draft, name)))
        for name in EDITABLE_FIELDS
    }
    values["alternatives"] = other_phrasings(values["question"], values["alternatives"])
    return FaqDraft(
        external_key=clean_key(draft.external_key),
        **values,
        absent=draft.absent,
        version=draft.version,
        deleted=draft.deleted,
        made_key=draft.made_key,
    )


def entry_from_row(row: Mapping[Any, Any]) -> FaqEntry:
    """Build an entry from a ``faq_entries`` row or a revision snapshot."""
    return FaqEntry(
        id=int(row["id"]),
        external_key=str(row["external_key"]),
        question=str(row["question"]),
        answer=str(row["answer"]),
        alternatives=tuple(row["alternatives"] or ()),
        buttons=tuple(Button(b["title"], b["payload"]) for b in row["buttons"] or ()),
        links=tuple(Link(x["title"], x["url"]) for x in row["links"] or ()),
        tags=tuple(row["tags"] or ()),
        language=str(row["language"]),
        active=bool(row["active"]),
        version=int(row["version"]),
        deleted_at=_as_datetime(row.get("deleted_at")),
        created_at=_as_datetime(row.get("created_at")),
        updated_at=_as_datetime(row.get("updated_at")),
    )


def as_utc(value: datetime) -> datetime:
    """A stored time in UTC: SQLite hands back naive datetimes (everything is stored in UTC),
    PostgreSQL aware ones in the session's time zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _as_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise InvalidEntryError(f"not a timestamp: {value!r}")
    return as_utc(value)
