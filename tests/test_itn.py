"""Inverse text normalization: the published cases, our own, round trips, and words that must stay."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunvai.itn import normalize
from sunvai.itn.render import indian_grouping

DATA = Path(__file__).parent / "data"
SHARED_CASES = Path(__file__).resolve().parents[2] / "shared" / "spec" / "itn-cases.tsv"


def read_cases(path: Path) -> list[tuple[str, str, str, bool]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            language, spoken, written, native = line.split("\t")
            rows.append((language, spoken, written, native == "true"))
    return rows


# The spec's file where the checkout has shared/ beside it (CI does); our copy otherwise.
PUBLISHED = read_cases(SHARED_CASES if SHARED_CASES.exists() else DATA / "itn-cases.tsv")
EXTRA = read_cases(DATA / "itn-extra-cases.tsv")


def test_our_copy_of_the_published_cases_is_current():
    if not SHARED_CASES.exists():
        pytest.skip("no ../shared/spec beside this checkout; the copy in tests/data is used")
    assert read_cases(DATA / "itn-cases.tsv") == PUBLISHED


@pytest.mark.parametrize("language, spoken, written, native", PUBLISHED, ids=lambda v: str(v)[:30])
def test_published_cases(language, spoken, written, native):
    assert normalize(spoken, language, native) == written


@pytest.mark.parametrize("language, spoken, written, native", EXTRA, ids=lambda v: str(v)[:30])
def test_extra_cases(language, spoken, written, native):
    assert normalize(spoken, language, native) == written


def test_there_are_enough_extra_cases():
    assert len(EXTRA) >= 150
    kinds = {"₹", ":", "%", "st", "th", ","}
    assert all(any(kind in written for _, _, written, _ in EXTRA) for kind in kinds)


# --- round trips through independent spellers ----------------------------------------

def hindi_words(value: int) -> str:
    from indic_numtowords import num2words

    return num2words(value, lang="hi")


def english_words(value: int) -> str:
    from num2words import num2words

    # num2words writes "five lakh, twenty thousand": ASR output has no commas inside numbers
    return num2words(value, lang="en_IN").replace(",", "")


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=11, max_value=999_999_999))  # the speller stops below 100 crore
def test_hindi_cardinals_round_trip(value):
    assert normalize(hindi_words(value), "hi-IN") == indian_grouping(value)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=999_999_999))
def test_hindi_money_round_trip(value):
    assert normalize(f"{hindi_words(value)} रुपये", "hi-IN") == f"₹{indian_grouping(value)}"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=11, max_value=99_99_99_999))
def test_english_cardinals_round_trip(value):
    assert normalize(english_words(value), "en-IN") == indian_grouping(value)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=9_99_99_999), st.integers(min_value=1, max_value=99))
def test_english_money_with_paise_round_trip(rupees, paise):
    spoken = f"{english_words(rupees)} rupees and {english_words(paise)} paise"
    assert normalize(spoken, "en-IN") == f"₹{indian_grouping(rupees)}.{paise:02d}"


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=11, max_value=99_99_999))
def test_hindi_native_numerals_round_trip(value):
    native = normalize(hindi_words(value), "hi-IN", native_numerals=True)
    assert native == indian_grouping(value).translate(str.maketrans("0123456789", "०१२३४५६७८९"))


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.characters(categories=["L", "Z", "P"]), max_size=40))
def test_text_without_number_words_is_never_changed(text):
    for language in ("hi-IN", "en-IN"):
        result = normalize(text, language)
        if not re.search(r"\d", result):
            assert result == text


# --- never a wrong number ----------------------------------------------------------------

UNCHANGED = {
    "hi-IN": [
        "उसने कहा कर दो", "पानी दे दो", "ज़रा ले दो", "मुझे जाने दो", "दो चार बातें करनी हैं", "दो तीन दिन बाद",
        "पाँच सात मिनट लगेंगे", "दस बारह लोग", "बीस पच्चीस रुपये के आसपास", "एक बार फिर", "एक दिन", "लाख कोशिशें",
        "सौ बातों की एक बात", "राम और श्याम दोस्त हैं", "मैं पहले भी आया था", "दूसरे लोग कहाँ हैं", "हज़ारों साल",
        "वन विभाग", "सात फेरे", "नौ दो ग्यारह हो गया", "चार चाँद लगाना", "तीन तेरह होना", "मई महीना गर्म है",
        "नमस्ते आप कैसे हैं", "आज मौसम अच्छा है", "सोमवार को मिलते हैं",
    ],
    "en-IN": [
        "one of them", "one of the best", "a second opinion", "just a second", "first of all", "at first",
        "she came first", "the second time", "no one", "someone", "everyone", "one by one", "two of us",
        "I have two kids", "may I help you", "march on", "the march began", "we will march", "hundreds of reasons",
        "thousands of people", "twenty twenty vision", "the one", "one day", "on the one hand",
        "seven wonders", "the four seasons", "three musketeers", "seven days a week", "point taken",
    ],
}


@pytest.mark.parametrize("language, sentence", [(lang, s) for lang, items in UNCHANGED.items() for s in items])
def test_non_numeric_sentences_come_back_unchanged(language, sentence):
    assert normalize(sentence, language) == sentence


@pytest.mark.parametrize("language", ["ta-IN", "te-IN", "bn-IN", "kn-IN", "ml-IN", "gu-IN", "mr-IN", "pa-IN"])
def test_other_languages_pass_through(language):
    text = "पाँच हज़ार रुपये five thousand rupees"
    assert normalize(text, language) == text
