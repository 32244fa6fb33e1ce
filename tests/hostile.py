"""Hostile input for tests/app/test_hostile.py and tests/serve/test_hostile.py: real clips mutated by
Hypothesis, and what counts as handled (a 200 or a client error with a message, never a 5xx)."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import strategies as st


CONTAINERS = ("wav", "mp3", "ogg", "opus", "flac", "m4a", "webm")
CLIENT_ERRORS = {400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 431}


SAMPLES: dict[str, bytes] = {}  # container -> a real clip in it (filled by the fixture; kept out of reprs)


@pytest.fixture(scope="module")
def samples(clips) -> dict[str, bytes]:
    SAMPLES.update({fmt: (clips.english_as("hello", fmt) if fmt != "wav" else clips.english["hello"]).read_bytes()
                    for fmt in CONTAINERS})
    return SAMPLES


@st.composite
def mutated(draw) -> bytes:
    """A real container, then bytes flipped, cut, repeated or inserted, often in its header."""
    data = bytearray(SAMPLES[draw(st.sampled_from(CONTAINERS))])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat", "zero_header"]))
        at = draw(st.one_of(st.integers(0, min(64, len(data) - 1)), st.integers(0, max(0, len(data) - 1))))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            data = data[:at]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "repeat":
            data += data[at:at + draw(st.integers(1, 4096))]
        else:
            data[:at] = bytes(at)
    return bytes(data)


def audio_bodies(samples):
    return st.one_of(mutated(), st.binary(max_size=2048))


def assert_handled(response: httpx.Response) -> None:
    assert response.status_code == 200 or response.status_code in CLIENT_ERRORS, (response.status_code,
                                                                                   response.text[:300])
    if response.status_code >= 400:
        assert response.text, "an error without a message"
