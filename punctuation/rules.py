"""The rule engine: sentence ends in the script's own mark, question marks on question cues,
sentence breaks at long pauses. Works offline for all ten languages."""

from __future__ import annotations

from sunvai.punctuation.cues import (INITIAL_ONLY, INITIAL_QUESTION_WORDS, QUESTION_STEMS, QUESTION_SUFFIXES,
                              QUESTION_WORDS, SENTENCE_END, TAGS, terminal_mark)
from sunvai.punctuation.types import PunctuationRequest, TimedText

_STRIP = ",;:" + SENTENCE_END


def iso_of(language: str) -> str:
    code = language.lower()
    if code.startswith("en-hi"):
        return "hi"
    return code.split("-")[0]


def has_sentence_punctuation(text: str) -> bool:
    return any(mark in text for mark in SENTENCE_END)


def words_of(sentence: str) -> list[str]:
    return [w.strip(_STRIP + "\"'“”").lower() for w in sentence.split() if w.strip(_STRIP + "\"'“”")]


def is_question(sentence: str, iso: str) -> bool:
    words = words_of(sentence)
    if not words:
        return False
    if words[0] in INITIAL_QUESTION_WORDS.get(iso, set()):
        return True
    cues = QUESTION_WORDS.get(iso, set())
    if iso in INITIAL_ONLY:
        if words[0] in cues:
            return True
    elif any(w in cues for w in words):
        return True
    stems = QUESTION_STEMS.get(iso, ())
    if stems and any(w.startswith(stems) for w in words):
        return True
    for tag in TAGS.get(iso, []):
        if len(words) > len(tag) and tuple(words[-len(tag):]) == tag:
            return True
    suffixes = QUESTION_SUFFIXES.get(iso, ())
    return len(words[-1]) >= 4 and words[-1].endswith(suffixes)


def _sentences_by_pause(segments: tuple[TimedText, ...], pause_s: float) -> list[str]:
    sentences, current = [], []
    previous_end = None
    for segment in segments:
        if current and previous_end is not None and segment.start - previous_end >= pause_s:
            sentences.append(" ".join(current))
            current = []
        if segment.text.strip():
            current.append(segment.text.strip())
        previous_end = segment.end
    if current:
        sentences.append(" ".join(current))
    return sentences


class RulePunctuator:
    """One sentence end per utterance (or per pause-separated part), ``?`` on question cues."""

    name = "rules"

    def __init__(self, pause_s: float = 0.8, respect_existing: bool = True):
        self.pause_s = pause_s
        self.respect_existing = respect_existing

    def punctuate_batch(self, requests: list[PunctuationRequest]) -> list[str]:
        return [self.punctuate(r) for r in requests]

    def punctuate(self, request: PunctuationRequest) -> str:
        text = " ".join(request.text.split())
        if not text:
            return text
        if self.respect_existing and has_sentence_punctuation(text):
            return text
        iso = iso_of(request.language)
        if len(request.segments) > 1:
            parts = _sentences_by_pause(request.segments, self.pause_s)
        else:
            parts = [text]
        return " ".join(self._close(part, iso) for part in parts if part.strip())

    def _close(self, sentence: str, iso: str) -> str:
        body = sentence.strip().rstrip(_STRIP + " ")
        if not body:
            return ""
        if iso == "en":
            body = body[0].upper() + body[1:]
        return body + ("?" if is_question(body, iso) else terminal_mark(iso))
