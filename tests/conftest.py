"""Shared fixtures: real databases (SQLite and PostgreSQL) and a real Redis.

PostgreSQL and Redis come from DESKBOT_TEST_DATABASE_URL / DESKBOT_TEST_REDIS_URL, defaulting
to the local servers. When one is unreachable its tests are skipped with one line saying how
to point them at a server, except under CI, where that is an error.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.trained_models import share_of_cores, trained_once, training_code_digest, workers

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
if workers() > 1:
    # what the tests start (`deskbot train`, a second worker) runs on this worker's share too
    os.environ.setdefault("OMP_NUM_THREADS", str(share_of_cores()))

from bot import db
from bot.db import TARGET_METADATA, create_db_engine

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_DEFAULT = "redis://127.0.0.1:6379/0"
IN_CI = bool(os.environ.get("CI"))


def _unavailable(what: str, variable: str, url: str, error: Exception) -> None:
    message = f"{what} not reachable at {url} ({type(error).__name__}); set {variable} to run these"
    if IN_CI:
        pytest.fail(f"CI needs {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    url = os.environ.get("DESKBOT_TEST_DATABASE_URL", PG_DEFAULT)
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as error:
        _unavailable("PostgreSQL", "DESKBOT_TEST_DATABASE_URL", url, error)
    return url


@pytest.fixture(scope="session")
def postgres_database(postgres_server_url: str) -> Iterator[str]:
    """A database of its own for this test session, migrated to head, dropped at the end."""
    name = f"deskbot_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    db.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db.upgrade(f"sqlite:///{path}")
    return path


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for metadata in TARGET_METADATA:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


def fresh_database(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database at the latest schema: ``sqlite`` or ``postgresql``."""
    if kind == "sqlite":
        path = tmp_path / "deskbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    engine = create_db_engine(url)
    _empty_tables(engine)
    engine.dispose()
    return url


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], str]:
    """Make an empty database at the latest schema on demand: ``new_database("sqlite")``."""
    return lambda kind: fresh_database(kind, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty database at the latest schema, on each backend."""
    return fresh_database(request.param, request, tmp_path)


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("DESKBOT_TEST_REDIS_URL", REDIS_DEFAULT)
    try:
        import redis

        client = redis.Redis.from_url(url, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as error:
        _unavailable("Redis", "DESKBOT_TEST_REDIS_URL", url, error)
    return url


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    import redis

    prefix = f"deskbot-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*"))
    if keys:
        client.delete(*keys)
    client.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Anything that touches PostgreSQL or Redis is an integration test, whatever its file.
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(item, "callspec", None)
        on_pg = params is not None and "postgresql" in params.params.values()
        if on_pg or names & {"redis_url", "redis_prefix", "postgres_database"}:
            item.add_marker(pytest.mark.integration)


DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo"
DEMO_TEST_EPOCHS = 8


@pytest.fixture(scope="session")
def trained_demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Path:
    """A copy of the demo project with a trained NLU model, for tests that need the real bot.

    Training is real (the packaged encoder, the demo's data); the model is cached under
    .cache/test-models by its data fingerprint and the training code, so it is retrained
    whenever either changes.
    """
    from bot.project import load_project
    from bot.settings import load_settings
    from bot.training import nlu_model_dir, train_project, training_data
    from knowledge import FaqBase
    from nlu import refresh_extractors

    root = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(DEMO, root, ignore=shutil.ignore_patterns("models", "__pycache__"))
    database = root.parent / "train.db"
    shutil.copy(sqlite_template, database)
    settings = load_settings(database_url=f"sqlite:///{database}", project_dir=root)
    engine = create_db_engine(settings.database_url)
    try:
        project = load_project(root)
        from bot.training import seed_faq

        seed_faq(project, FaqBase(engine))
        data = training_data(project, FaqBase(engine))

        def train_into(folder: Path) -> None:
            train_project(project, settings, engine, epochs=DEMO_TEST_EPOCHS, progress=False)
            shutil.copytree(nlu_model_dir(project), folder)

        config = hashlib.sha256((root / "config.yml").read_bytes()).hexdigest()[:8]
        key = f"{data.fingerprint()[:16]}-{config}-{training_code_digest()}-e{DEMO_TEST_EPOCHS}"
        cached = trained_once(key, train_into)
        shutil.rmtree(nlu_model_dir(project), ignore_errors=True)  # trained here, if it was
        shutil.copytree(cached, nlu_model_dir(project))
        # what is read beside the weights follows the code, as `deskbot train` does it
        refresh_extractors(nlu_model_dir(project), data)
    finally:
        engine.dispose()
    return root
