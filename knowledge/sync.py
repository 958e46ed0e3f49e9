"""Keeping every process's FAQ index in step with the base.

A process that writes publishes the new revision on Redis; every process listens and calls
`FaqRetriever.refresh`. Without Redis (or if a message is lost) each process polls
`FaqBase.current_revision()`; polling also runs beside Redis, less often, as a safety net.
While Redis cannot be reached (down at start, or lost later) polling runs at its own pace
again, so edits still arrive within seconds; a worker never fails to start for it.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, cast

import redis

if TYPE_CHECKING:  # the CLI announces revisions without loading faiss and torch
    from knowledge.base import FaqBase
    from knowledge.retriever import FaqRetriever

log = logging.getLogger(__name__)


def revision_channel(prefix: str) -> str:
    """The Redis pub/sub channel carrying new FAQ revisions (the one key name sync uses)."""
    return f"{prefix}:faq:v1:revision"


def _client(redis_url: str) -> redis.Redis:
    # Short timeouts: an edit publishes from the editor's request (or a CLI command), which
    # must not hang on a Redis host that does not answer.
    return redis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=2)


def announce_revision(redis_url: str, revision: int, *, key_prefix: str = "deskbot") -> bool:
    """Tell every process watching the base through Redis that it is at ``revision``: for a
    writer that runs no `FaqSync` (a CLI command), whose edits servers would otherwise see
    only at their next safety-net poll. False when Redis could not be reached."""
    client = _client(redis_url)
    try:
        return _publish(client, revision_channel(key_prefix), revision)
    finally:
        client.close()


def _publish(client: redis.Redis, channel: str, revision: int) -> bool:
    try:
        client.publish(channel, str(revision))
    except redis.RedisError:
        return False
    return True


class FaqSync:
    """Watches for edits made by any process and refreshes a retriever.

    Args:
        retriever: the retriever to refresh (its base is the one watched).
        redis_url: publish/subscribe through Redis when given; else poll only.
        key_prefix: prefix of the Redis channel name.
        poll_interval: seconds between revision polls without Redis.
        redis_poll_interval: seconds between safety-net polls with Redis.
    """

    def __init__(
        self,
        retriever: FaqRetriever,
        *,
        redis_url: str | None = None,
        key_prefix: str = "deskbot",
        poll_interval: float = 1.0,
        redis_poll_interval: float = 15.0,
    ) -> None:
        self.retriever = retriever
        self.base: FaqBase = retriever.base
        self.channel = revision_channel(key_prefix)
        self.poll_interval = poll_interval
        self.redis_poll_interval = redis_poll_interval
        self._redis: redis.Redis | None = _client(redis_url) if redis_url else None
        self._redis_ok = False  # subscribed and hearing from Redis
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._pubsub: Any = None

    def start(self) -> None:
        """Publish this process's edits and start watching for everyone's."""
        if self._threads:
            return
        self.base.add_listener(self._published)
        if self._redis is not None:
            self._pubsub = cast(Any, self._redis).pubsub(ignore_subscribe_messages=True)
            self._threads.append(threading.Thread(target=self._listen, daemon=True))
        self._threads.append(threading.Thread(target=self._poll, daemon=True))
        for thread in self._threads:
            thread.start()

    def close(self) -> None:
        """Stop watching and close the Redis connections."""
        self.base.remove_listener(self._published)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()
        if self._pubsub is not None:
            self._pubsub.close()
        if self._redis is not None:
            self._redis.close()

    def _published(self, revision: int) -> None:
        # Our own edits are searchable at once in this process; others hear it from Redis.
        self._wake.set()
        if self._redis is not None and not _publish(self._redis, self.channel, revision):
            log.warning("could not publish FAQ revision %s; other workers will poll", revision)

    def _listen(self) -> None:
        subscribed = warned = False
        while not self._stop.is_set():
            try:
                if not subscribed:
                    self._pubsub.subscribe(self.channel)
                    subscribed = True
                # redis-py reconnects and subscribes again by itself after a lost connection
                message = self._pubsub.get_message(timeout=0.5)
            except (redis.RedisError, ValueError, OSError):
                if self._stop.is_set():
                    return
                if not warned:  # once per outage
                    log.warning("cannot reach the FAQ revision channel; polling meanwhile")
                self._redis_ok, warned = False, True
                self._stop.wait(1.0)
                continue
            if not self._redis_ok:
                self._redis_ok, warned = True, False
                self._wake.set()  # catch up with whatever was published while away
            if message is not None:
                self._wake.set()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.redis_poll_interval if self._redis_ok else self.poll_interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.retriever.refresh()
            except Exception:  # a DB hiccup must not stop syncing
                log.exception("refreshing the FAQ index failed; will retry")
