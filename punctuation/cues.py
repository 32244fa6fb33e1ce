"""Sentence marks and question cues for the ten languages."""

from __future__ import annotations

# Hindi and Marathi (Devanagari), Bengali and Punjabi (Gurmukhi) end sentences with the daṇḍa.
DANDA = "।"
TERMINAL = {"hi": DANDA, "mr": DANDA, "bn": DANDA, "pa": DANDA}
SENTENCE_END = ".?!।॥"


def terminal_mark(iso: str) -> str:
    return TERMINAL.get(iso, ".")


# Interrogative words: a question when they appear anywhere in the utterance.
QUESTION_WORDS = {
    "hi": {"कैसे", "कैसा", "कैसी", "कहाँ", "कहां", "कब", "क्यों", "क्यूँ", "कौन", "कौनसा", "कौनसी", "कितना", "कितने",
           "कितनी", "किसका", "किसकी", "किसके", "किसे", "किसको", "किधर", "किसने"},
    "mr": {"काय", "कसा", "कशी", "कसे", "कसं", "कुठे", "केव्हा", "कोण", "किती", "कोणता", "कोणती", "कोणते", "कधी", "का"},
    "bn": {"কি", "কী", "কেমন", "কোথায়", "কখন", "কেন", "কে", "কত", "কোন", "কার", "কাকে"},
    "gu": {"શું", "કેમ", "કેવી", "કેવું", "કેવો", "ક્યાં", "ક્યારે", "કોણ", "કેટલું", "કેટલા", "કેટલી", "કયું", "કયો", "કઈ"},
    "pa": {"ਕੀ", "ਕਿਵੇਂ", "ਕਿੱਥੇ", "ਕਿੱਧਰ", "ਕਦੋਂ", "ਕਿਉਂ", "ਕੌਣ", "ਕਿੰਨਾ", "ਕਿੰਨੇ", "ਕਿੰਨੀ", "ਕਿਹੜਾ", "ਕਿਹੜੀ"},
    "ta": {"என்ன", "எப்படி", "எங்கே", "எங்கு", "எப்போது", "ஏன்", "யார்", "எவ்வளவு", "எத்தனை", "எது", "எந்த"},
    "te": {"ఏమి", "ఏం", "ఏమిటి", "ఎలా", "ఎక్కడ", "ఎప్పుడు", "ఎందుకు", "ఎవరు", "ఎంత", "ఎన్ని", "ఏది", "ఏ"},
    "kn": {"ಏನು", "ಹೇಗೆ", "ಎಲ್ಲಿ", "ಯಾವಾಗ", "ಏಕೆ", "ಯಾಕೆ", "ಯಾರು", "ಎಷ್ಟು", "ಯಾವುದು", "ಯಾವ"},
    "ml": {"എന്ത്", "എന്താണ്", "എങ്ങനെ", "എവിടെ", "എപ്പോൾ", "എന്തുകൊണ്ട്", "ആര്", "ആരാണ്", "എത്ര", "ഏത്", "ഏതാണ്"},
    "en": {"what", "where", "when", "why", "who", "whom", "whose", "which", "how"},
}
# Words that make a question only at the start: Hindi क्या, Gujarati શું, English auxiliaries.
INITIAL_QUESTION_WORDS = {
    "hi": {"क्या"},
    "gu": {"શું"},
    "pa": {"ਕੀ"},
    "bn": {"কি"},
    "en": {"is", "are", "was", "were", "do", "does", "did", "can", "could", "will", "would", "shall", "should",
           "may", "might", "have", "has", "had", "am", "must", "isn't", "aren't", "don't", "doesn't", "didn't",
           "can't", "won't", "wouldn't", "couldn't", "shouldn't", "haven't", "hasn't"},
}
# English wh-words count only at the start ("I know what you did" is no question).
INITIAL_ONLY = {"en"}
# Tag questions: the utterance ends with these words.
TAGS = {
    "hi": [("ना",), ("न",), ("है", "ना"), ("क्या",)],
    "mr": [("ना",), ("का",)],
    "bn": [("না",), ("তো",)],
    "gu": [("ને",)],
    "pa": [("ਨਾ",)],
    "en": [("right",), ("isn't", "it"), ("aren't", "you"), ("don't", "you"), ("won't", "you"), ("can't", "you"),
           ("didn't", "you"), ("isn't", "that"), ("ok",), ("okay",), ("no",)],
}
# Dravidian yes/no questions end the verb with a question clitic (Tamil -ஆ, Telugu -ఆ, Kannada -ಆ, Malayalam -ഓ).
QUESTION_SUFFIXES = {"ta": ("ா",), "te": ("ా",), "kn": ("ಾ",), "ml": ("ോ",)}
# Agglutinative languages fuse the question word into the next one (ಹೇಗಿದ್ದೀರಿ = ಹೇಗೆ + ಇದ್ದೀರಿ):
# a word that begins with one of these stems is a question cue.
QUESTION_STEMS = {
    "ta": ("எப்படி", "எங்க", "எப்போ", "என்ன", "யார", "எவ்வள", "எத்தன", "ஏன்"),
    "te": ("ఎలా", "ఎక్కడ", "ఎప్పుడ", "ఎందుక", "ఎవర", "ఎంత", "ఏమ"),
    "kn": ("ಹೇಗ", "ಎಲ್ಲಿ", "ಯಾವಾಗ", "ಏನ", "ಯಾಕ", "ಏಕ", "ಯಾರ", "ಎಷ್ಟ"),
    "ml": ("എന്ത", "എങ്ങന", "എവിട", "എപ്പോ", "ആര", "എത്ര", "ഏത"),
}
