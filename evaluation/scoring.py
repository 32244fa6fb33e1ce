"""WER and CER per language after Vistaar's Indic normalisation (AI4Bharat's vistaar/evaluation.py).

Both texts: punctuation removed (ASCII punctuation and ``।۔'-॥``), IndicNLP's normaliser for the
language (not for English or Urdu), spaces collapsed; and, since sunvai also scores English,
lower case. Errors are pooled over a language's files (jiwer), as Vistaar reports them.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from functools import lru_cache

from sunvai.language_router.codes import LANGUAGES

REMOVED = str.maketrans("", "", string.punctuation + "।۔'-॥")
INDIC_NLP = {"bn", "gu", "hi", "kn", "ml", "mr", "pa", "ta", "te"}  # languages IndicNLP normalises (not en, ur)


@lru_cache(maxsize=None)
def _indic_normaliser(iso: str):
    from indicnlp.normalize.indic_normalize import IndicNormalizerFactory

    return IndicNormalizerFactory().get_normalizer(iso)


def normalise(text: str, language: str) -> str:
    """Vistaar's normalisation of ``text`` in sunvai language code ``language``."""
    text = text.translate(REMOVED)
    iso = LANGUAGES[language].iso
    if iso in INDIC_NLP:
        text = _indic_normaliser(iso).normalize(text)
    return re.sub(r"\s+", " ", text).strip().lower()


@dataclass
class LanguageScore:
    files: int = 0
    failed: int = 0
    audio_s: float = 0.0
    references: list[str] = field(default_factory=list)
    hypotheses: list[str] = field(default_factory=list)

    def rates(self) -> tuple[float, float]:
        """(WER, CER) over every scored file; an empty hypothesis deletes every reference word."""
        import jiwer

        pairs = [(r, h) for r, h in zip(self.references, self.hypotheses) if r]
        if not pairs:
            return 0.0, 0.0
        references, hypotheses = zip(*pairs)
        words = jiwer.process_words(list(references), [h or "\u2205" for h in hypotheses])
        characters = jiwer.process_characters(list(references), [h or "\u2205" for h in hypotheses])
        return words.wer, characters.cer
