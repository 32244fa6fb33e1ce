"""Punctuation engines: rules for every language, a token-classification model where configured.

No Ray here. Every engine takes a batch of :class:`PunctuationRequest` and returns
the punctuated texts in order.
"""

from sunvai.punctuation.types import PunctuationEngine, PunctuationRequest, TimedText

__all__ = ["PunctuationEngine", "PunctuationRequest", "TimedText"]
