"""How the service reaches ASR models: a small async protocol and an in-process version."""

from __future__ import annotations

import asyncio
from typing import Protocol

import numpy as np

from asr.types import AsrEngine, AsrRequest, AsrResult


class AsrBackend(Protocol):
    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult: ...

    async def detect_language(self, model: str, audio: np.ndarray, candidates: list[str]) -> dict[str, float]: ...

    async def readiness(self) -> dict[str, bool]:
        """Each model's name and whether it can take requests now."""
        ...


class InProcessAsrBackend:
    """Engines in this process, one request at a time per engine, off the event loop.

    Used by the app-tier tests and anywhere Ray is not wanted; the Serve graph
    uses :class:`deployments.ingress.ServeAsrBackend` instead.
    """

    def __init__(self, engines: dict[str, AsrEngine]):
        self.engines = engines
        self._locks = {name: asyncio.Lock() for name in engines}

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        async with self._locks[model]:
            return (await asyncio.to_thread(self.engines[model].transcribe_batch, [request]))[0]

    async def detect_language(self, model: str, audio: np.ndarray, candidates: list[str]) -> dict[str, float]:
        engine = self.engines[model]
        if not hasattr(engine, "detect_language"):
            raise NotImplementedError(f"model {model} cannot identify languages")
        async with self._locks[model]:
            return await asyncio.to_thread(engine.detect_language, audio, candidates)

    async def readiness(self) -> dict[str, bool]:
        return {name: True for name in self.engines}


class TextBackend(Protocol):
    """Text post-processing stages (ITN now; punctuation joins here)."""

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str: ...

    async def readiness(self) -> dict[str, bool]: ...


class InProcessTextBackend:
    """ITN in this process: pure Python and well under a millisecond per sentence."""

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str:
        import itn

        return itn.normalize(text, language_code, native_numerals)

    async def readiness(self) -> dict[str, bool]:
        return {"itn": True}
