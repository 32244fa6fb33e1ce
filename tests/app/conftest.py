"""The app tier: the FastAPI app (every HTTP and WebSocket surface) over in-process engines, driven by
Starlette's TestClient or httpx over ASGI; no Ray."""

from __future__ import annotations

import pytest

from tests.helpers import mark_tier


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, "app")


@pytest.fixture(scope="module")
def whisper_client(ct2_engine):
    """The app with its default settings over whisper-base (CTranslate2) in-process, for one module."""
    from fastapi.testclient import TestClient

    from sunvai.api.app import create_app
    from sunvai.service.args import AppArgs
    from sunvai.service.backend import InProcessAsrBackend
    from sunvai.service.transcription import TranscriptionService

    service = TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": ct2_engine}))
    with TestClient(create_app(service)) as test_client:
        yield test_client
