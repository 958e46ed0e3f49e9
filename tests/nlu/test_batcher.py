"""The asyncio micro-batcher: grouping, ordering, cancellation, failures."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from nlu import IntentScore, MicroBatcher, NluError, NluModel, ParseResult


class EchoModel:
    """Answers each text with an intent named after it; records the batches it saw."""

    def __init__(self, delay: float = 0.0, fail_on: str | None = None) -> None:
        self.delay = delay
        self.fail_on = fail_on
        self.batches: list[list[str]] = []
        self.threads: set[str] = set()
        self.started = threading.Event()

    def parse_batch(self, texts: list[str]) -> list[ParseResult]:
        self.started.set()
        self.threads.add(threading.current_thread().name)
        self.batches.append(list(texts))
        time.sleep(self.delay)
        if self.fail_on in texts:
            raise RuntimeError("boom")
        score = IntentScore("echo", 1.0)
        return [ParseResult(t, IntentScore(t, 1.0), (score,), ()) for t in texts]


async def test_concurrent_calls_are_grouped_and_answered_in_order() -> None:
    model = EchoModel()
    async with MicroBatcher(model, max_batch_size=8, max_wait_ms=50) as batcher:
        texts = [f"m{i}" for i in range(20)]
        results = await asyncio.gather(*(batcher.parse(t) for t in texts))
    assert [r.intent.name for r in results] == texts
    assert [len(b) for b in model.batches] == [8, 8, 4]
    assert list(batcher.batch_sizes) == [8, 8, 4]
    assert all(name.startswith("nlu-batch") for name in model.threads)


async def test_a_lone_call_under_light_load_does_not_wait() -> None:
    model = EchoModel()
    async with MicroBatcher(model, max_batch_size=64, max_wait_ms=2000) as batcher:
        started = time.perf_counter()
        result = await batcher.parse("solo")
        elapsed = time.perf_counter() - started
    assert result.text == "solo"
    assert elapsed < 1.0
    assert model.batches == [["solo"]]


async def test_under_load_a_batch_waits_for_late_arrivals() -> None:
    model = EchoModel()
    async with MicroBatcher(model, max_batch_size=64, max_wait_ms=300) as batcher:
        await asyncio.gather(*(batcher.parse(f"warm{i}") for i in range(3)))

        async def late() -> ParseResult:
            await asyncio.sleep(0.03)
            return await batcher.parse("late")

        early, later = await asyncio.gather(batcher.parse("early"), late())
    assert (early.text, later.text) == ("early", "late")
    assert model.batches[-1] == ["early", "late"]


async def test_cancelled_caller_does_not_break_the_others() -> None:
    model = EchoModel(delay=0.05)
    async with MicroBatcher(model, max_batch_size=4, max_wait_ms=30) as batcher:
        first = asyncio.create_task(batcher.parse("first"))
        await asyncio.sleep(0)
        doomed = asyncio.create_task(batcher.parse("doomed"))
        await asyncio.sleep(0)
        doomed.cancel()
        rest = [asyncio.create_task(batcher.parse(f"x{i}")) for i in range(5)]
        results = await asyncio.gather(first, *rest)
        with pytest.raises(asyncio.CancelledError):
            await doomed
        # Cancel a caller whose batch is already running: the batch still completes for others.
        running = [asyncio.create_task(batcher.parse(f"r{i}")) for i in range(3)]
        await asyncio.to_thread(model.started.wait)
        await asyncio.sleep(0.06)
        running[1].cancel()
        survivors = await asyncio.gather(running[0], running[2])
    assert [r.text for r in results] == ["first", "x0", "x1", "x2", "x3", "x4"]
    assert "doomed" not in [t for b in model.batches for t in b]
    assert [r.text for r in survivors] == ["r0", "r2"]


async def test_a_failing_batch_fails_only_its_callers() -> None:
    model = EchoModel(fail_on="bad")
    async with MicroBatcher(model, max_batch_size=2, max_wait_ms=50) as batcher:
        bad = batcher.parse("bad")
        good = batcher.parse("good")
        results = await asyncio.gather(bad, good, return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        assert (await batcher.parse("later")).text == "later"


async def test_not_started_and_bad_settings() -> None:
    batcher = MicroBatcher(EchoModel())
    with pytest.raises(NluError, match="not started"):
        await batcher.parse("x")
    with pytest.raises(NluError):
        MicroBatcher(EchoModel(), max_batch_size=0)
    await batcher.aclose()  # closing an unstarted batcher is fine


async def test_aclose_cancels_waiting_callers() -> None:
    model = EchoModel(delay=0.2)
    batcher = MicroBatcher(model, max_batch_size=1, max_wait_ms=0)
    await batcher.start()
    tasks = [asyncio.create_task(batcher.parse(f"t{i}")) for i in range(3)]
    await asyncio.to_thread(model.started.wait)
    await batcher.aclose()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)


@pytest.mark.slow
async def test_real_model_through_the_batcher(toy_model: NluModel) -> None:
    texts = ["hello", "order a small pizza", "weather in Paris", "bye"] * 4
    expected = [r.to_dict() for r in toy_model.parse_batch(texts)]
    async with MicroBatcher(toy_model, max_batch_size=8, max_wait_ms=20) as batcher:
        results = await asyncio.gather(*(batcher.parse(t) for t in texts))
    for got, want in zip(results, expected, strict=True):
        assert got.intent.name == want["intent"]["name"]
        assert abs(got.intent.confidence - want["intent"]["confidence"]) < 1e-4
