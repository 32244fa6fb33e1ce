"""Inverse text normalization: the published cases, our own, round trips, and words that must stay."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunvai.itn import normalize
from sunvai.itn.render import indian_grouping
from tests.helpers import ROOT

DATA = ROOT / "tests" / "data"
SHARED_CASES = ROOT.parent / "shared" / "spec" / "itn-cases.tsv"


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


def number_vocabulary(language: str) -> set[str]:
    """Lookup keys of every word the language's grammar can read as (part of) a number."""
    from sunvai.itn import english, hindi

    grammar = {"hi-IN": hindi.HindiGrammar, "en-IN": english.EnglishGrammar}[language]()
    lex = grammar.lex
    return (set(lex.units) | lex.hundred | set(lex.scales) | set(lex.add_fractions) | set(lex.fraction_values)
            | set(lex.digits) | set(lex.inner_digits) | set(lex.repeaters) | lex.point | set(grammar.ordinals))


# Words that look or sound near numbers but are not (plus random letters and punctuation).
NEAR_MISSES = ["someone", "oneself", "often", "tent", "seventh-day", "को", "दोस्त", "सातवाँ", "दसवाँ", "एकता",
               "तीनों", "point", "double", "rupees", "रुपये", "बजे", "a.m.", "हज़ारों", "lakhs", "March"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NEAR_MISSES),
                          st.text(alphabet=st.characters(categories=["L", "P"]), min_size=1, max_size=8)),
                max_size=8),
       st.sampled_from(["hi-IN", "en-IN"]))
def test_text_without_number_words_is_never_changed(words, language):
    """The precondition is on the input (no number word in it), never on the output."""
    from hypothesis import assume

    from sunvai.itn.text import tokenize

    text = " ".join(words)
    vocabulary = number_vocabulary(language)
    assume(not any(token.key in vocabulary for token in tokenize(text)))
    assert normalize(text, language) == text


def test_the_number_vocabulary_covers_what_the_grammar_converts():
    """Guards the test above: a number word missing from the vocabulary would be skipped there."""
    from sunvai.itn.text import lookup_key

    assert {lookup_key(w) for w in ("पाँच", "हजार", "साढ़े", "डेढ़", "दशमलव")} <= number_vocabulary("hi-IN")
    assert {"five", "thousand", "double", "point", "oh", "seventh"} <= number_vocabulary("en-IN")
    assert lookup_key("सातवाँ") in number_vocabulary("hi-IN")


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
