"""Redaction of Indian identifiers: every kind written and spoken in English, Hindi and code-mixed, the numbers
that must survive, and the replacement in words and tokens (redaction/)."""

from __future__ import annotations

import pytest

from sunvai.asr.types import TokenLogprob, Word
from sunvai.errors import BadRequest
from sunvai.redaction import KINDS, Redaction, find, redact_logprobs, redact_text, redact_words
from sunvai.redaction.checksums import luhn_check_digit, luhn_valid, verhoeff_check_digit, verhoeff_valid

EN = "zero one two three four five six seven eight nine".split()
HI = "शून्य एक दो तीन चार पाँच छह सात आठ नौ".split()
HI_EN = "ज़ीरो वन टू थ्री फोर फाइव सिक्स सेवन एट नाइन".split()  # English digits in Devanagari (code-mixed)
PII = Redaction.parse("pii")

CARD = "4111111111111111"
AADHAAR = "23412341234" + verhoeff_check_digit("23412341234")
PHONE = "9876543210"


def said(digits: str, words: list[str]) -> str:
    return " ".join(words[int(d)] for d in digits)


def kinds_in(text: str, language: str, redaction: Redaction = PII) -> list[str]:
    return [hit.kind for hit in find(text, redaction.kinds, language)]


def test_check_digits():
    assert luhn_valid(CARD) and not luhn_valid(CARD[:-1] + "2")
    assert luhn_valid("7992739871" + luhn_check_digit("7992739871"))
    assert verhoeff_valid(AADHAAR) and not verhoeff_valid(AADHAAR[:-1] + str((int(AADHAAR[-1]) + 1) % 10))
    assert verhoeff_valid("2363")  # the published Verhoeff example: 236 with check digit 3


@pytest.mark.parametrize("language, text, kind", [
    # written
    ("en-IN", f"my card is {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]} thanks", "card"),
    ("en-IN", f"card {CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:]}.", "card"),
    ("hi-IN", f"मेरा आधार {AADHAAR[:4]} {AADHAAR[4:8]} {AADHAAR[8:]} है", "aadhaar"),
    ("en-IN", f"call +91 {PHONE}", "phone"),
    ("en-IN", f"call {PHONE[:5]} {PHONE[5:]} today", "phone"),
    ("hi-IN", "मेरा नंबर ९८७६५४३२१० है", "phone"),
    ("en-IN", "pin code 560001", "pin"),
    ("en-IN", "account 50100234567891", "account"),
    ("en-IN", "my PAN is ABCPE1234F", "pan"),
    ("en-IN", "IFSC SBIN0001234 please", "ifsc"),
    ("en-IN", "pay ramesh.k@okaxis now", "upi"),
    ("en-IN", "mail ramesh.k@gmail.com.", "email"),
    # spoken English
    ("en-IN", f"card number {said(CARD, EN)} expiry", "card"),
    ("en-IN", "card four one one one, one one one one, one one one one, one one one one", "card"),
    ("en-IN", "phone ninety eight seventy six double five four three two one", "phone"),
    ("en-IN", "call plus nine one nine eight seven six five four three two one zero", "phone"),
    ("en-IN", "it is nine eight seven six five four three two one oh", "phone"),
    ("en-IN", f"aadhaar {said(AADHAAR, EN)}", "aadhaar"),
    ("en-IN", "pin five six zero zero zero one", "pin"),
    ("en-IN", "pin five six triple zero one", "pin"),
    ("en-IN", "account one two three four five six seven eight nine zero one", "account"),
    ("en-IN", "pan is a b c p e one two three four f", "pan"),
    ("en-IN", "ifsc is S B I N zero zero zero one two three four", "ifsc"),
    ("en-IN", "send to ramesh at okaxis", "upi"),
    ("en-IN", "send to ramesh at the rate ybl", "upi"),
    ("en-IN", "pay nine eight seven six five four three two one zero at paytm", "upi"),
    ("en-IN", "write to ramesh dot kumar at gmail dot com", "email"),
    # spoken Hindi
    ("hi-IN", f"मेरा कार्ड नंबर {said(CARD, HI)} है", "card"),
    ("hi-IN", f"मेरा आधार नंबर {said(AADHAAR, HI)} है", "aadhaar"),
    ("hi-IN", f"मेरा नंबर {said(PHONE, HI)} है", "phone"),
    ("hi-IN", "नंबर नौ आठ सात छह पाँच चार तीन दो डबल एक", "phone"),
    ("hi-IN", "पिन कोड पाँच छह शून्य शून्य शून्य एक", "pin"),
    ("hi-IN", "खाता नंबर एक दो तीन चार पाँच छह सात आठ नौ शून्य एक है", "account"),
    ("hi-IN", "मेरा पैन ए बी सी पी ई वन टू थ्री फोर एफ है", "pan"),
    ("hi-IN", "मेरा ईमेल रमेश एट द रेट जीमेल डॉट कॉम है", "email"),
    ("hi-IN", "रमेश एट पेटीएम पर भेजो", "upi"),
    # code-mixed
    ("en-hi-in-cm", f"मेरा card number {said(CARD, HI_EN)} है", "card"),
    ("en-hi-in-cm", f"मेरा phone number {said(PHONE, EN)} है", "phone"),
    ("en-hi-in-cm", f"आधार नंबर {said(AADHAAR[:6], HI)} {said(AADHAAR[6:], HI_EN)} है", "aadhaar"),
    ("en-hi-in-cm", "mera number नौ आठ सात छह पाँच, four three two one zero hai", "phone"),
    ("en-hi-in-cm", "मेरा नंबर डबल नाइन एट सेवन सिक्स फाइव फोर थ्री टू वन", "phone"),
])
def test_every_kind_is_found(language, text, kind):
    assert kinds_in(text, language) == [kind]
    redacted = redact_text(text, PII, language)
    assert f"[{kind.upper()}]" in redacted.text and redacted.counts == {kind: 1}


