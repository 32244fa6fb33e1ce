"""Routing policy: which ASR model serves a language (and, later, a domain)."""

from __future__ import annotations

from dataclasses import dataclass

from sunvai.language_router.codes import LANGUAGES, LanguageCodeError


@dataclass(frozen=True)
class Route:
    language_code: str  # canonical code the caller sees
    model: str  # name of the ASR model (and deployment) that serves it
    asr_language: str  # ISO code passed to the engine
    writing: str = "native"  # native script, mixed (Hinglish: Latin + Devanagari) or latin (see Language.writing)


class RoutingPolicy:
    """Maps (language, domain) to a configured model, with an optional fallback model.

    Order: the domain's model for the language, the language's model, for Hinglish
    the Hindi route, then the fallback.
    """

    def __init__(self, language_models: dict[str, str], fallback_model: str | None = None,
                 domain_models: dict[str, dict[str, str]] | None = None):
        self.language_models = dict(language_models)
        self.fallback_model = fallback_model
        self.domain_models = {d.lower(): dict(m) for d, m in (domain_models or {}).items()}

    def route(self, language_code: str, domain: str | None = None) -> Route:
        language = LANGUAGES[language_code]
        model = None
        if domain:
            model = self.domain_models.get(domain.lower(), {}).get(language_code)
        model = model or self.language_models.get(language_code)
        if model is None and language_code.startswith("en-hi-"):
            model = self.language_models.get("hi-IN")  # Hinglish follows the Hindi route by default
        model = model or self.fallback_model
        if model is None:
            served = ", ".join(sorted(self.language_models))
            raise LanguageCodeError(f"no model is configured for {language_code} on this server; served: {served}")
        return Route(language_code=language_code, model=model, asr_language=language.iso, writing=language.writing)

    def served_languages(self) -> dict[str, list[tuple[str, str]]]:
        """For each model, the (ISO code, writing) pairs routed to it, over every code and domain."""
        served: dict[str, list[tuple[str, str]]] = {}
        for domain in (None, *self.domain_models):
            for code in LANGUAGES:
                try:
                    route = self.route(code, domain)
                except LanguageCodeError:  # a code no model serves
                    continue
                pairs = served.setdefault(route.model, [])
                if (route.asr_language, route.writing) not in pairs:
                    pairs.append((route.asr_language, route.writing))
        return served
