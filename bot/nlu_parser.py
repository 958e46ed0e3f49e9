"""The trained NLU model as the dialogue manager's parser, with concurrent calls micro-batched."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from nlu import MicroBatcher, NluModel


class NluParser:
    """Loads a model directory once; ``parse`` goes through a micro-batcher."""

    def __init__(self, model: NluModel, *, max_batch_size: int = 32, max_wait_ms: float = 3.0):
        self.model = model
        self.batcher = MicroBatcher(model, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)

    @classmethod
    async def load(cls, model_dir: Path, *, device: str, threads: int) -> NluParser:
        model = await asyncio.to_thread(NluModel.load, model_dir, device=device, threads=threads)
        parser = cls(model)
        await parser.batcher.start()
        return parser

    async def parse(self, text: str) -> dict[str, Any]:
        result = await self.batcher.parse(text)
        return result.to_dict()

    async def aclose(self) -> None:
        await self.batcher.aclose()
