"""How the service reaches the model stages: small async protocols and in-process versions.

The Serve graph implements the same protocols over deployment handles
(:mod:`deployments.ingress`); the app-tier tests and Ray-free use take these.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import numpy as np

from sunvai import itn
from sunvai.asr.types import AsrEngine, AsrRequest, AsrResult
from sunvai.language_router.lid import LanguageIdentifier, LidResult
from sunvai.punctuation.rules import RulePunctuator
from sunvai.punctuation.types import PunctuationEngine, PunctuationRequest


class AsrBackend(Protocol):
    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult: ...

    async def readiness(self) -> dict[str, bool]:
        """Each model's name and whether it can take requests now."""
        ...


class LidBackend(Protocol):
    async def identify(self, audio: np.ndarray, candidates: list[str]) -> LidResult: ...

    async def readiness(self) -> dict[str, bool]: ...


class TextBackend(Protocol):
    """Text post-processing stages: punctuation, then inverse text normalization."""

    async def punctuate(self, request: PunctuationRequest) -> str: ...

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str: ...

    async def readiness(self) -> dict[str, bool]: ...


class InProcessAsrBackend:
    """Engines in this process, one request at a time per engine, off the event loop."""

    def __init__(self, engines: dict[str, AsrEngine]):
        self.engines = engines
        self._locks = {name: asyncio.Lock() for name in engines}

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        async with self._locks[model]:
            return (await asyncio.to_thread(self.engines[model].transcribe_batch, [request]))[0]

    async def readiness(self) -> dict[str, bool]:
        return {name: True for name in self.engines}


class InProcessLidBackend:
    def __init__(self, identifier: LanguageIdentifier):
        self.identifier = identifier
        self._lock = asyncio.Lock()

    async def identify(self, audio: np.ndarray, candidates: list[str]) -> LidResult:
        async with self._lock:
            return (await asyncio.to_thread(self.identifier.identify_batch, [audio], [candidates]))[0]

    async def readiness(self) -> dict[str, bool]:
        return {"lid": True}


class InProcessTextBackend:
    """Punctuation and ITN in this process (the rules and ITN take well under a millisecond)."""

    def __init__(self, punctuator: PunctuationEngine | None = None):
        self.punctuator = punctuator or RulePunctuator()

    @classmethod
    def warmed(cls, punctuator: PunctuationEngine) -> InProcessTextBackend:
        """One whose ITN grammars are built (``punctuator``: warmed by its builder), so no request waits."""
        itn.build_grammars()
        return cls(punctuator)

    async def punctuate(self, request: PunctuationRequest) -> str:
        return (await asyncio.to_thread(self.punctuator.punctuate_batch, [request]))[0]

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str:
        return await asyncio.to_thread(itn.normalize, text, language_code, native_numerals)

    async def readiness(self) -> dict[str, bool]:
        return {"punctuation": True, "itn": True}
