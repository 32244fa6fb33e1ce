"""A small VoxLingua107 ECAPA checkpoint built by SpeechBrain's own modules, in the release's four files.

SpeechBrain imports torchaudio at module level, and PyPI's torchaudio will not load next to a CPU
torch. The modules used here (ECAPA_TDNN, Xvector.Classifier, Fbank, InputNormalization) never
call it, so the tests import them with a stand-in ``torchaudio`` module that fails if anything
does call it. ``make test`` installs speechbrain without its dependencies for this.

The network is narrower than the release's (sizes are read from the weights), with random weights
and random batch-norm statistics, so every layer matters.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from pathlib import Path

OURS = {"bn": "Bengali", "en": "English", "gu": "Gujarati", "hi": "Hindi", "kn": "Kannada", "ml": "Malayalam",
        "mr": "Marathi", "pa": "Panjabi", "ta": "Tamil", "te": "Telugu"}
CLASSES = 107
HYPERPARAMS = """# as the release's hyperparams.yaml (HyperPyYAML)
n_mels: 60
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [64, 64, 64, 64, 192]
    kernel_sizes: [5, 3, 3, 3, 1]
    dilations: [1, 2, 3, 4, 1]
    attention_channels: 16
    lin_neurons: 32
"""


class _TorchaudioStandIn(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") or name == "list_audio_backends":
            raise AttributeError(name)
        sub = _TorchaudioStandIn(f"{self.__name__}.{name}")
        setattr(self, name, sub)
        return sub

    def __call__(self, *args, **kwargs):
        raise RuntimeError("torchaudio is not available here; the SpeechBrain reference must not call it")


def speechbrain_modules():
    """(ECAPA_TDNN, Classifier, Fbank, InputNormalization) from SpeechBrain itself."""
    _forget_speechbrain()  # a failed import elsewhere (speechbrain_import_error) leaves it half-initialised
    installed = "torchaudio" not in sys.modules
    if installed:  # only while these modules import: nothing else in the process may see it
        stand_in = _TorchaudioStandIn("torchaudio")
        stand_in.__spec__ = importlib.machinery.ModuleSpec("torchaudio", None)
        stand_in.__path__ = []
        stand_in.__version__ = "2.13.0"
        sys.modules["torchaudio"] = stand_in
    try:
        from speechbrain.lobes.features import Fbank
        from speechbrain.lobes.models.ECAPA_TDNN import ECAPA_TDNN
        from speechbrain.lobes.models.Xvector import Classifier
        from speechbrain.processing.features import InputNormalization

        # SpeechBrain imports submodules lazily on first use: use each once while the stand-in is in place
        ECAPA_TDNN(60, channels=[8, 8, 8, 8, 24], attention_channels=4, lin_neurons=4)
        Classifier(input_shape=[None, None, 4], lin_blocks=1, lin_neurons=4, out_neurons=2)
        Fbank(n_mels=60)
        InputNormalization(norm_type="sentence", std_norm=False)
    finally:
        if installed:
            sys.modules.pop("torchaudio", None)
            _forget_speechbrain()  # the classes stay alive; a later `import speechbrain` starts afresh
    return ECAPA_TDNN, Classifier, Fbank, InputNormalization


def _forget_speechbrain() -> None:
    for name in [n for n in sys.modules if n == "speechbrain" or n.startswith("speechbrain.")]:
        del sys.modules[name]


def labels() -> list[str]:
    """107 labels as 'iso: Name', ours among them (the rest stand for VoxLingua107's other languages)."""
    names = [f"{code}: {name}" for code, name in OURS.items()]
    names += [f"x{index:02d}: Other {index}" for index in range(CLASSES - len(names))]
    return sorted(names)


def build(seed: int = 3):
    """SpeechBrain's modules with random weights and batch-norm statistics, in eval mode."""
    import torch

    ECAPA_TDNN, Classifier, Fbank, InputNormalization = speechbrain_modules()
    torch.manual_seed(seed)
    embedding = ECAPA_TDNN(60, channels=[64, 64, 64, 64, 192], kernel_sizes=[5, 3, 3, 3, 1],
                           dilations=[1, 2, 3, 4, 1], attention_channels=16, lin_neurons=32)
    classifier = Classifier(input_shape=[None, None, 32], lin_blocks=1, lin_neurons=48, out_neurons=CLASSES)
    for module in (embedding, classifier):
        for name, value in module.state_dict().items():
            if name.endswith("running_mean"):
                value.copy_(torch.randn_like(value) * 0.1)
            elif name.endswith("running_var"):
                value.copy_(torch.rand_like(value) + 0.5)
        module.eval()
    return embedding, classifier, Fbank(n_mels=60), InputNormalization(norm_type="sentence", std_norm=False)


def write_checkpoint(root: Path, seed: int = 3) -> Path:
    import torch

    root.mkdir(parents=True, exist_ok=True)
    embedding, classifier, _, _ = build(seed)
    torch.save(embedding.state_dict(), root / "embedding_model.ckpt")
    torch.save(classifier.state_dict(), root / "classifier.ckpt")
    lines = [f"{label!r} => {index}" for index, label in enumerate(labels())]
    (root / "label_encoder.txt").write_text("\n".join(lines) + "\n================\n'starting_index' => 0\n",
                                            encoding="utf-8")
    (root / "hyperparams.yaml").write_text(HYPERPARAMS, encoding="utf-8")
    return root


def speechbrain_log_probs(root: Path, clip, seed: int = 3):
    """What SpeechBrain's EncoderClassifier.classify_batch computes for one clip: its log-probabilities."""
    import torch

    embedding, classifier, fbank, norm = build(seed)
    embedding.load_state_dict(torch.load(root / "embedding_model.ckpt"))
    classifier.load_state_dict(torch.load(root / "classifier.ckpt"))
    with torch.inference_mode():
        wav = torch.from_numpy(clip)[None]
        lengths = torch.ones(1)
        features = norm(fbank(wav), lengths)
        return classifier(embedding(features, lengths)).squeeze(1)[0]
