"""Punctuation engines: the rules in every language, and a token-classification checkpoint."""

from __future__ import annotations

import json

import pytest
import torch

from sunvai.punctuation.factory import build_punctuator
from sunvai.punctuation.rules import RulePunctuator
from sunvai.punctuation.types import PunctuationRequest, TimedText

# language: (statement, question, second statement), written without punctuation
SENTENCES = {
    "hi-IN": ("मैं बाज़ार जा रहा हूँ", "आप कैसे हैं", "आज मौसम अच्छा है"),
    "mr-IN": ("मी बाजारात जातोय", "तुम्ही कसे आहात", "आज हवामान छान आहे"),
    "bn-IN": ("আমি ভাত খাই", "তুমি কেমন আছো", "আজ আবহাওয়া ভালো"),
    "pa-IN": ("ਮੈਂ ਬਾਜ਼ਾਰ ਜਾ ਰਿਹਾ ਹਾਂ", "ਤੁਸੀਂ ਕਿਵੇਂ ਹੋ", "ਅੱਜ ਮੌਸਮ ਵਧੀਆ ਹੈ"),
    "gu-IN": ("હું બજાર જાઉં છું", "તમે કેમ છો", "આજે હવામાન સારું છે"),
    "ta-IN": ("நான் சந்தைக்கு செல்கிறேன்", "நீங்கள் எப்படி இருக்கிறீர்கள்", "இன்று வானிலை நன்றாக உள்ளது"),
    "te-IN": ("నేను మార్కెట్‌కి వెళ్తున్నాను", "మీరు ఎలా ఉన్నారు", "ఈ రోజు వాతావరణం బాగుంది"),
    "kn-IN": ("ನಾನು ಮಾರುಕಟ್ಟೆಗೆ ಹೋಗುತ್ತೇನೆ", "ನೀವು ಹೇಗಿದ್ದೀರಿ", "ಇಂದು ಹವಾಮಾನ ಚೆನ್ನಾಗಿದೆ"),
    "ml-IN": ("ഞാൻ ചന്തയിലേക്ക് പോകുന്നു", "നിങ്ങൾക്ക് സുഖമാണോ", "ഇന്ന് കാലാവസ്ഥ നല്ലതാണ്"),
    "en-IN": ("i am going to the market", "how are you", "the weather is nice today"),
}
END = {"hi-IN": "।", "mr-IN": "।", "bn-IN": "।", "pa-IN": "।"}
rules = RulePunctuator(pause_s=0.8)


def end_mark(language: str) -> str:
    return END.get(language, ".")


def punctuate(text: str, language: str, segments=()) -> str:
    return rules.punctuate_batch([PunctuationRequest(text, language, tuple(segments))])[0]


@pytest.mark.parametrize("language", SENTENCES)
def test_statement_ends_in_the_scripts_mark(language):
    statement = SENTENCES[language][0]
    result = punctuate(statement, language)
    assert result.endswith(end_mark(language)) and result[:-1].lower() == statement


@pytest.mark.parametrize("language", SENTENCES)
def test_question_gets_a_question_mark(language):
    question = SENTENCES[language][1]
    assert punctuate(question, language).endswith("?")


@pytest.mark.parametrize("language", SENTENCES)
def test_multi_sentence_input_splits_at_long_pauses(language):
    first, question, second = SENTENCES[language]
    segments = [TimedText(0.0, 1.5, first), TimedText(2.6, 3.6, question), TimedText(4.8, 6.0, second)]
    result = punctuate(" ".join([first, question, second]), language, segments)
    mark = end_mark(language)
    expected = f"{first}{mark} {question}? {second}{mark}"
    assert result.lower() == expected.lower()


@pytest.mark.parametrize("language", SENTENCES)
def test_short_gaps_do_not_split(language):
    first, _, second = SENTENCES[language]
    segments = [TimedText(0.0, 1.5, first), TimedText(1.8, 3.0, second)]
    result = punctuate(f"{first} {second}", language, segments)
    assert result.lower() == f"{first} {second}{end_mark(language)}".lower()


@pytest.mark.parametrize("language", SENTENCES)
def test_already_punctuated_text_is_left_alone(language):
    text = f"{SENTENCES[language][0]}, {SENTENCES[language][2]}!"
    assert punctuate(text, language) == text


@pytest.mark.parametrize("language", SENTENCES)
def test_empty_input(language):
    assert punctuate("", language) == "" and punctuate("   ", language) == ""


@pytest.mark.parametrize("text, expected", [
    ("क्या तुम कल आओगे", "?"), ("तुम आओगे ना", "?"), ("जब मैं आया तब वह सो रहा था", "।"),
])
def test_hindi_question_cues(text, expected):
    assert punctuate(text, "hi-IN").endswith(expected)


