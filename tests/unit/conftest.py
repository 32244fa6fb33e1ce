"""The unit tier: modules and engines on their own, no Ray and no HTTP app."""

from __future__ import annotations

from tests.helpers import mark_tier


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, "unit")
