"""The cluster tier: a multi-node Ray cluster of its own (marked ``cluster``); make test runs it in a second
pytest process, because it cannot share a process with the Serve tier's single-node instance."""

from __future__ import annotations

from tests.helpers import mark_tier


def pytest_collection_modifyitems(items):
    mark_tier(items, __file__, "cluster")
