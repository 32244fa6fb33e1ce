"""NeMo's log-mel filterbank, as AI4Bharat's IndicConformer expects its input, in plain torch.

The release ships the same computation as ``assets/preprocessor.ts`` (NeMo's
``AudioToMelSpectrogramPreprocessor`` scripted); this is our own, without torchaudio, each
clip computed alone and the batch zero-padded after, and checked against a scripted reference (tests/unit/test_indic_conformer.py)
and against the release's own file by ``sunvai models verify``:

pre-emphasis 0.97 (first sample kept); STFT n_fft 512, hop 160, a symmetric 400-sample Hann
window, centred with reflect padding; magnitude squared; 80 Slaney mel bands (0-8 kHz);
log(x + 2^-24); each band normalised over the clip's own frames (mean, unbiased std + 1e-5);
frames past the clip's length zeroed. A clip of n samples has n // 160 + 1 frames.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SAMPLE_RATE = 16_000
N_FFT = 512
HOP = 160
WINDOW = 400
N_MELS = 80
PREEMPHASIS = 0.97
LOG_GUARD = 2.0 ** -24
STD_GUARD = 1e-5


@lru_cache(maxsize=1)
def mel_matrix() -> np.ndarray:
    """[80, 257] Slaney-scale, Slaney-normalised triangular filters (librosa's ``filters.mel`` defaults)."""
    from transformers.audio_utils import mel_filter_bank

    return mel_filter_bank(num_frequency_bins=N_FFT // 2 + 1, num_mel_filters=N_MELS, min_frequency=0.0,
                           max_frequency=SAMPLE_RATE / 2, sampling_rate=SAMPLE_RATE, norm="slaney",
                           mel_scale="slaney").T.astype(np.float32)


def frame_count(samples: int) -> int:
    return samples // HOP + 1


def log_mel(clip):
    """One clip, a 1-D float32 torch tensor of 16 kHz samples -> features [80, len // 160 + 1].

    Each clip is computed alone (its own reflect padding and normalisation), so a clip's features do
    not depend on what it is batched with."""
    import torch

    if clip.shape[0] <= N_FFT // 2:  # reflect padding needs more samples than half a window: a blip of < 16 ms
        clip = torch.nn.functional.pad(clip, (0, N_FFT // 2 + 1 - clip.shape[0]))
    clip = torch.cat((clip[:1], clip[1:] - PREEMPHASIS * clip[:-1]))
    window = torch.hann_window(WINDOW, periodic=False, dtype=torch.float32, device=clip.device)
    spectrum = torch.stft(clip, n_fft=N_FFT, hop_length=HOP, win_length=WINDOW, window=window, center=True,
                          pad_mode="reflect", return_complex=True)
    mel = torch.matmul(torch.from_numpy(mel_matrix()).to(clip.device), spectrum.abs().pow(2.0))
    features = torch.log(mel + LOG_GUARD)
    mean = features.mean(-1, keepdim=True)
    std = features.std(-1, keepdim=True, unbiased=True) if features.shape[-1] > 1 else torch.zeros_like(mean)
    return (features - mean) / (std + STD_GUARD)


def batch_log_mel(clips: list[np.ndarray]):
    """Clips of 16 kHz float32 samples -> (features [B, 80, T] zero-padded past each clip's frames,
    frame counts [B] int64): the encoder's ``audio_signal`` and ``length``."""
    import torch

    features = [log_mel(torch.from_numpy(np.ascontiguousarray(clip, dtype=np.float32))) for clip in clips]
    frames = torch.tensor([f.shape[-1] for f in features], dtype=torch.int64)
    batch = torch.zeros(len(features), N_MELS, int(frames.max()), dtype=torch.float32)
    for row, f in enumerate(features):
        batch[row, :, : f.shape[-1]] = f
    return batch, frames
