"""The app tier: the FastAPI app (every HTTP and WebSocket surface) over in-process engines, driven by
Starlette's TestClient or httpx over ASGI; no Ray."""

from __future__ import annotations

from tests.helpers import mark_tier


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, "app")
