"""``deskbot faq …`` (import, export, list, restore, search, reindex), ``deskbot evaluate faq``."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from sqlalchemy.exc import DBAPIError

from bot.cli.output import output_file, write_output
from bot.db import DatabaseError, create_db_engine, upgrade
from bot.db import explain as db_explain
from bot.errors import BotError
from bot.settings import Settings, load_settings
from knowledge import (
    EmbeddingCache,
    Encoder,
    FaqBase,
    KnowledgeError,
    announce_revision,
    export_file,
    import_file,
    read_file,
)

if TYPE_CHECKING:
    # The retriever brings torch and faiss: loaded by the commands that search, so that
    # `faq list`, `import` or `--help` start in a second.
    from knowledge import FaqRetriever, RetrieverConfig
    from knowledge.formats import Drafts
    from knowledge.scoring import Mode

EncoderFactory = Callable[[Settings], Encoder]


def default_encoder(settings: Settings) -> Encoder:
    """The configured sentence encoder (weights load on first use)."""
    from nlu.encoder import SentenceEncoder

    return SentenceEncoder(settings.encoder, device=settings.device, threads=settings.torch_threads)


def faq_data_dir(settings: Settings) -> Path:
    """Where the FAQ index and embedding cache live under the data dir."""
    return settings.data_dir / "faq"


@contextmanager
def scratch_retriever(
    faq_file: Path,
    encoder: Encoder,
    *,
    mode: Mode = "hybrid",
    config: RetrieverConfig | None = None,
    cache_dir: Path | None = None,
) -> Iterator[FaqRetriever]:
    """A started retriever over a throwaway SQLite base loaded from a FAQ file.

    Args:
        faq_file: any importable FAQ file (JSON list, CSV, YAML, Rasa).
        encoder: the sentence encoder.
        mode: hybrid, dense or bm25.
        config: retriever settings (``mode`` overrides its mode).
        cache_dir: keep the embedding cache here between runs (None: a temp folder).
    """
    from dataclasses import replace

    from knowledge import FaqRetriever, RetrieverConfig

    with tempfile.TemporaryDirectory(prefix="deskbot-faq-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'faq.db'}"
        upgrade(url)
        engine = create_db_engine(url)
        try:
            base = FaqBase(engine)
            import_file(base, faq_file, author="evaluate")
            retriever = FaqRetriever(
                base,
                encoder,
                config=replace(config or RetrieverConfig(), mode=mode),
                embeddings=EmbeddingCache(encoder, cache_dir) if cache_dir else None,
            )
            retriever.start()
            retriever.wait_adapted()
            try:
                yield retriever
            finally:
                retriever.close()
        finally:
            engine.dispose()


def register(
    app: typer.Typer, evaluate_app: typer.Typer, *, encoder_factory: EncoderFactory | None = None
) -> None:
    """Add ``faq`` commands to the CLI (``encoder_factory`` lets tests share one encoder)."""
    make_encoder = encoder_factory or default_encoder
    faq_app = typer.Typer(help="Edit and search the FAQ base.", no_args_is_help=True)
    app.add_typer(faq_app, name="faq")

    @contextmanager
    def opened() -> Iterator[tuple[Settings, FaqBase]]:
        try:
            settings = load_settings()
            engine = create_db_engine(settings.database_url, must_exist=True)
        except (BotError, KnowledgeError) as exc:
            raise _fail(exc) from None
        base = FaqBase(engine)
        written: list[int] = []
        base.add_listener(written.append)
        try:
            yield settings, base
        except (BotError, KnowledgeError) as exc:
            raise _fail(exc) from None
        finally:
            engine.dispose()
            # Running servers hear of it now, not at their next poll (up to 15 s).
            announced = (
                not written
                or not settings.redis_url
                or announce_revision(
                    settings.redis_url, max(written), key_prefix=settings.redis_prefix
                )
            )
            if not announced:
                typer.echo(
                    "note: Redis did not answer; running servers pick the change up at "
                    "their next poll (within 15 s)",
                    err=True,
                )

    def database_exists() -> bool:
        try:
            create_db_engine(load_settings().database_url, must_exist=True).dispose()
        except DatabaseError:
            return False
        except BotError as exc:  # settings the user must fix first
            raise _fail(exc) from None
        return True

    @contextmanager
    def started(settings: Settings, base: FaqBase) -> Iterator[FaqRetriever]:
        from knowledge import FaqRetriever

        retriever = FaqRetriever(base, make_encoder(settings), data_dir=faq_data_dir(settings))
        retriever.start()
        retriever.wait_adapted()  # show what a warmed-up worker would answer
        try:
            yield retriever
        finally:
            retriever.close()

    @faq_app.command("import")
    def import_(
        file: Annotated[Path, typer.Argument(help="CSV, JSON, YAML, Rasa YAML file or folder.")],
        fmt: Annotated[
            str | None, typer.Option("--format", help="csv, json, yaml or rasa.")
        ] = None,
        author: Annotated[str, typer.Option("--author", help="Recorded in the history.")] = "cli",
        check: Annotated[
            bool,
            typer.Option(
                "--check",
                help="Import and take it back: what it would do, or refuse; nothing written.",
            ),
        ] = False,
        overwrite: Annotated[
            bool,
            typer.Option(
                "--overwrite",
                help="Replace entries edited, deleted or restored after the file was exported.",
            ),
        ] = False,
    ) -> None:
        """Import entries (all or nothing; upserts by id, unchanged rows untouched).

        A CSV has the columns question, answer and, optionally, id (else the key is made
        from the question, as the editor makes it), alternatives and tags
        (several in one cell separated by "|"), buttons and links (JSON lists), language,
        active. An exported file records each entry's version: by default an import that
        would undo a later edit is refused, naming the entries.
        """
        from knowledge.transfer import check_new_keys, notes_after_import

        try:  # the file first: its errors are the user's to fix whatever the database
            drafts = read_file(file, fmt)
        except KnowledgeError as exc:
            raise _fail(exc) from None
        for note in drafts.notes:
            typer.echo(f"note: {note}")
        count = _entries(len(drafts))
        if check and not database_exists():  # before `deskbot db upgrade`: the file alone
            # a spaced key was called valid here and refused by the import
            _check_alone(drafts, file)
            typer.echo(f"{file}: {count}, all valid (nothing written)")
            return
        try:
            with opened() as (_, base):
                # --check imports and rolls back: the file's conflicts with later edits
                # are found as the import would find them.
                check_new_keys(base, drafts, str(file))
                result = base.upsert_many(drafts, author=author, overwrite=overwrite, dry_run=check)
                shared = notes_after_import(base, result)
        except DBAPIError as error:
            if not check:
                raise
            # A database that cannot be reached or is not set up: the file's verdict
            # still stands (a CI step checks files without one).
            reason = db_explain(error) or error
            _check_alone(drafts, file)
            typer.echo(f"{file}: {count}, all valid (nothing written)")
            typer.echo(f"note: not compared with the database: {reason}", err=True)
            return
        for note in shared:
            typer.echo(f"note: {note}")
        if check:
            deleted = f", delete {len(result.deleted)}" if result.deleted else ""
            typer.echo(
                f"{file}: {count}, all valid; importing would create {len(result.created)}, "
                f"update {len(result.updated)}, leave {len(result.unchanged)} unchanged{deleted} "
                "(nothing written)"
            )
            return
        deleted = f", {len(result.deleted)} deleted" if result.deleted else ""
        typer.echo(
            f"imported {file}: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged{deleted} (revision {result.revision})"
        )

    @faq_app.command("export")
    def export(
        file: Annotated[
            Path,
            typer.Argument(
                help="File to write (.csv, .json, .yaml; .yml with --format rasa for Rasa)."
            ),
        ],
        fmt: Annotated[
            str | None, typer.Option("--format", help="csv, json, yaml or rasa.")
        ] = None,
        deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted.")] = False,
    ) -> None:
        """Write every entry to a file."""
        try:
            output_file(file, "FILE")  # before the database: one thing to fix at a time
        except BotError as exc:
            raise _fail(exc) from None
        with opened() as (_, base):
            count = export_file(base, file, fmt=fmt, include_deleted=deleted)
        typer.echo(f"exported {_entries(count)} to {file}")

    @faq_app.command("list")
    def list_(
        tag: Annotated[
            str | None, typer.Option("--tag", help="Only entries with this tag.")
        ] = None,
        deleted: Annotated[bool, typer.Option("--deleted", help="Include deleted.")] = False,
    ) -> None:
        """List entries: key, version, state and question."""
        with opened() as (_, base):
            entries = base.list(include_deleted=deleted, tag=tag)
        for entry in entries:
            state = "deleted" if entry.deleted_at else "active" if entry.active else "inactive"
            typer.echo(f"{entry.external_key}\tv{entry.version}\t{state}\t{entry.question}")
        typer.echo(_entries(len(entries)))

    @faq_app.command("restore")
    def restore(
        key: Annotated[str, typer.Argument(help="The deleted entry's id (external key).")],
        author: Annotated[str, typer.Option("--author", help="Recorded in the history.")] = "cli",
    ) -> None:
        """Bring a deleted entry back as it was."""
        with opened() as (_, base):
            entry = base.restore(base.get_by_key(key).id, author=author)
        typer.echo(f"restored {entry.external_key} (version {entry.version})")

    @faq_app.command("search")
    def search(
        text: Annotated[str, typer.Argument(help="A customer message.")],
        k: Annotated[int, typer.Option("-k", min=1, help="How many entries.")] = 5,
    ) -> None:
        """Search the FAQ and show what the bot would do."""
        if not text.strip():
            raise _fail(KnowledgeError("the text is empty; give a customer message to search"))
        with opened() as (settings, base), started(settings, base) as retriever:
            hits = retriever.search(text, k)
            decision = retriever.decide_hits(hits)
        if hits:
            typer.echo("confidence\tscore\tentry\tclosest phrasing")
        for hit in hits:
            typer.echo(
                f"{hit.confidence:.3f}\t{hit.score:.3f}\t{hit.entry.external_key}\t"
                f"{hit.matched_phrasing}"
            )
        typer.echo(f"decision: {decision.kind} (confidence {decision.confidence:.3f})")

    @faq_app.command("reindex")
    def reindex() -> None:
        """Rebuild the FAQ index from the database."""
        with opened() as (settings, base), started(settings, base) as retriever:
            revision = retriever.reindex()
            count = retriever.index.state.phrasing_count() if retriever.index.state else 0
        typer.echo(f"reindexed {count} phrasings at revision {revision}")

    @evaluate_app.command("faq")
    def evaluate_faq(
        faq: Annotated[
            Path,
            typer.Option(
                "--faq",
                help='FAQ entries: a JSON list of {"id", "question", "answer", "alternatives", '
                '"tags"}, or any file `faq import` reads.',
            ),
        ],
        queries: Annotated[
            Path,
            typer.Option(
                "--queries",
                help='A JSON list of {"query": text, "expected": an entry\'s id, or null '
                "for a question the FAQ cannot answer}.",
            ),
        ],
        report: Annotated[Path, typer.Option("--report", help="Where to write the JSON report.")],
        retriever_mode: Annotated[
            str, typer.Option("--retriever", help="bm25, dense or hybrid.")
        ] = "hybrid",
        details: Annotated[
            Path | None,
            typer.Option("--details", help="Also write what happened to each query (JSON lines)."),
        ] = None,
    ) -> None:
        """Score FAQ retrieval and decisions on labelled queries."""
        from knowledge import QueryOutcome, evaluate, load_queries
        from knowledge.scoring import MODES

        if retriever_mode not in MODES:
            raise _fail(KnowledgeError(f"--retriever must be one of {', '.join(MODES)}"))
        mode: Mode = retriever_mode
        try:
            output_file(report, "--report")
            if details is not None:
                output_file(details, "--details")
            # the FAQ's keys first: a query naming no entry is told beside the others
            known = [d.external_key for d in read_file(faq) if d.active and not d.deleted]
            labelled = load_queries(queries, known)
            settings = load_settings()
            encoder = make_encoder(settings)
            outcomes: list[QueryOutcome] = []
            with scratch_retriever(faq, encoder, mode=mode) as retriever:
                result = evaluate(retriever, labelled, source=str(queries), outcomes=outcomes)
        except (BotError, KnowledgeError) as exc:
            raise _fail(exc) from None
        data: dict[str, Any] = result.to_dict()
        try:
            write_output(report, json.dumps(data, indent=2) + "\n", "--report")
            if details is not None:
                lines = (json.dumps(o.to_dict(), ensure_ascii=False) for o in outcomes)
                write_output(details, "".join(line + "\n" for line in lines), "--details")
        except BotError as exc:
            raise _fail(exc) from None
        if result.n == 0:
            typer.echo("note: no query expects an entry, so recall, MRR and answered right "
                       "measure nothing here (they read 0)")  # fmt: skip
        precision = result.answer_precision
        if precision is None:
            typer.echo("note: no query was answered, so there is no answer precision (null); "
                       "the thresholds were tuned for hybrid, and bm25 or dense alone answer "
                       "less")  # fmt: skip
        typer.echo(
            f"{mode}: R@1 {result.recall_at_1:.3f}  R@5 {result.recall_at_5:.3f}  "
            f"MRR {result.mrr:.3f}  answered right {result.answered_right:.3f}  "
            f"precision {'n/a' if precision is None else f'{precision:.3f}'}  "
            f"OOS answered {result.oos_answered:.3f}"
        )


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _check_alone(drafts: Drafts, file: Path) -> None:
    """What the base would refuse in the file, as for a base without its entries."""
    from knowledge.transfer import check_new_keys

    try:
        check_new_keys(None, drafts, str(file))
    except KnowledgeError as exc:
        raise _fail(exc) from None


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code=2)
