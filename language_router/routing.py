"""Routing policy: which ASR model serves a language (and, later, a domain)."""

from __future__ import annotations

from dataclasses import dataclass

from language_router.codes import LANGUAGES, LanguageCodeError


@dataclass(frozen=True)
class Route:
    language_code: str  # canonical code the caller sees
    model: str  # name of the ASR model (and deployment) that serves it
    asr_language: str  # ISO code passed to the engine


class RoutingPolicy:
    """Maps language codes to configured models, with an optional fallback model."""

    def __init__(self, language_models: dict[str, str], fallback_model: str | None = None):
        self.language_models = dict(language_models)
        self.fallback_model = fallback_model

    def route(self, language_code: str) -> Route:
        language = LANGUAGES[language_code]
        model = self.language_models.get(language_code)
        if model is None and language_code.startswith("en-hi-"):
            model = self.language_models.get("hi-IN")  # Hinglish follows the Hindi route by default
        model = model or self.fallback_model
        if model is None:
            served = ", ".join(sorted(self.language_models))
            raise LanguageCodeError(f"no model is configured for {language_code} on this server; served: {served}")
        return Route(language_code=language_code, model=model, asr_language=language.iso)
