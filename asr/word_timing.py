"""Word timestamps for Whisper: OpenAI's cross-attention alignment, shared by both backends.

Whisper's alignment heads attend to the audio frames where each text token is spoken.
OpenAI's algorithm (``whisper/timing.py``): take those heads' cross-attention for the
decoded text, standardise each head over tokens, median-filter over time, average the
heads, and find the monotonic path through the token x frame matrix by dynamic time
warping. CTranslate2 runs that algorithm in C++ (``Whisper.align``); for transformers
:func:`attention_path` runs it here on the attention the model returns. Both yield the
same (token index, frame index) path, and :func:`words_from_path` turns either into words
the way faster-whisper does: tokens grouped into words at spaces, punctuation joined to
its word, each word from the frame where its first token begins to where the next starts.
"""

from __future__ import annotations

import dataclasses

import string
from dataclasses import dataclass

import numpy as np

from sunvai.asr.types import Segment, Word

FRAMES_PER_SECOND = 50  # encoder frames: two mel frames each
MEDIAN_FILTER_WIDTH = 7
PREPEND_PUNCTUATION = "\"'“¿([{-"
APPEND_PUNCTUATION = "\"'.。,，!！?？:：”)]}、।॥"
SENTENCE_END = ".。!！?？।"


@dataclass
class TimedWord:
    text: str
    tokens: list[int]
    start: float
    end: float
    probs: list[float] = dataclasses.field(default_factory=list)  # its tokens' probabilities, when known

    @property
    def probability(self) -> float | None:
        return round(float(np.mean(self.probs)), 4) if self.probs else None


def median_filter(x: np.ndarray, width: int) -> np.ndarray:
    """Median over the last axis in windows of ``width``, edges reflected (as OpenAI does)."""
    if width <= 1 or x.shape[-1] <= width // 2:
        return x
    pad = width // 2
    padded = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(pad, pad)], mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=-1)
    return np.median(windows, axis=-1)


