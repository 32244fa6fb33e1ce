"""Language codes, comma lists and the routing policy. Plain Python: no Ray."""

from sunvai.language_router.codes import (
    LANGUAGES,
    LanguageCodeError,
    LanguageSelection,
    parse_language_selection,
)
from sunvai.language_router.routing import Route, RoutingPolicy

__all__ = [
    "LANGUAGES",
    "LanguageCodeError",
    "LanguageSelection",
    "Route",
    "RoutingPolicy",
    "parse_language_selection",
]
