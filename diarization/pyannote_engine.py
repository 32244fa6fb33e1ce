"""Diarization with a pyannote.audio pipeline, for operators who have its weights (untested here).

pyannote's pipelines download gated weights from the Hugging Face hub; with no hub here, this
engine is not exercised by the test suite. Configure ``args.diarization.engine: pyannote`` with
``source`` set to a local pipeline directory (or a hub id where the hub is reachable), and
install ``pyannote.audio`` yourself.
"""

from __future__ import annotations

import numpy as np

from sunvai.diarization.types import DiarizationConfig, SpeakerTurn


class PyannoteDiarizer:
    def __init__(self, config: DiarizationConfig, device: str = "cpu"):
        try:
            from pyannote.audio import Pipeline
        except ImportError as exc:
            raise RuntimeError("diarization engine pyannote needs `pip install pyannote.audio`") from exc
        if not config.source:
            raise RuntimeError("diarization engine pyannote needs `source`: a local pipeline directory or hub id")
        import torch

        self.torch = torch
        self.pipeline = Pipeline.from_pretrained(config.source)
        self.pipeline.to(torch.device(device))

    def diarize(self, samples: np.ndarray, speech: list[tuple[float, float]],
                max_speakers: int | None = None) -> list[SpeakerTurn]:
        audio = {"waveform": self.torch.from_numpy(samples[None]), "sample_rate": 16_000}
        options = {"max_speakers": max_speakers} if max_speakers else {}
        annotation = self.pipeline(audio, **options)
        order: dict[str, int] = {}
        turns = []
        for segment, _, label in annotation.itertracks(yield_label=True):
            turns.append(SpeakerTurn(float(segment.start), float(segment.end), order.setdefault(label, len(order))))
        return turns
