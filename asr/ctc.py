"""CTC models through transformers (``AutoModelForCTC``): wav2vec2, Vakyansh, IndicWav2Vec.

A CTC checkpoint is trained for one language, so the engine reports the
language it was configured with. Greedy decoding; word timings come from the
tokenizer's word offsets.
"""

from __future__ import annotations

from sunvai.asr.types import SAMPLE_RATE, AsrRequest, AsrResult, Segment, Word


class CtcEngine:
    def __init__(self, name: str, model_dir: str, language: str | None = None, device: str = "cpu",
                 cpu_threads: int = 0):
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

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        torch = self.torch
        audio = [r.audio for r in requests]
        inputs = self.processor(audio, sampling_rate=SAMPLE_RATE, return_tensors="pt", padding=True)
        inputs = {k: v.to(self.device) for k, v in inputs.items() if k in ("input_values", "attention_mask")}
        with torch.inference_mode():
            logits = self.model(**inputs).logits
        lengths = self.model._get_feat_extract_output_lengths(torch.tensor([len(a) for a in audio]))
        best = logits.argmax(-1).cpu()
        results = []
        for row, n_frames in zip(best, lengths.tolist()):
            decoded = self.processor.tokenizer.decode(row[:n_frames].tolist(), output_word_offsets=True)
            words = tuple(
                Word(
                    start=round(o["start_offset"] * self.seconds_per_frame, 3),
                    end=round(o["end_offset"] * self.seconds_per_frame, 3),
                    text=o["word"],
                )
                for o in decoded.word_offsets
            )
            text = decoded.text.strip()
            segments = (Segment(start=words[0].start, end=words[-1].end, text=text, words=words),) if words else ()
            results.append(AsrResult(text=text, language=self.language, segments=segments, model=self.name))
        return results