@pytest.mark.parametrize("language, text", [
    ("en-IN", "in 2025 the rate was 7.5 percent"),  # a year, a decimal
    ("en-IN", "I paid five thousand rupees"),  # an amount
    ("en-IN", "I paid 9876543210 rupees"),  # ten digits, but rupees
    ("en-IN", "meet me at five pm on 20 January 2025"),  # a time and a date
    ("en-IN", "twenty two years and two hundred and fifty days"),
    ("en-IN", "call me at nine"),
    ("hi-IN", "दो तीन दिन में आ जाऊँगा"),  # an approximate pair
    ("hi-IN", "पाँच लाख बीस हज़ार रुपये दिए"),
    ("hi-IN", "बीस जनवरी दो हज़ार पच्चीस को शाम पाँच बजे"),
    ("hi-IN", "साढ़े पाँच बजे मिलते हैं"),
    ("en-IN", "the meeting is at home and ends at noon"),  # "at" with no address after it
    ("en-IN", "I am at the office dot dot dot"),
    ("en-IN", "my pan is ABCDE1234F"),  # not a PAN: the fourth letter names no holder type
    ("en-IN", "room 4021 on floor 3"),
])
def test_what_is_not_an_identifier_survives(language, text):
    assert redact_text(text, PII, language).text == text


def test_ten_digits_that_fail_luhn_are_a_phone_not_a_card():
    assert kinds_in("9876543210", "en-IN") == ["phone"]
    assert kinds_in(CARD[:-1] + "2", "en-IN") == ["account"]  # 16 digits, Luhn fails: not a card
    assert kinds_in(AADHAAR[:-1] + str((int(AADHAAR[-1]) + 1) % 10), "en-IN") == ["account"]


def test_only_the_kinds_asked_for():
    text = f"card {CARD} and phone {PHONE}"
    assert redact_text(text, Redaction.parse("phone"), "en-IN").text == f"card {CARD} and phone [PHONE]"
    assert redact_text(text, Redaction.parse("card,phone"), "en-IN").text == "card [CARD] and phone [PHONE]"
    numbers = Redaction.parse("numbers")
    assert redact_text("I paid five thousand rupees in 2025", numbers, "en-IN").text == \
        "I paid [NUMBERS] in [NUMBERS]"


def test_mask_keeps_the_last_four():
    mask = Redaction.parse("pii", "mask")
    assert redact_text(f"card {said(CARD, EN)} ok", mask, "en-IN").text == "card ************1111 ok"
    assert redact_text(f"नंबर {said(PHONE, HI)} है", mask, "hi-IN").text == "नंबर ******3210 है"
    assert redact_text("pan a b c p e one two three four f", mask, "en-IN").text == "pan ******234F"


