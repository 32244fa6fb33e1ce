"""Bare faster-whisper on the packaged weights, decoding as the servers do (greedy, no fallback)."""

from __future__ import annotations


def load(threads: int):
    """faster-whisper's ``WhisperModel`` on the packaged whisper-base, int8 on ``threads`` CPU threads."""
    from faster_whisper import WhisperModel

    from sunvai.asr.model_store import ModelStore

    return WhisperModel(str(ModelStore().resolve("packaged:whisper-base", "ctranslate2")), device="cpu",
                        compute_type="int8", cpu_threads=threads)


def transcribe(model, audio, language: str = "en", vad_filter: bool = False) -> str:
    """``audio``: a path or 16 kHz samples. Beam 1, temperature 0, no conditioning on previous text.

    ``vad_filter``: faster-whisper's own Silero pass, decoding only the speech (off by default).
    """
    segments, _ = model.transcribe(audio, language=language, beam_size=1, temperature=0.0,
                                   condition_on_previous_text=False, vad_filter=vad_filter)
    return " ".join(s.text.strip() for s in segments)  # the generator decodes lazily: joining runs it