def dtw(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest monotonic path through ``cost`` [tokens, frames]: (token indices, frame indices).

    OpenAI's recurrence (diagonal, up, left; ties go left), one row at a time: the left
    moves within a row are a running minimum over prefix sums, so each row is vectorised.
    """
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    acc[0, 0] = 0.0
    for i in range(1, n + 1):
        best_entry = np.minimum(acc[i - 1, :-1], acc[i - 1, 1:])  # from diagonal or above, for j = 1..m
        prefix = np.concatenate(([0.0], np.cumsum(cost[i - 1])))
        acc[i, 1:] = prefix[1:] + np.minimum.accumulate(best_entry - prefix[:-1])
    i, j = n, m
    path = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        if i == 0:
            j -= 1
            continue
        if j == 0:
            i -= 1
            continue
        diag, up, left = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
        if diag < up and diag < left:
            i, j = i - 1, j - 1
        elif up < diag and up < left:
            i -= 1
        else:
            j -= 1
    path.reverse()
    token_idx, frame_idx = (np.array(v) for v in zip(*path))
    return token_idx, frame_idx


def attention_path(weights: np.ndarray, num_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """OpenAI's alignment from alignment-head cross-attention [heads, tokens, frames].

    ``weights`` rows are the decoder inputs from the last prompt token through the last text
    token (the row of input token k predicts output token k+1), columns the encoder frames.
    """
    weights = weights[:, :, : num_frames // 2].astype(np.float64)
    std = weights.std(axis=-2, keepdims=True)
    weights = (weights - weights.mean(axis=-2, keepdims=True)) / np.where(std == 0, 1, std)
    matrix = median_filter(weights, MEDIAN_FILTER_WIDTH).mean(axis=0)
    return dtw(-matrix)


def split_words(decode, tokens: list[int], eot: int) -> tuple[list[str], list[list[int]]]:
    """Group tokens into words: a new word at a leading space, at punctuation, at a special token.

    A token may end inside a UTF-8 character; pieces are cut only where the text decoded so
    far is whole (faster-whisper's ``split_tokens_on_unicode``).
    """
    full = decode(tokens)
    pieces: list[str] = []
    piece_tokens: list[list[int]] = []
    current: list[int] = []
    offset = 0
    for token in tokens:
        current.append(token)
        text = decode(current)
        bad = text.find("\ufffd")
        if bad < 0 or (offset + bad < len(full) and full[offset + bad] == "\ufffd"):
            pieces.append(text)
            piece_tokens.append(current)
            offset += len(text)
            current = []
    words: list[str] = []
    word_tokens: list[list[int]] = []
    for text, toks in zip(pieces, piece_tokens):
        if toks[0] >= eot or text.startswith(" ") or text.strip() in string.punctuation or not words:
            words.append(text)
            word_tokens.append(list(toks))
        else:
            words[-1] += text
            word_tokens[-1].extend(toks)
    return words, word_tokens


def words_from_path(decode, text_tokens: list[int], eot: int, token_idx: np.ndarray,
                    frame_idx: np.ndarray, probs: np.ndarray | None = None) -> list[TimedWord]:
    """Words with times (seconds from the window start) from an alignment path; ``probs``: each text token's
    probability (the word's is their mean, as faster-whisper's)."""
    words, word_tokens = split_words(decode, text_tokens + [eot], eot)
    if len(word_tokens) <= 1:
        return []
    boundaries = np.pad(np.cumsum([len(t) for t in word_tokens[:-1]]), (1, 0))
    jumps = np.pad(np.diff(token_idx), (1, 0), constant_values=1).astype(bool)
    jump_times = frame_idx[jumps] / FRAMES_PER_SECOND
    if len(jump_times) <= boundaries[-1]:
        return []
    starts = jump_times[boundaries[:-1]]
    ends = jump_times[boundaries[1:]]
    timed = [TimedWord(w, t, float(s), float(e)) for w, t, s, e in zip(words[:-1], word_tokens[:-1], starts, ends)]
    if probs is not None and len(probs) >= boundaries[-1]:
        for word, start, end in zip(timed, boundaries[:-1], boundaries[1:]):
            word.probs = [float(p) for p in probs[start:end]]
    _limit_long_words(timed)
    _merge_punctuation(timed)
    return timed


def _limit_long_words(words: list[TimedWord]) -> None:
    """A word at a sentence end may not last more than twice the median word (OpenAI's rule)."""
    durations = np.array([w.end - w.start for w in words])
    durations = durations[durations.nonzero()]
    if not len(durations):
        return
    longest = 2 * min(0.7, float(np.median(durations)))
    for i in range(1, len(words)):
        if words[i].end - words[i].start > longest:
            if words[i].text.strip() in SENTENCE_END:
                words[i].end = words[i].start + longest
            elif words[i - 1].text.strip() in SENTENCE_END:
                words[i].start = words[i].end - longest


def _merge_punctuation(words: list[TimedWord]) -> None:
    """Opening punctuation joins the next word, closing punctuation the previous one."""
    j = len(words) - 1
    for i in range(len(words) - 2, -1, -1):
        prev, nxt = words[i], words[j]
        if prev.text.startswith(" ") and prev.text.strip() in PREPEND_PUNCTUATION:
            nxt.text, nxt.tokens, nxt.probs = prev.text + nxt.text, prev.tokens + nxt.tokens, prev.probs + nxt.probs
            prev.text, prev.tokens, prev.probs = "", [], []
        else:
            j = i
    i = 0
    for j in range(1, len(words)):
        prev, nxt = words[i], words[j]
        if not prev.text.endswith(" ") and nxt.text and nxt.text in APPEND_PUNCTUATION:
            prev.text, prev.tokens, prev.probs = prev.text + nxt.text, prev.tokens + nxt.tokens, prev.probs + nxt.probs
            nxt.text, nxt.tokens, nxt.probs = "", [], []
        else:
            i = j


def attach_words(segments: list[Segment], token_counts: list[int], words: list[TimedWord],
                 offset_s: float, last_speech_s: float = 0.0) -> list[Segment]:
    """Give each segment its words (by token count), in absolute time; segment edges follow the words.

    faster-whisper's rules: the first word after a long pause may last at most twice the
    median word (attention smears it over the silence before); a segment's start moves to its
    first word's start unless the word starts more than 0.5 s before the segment's own
    timestamp (then the word is trimmed instead); likewise at the end.
    """
    durations = np.array([w.end - w.start for w in words if w.text])
    durations = durations[durations.nonzero()]
    median = min(0.7, float(np.median(durations))) if len(durations) else 0.0
    longest = 2 * median
    out = []
    index = 0
    for segment, count in zip(segments, token_counts):
        taken = 0
        mine: list[list] = []
        while index < len(words) and taken < count:
            word = words[index]
            if word.text:
                mine.append([offset_s + word.start, offset_s + word.end, word.text.strip(), word.probability])
            taken += len(word.tokens)
            index += 1
        if not mine:
            out.append(segment)
            continue
        first = mine[0]
        if first[1] - last_speech_s > 4 * median and (
                first[1] - first[0] > longest or (len(mine) > 1 and mine[1][1] - first[0] > 2 * longest)):
            if len(mine) > 1 and mine[1][1] - mine[1][0] > longest:
                boundary = max(mine[1][1] / 2, mine[1][1] - longest)
                first[1] = mine[1][0] = boundary
            first[0] = max(0.0, first[1] - longest)
        start, end = segment.start, segment.end
        if start < first[1] and start - 0.5 > first[0]:
            first[0] = max(0.0, min(first[1] - median, start))
        else:
            start = first[0]
        last = mine[-1]
        if end > last[0] and end + 0.5 < last[1]:
            last[1] = max(last[0] + median, end)
        else:
            end = last[1]
        last_speech_s = end
        timed = tuple(Word(round(a, 3), round(max(a, b), 3), text, probability=p) for a, b, text, p in mine)
        out.append(dataclasses.replace(segment, start=round(start, 3), end=round(max(end, start), 3), words=timed))
    return out
