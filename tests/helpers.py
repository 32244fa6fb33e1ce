"""Small helpers every tier uses: where the repository is, a free loopback port."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mark_tier(items: list[pytest.Item], conftest: str, marker: str) -> None:
    """Mark every collected test below ``conftest``'s folder with the tier's marker (a conftest's
    collection hook sees the items of every folder)."""
    folder = Path(conftest).parent
    for item in items:
        if item.path.is_relative_to(folder):
            item.add_marker(getattr(pytest.mark, marker))
