"""Redaction of Indian identifiers (cards, Aadhaar, PAN, phones, PIN codes, accounts, IFSC, UPI ids, emails, or
any number) in transcripts, written or spoken in Hindi, English or both, and the profanity filter. Pure Python,
no Ray.

    >>> redact_text("my number is nine eight seven six five four three two one zero",
    ...             Redaction.parse("pii"), "en-IN").text
    'my number is [PHONE]'
"""

from __future__ import annotations

from sunvai.redaction.apply import Redacted, Redaction, TextFilter, redact_logprobs, redact_text, redact_words
from sunvai.redaction.finder import Found, find
from sunvai.redaction.kinds import IDENTIFIERS, KINDS
from sunvai.redaction.profanity import PROFANITY, ProfanityFilter

__all__ = ["IDENTIFIERS", "KINDS", "PROFANITY", "Found", "ProfanityFilter", "Redacted", "Redaction", "TextFilter",
           "find", "redact_logprobs", "redact_text", "redact_words"]
