import pytest

from sunvai.language_router import LanguageCodeError, RoutingPolicy, parse_language_selection


def test_single_code_case_insensitive():
    selection = parse_language_selection("HI-in")
    assert selection.candidates == ("hi-IN",) and selection.fixed == "hi-IN"


def test_comma_list_deduplicated_in_order():
    selection = parse_language_selection(" en-IN, hi-IN ,EN-in")
    assert selection.candidates == ("en-IN", "hi-IN") and selection.fixed is None


def test_preferred_language_forces_one():
    assert parse_language_selection("en-IN,hi-IN", "hi-in").fixed == "hi-IN"


@pytest.mark.parametrize("value, fragment", [
    ("xx-IN", "unknown language code 'xx-IN'"),
    ("", "language_code is required"),
    (None, "language_code is required"),
    ("hi-IN,,en-IN", "empty entry"),
    ("hi", "accepted codes"),
])
def test_bad_codes_say_what_is_accepted(value, fragment):
    with pytest.raises(LanguageCodeError, match=fragment):
        parse_language_selection(value)


def test_preferred_not_listed_is_refused():
    with pytest.raises(LanguageCodeError, match="not among language_code"):
        parse_language_selection("en-IN,ta-IN", "hi-IN")


def test_hinglish_codes_and_routing():
    assert parse_language_selection("EN-HI-IN-CM").fixed == "en-hi-in-cm"
    assert parse_language_selection("en-hi-in-latn").fixed == "en-hi-IN-latn"
    policy = RoutingPolicy({"hi-IN": "hindi", "en-IN": "english"})
    route = policy.route("en-hi-in-cm")
    assert route.model == "hindi" and route.asr_language == "hi"


def test_routing_fallback_and_missing_route():
    assert RoutingPolicy({}, fallback_model="multi").route("ta-IN").model == "multi"
    with pytest.raises(LanguageCodeError, match="no model is configured for ta-IN"):
        RoutingPolicy({"hi-IN": "hindi"}).route("ta-IN")
