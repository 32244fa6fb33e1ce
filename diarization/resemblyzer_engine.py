"""Diarization with Resemblyzer's speaker encoder and agglomerative clustering.

Resemblyzer (Apache-2.0) ships its pretrained encoder (a 3-layer LSTM over 40 mel bands,
256-d embeddings; ``pretrained.pt``) inside its PyPI package, so it works offline. Its
package ``__init__`` imports webrtcvad and librosa (numba JIT: half a minute on a cold
start; webrtcvad needs ``pkg_resources``, gone from current setuptools), so this module
loads the checkpoint file directly and computes the same mel features with numpy:
librosa's ``melspectrogram`` (power, centred, zero-padded frames of 25 ms every 10 ms)
through librosa's mel filter bank, which this module builds once.

Speech is cut into windows of ``window_s`` every ``hop_s``; each window is embedded; the
windows are clustered by cosine distance (average linkage): into at most ``max_speakers``
clusters when that is given, otherwise wherever the distance exceeds ``threshold``.
Consecutive windows of one speaker become a turn.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from sunvai.diarization.types import DiarizationConfig, SpeakerTurn

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
TARGET_DBFS = -30.0


def checkpoint_path() -> Path:
    """Resemblyzer's ``pretrained.pt``, found without importing the package."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("diarization needs the resemblyzer package (pip install resemblyzer); "
                           "its speaker encoder ships inside it")
    return Path(next(iter(spec.submodule_search_locations))) / "pretrained.pt"


class SpeakerEncoder:
    """Resemblyzer's VoiceEncoder network: LSTM(40 -> 256, 3 layers) -> Linear -> ReLU -> L2 norm."""

    def __init__(self, device: str = "cpu"):
        import torch
        from librosa.filters import mel  # plain numpy: no numba on this path

        self.torch = torch
        self.lstm = torch.nn.LSTM(N_MELS, 256, 3, batch_first=True)
        self.linear = torch.nn.Linear(256, 256)
        state = torch.load(checkpoint_path(), map_location="cpu", weights_only=False)["model_state"]
        self.lstm.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("lstm.")})
        self.linear.load_state_dict({k[7:]: v for k, v in state.items() if k.startswith("linear.")})
        self.device = torch.device(device)
        self.lstm.to(self.device).eval()
        self.linear.to(self.device).eval()
        self.filters = mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).astype(np.float32)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N_FFT) / N_FFT)).astype(np.float32)  # periodic Hann

    def mels(self, audio: np.ndarray) -> np.ndarray:
        """[frames, 40] power mel spectrogram, as librosa.feature.melspectrogram computes it."""
        padded = np.pad(audio, N_FFT // 2)
        count = 1 + (len(padded) - N_FFT) // HOP
        frames = np.lib.stride_tricks.as_strided(padded, (count, N_FFT), (padded.strides[0] * HOP, padded.strides[0]))
        power = np.abs(np.fft.rfft(frames * self.window, axis=1)) ** 2
        return (power.astype(np.float32) @ self.filters.T).astype(np.float32)

    def embed(self, windows: np.ndarray) -> np.ndarray:
        """[n, 256] unit embeddings of [n, samples] windows of equal length."""
        torch = self.torch
        batch = np.stack([self.mels(w) for w in windows])
        with torch.inference_mode():
            _, (hidden, _) = self.lstm(torch.from_numpy(batch).to(self.device))
            raw = torch.relu(self.linear(hidden[-1]))
            return torch.nn.functional.normalize(raw, dim=1).cpu().numpy()


class ResemblyzerDiarizer:
    def __init__(self, config: DiarizationConfig | None = None, device: str = "cpu"):
        self.config = config or DiarizationConfig()
        self.encoder = SpeakerEncoder(device)

    def diarize(self, samples: np.ndarray, speech: list[tuple[float, float]],
                max_speakers: int | None = None) -> list[SpeakerTurn]:
        centres, windows = self._windows(_normalised(samples), speech)
        if not windows:
            return []
        embeddings = np.concatenate([self.encoder.embed(np.stack(windows[i:i + 64]))
                                     for i in range(0, len(windows), 64)])
        labels = self._cluster(embeddings, max_speakers)
        return _turns(speech, centres, labels)

    def _windows(self, samples: np.ndarray, speech: list[tuple[float, float]]):
        """Windows over each speech region; (region index, centre in seconds) for each."""
        size = int(self.config.window_s * SAMPLE_RATE)
        hop = int(self.config.hop_s * SAMPLE_RATE)
        centres, windows = [], []
        for number, (start_s, end_s) in enumerate(speech):
            start, end = int(start_s * SAMPLE_RATE), min(len(samples), int(end_s * SAMPLE_RATE))
            if end <= start:
                continue
            for at in range(start, max(start + 1, end - size + 1), hop):
                window = samples[at:at + size]
                if len(window) < size:
                    window = np.pad(window, (0, size - len(window)))
                windows.append(window)
                centres.append((number, (at + min(size, end - at) / 2) / SAMPLE_RATE))
        return centres, windows

    def _cluster(self, embeddings: np.ndarray, max_speakers: int | None) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering

        if len(embeddings) == 1:
            return np.zeros(1, dtype=int)
        labels = AgglomerativeClustering(n_clusters=None, distance_threshold=self.config.threshold,
                                         metric="cosine", linkage="average").fit_predict(embeddings)
        if max_speakers is not None and labels.max() + 1 > max_speakers:
            labels = AgglomerativeClustering(n_clusters=max_speakers, metric="cosine",
                                             linkage="average").fit_predict(embeddings)
        return labels


def _normalised(samples: np.ndarray) -> np.ndarray:
    """Raise quiet audio to -30 dBFS RMS, as Resemblyzer's preprocessing does (never lower)."""
    rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0
    if rms <= 0:
        return samples
    gain = 10 ** ((TARGET_DBFS - 20 * np.log10(rms)) / 20)
    return (samples * gain).astype(np.float32) if gain > 1 else samples


def _turns(regions: list[tuple[float, float]], centres: list[tuple[int, float]],
           labels: np.ndarray) -> list[SpeakerTurn]:
    """Turns covering every speech region: a change of speaker falls midway between two window centres.

    Speakers are renumbered by first appearance."""
    order: dict[int, int] = {}
    turns: list[SpeakerTurn] = []
    previous: tuple[int, float] | None = None
    for (region, centre), label in zip(centres, labels):
        speaker = order.setdefault(int(label), len(order))
        region_start, region_end = regions[region]
        if previous is None or previous[0] != region:  # a new region opens a new turn
            turns.append(SpeakerTurn(region_start, region_end, speaker))
        elif turns[-1].speaker != speaker:
            boundary = (previous[1] + centre) / 2
            turns[-1] = SpeakerTurn(turns[-1].start, boundary, turns[-1].speaker)
            turns.append(SpeakerTurn(boundary, region_end, speaker))
        previous = (region, centre)
    return turns
