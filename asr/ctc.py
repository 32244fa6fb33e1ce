"""CTC models through transformers (``AutoModelForCTC``): wav2vec2, Vakyansh, IndicWav2Vec.

A CTC checkpoint is trained for one language, so the engine reports the
language it was configured with. Greedy decoding, with word timings from the
tokenizer's word offsets; or, with ``lm`` configured, beam search with a KenLM
n-gram model and hotwords (asr/ctc_lm.py), word timings from its frame spans.
A request's prompt (batch bias words) adds hotwords.
"""

from __future__ import annotations

import numpy as np

from sunvai.asr.ctc_lm import CtcLmConfig, LmDecoder, hotwords_from_prompt, labels_from_vocabulary
from sunvai.asr.types import SAMPLE_RATE, AsrRequest, AsrResult, Segment, Word, frame_confidence, mean_confidence


class CtcEngine:
    def __init__(self, name: str, model_dir: str, language: str | None = None, device: str = "cpu",
                 cpu_threads: int = 0, lm: CtcLmConfig | None = None):
        import torch
        from transformers import AutoModelForCTC, AutoProcessor

        if cpu_threads:
            torch.set_num_threads(cpu_threads)
        self.torch = torch
        self.name = name
        self.language = language
        self.device = torch.device(device)
        self.processor = AutoProcessor.from_pretrained(str(model_dir))
        self.model = AutoModelForCTC.from_pretrained(str(model_dir)).to(self.device).eval()
        self.seconds_per_frame = self.model.config.inputs_to_logits_ratio / SAMPLE_RATE
        self.lm = None
        if lm is not None:
            tokenizer = self.processor.tokenizer
            labels = labels_from_vocabulary(tokenizer.get_vocab(), tokenizer.pad_token,
                                            getattr(tokenizer, "word_delimiter_token", "|"))
            self.lm = LmDecoder(labels, lm)

    def prepare_languages(self, languages: list[tuple[str, str]]) -> None:
        """Nothing per language: one CTC model writes one language."""

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        torch = self.torch
        audio = [r.audio for r in requests]
        inputs = self.processor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_values", "attention_mask")}
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        lengths = self.model._get_feat_extract_output_lengths(torch.tensor([len(a) for a in audio]))
        if self.lm is not None:
            log_probs = logits.float().log_softmax(-1).cpu().numpy()
            return [self._with_lm(rows[:n_frames], request) for rows, n_frames, request
                    in zip(log_probs, lengths.tolist(), requests)]
        best = logits.argmax(-1).cpu()
        posteriors = logits.float().softmax(-1).max(-1).values.cpu().numpy()  # the greedy path's frame posteriors
        results = []
        for row, confidence, n_frames in zip(best, posteriors, lengths.tolist()):
            decoded = self.processor.tokenizer.decode(row[:n_frames].tolist(), output_word_offsets=True)
            words = tuple(
                Word(
                    start=round(o["start_offset"] * self.seconds_per_frame, 3),
                    end=round(o["end_offset"] * self.seconds_per_frame, 3),
                    text=o["word"],
                    probability=frame_confidence(confidence, o["start_offset"], o["end_offset"]),
                )
                for o in decoded.word_offsets
            )
            text = decoded.text.strip()
            segments = (Segment(start=words[0].start, end=words[-1].end, text=text, words=words,
                                confidence=mean_confidence(words)),) if words else ()
            results.append(AsrResult(text=text, language=self.language, segments=segments, model=self.name))
        return results

    def _with_lm(self, log_probs, request: AsrRequest) -> AsrResult:
        text, decoded = self.lm.decode(log_probs, hotwords_from_prompt(request.prompt))
        best = np.exp(log_probs.max(-1))
        words = tuple(Word(start=round(w.start_frame * self.seconds_per_frame, 3),
                           end=round(w.end_frame * self.seconds_per_frame, 3), text=w.text,
                           probability=frame_confidence(best, w.start_frame, w.end_frame)) for w in decoded)
        segments = (Segment(start=words[0].start, end=words[-1].end, text=text, words=words,
                            confidence=mean_confidence(words)),) if words else ()
        return AsrResult(text=text, language=self.language, segments=segments, model=self.name)
