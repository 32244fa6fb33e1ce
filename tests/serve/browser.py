"""Debian's Chromium driven by Playwright's Python API (the page, keyed and not): no browser download."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest


def chromium_path() -> str:
    """Debian's Chromium (Playwright's own browser download cannot run here); skip where it is missing."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("Chromium is not installed (make test-setup installs Debian's chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (the test extra has it)")
    return path


@contextlib.contextmanager
def launched_chromium(microphone: Path):
    """Headless Chromium driven by Playwright's Python API, its microphone the WAV file ``microphone``.

    While it runs, Playwright's sync API holds an asyncio loop on this thread, and code that refuses to
    block inside a running loop (a Serve handle's ``.result()``) fails: keep it to the tests that drive
    the page."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=[
            "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}", "--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


def open_page(browser, url: str):
    """A fresh browser context (microphone allowed, downloads accepted) and a page at ``url``."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, accept_downloads=True,
                                  permissions=["microphone"])
    page = context.new_page()
    page.goto(url)
    return context, page
