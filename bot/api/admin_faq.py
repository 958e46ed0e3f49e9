"""The FAQ editor's API: list, search, create, edit, delete, restore, import, export and try.

Every write refreshes this worker's index at once (other workers follow through the FAQ sync),
so the bot's next answer uses the edit without a restart; a large import's phrasings are
indexed in the background after a few seconds' wait. Edits carry the version the editor
loaded; a stale one is refused with 409.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse

from bot.api.auth import AdminToken, Context
from bot.api.context import ApiContext, InvalidRequest
from bot.api.schemas import FaqCreate, FaqTry, FaqUpdate
from bot.payloads import shows_anything
from knowledge import Button, FaqBase, FaqDraft, FaqEntry, FaqHit, Link, import_data, render

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/faq", tags=["faq"])
Format = Literal["yaml", "json", "csv", "rasa"]
MEDIA = {
    "yaml": "application/x-yaml",
    "rasa": "application/x-yaml",
    "json": "application/json",
    "csv": "text/csv",
}


def entry_json(entry: FaqEntry) -> dict[str, Any]:
    """An entry as the editor shows it."""
    return {
        **entry.snapshot(),
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
        "updated_at": entry.updated_at.isoformat() if entry.updated_at else None,
    }


def hit_json(hit: FaqHit, rank: int) -> dict[str, Any]:
    """One ranked match of a question."""
    return {
        "rank": rank,
        "entry_id": hit.entry.id,
        "external_key": hit.entry.external_key,
        "question": hit.entry.question,
        "answer": hit.entry.answer,
        "matched_phrasing": hit.matched_phrasing,
        "score": round(hit.score, 4),
        "confidence": round(hit.confidence, 4),
        "exact": hit.exact,
    }


#: How long a write's response waits for this worker's index to take it in. A large
#: import's phrasings take longer to embed (2,000 entries: 10-30 s on a CPU): that goes on
#: in the background, and the response says so (an edit made meanwhile waits for it too).
INDEX_WAIT_S = 3.0
STILL_INDEXING = (
    "the new phrasings are still being indexed; the bot answers from them in a minute or so"
)
_indexing: set[asyncio.Future[int]] = set()  # refreshes outliving their request


async def _refresh(context: ApiContext, wait_s: float | None = None) -> bool:
    """Bring this process's index up to the base; False when ``wait_s`` passed first (the
    refresh goes on, and the bot answers from the new entries when it is done)."""
    if context.retriever is None:
        return True
    refresh = asyncio.ensure_future(asyncio.to_thread(context.retriever.refresh))
    done, _ = await asyncio.wait({refresh}, timeout=wait_s)
    if not done:
        _indexing.add(refresh)
        refresh.add_done_callback(_indexed)
        return False
    refresh.result()
    return True


def _indexed(refresh: asyncio.Future[int]) -> None:
    _indexing.discard(refresh)
    if not refresh.cancelled() and refresh.exception() is not None:
        # the FAQ sync retries; the import itself is committed
        log.error("indexing an FAQ import failed", exc_info=refresh.exception())


def _terms(q: str | None) -> list[str]:
    """A search's terms: its words, and each "quoted phrase" as one ("5 working days"
    listed every entry with a 5 and the word days somewhere)."""
    found = re.findall(r'"([^"]*)"|(\S+)', (q or "").lower())
    terms = [" ".join(phrase.split()) if phrase else word.strip('"') for phrase, word in found]
    return [term for term in terms if term]


def _matches(entry: FaqEntry, terms: list[str]) -> bool:
    # one field per line, so a phrase never matches across two of them
    fields = (entry.external_key, *entry.phrasings, entry.answer, *entry.tags)
    haystack = "\n".join(" ".join(field.split()) for field in fields).lower()
    return all(term in haystack for term in terms)


@router.get("/entries")
async def list_entries(
    context: Context,
    _token: AdminToken,
    q: Annotated[
        str | None,
        Query(description='words (or "quoted phrases") every listed entry contains'),
    ] = None,
    include_deleted: bool = False,
) -> dict[str, Any]:
    """Entries ordered by id, optionally only those containing every word of ``q``;
    ``total`` counts the entries listed, ``in_base`` all there are (deleted ones only with
    ``include_deleted``)."""
    base = context.need_faq()
    entries = await asyncio.to_thread(base.list, include_deleted=include_deleted)
    terms = _terms(q)
    shown = [entry_json(e) for e in entries if _matches(e, terms)]
    revision = await asyncio.to_thread(base.current_revision)
    return {"entries": shown, "total": len(shown), "in_base": len(entries), "revision": revision}


@router.get("/entries/{entry_id}")
async def get_entry(entry_id: int, context: Context, _token: AdminToken) -> dict[str, Any]:
    """One entry, deleted or not."""
    return entry_json(await asyncio.to_thread(context.need_faq().get, entry_id))


@router.get("/entries/{entry_id}/history")
async def entry_history(entry_id: int, context: Context, _token: AdminToken) -> dict[str, Any]:
    """Every revision of one entry, oldest first."""
    revisions = await asyncio.to_thread(context.need_faq().history, entry_id)
    return {
        "revisions": [
            {
                "id": r.id,
                "entry_version": r.entry_version,
                "action": r.action,
                "changes": dict(r.changes),
                "author": r.author,
                "created_at": r.created_at.isoformat(),
            }
            for r in revisions
        ]
    }


@router.post("/entries", status_code=201)
async def create_entry(body: FaqCreate, context: Context, token: AdminToken) -> dict[str, Any]:
    """Add an entry; the bot answers with it from its next message on.

    The key of a deleted entry brings that entry back with this content (its history kept).
    """
    draft = FaqDraft(
        external_key=body.external_key,
        question=body.question,
        answer=body.answer,
        alternatives=tuple(body.alternatives),
        buttons=tuple(Button(b.title, b.payload) for b in body.buttons),
        links=tuple(Link(x.title, x.url) for x in body.links),
        tags=tuple(body.tags),
        language=body.language,
        active=body.active,
    )
    return await _write(
        context, lambda base: base.create(draft, author=token.signature), check=True
    )


@router.put("/entries/{entry_id}")
async def update_entry(
    entry_id: int, body: FaqUpdate, context: Context, token: AdminToken
) -> dict[str, Any]:
    """Edit an entry made at ``version``; 409 when someone saved a newer version meanwhile."""
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    nulls = sorted(k for k, v in changes.items() if v is None)
    if nulls:
        raise InvalidRequest(f"{nulls[0]}: must not be null; leave a field out to keep it")
    if not changes:
        raise InvalidRequest("nothing to change: send at least one field besides version")
    return await _write(
        context,
        lambda base: base.update(
            entry_id, expected_version=body.version, author=token.signature, **changes
        ),
        check=True,
    )


Version = Annotated[int | None, Query(ge=1, description="refuse if changed since")]


@router.delete("/entries/{entry_id}")
async def delete_entry(
    entry_id: int,
    context: Context,
    token: AdminToken,
    version: Version = None,
) -> dict[str, Any]:
    """Delete an entry (kept in the history; the bot stops answering with it)."""
    return await _write(
        context,
        lambda base: base.delete(entry_id, author=token.signature, expected_version=version),
    )


@router.post("/entries/{entry_id}/restore")
async def restore_entry(
    entry_id: int,
    context: Context,
    token: AdminToken,
    version: Version = None,
) -> dict[str, Any]:
    """Bring a deleted entry back as it was; the bot answers with it again."""
    return await _write(
        context,
        lambda base: base.restore(entry_id, author=token.signature, expected_version=version),
        check=True,  # searchable again: its phrasings may be another entry's now
    )


async def _write(
    context: ApiContext, change: Callable[[FaqBase], FaqEntry], *, check: bool = False
) -> dict[str, Any]:
    """Make one change to the base off the event loop, then refresh this process's index.

    ``check``: also warn of phrasings another entry has too (saved all the same: the other
    entry may be the one to change).
    """
    entry = await asyncio.to_thread(change, context.need_faq())
    indexed = await _refresh(context, INDEX_WAIT_S)
    saved = entry_json(entry)
    if check and indexed:  # read off the index, which must hold this version
        saved["warnings"] = await asyncio.to_thread(_shared_phrasings, context, entry)
    if not indexed:
        saved["warnings"] = [STILL_INDEXING]
    return saved


def _shared_phrasings(context: ApiContext, entry: FaqEntry) -> list[str]:
    retriever = context.retriever
    if retriever is None:
        return []
    try:
        return retriever.shared_phrasings(entry.id)
    except Exception:  # advice only: the write is committed, and must not read as failed
        log.exception("could not check the phrasings of FAQ entry %s", entry.id)
        return []


@router.post("/import")
async def import_entries(
    request: Request,
    context: Context,
    token: AdminToken,
    format: Annotated[Format, Query(description="the file's format")],
    filename: Annotated[
        str | None, Query(max_length=4096, description="the file's name, used in errors")
    ] = None,
    overwrite: Annotated[
        bool,
        Query(description="replace entries edited, deleted or restored since the export"),
    ] = False,
) -> dict[str, Any]:
    """Import a file sent as the request body; all or nothing, matched by external key.

    An exported file records each entry's version; an import that would undo a later edit
    is refused with 409 naming the entries, unless ``overwrite``.

    The response comes once the import is committed and, within a few seconds, searchable;
    ``indexed`` false (and a note) when this worker's index is still taking it in.
    """
    data = await request.body()
    # Errors name the user's file, never a server path.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) > 120:  # a long name only names the file; it does not refuse it
        name = name[:100] + "\u2026" + name[-19:]
    source = name if name.isprintable() and name else f"the uploaded {format} file"
    if not data.strip():  # "the request body is empty" was the API's word, not the editor's
        raise InvalidRequest(f"{source} is empty: nothing imported")
    base = context.need_faq()
    result = await asyncio.to_thread(
        lambda: import_data(
            base, data, fmt=format, author=token.signature, source=source, overwrite=overwrite
        )
    )
    indexed = await _refresh(context, INDEX_WAIT_S)
    notes = list(result.notes)
    if not indexed:
        notes.append(STILL_INDEXING)
    return {
        "created": list(result.created),
        "updated": list(result.updated),
        "unchanged": list(result.unchanged),
        "deleted": list(result.deleted),
        "revision": result.revision,
        "indexed": indexed,
        "notes": notes,
    }


@router.get("/export", response_class=PlainTextResponse)
async def export_entries(
    context: Context, _token: AdminToken, format: Format = "yaml"
) -> PlainTextResponse:
    """Every entry as a file in ``format``."""
    base = context.need_faq()
    entries = await asyncio.to_thread(base.list)
    text = render(entries, format)
    suffix = {"rasa": "yml"}.get(format, format)
    return PlainTextResponse(
        text,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="faq.{suffix}"'},
    )


@router.post("/try")
async def try_question(body: FaqTry, context: Context, _token: AdminToken) -> dict[str, Any]:
    """Ranked matches of a question with scores, what the FAQ would do with it, who answers
    it when it opens a chat (``chat``: the NLU's intent, and ``by`` "faq" or "intent", the
    project's ``action``; null without an NLU model) and what that chat says (``reply``:
    ``messages`` as the widget's history holds them, and ``then``, the project's own action
    that would run next and is not run here; null without a dialogue manager)."""
    if not shows_anything(body.text):  # the channels refuse it; trying it would mislead
        raise InvalidRequest("text: must not be empty")
    context.limiter.check_size(body.text)  # what the chat would refuse, the same way
    retriever = context.need_retriever()

    def run() -> tuple[list[FaqHit], Any]:
        # not behind an import's embedding (tens of seconds): the index as it stands
        retriever.refresh(wait=False)
        hits = retriever.search(body.text, body.k)
        return hits, retriever.decide_hits(hits)

    hits, decision = await asyncio.to_thread(run)
    chat = reply = None
    if context.dialogue is not None:
        # The FAQ's verdict alone disagreed with the chat, where a sure intent's canned
        # reply answers first; and staff could not see what the user would be told.
        try:
            parse = await context.dialogue.parse(body.text)
            if context.dialogue.ready()["nlu"]:
                chat = await context.dialogue.chat_reading(parse)
            reply = await context.dialogue.chat_reply(parse, chat)
        except Exception:  # the FAQ's own verdict still stands
            log.exception("could not read %r as the chat would", body.text[:80])
    return {
        "text": body.text,
        "decision": decision.kind,
        "confidence": round(decision.confidence, 4),
        "chosen": [h.entry.id for h in decision.hits],
        "matches": [hit_json(h, i + 1) for i, h in enumerate(hits)],
        "chat": chat,
        "reply": reply,
    }
