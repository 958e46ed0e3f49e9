"""An asyncio micro-batcher: concurrent ``parse`` calls share one forward pass."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from nlu.errors import NluError
from nlu.result import ParseResult


class BatchParser(Protocol):
    """Anything with ``parse_batch`` (an :class:`~nlu.NluModel`, or a test double)."""

    def parse_batch(self, texts: list[str]) -> list[ParseResult]: ...


_Item = tuple[str, "asyncio.Future[ParseResult]"]


class MicroBatcher:
    """Group concurrent parse requests into batches run in one worker thread.

    A batch closes when it holds ``max_batch_size`` messages or ``max_wait_ms`` after its first
    message arrived; under light load (the previous batch held a single message) a lone message
    goes at once, so a quiet server adds no waiting to its latency.

    Each caller gets its own result; a cancelled caller is dropped from its
    batch without disturbing the others; a failing batch fails only its own callers.

    Use ``async with MicroBatcher(model) as batcher`` or call :meth:`start` and :meth:`aclose`.
    """

    def __init__(
        self, model: BatchParser, max_batch_size: int = 32, max_wait_ms: float = 5.0
    ) -> None:
        if max_batch_size < 1 or max_wait_ms < 0:
            raise NluError("max_batch_size must be >= 1 and max_wait_ms >= 0")
        self.model = model
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self._queue: asyncio.Queue[_Item] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._light_load = True
        # Bounded: a server runs for months; the recent sizes are what tests and metrics read.
        self.batch_sizes: deque[int] = deque(maxlen=1000)
        """Sizes of the batches run so far (for tests and metrics)."""

    async def start(self) -> None:
        """Start the batching task on the running loop (idempotent)."""
        if self._task is not None:
            return
        self._queue = asyncio.Queue()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu-batch")
        self._task = asyncio.create_task(self._run(), name="nlu-micro-batcher")

    async def aclose(self) -> None:
        """Stop batching; requests still waiting are cancelled."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._queue is not None:
            while not self._queue.empty():
                _, future = self._queue.get_nowait()
                future.cancel()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def __aenter__(self) -> MicroBatcher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def parse(self, text: str) -> ParseResult:
        """Parse one message, batched with whatever else arrives within ``max_wait_ms``."""
        if self._task is None or self._queue is None:
            raise NluError("MicroBatcher is not started; call 'await batcher.start()' first")
        future: asyncio.Future[ParseResult] = asyncio.get_running_loop().create_future()
        await self._queue.put((text, future))
        return await future

    async def _collect(self, queue: asyncio.Queue[_Item]) -> list[_Item]:
        batch = [await queue.get()]
        deadline = asyncio.get_running_loop().time() + self.max_wait
        while len(batch) < self.max_batch_size:
            timeout = deadline - asyncio.get_running_loop().time()
            if not queue.empty():
                batch.append(queue.get_nowait())
                continue
            if timeout <= 0 or self._light_load:
                # Under light load (the last batch held one message) waiting only adds latency.
                break
            try:
                batch.append(await asyncio.wait_for(queue.get(), timeout))
            except TimeoutError:
                break
        return batch

    async def _run(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [item for item in await self._collect(self._queue) if not item[1].done()]
            if not batch:
                continue
            texts = [text for text, _ in batch]
            self.batch_sizes.append(len(texts))
            self._light_load = len(texts) == 1
            try:
                results = await loop.run_in_executor(self._executor, self.model.parse_batch, texts)
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
