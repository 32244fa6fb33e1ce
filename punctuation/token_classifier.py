"""Punctuation by a transformers token-classification model (configured checkpoint).

Each word gets the label of its last sub-token; label names come from the
model's ``id2label`` and map to marks: COMMA/"," -> ",", PERIOD/FULLSTOP/"." ->
the script's sentence end, QUESTION/"?" -> "?", EXCLAMATION/"!" -> "!",
anything else (O) -> nothing.
"""

from __future__ import annotations

from sunvai.punctuation.cues import terminal_mark
from sunvai.punctuation.rules import has_sentence_punctuation, iso_of
from sunvai.punctuation.types import PunctuationRequest

_STRIP = ",.?!;:।॥"


def mark_for_label(label: str, iso: str) -> str:
    name = label.upper().strip()
    if name.startswith(("B-", "I-")):
        name = name[2:]
    if name in ("COMMA", ","):
        return ","
    if name in ("PERIOD", "FULLSTOP", "FULL_STOP", ".", "।"):
        return terminal_mark(iso)
    if name in ("QUESTION", "QUESTION_MARK", "?"):
        return "?"
    if name in ("EXCLAMATION", "!"):
        return "!"
    return ""


class TokenClassifierPunctuator:
    def __init__(self, model_dir: str, device: str = "cpu", respect_existing: bool = True, max_words: int = 200):
        import torch
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        self.torch = torch
        self.name = f"transformers:{model_dir}"
        self.device = torch.device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.model = AutoModelForTokenClassification.from_pretrained(model_dir).to(self.device).eval()
        self.labels = {int(i): label for i, label in self.model.config.id2label.items()}
        self.respect_existing = respect_existing
        self.max_words = max_words

    def punctuate_batch(self, requests: list[PunctuationRequest]) -> list[str]:
        results: list[str | None] = [None] * len(requests)
        todo = []
        for index, request in enumerate(requests):
            text = " ".join(request.text.split())
            if not text or (self.respect_existing and has_sentence_punctuation(text)):
                results[index] = text
            else:
                words = [w.strip(_STRIP) for w in text.split() if w.strip(_STRIP)][: self.max_words]
                todo.append((index, words, iso_of(request.language)))
        if todo:
            encoded = self.tokenizer([words for _, words, _ in todo], is_split_into_words=True, padding=True,
                                     truncation=True, return_tensors="pt")
            with self.torch.inference_mode():
                logits = self.model(**{k: v.to(self.device) for k, v in encoded.items()}).logits
            predictions = logits.argmax(-1).cpu().tolist()
            for row, (index, words, iso) in enumerate(todo):
                last_label: dict[int, int] = {}
                for position, word_id in enumerate(encoded.word_ids(row)):
                    if word_id is not None:
                        last_label[word_id] = predictions[row][position]
                pieces = [word + mark_for_label(self.labels[last_label.get(i, 0)], iso) for i, word in enumerate(words)]
                results[index] = " ".join(pieces)
        return [r if r is not None else "" for r in results]
