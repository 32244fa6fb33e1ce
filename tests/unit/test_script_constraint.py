"""The byte-level script lock (asr/script_constraint.py) on Whisper's real vocabulary."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sunvai.asr.script_constraint import (CLUSTER, COMPLETE, SCRIPT_BLOCKS, ScriptConstraint, allowed_ranges,
                                          between, keeps_cluster, needs_base,
                                          token_bytes)


@pytest.fixture(scope="module")
def vocab(model_store):
    model_dir = model_store.resolve("packaged:whisper-base")
    tokenizer = json.loads((model_dir / "tokenizer.json").read_text())
    added = {t["content"]: t["id"] for t in tokenizer.get("added_tokens", [])}
    return {**tokenizer["model"]["vocab"], **added}


CONSTRAINTS: dict[tuple, ScriptConstraint] = {}


def constraint(vocab, language: str, mixed: bool = False) -> ScriptConstraint:
    key = (language, mixed)
    if key not in CONSTRAINTS:
        CONSTRAINTS[key] = ScriptConstraint(token_bytes(vocab), max(vocab.values()) + 1,
                                            allowed_ranges(language, mixed))
    return CONSTRAINTS[key]


def allowed_text(ranges) -> callable:
    return lambda ch: any(low <= ord(ch) <= high for low, high in ranges)


def test_gurmukhi_virama_cannot_follow_a_bare_lead_byte_in_hindi(vocab):
    hindi = constraint(vocab, "hi")
    raw = token_bytes(vocab)
    bare_lead = next(t for t, b in raw.items() if b == b"\xe0")
    gurmukhi_tail = next(t for t, b in raw.items() if b == b"\xa9\x8d") if any(
        b == b"\xa9\x8d" for b in raw.values()) else next(t for t, b in raw.items() if b == b"\xa9")
    state = hindi.advance(COMPLETE, bare_lead)
    assert state == b"\xe0"  # a Devanagari character may follow
    assert hindi.advance(state, gurmukhi_tail) is None
    assert not hindi.mask(state)[gurmukhi_tail] and hindi.mask(COMPLETE)[bare_lead]
    devanagari_second = next(t for t, b in raw.items() if b == b"\xa4")
    assert hindi.advance(state, devanagari_second) == b"\xe0\xa4"


def test_latin_letters_only_where_the_language_writes_them(vocab):
    raw = token_bytes(vocab)
    hello = next(t for t, b in raw.items() if b == b" hello")
    digits = next(t for t, b in raw.items() if b == b" 5000")
    assert not constraint(vocab, "hi").mask(COMPLETE)[hello]
    assert constraint(vocab, "hi").mask(COMPLETE)[digits]
    assert constraint(vocab, "hi", mixed=True).mask(COMPLETE)[hello]
    assert constraint(vocab, "en").mask(COMPLETE)[hello]
    assert not constraint(vocab, "en").mask(COMPLETE)[next(t for t, b in raw.items() if b == "क".encode())] \
        if any(b == "क".encode() for b in raw.values()) else True


def test_every_script_can_still_write_all_its_letters(vocab):
    """The lock removes nothing the language needs: every assigned character of the block can be written
    byte by byte through the lock (Whisper has a token for each single byte); unassigned code points cannot."""
    import unicodedata

    single = {b: t for t, b in token_bytes(vocab).items() if len(b) == 1}
    for language, (low, high) in SCRIPT_BLOCKS.items():
        locked = constraint(vocab, language)
        for code in range(low, high + 1):
            if unicodedata.category(chr(code)) == "Cn":
                assert locked.state_after([single[bytes([b])] for b in chr(code).encode()]) != COMPLETE
                continue
            state = COMPLETE
            if needs_base(chr(code)):  # a mark: after a letter of the script
                assert locked.state_after([single[bytes([b])] for b in chr(code).encode()]) is None, hex(code)
                base = next(c for c in range(low, high + 1) if unicodedata.category(chr(c)) == "Lo")
                state = locked.state_after([single[bytes([b])] for b in chr(base).encode()])
                assert state == CLUSTER
            for byte in chr(code).encode():
                state = locked.advance(state, single[bytes([byte])])
                assert state is not None, (language, hex(code))
            assert between(state)


@pytest.mark.parametrize("language,mixed", [(lang, False) for lang in SCRIPT_BLOCKS] + [("hi", True), ("en", False)])
def test_random_token_sequences_through_the_lock_stay_in_the_script(vocab, language, mixed):
    locked = constraint(vocab, language, mixed)
    ranges = allowed_ranges(language, mixed)
    ok = allowed_text(ranges)
    text_tokens = sorted(locked.token_bytes)

    text_set = set(text_tokens)
    allowed_in: dict[bytes, list[int]] = {}

    def allowed_text_tokens(state: bytes) -> list[int]:
        if state not in allowed_in:
            allowed_in[state] = [int(t) for t in np.flatnonzero(locked.mask(state)) if int(t) in text_set]
        return allowed_in[state]

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(choices=st.lists(st.integers(0, 10**9), min_size=1, max_size=40))
    def walk(choices):
        state, out = COMPLETE, b""
        for choice in choices:
            candidates = allowed_text_tokens(state)
            token = candidates[choice % len(candidates)]
            out += locked.token_bytes[token]
            state = locked.advance(state, token)
            assert state is not None
        while not between(state):  # finish the character begun
            token = allowed_text_tokens(state)[0]
            out += locked.token_bytes[token]
            state = locked.advance(state, token)
        text = out.decode("utf-8")  # strict: no broken character either
        assert all(ok(ch) for ch in text), [ch for ch in text if not ok(ch)]
        for at, ch in enumerate(text):  # a mark or joiner only within a cluster: after an Indic letter or mark
            assert not needs_base(ch) or (at > 0 and keeps_cluster(text[at - 1])), (text, at)

    walk()


def test_first_violation_finds_the_token_and_its_state(vocab):
    hindi = constraint(vocab, "hi")
    raw = token_bytes(vocab)
    ka = [t for t, b in raw.items() if b == b"\xe0\xa4"][0], [t for t, b in raw.items() if b == b"\x95"][0]
    hello = next(t for t, b in raw.items() if b == b" hello")
    assert hindi.first_violation([*ka, *ka]) is None
    assert hindi.first_violation([ka[0], hello]) == (1, b"\xe0\xa4")
    assert hindi.first_violation([ka[0]]) == (1, b"\xe0\xa4")  # stops inside a character
    eot = max(vocab.values())
    assert hindi.first_violation([ka[0], eot], end_token=eot) == (1, b"\xe0\xa4")


def test_a_break_is_repaired_with_the_best_allowed_token_and_decoding_goes_on(vocab):
    """CTranslate2's path (asr/script_lock.py): where a window breaks the lock, the most likely allowed token
    takes the place of the breaking one and generation continues from there."""
    from sunvai.asr.script_lock import enforce

    hindi = constraint(vocab, "hi")
    raw = token_bytes(vocab)
    by_bytes = {b: t for t, b in raw.items()}
    bare, gurmukhi, deva_second, ka_tail = (by_bytes[b"\xe0"], by_bytes[b"\xa9"], by_bytes[b"\xa4"],
                                            by_bytes[b"\x95"])
    eot = max(vocab.values())
    size = eot + 1
    asked = []

    def next_token_logprobs(prefix):
        asked.append(list(prefix))
        scores = np.full(size, -10.0)
        scores[gurmukhi], scores[deva_second] = 0.0, -1.0  # the model still prefers the Gurmukhi byte
        return scores

    def continue_from(prefix):
        return [ka_tail, eot]

    repaired = enforce(hindi, [bare, gurmukhi, by_bytes[b"\x8d"], eot], eot, next_token_logprobs, continue_from)
    assert asked == [[bare]] and repaired == [bare, deva_second, ka_tail, eot]
    assert bytes(b"".join(raw[t] for t in repaired[:-1])).decode() == "क"
    # without a way to repair (a backend that cannot), the window is cut where the lock breaks
    assert enforce(hindi, [by_bytes[b"\xe0\xa4"], ka_tail, bare, gurmukhi], eot, None, None) == \
        [by_bytes[b"\xe0\xa4"], ka_tail]


def test_repairs_stop_when_the_windows_budget_is_spent(vocab):
    """A window's repairs share one budget over all its passes; with none left a break is cut, unless the cut
    would leave too little (``enough``), and the result decodes the same way every time (a count, not a clock)."""
    from sunvai.asr.script_lock import RepairBudget, enforce

    hindi = constraint(vocab, "hi")
    raw = token_bytes(vocab)
    by_bytes = {b: t for t, b in raw.items()}
    ka, ka_tail, bare, gurmukhi = by_bytes[b"\xe0\xa4"], by_bytes[b"\x95"], by_bytes[b"\xe0"], by_bytes[b"\xa9"]
    eot = max(vocab.values())
    calls = []

    def next_token_logprobs(prefix):
        calls.append(len(prefix))
        scores = np.full(eot + 1, -10.0)
        scores[by_bytes[b"\xa4"]] = 0.0
        return scores

    def continue_from(prefix):  # every continuation breaks the lock again
        return [ka_tail, bare, gurmukhi, eot]

    breaking = [ka, ka_tail, bare, gurmukhi, eot]
    budget = RepairBudget(left=2)
    first = enforce(hindi, breaking, eot, next_token_logprobs, continue_from, budget)
    assert budget.left == 0 and len(calls) == 2
    assert hindi.first_violation(first, eot) is None and first[:2] == [ka, ka_tail]
    again = enforce(hindi, breaking, eot, next_token_logprobs, continue_from, RepairBudget(left=2))
    assert again == first, "the same tokens and budget give the same result"
    calls.clear()
    assert enforce(hindi, breaking, eot, next_token_logprobs, continue_from, budget) == [ka, ka_tail] and not calls
    longer = enforce(hindi, breaking, eot, next_token_logprobs, continue_from, budget, enough=lambda cut: len(cut) > 2)
    assert len(calls) == 1 and len(longer) > 2 and hindi.first_violation(longer, eot) is None
