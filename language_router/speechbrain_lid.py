"""SpeechBrain's VoxLingua107 ECAPA language classifier, where speechbrain can be imported.

speechbrain imports torchaudio, and PyPI's torchaudio builds only load next to a
matching torch build; on machines where that fails (a CPU-only torch here), this
engine reports why instead of breaking the app, and the Whisper engine serves.
"""

from __future__ import annotations

import numpy as np

from sunvai.asr.errors import ModelUnavailableError
from sunvai.language_router.lid import LidResult, rank_candidates


def speechbrain_import_error() -> str | None:
    """None when speechbrain imports here, else the reason it does not."""
    try:
        import speechbrain.inference.classifiers  # noqa: F401
    except Exception as exc:  # ImportError, or OSError from torchaudio's compiled libraries
        return f"{exc.__class__.__name__}: {exc}"
    return None


class SpeechBrainLanguageIdentifier:
    def __init__(self, source: str, device: str = "cpu", savedir: str | None = None):
        reason = speechbrain_import_error()
        if reason is not None:
            raise ModelUnavailableError(
                f"the speechbrain language-ID engine cannot run on this machine ({reason}); install speechbrain "
                "with a torchaudio built for this torch, or set lid.engine to 'whisper'"
            )
        import torch
        from speechbrain.inference.classifiers import EncoderClassifier

        self.torch = torch
        self.name = f"speechbrain:{source}"
        try:
            self.classifier = EncoderClassifier.from_hparams(source=source, savedir=savedir,
                                                             run_opts={"device": device})
        except Exception as exc:
            raise ModelUnavailableError(f"cannot load the speechbrain classifier from {source!r}: {exc}") from exc
        labels = self.classifier.hparams.label_encoder.decode_ndim(list(range(len(self.classifier.hparams.label_encoder))))
        # VoxLingua107 labels read "hi: Hindi"; keep the ISO code.
        self.iso_labels = [str(label).split(":")[0].strip() for label in labels]

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        torch = self.torch
        longest = max(len(a) for a in audios)
        batch = torch.zeros(len(audios), longest)
        for row, audio in enumerate(audios):
            batch[row, : len(audio)] = torch.from_numpy(audio)
        lengths = torch.tensor([len(a) / longest for a in audios])
        with torch.inference_mode():
            log_probs = self.classifier.classify_batch(batch, lengths)[0]
        probs = log_probs.float().exp().cpu().numpy()
        results = []
        for row, codes in zip(probs, candidates):
            by_iso: dict[str, float] = {}
            for iso, p in zip(self.iso_labels, row.tolist()):
                by_iso[iso] = by_iso.get(iso, 0.0) + p
            results.append(rank_candidates(by_iso, codes))
        return results
