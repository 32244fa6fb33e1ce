"""Decoding under the byte-level script lock (:mod:`asr.script_constraint`), on either backend.

transformers applies the lock at every step through a logits processor. CTranslate2's
``generate`` takes no per-step hook, only a fixed list of suppressed tokens: there the tokens
the lock never allows are suppressed up front, and a window whose tokens still break the lock
(a token allowed somewhere but not where it stands, such as ``A8 8D`` after a bare ``E0``) is
repaired: decoding resumes from the tokens before the break, the next token is the most likely
one the lock allows there (one extra decoder step, read from ``return_logits_vocab``), and
generation continues from it. Both give a sequence every prefix of which the lock accepts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sunvai.asr.script_constraint import COMPLETE, ScriptConstraint, between

log = logging.getLogger(__name__)
MAX_REPAIRS = 8  # per call of enforce; beyond, the window is cut at the break
# Repairs one window gets over all its passes (first pass, restart, fallback passes), each two decoder
# calls; then breaks are cut. A count, not a time, so the same audio always decodes the same way.
# Unbounded, a 1.4 s Telugu clip took 24 s and 36 CTranslate2 calls (docs/quality.md).
WINDOW_REPAIRS = 4


@dataclass
class RepairBudget:
    """Repairs a window may still make (shared by every decoding pass of the window)."""

    left: int = WINDOW_REPAIRS


def enforce(constraint: ScriptConstraint, tokens: list[int], end_token: int,
            next_token_logprobs: Callable[[list[int]], np.ndarray] | None,
            continue_from: Callable[[list[int]], list[int]] | None,
            budget: RepairBudget | None = None, enough: Callable[[list[int]], bool] | None = None) -> list[int]:
    """``tokens`` with every break of the lock repaired (or, without a way to repair, cut off).

    ``next_token_logprobs(prefix)``: log-probabilities of the token after ``prefix``;
    ``continue_from(prefix)``: the tokens generation adds after ``prefix`` (not repeating it).
    Each repair spends one of ``budget``; with none left the tokens are cut at the break,
    unless the cut fails ``enough`` (then repairs go on, up to ``MAX_REPAIRS``).
    """
    for _ in range(MAX_REPAIRS):
        violation = constraint.first_violation(tokens, end_token)
        if violation is None:
            return tokens
        index, state = violation
        prefix = tokens[:index]
        if next_token_logprobs is None or continue_from is None:
            break
        if budget is not None and budget.left <= 0:
            cut = cut_at_break(constraint, tokens, end_token)
            if enough is None or enough(cut):
                return cut
        scores = np.array(next_token_logprobs(prefix), dtype=np.float64)
        allowed = constraint.mask(state, len(scores)).copy()
        if not between(state):
            allowed[end_token] = False
        scores[~allowed] = -np.inf
        best = int(np.argmax(scores))
        if not np.isfinite(scores[best]):
            break
        log.debug("script lock: token %d at %d replaced by %d", tokens[index] if index < len(tokens) else -1,
                  index, best)
        tokens = [*prefix, best, *continue_from([*prefix, best])]
        if budget is not None:
            budget.left -= 1
    return cut_at_break(constraint, tokens, end_token)


def cut_at_break(constraint: ScriptConstraint, tokens: list[int], end_token: int) -> list[int]:
    """The longest prefix the lock accepts that ends between characters."""
    state, last_complete = COMPLETE, 0
    for index, token in enumerate(tokens):
        if token == end_token:
            break
        state = constraint.advance(state, token)
        if state is None:
            break
        if between(state):
            last_complete = index + 1
    return tokens[:last_complete]


def hf_logits_processor(constraint: ScriptConstraint, first_timestamp: int | None = None):
    """A transformers ``LogitsProcessor`` that applies the lock at every step of ``generate``; under a strict
    lock (``constraint.script``) the first text token must begin a letter of the script and the window may not
    end before it (the way out whisper-base takes when it believes in no letter of the script)."""
    import torch
    from transformers import LogitsProcessor

    class ScriptLockProcessor(LogitsProcessor):
        def __init__(self):
            self.start: int | None = None  # the decoder prompt's length: tokens after it are generated
            self.states: dict[int, tuple[int, bytes | None]] = {}  # row -> (tokens seen, state)
            self.masks: dict[tuple[bytes, int], torch.Tensor] = {}  # on the logits' device, made once each
            self.wrote_text: dict[int, bool] = {}
            self.first_letter: torch.Tensor | None = None  # banned before the first text token (True: banned)

        def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
            if self.start is None:
                self.start = input_ids.shape[1]
            for row in range(input_ids.shape[0]):
                seen, state = self.states.get(row, (self.start, COMPLETE))
                for token in input_ids[row, seen:].tolist():
                    state = constraint.advance(state, token) if state is not None else None
                    if token in constraint.token_bytes:
                        self.wrote_text[row] = True
                self.states[row] = (input_ids.shape[1], state)
                if constraint.script is not None and not self.wrote_text.get(row) and input_ids.shape[1] > self.start:
                    scores[row] = scores[row].masked_fill(self._first_letter(scores), float("-inf"))
                if state is None:  # cannot happen under this processor; leave the row as it is
                    continue
                key = (state, scores.shape[1])
                if key not in self.masks:
                    self.masks[key] = torch.tensor(~constraint.mask(state, scores.shape[1]), device=scores.device)
                scores[row] = scores[row].masked_fill(self.masks[key], float("-inf"))
            return scores

        def _first_letter(self, scores: torch.FloatTensor) -> torch.Tensor:
            if self.first_letter is None:
                allowed = constraint.letter_starts(scores.shape[1]).copy()
                if first_timestamp is not None:
                    allowed[first_timestamp:] = True  # timestamps may still come; no other special token
                self.first_letter = torch.tensor(~allowed, device=scores.device)
            return self.first_letter

    return ScriptLockProcessor()
