"""Speaker error rate: the share of speech time labelled with the wrong speaker, after the best
one-to-one mapping of labels to true speakers (Hungarian assignment), scored every 10 ms."""

from __future__ import annotations

import numpy as np


def speaker_error_rate(truth: list[tuple[float, float, int]], labelled: list[tuple[float, float, int | None]],
                       step_s: float = 0.01) -> float:
    from scipy.optimize import linear_sum_assignment

    hypothesis_labels = sorted({label for *_, label in labelled if label is not None})
    index = {label: i for i, label in enumerate(hypothesis_labels)}
    speakers = sorted({s for *_, s in truth})
    confusion = np.zeros((len(speakers), len(hypothesis_labels) + 1))  # last column: no label (missed)
    for start, end, speaker in truth:
        for t in np.arange(start, end, step_s):
            hits = [label for a, b, label in labelled if a <= t < b and label is not None]
            column = index[hits[0]] if hits else len(hypothesis_labels)
            confusion[speakers.index(speaker), column] += 1
    rows, cols = linear_sum_assignment(-confusion[:, :-1]) if hypothesis_labels else ([], [])
    correct = confusion[rows, cols].sum() if len(rows) else 0.0
    return float(1 - correct / confusion.sum())


def word_speaker_error_rate(truth: list[tuple[float, float, int]], words: list[tuple[float, float, int | None]]) -> float:
    """The share of words (by duration) labelled with the wrong speaker after the best mapping; a word's true
    speaker is the turn around its midpoint (words outside every turn are not scored)."""
    from scipy.optimize import linear_sum_assignment

    labels = sorted({label for *_, label in words if label is not None})
    speakers = sorted({s for *_, s in truth})
    confusion = np.zeros((len(speakers), len(labels) + 1))
    for start, end, label in words:
        middle = (start + end) / 2
        owner = next((s for a, b, s in truth if a - 0.3 <= middle <= b + 0.3), None)
        if owner is not None:
            column = labels.index(label) if label is not None else len(labels)
            confusion[speakers.index(owner), column] += max(end - start, 0.01)
    rows, cols = linear_sum_assignment(-confusion[:, :-1]) if labels else ([], [])
    correct = confusion[rows, cols].sum() if len(rows) else 0.0
    return float(1 - correct / confusion.sum())