def test_words_keep_their_times_with_the_tag_in_place():
    spoken = ["my", "number", "is", *(EN[int(d)] for d in PHONE), "thanks"]
    words = tuple(Word(i * 0.5, i * 0.5 + 0.4, (" " if i else "") + w) for i, w in enumerate(spoken))
    out = redact_words(words, PII, "en-IN")
    assert [w.text for w in out] == ["my", " number", " is", " [PHONE]", " thanks"]
    assert (out[3].start, out[3].end) == (words[3].start, words[12].end)
    assert out[4] == words[-1]
    assert all(a.end <= b.start for a, b in zip(out, out[1:]))


def test_tokens_are_replaced_not_leaked():
    pieces = [" my", " card", " is", " 4111", " 1111", " 1111", " 1111", "."]
    tokens = tuple(TokenLogprob(p, tuple(p.encode()), -0.1) for p in pieces)
    out = redact_logprobs(tokens, PII, "en-IN")
    assert [t.token for t in out] == [" my", " card", " is", " [CARD]", "."]
    assert out[3].logprob == pytest.approx(-0.4)
    assert "1111" not in "".join(t.token for t in out)


@pytest.mark.parametrize("kinds, style, message", [
    ("cards", None, "unknown entity kind 'cards'"),
    ("pii", "blur", "redact_style must be one of tag, mask"),
])
def test_bad_requests_say_what_is_accepted(kinds, style, message):
    with pytest.raises(BadRequest) as caught:
        Redaction.parse(kinds, style)
    assert message in caught.value.message and (style or "numbers") in caught.value.message


def test_pii_is_every_identifier_but_not_numbers():
    assert Redaction.parse("pii").kinds == set(KINDS) - {"numbers"}
    assert Redaction.parse(" ,") is None and Redaction.parse(None) is None


@pytest.mark.parametrize("text, kinds", [
    ("phone 98,76543,210 thanks", ["phone"]),  # Whisper's odd grouping of a phone number
    ("card 4111111111111111111 thanks", ["account"]),  # a card with a digit too many: still redacted
    ("population 5,00,000 and 1,234,567", []),  # grouped amounts are not identifiers
    ("card 4,111,111,111,111,111 thanks", ["card"]),  # but sixteen digits grouped like an amount are a card
])
def test_written_forms_as_models_write_them(text, kinds):
    assert kinds_in(text, "en-IN") == kinds


# --- the profanity filter ------------------------------------------------------------------------------------
@pytest.mark.parametrize("language, text, expected", [
    ("en-IN", "What the fuck, this is bullshit!", "What the f***, this is b*******!"),
    ("en-IN", "Shit. Shitake mushrooms are not shit-free", "S***. Shitake mushrooms are not s***-free"),
    ("en-IN", "you piece of shit", "you p**** o* s***"),  # a listed phrase, each word masked
    ("en-IN", "yaar tu chutiya hai, behen chod", "yaar tu c****** hai, b**** c***"),  # Hinglish in Latin
    ("hi-IN", "तू चूतिया है, भोसड़ी के!", "तू चू** है, भो** के!"),
    ("hi-IN", "वो भोसडी के", "वो भो** के"),  # without the nukta: folded as ITN folds it
    ("hi-IN", "गाँड और गांड", "गाँ* और गां*"),  # chandrabindu and anusvara alike
    ("en-hi-in-cm", "वो fucking बहनचोद है", "वो f****** ब**** है"),
    ("en-IN", "kutta is a dog, saala a brother-in-law, pataka a firecracker", None),  # left out on purpose
    ("en-IN", "the class assessment passed", None),  # whole words only
    ("ta-IN", "இது fuck", "இது f***"),  # English profanity in any language
])
def test_profanity_is_masked_first_letter_kept(language, text, expected):
    from sunvai.redaction import PROFANITY

    assert redact_text(text, PROFANITY, language).text == (expected or text)


def test_every_word_list_names_its_source_and_licence():
    from sunvai.redaction.profanity import LISTS, phrases

    for path in sorted(LISTS.glob("*.txt")):
        header = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
        assert "LDNOOBW" in header and "CC BY 4.0" in header, path.name
        assert len(phrases(path.stem)) >= 40, path.name