@pytest.mark.parametrize("text, expected", [
    ("is it raining", "Is it raining?"), ("can you help me", "Can you help me?"),
    ("it is cold right", "It is cold right?"), ("i know what you did", "I know what you did."),
    ("what a lovely day", "What a lovely day?"),  # rules are rules: a wh-word opens a question
])
def test_english_cues_and_capitals(text, expected):
    assert punctuate(text, "en-IN") == expected


def test_existing_marks_can_be_overridden():
    forced = RulePunctuator(respect_existing=False)
    assert forced.punctuate(PunctuationRequest("आप कैसे हैं.", "hi-IN")) == "आप कैसे हैं?"


def test_batch_keeps_order():
    requests = [PunctuationRequest(s[1], lang) for lang, s in SENTENCES.items()]
    assert all(r.endswith("?") for r in rules.punctuate_batch(requests))


# --- the token-classification engine ---------------------------------------------------------

LABELS = {0: "O", 1: "COMMA", 2: "PERIOD", 3: "QUESTION"}
# Each word of this designed checkpoint carries its label in its embedding (see below).
WORD_LABELS = {"नमस्ते": "COMMA", "आप": "O", "कैसे": "O", "हैं": "QUESTION", "मैं": "O", "बाज़ार": "O", "जा": "O",
               "रहा": "O", "हूँ": "PERIOD", "how": "O", "are": "O", "you": "QUESTION", "i": "O", "am": "O",
               "fine": "PERIOD", "well": "COMMA"}


@pytest.fixture(scope="module")
def punctuation_checkpoint(tmp_path_factory):
    """A BERT token classifier built so each word's label is known without running it.

    No transformer layers: the hidden state is LayerNorm(word embedding), and each word's
    embedding is the classifier row of its label (orthogonal, zero-mean rows), so the
    argmax is the designed label. The expected outputs below are then written by hand.
    """
    from transformers import BertConfig, BertForTokenClassification, BertTokenizer

    folder = tmp_path_factory.mktemp("punct")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORD_LABELS]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), do_lower_case=False, tokenize_chinese_chars=False)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=0, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, num_labels=len(LABELS),
                        id2label=LABELS, label2id={v: k for k, v in LABELS.items()})
    model = BertForTokenClassification(config).eval()
    hadamard = torch.tensor([[(-1) ** bin(i & j).count("1") for j in range(32)] for i in range(32)],
                            dtype=torch.float32)
    rows = hadamard[1:5]  # zero-mean, mutually orthogonal: one direction per label
    label_id = {v: k for k, v in LABELS.items()}
    with torch.no_grad():
        model.bert.embeddings.position_embeddings.weight.zero_()
        model.bert.embeddings.token_type_embeddings.weight.zero_()
        embeddings = model.bert.embeddings.word_embeddings.weight
        embeddings[:] = rows[label_id["O"]]  # special and unknown tokens: no mark
        for index, word in enumerate(vocab):
            if word in WORD_LABELS:
                embeddings[index] = rows[label_id[WORD_LABELS[word]]]
        model.classifier.weight[:] = rows
        model.classifier.bias.zero_()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.mark.parametrize("text, language, expected", [
    ("नमस्ते आप कैसे हैं", "hi-IN", "नमस्ते, आप कैसे हैं?"),
    ("मैं बाज़ार जा रहा हूँ", "hi-IN", "मैं बाज़ार जा रहा हूँ।"),
    ("मैं बाज़ार जा रहा हूँ", "mr-IN", "मैं बाज़ार जा रहा हूँ।"),
    ("how are you i am fine", "en-IN", "how are you? i am fine."),
    ("i am fine", "ta-IN", "i am fine."),  # Tamil ends with a full stop, not the daṇḍa
    ("well   how are you", "en-IN", "well, how are you?"),
    ("unknownword are you", "en-IN", "unknownword are you?"),
    ("", "en-IN", ""),
    ("already done.", "en-IN", "already done."),  # punctuated text is left alone
])
def test_token_classifier_marks_each_word_by_its_label(punctuation_checkpoint, text, language, expected):
    engine = build_punctuator("transformers", str(punctuation_checkpoint))
    assert engine.punctuate_batch([PunctuationRequest(text, language)]) == [expected]


def test_token_classifier_batch_keeps_order(punctuation_checkpoint):
    engine = build_punctuator("transformers", str(punctuation_checkpoint))
    texts = [("how are you", "en-IN"), ("", "hi-IN"), ("मैं जा रहा हूँ", "hi-IN"), ("i am fine", "en-IN")]
    results = engine.punctuate_batch([PunctuationRequest(t, lang) for t, lang in texts])
    assert results == ["how are you?", "", "मैं जा रहा हूँ।", "i am fine."]


def test_token_classifier_needs_a_source():
    with pytest.raises(ValueError, match="needs a source"):
        build_punctuator("transformers", None)
