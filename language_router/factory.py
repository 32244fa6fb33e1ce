"""Build the configured language identifier."""

from __future__ import annotations

from sunvai.asr.model_store import ModelStore
from sunvai.language_router.lid import LanguageIdentifier


def build_identifier(engine: str, source: str, device: str = "cpu", compute_type: str = "int8",
                     cpu_threads: int = 0, store: ModelStore | None = None, hold_s: float = 0.0) -> LanguageIdentifier:
    if engine == "first-candidate":  # a test stand-in, not a model
        from sunvai.language_router.standin import FirstCandidateIdentifier

        return FirstCandidateIdentifier(hold_s)
    if engine == "ecapa":
        from sunvai.language_router.ecapa import EcapaLanguageIdentifier

        return EcapaLanguageIdentifier((store or ModelStore()).resolve(source, "ecapa"), device, cpu_threads)
    if engine == "speechbrain":
        from sunvai.language_router.speechbrain_lid import SpeechBrainLanguageIdentifier

        return SpeechBrainLanguageIdentifier(source, device=device)
    from sunvai.asr.factory import ModelConfig, build_engine
    from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier

    whisper = build_engine(ModelConfig(name="lid", engine="whisper-ct2", source=source, device=device,
                                       compute_type=compute_type, cpu_threads=cpu_threads), store)
    return WhisperLanguageIdentifier(whisper)
