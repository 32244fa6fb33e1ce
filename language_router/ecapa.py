"""VoxLingua107 ECAPA-TDNN language identification in plain torch (``lid.engine: ecapa``), without SpeechBrain.

SpeechBrain imports torchaudio at module level, which does not load next to a CPU torch; this
rebuilds the same network and features from SpeechBrain's definitions so its released weights
load by their own key names (``embedding_model.ckpt``, ``classifier.ckpt``):

- features (``speechbrain.lobes.features.Fbank``, n_mels 60): STFT n_fft 400, hop 160, a periodic
  Hamming window, centred with zero padding; power spectrum; SpeechBrain's triangular mel filters
  (HTK mel scale, symmetric triangles); 10 log10 with a floor of 1e-10 and everything more than
  80 dB below the clip's peak raised to it; then the clip's mean removed per band
  (``InputNormalization`` sentence, no std);
- ``ECAPA_TDNN`` (TDNN block, three SE-Res2Net blocks, multi-layer aggregation, attentive
  statistics pooling with global context, batch norm, a 256-wide embedding), its convolutions
  padded "same" by reflection as SpeechBrain's are;
- ``Xvector.Classifier`` (LeakyReLU, batch norm, a 512-wide linear block, 107 outputs, log-softmax).

The architecture's sizes are read from the weights; dilations from ``hyperparams.yaml`` where it
says, else ECAPA's [1, 2, 3, 4, 1]. Each clip runs alone (SpeechBrain's relative-length masks and
reflection padding make a padded batch differ slightly from single clips).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from sunvai.asr.errors import ModelUnavailableError
from sunvai.language_router.ecapa_files import ECAPA_FILES, read_labels
from sunvai.language_router.lid import LidResult, rank_candidates

N_FFT, HOP, SAMPLE_RATE, TOP_DB, AMIN = 400, 160, 16_000, 80.0, 1e-10
MIN_SAMPLES = SAMPLE_RATE // 2  # shorter clips are zero-padded (the first convolution reflects 2 frames)


def mel_filters(n_mels: int):
    """SpeechBrain's Filterbank matrix [201, n_mels]: centres evenly spaced on the HTK mel scale from 0 to 8 kHz,
    each triangle as wide on both sides as the gap to the centre below it."""
    import torch

    def to_mel(hz):
        return 2595 * math.log10(1 + hz / 700)

    mel = torch.linspace(to_mel(0), to_mel(SAMPLE_RATE / 2), n_mels + 2)
    hz = 700 * (10 ** (mel / 2595) - 1)
    band = (hz[1:] - hz[:-1])[:-1]
    central = hz[1:-1]
    freqs = torch.linspace(0, SAMPLE_RATE // 2, N_FFT // 2 + 1)
    slope = (freqs[None, :] - central[:, None]) / band[:, None]
    return torch.clamp(torch.minimum(slope + 1.0, 1.0 - slope), min=0.0).T


def fbank(clip, n_mels: int):
    """[1, T, n_mels] mean-normalised log-mel features of a 1-D float32 clip (SpeechBrain's Fbank + sentence norm)."""
    import torch

    window = torch.hamming_window(N_FFT)
    spectrum = torch.stft(clip[None], N_FFT, HOP, N_FFT, window, center=True, pad_mode="constant",
                          return_complex=True)
    power = torch.view_as_real(spectrum).pow(2).sum(-1).transpose(1, 2)  # [1, T, 201]
    mel = power @ mel_filters(n_mels)
    db = 10 * torch.log10(torch.clamp(mel, min=AMIN))
    db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - TOP_DB)
    return db - db.mean(dim=1, keepdim=True)


def _network(torch):
    """The modules, defined once torch is imported (the package imports without torch)."""
    nn, F = torch.nn, torch.nn.functional

    class Conv1d(nn.Module):
        """SpeechBrain's Conv1d: "same" length by reflection padding; weights under ``conv``."""

        def __init__(self, cin, cout, kernel, dilation=1):
            super().__init__()
            self.pad = dilation * (kernel - 1) // 2
            self.conv = nn.Conv1d(cin, cout, kernel, dilation=dilation)

        def forward(self, x):
            return self.conv(F.pad(x, (self.pad, self.pad), mode="reflect") if self.pad else x)

    class BatchNorm1d(nn.Module):
        def __init__(self, size):
            super().__init__()
            self.norm = nn.BatchNorm1d(size)

        def forward(self, x):
            return self.norm(x)

    class TDNNBlock(nn.Module):
        def __init__(self, cin, cout, kernel, dilation):
            super().__init__()
            self.conv = Conv1d(cin, cout, kernel, dilation)
            self.activation = nn.ReLU()
            self.norm = BatchNorm1d(cout)

        def forward(self, x):
            return self.norm(self.activation(self.conv(x)))

    class Res2NetBlock(nn.Module):
        def __init__(self, channels, scale, kernel, dilation):
            super().__init__()
            self.scale = scale
            self.blocks = nn.ModuleList([TDNNBlock(channels // scale, channels // scale, kernel, dilation)
                                         for _ in range(scale - 1)])

        def forward(self, x):
            out, previous = [], None
            for i, part in enumerate(torch.chunk(x, self.scale, dim=1)):
                previous = part if i == 0 else self.blocks[i - 1](part if i == 1 else part + previous)
                out.append(previous)
            return torch.cat(out, dim=1)

    class SEBlock(nn.Module):
        def __init__(self, channels, se_channels):
            super().__init__()
            self.conv1 = Conv1d(channels, se_channels, 1)
            self.conv2 = Conv1d(se_channels, channels, 1)

        def forward(self, x):
            s = torch.relu(self.conv1(x.mean(dim=2, keepdim=True)))
            return torch.sigmoid(self.conv2(s)) * x

    class SERes2NetBlock(nn.Module):
        def __init__(self, cin, cout, scale, se_channels, kernel, dilation):
            super().__init__()
            self.tdnn1 = TDNNBlock(cin, cout, 1, 1)
            self.res2net_block = Res2NetBlock(cout, scale, kernel, dilation)
            self.tdnn2 = TDNNBlock(cout, cout, 1, 1)
            self.se_block = SEBlock(cout, se_channels)
            self.shortcut = Conv1d(cin, cout, 1) if cin != cout else None

        def forward(self, x):
            residual = self.shortcut(x) if self.shortcut is not None else x
            return self.se_block(self.tdnn2(self.res2net_block(self.tdnn1(x)))) + residual

    class AttentiveStatisticsPooling(nn.Module):
        def __init__(self, channels, attention_channels):
            super().__init__()
            self.tdnn = TDNNBlock(channels * 3, attention_channels, 1, 1)
            self.conv = Conv1d(attention_channels, channels, 1)

        @staticmethod
        def statistics(x, weights):
            mean = (weights * x).sum(2)
            std = torch.sqrt((weights * (x - mean.unsqueeze(2)).pow(2)).sum(2).clamp(1e-12))
            return mean, std

        def forward(self, x):
            frames = x.shape[-1]
            mean, std = self.statistics(x, torch.full_like(x[:, :1], 1.0 / frames))
            context = torch.cat([x, mean.unsqueeze(2).expand(-1, -1, frames), std.unsqueeze(2).expand(-1, -1, frames)], 1)
            attention = torch.softmax(self.conv(torch.tanh(self.tdnn(context))), dim=2)
            mean, std = self.statistics(x, attention)
            return torch.cat((mean, std), dim=1).unsqueeze(2)

    class ECAPA(nn.Module):
        def __init__(self, n_mels, channels, kernels, dilations, attention_channels, embedding, scale, se_channels):
            super().__init__()
            self.blocks = nn.ModuleList([TDNNBlock(n_mels, channels[0], kernels[0], dilations[0])])
            for i in range(1, len(channels) - 1):
                self.blocks.append(SERes2NetBlock(channels[i - 1], channels[i], scale, se_channels, kernels[i],
                                                  dilations[i]))
            self.mfa = TDNNBlock(channels[-2] * (len(channels) - 2), channels[-1], kernels[-1], dilations[-1])
            self.asp = AttentiveStatisticsPooling(channels[-1], attention_channels)
            self.asp_bn = BatchNorm1d(channels[-1] * 2)
            self.fc = Conv1d(channels[-1] * 2, embedding, 1)

        def forward(self, features):  # [B, T, n_mels] -> [B, 1, embedding]
            x, outputs = features.transpose(1, 2), []
            for block in self.blocks:
                x = block(x)
                outputs.append(x)
            x = self.mfa(torch.cat(outputs[1:], dim=1))
            return self.fc(self.asp_bn(self.asp(x))).transpose(1, 2)

    class Linear(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.w = nn.Linear(cin, cout)

        def forward(self, x):
            return self.w(x)

    class Block(nn.Module):
        def __init__(self, cin, cout):
            super().__init__()
            self.linear = Linear(cin, cout)
            self.act = nn.LeakyReLU()
            self.norm = BatchNorm1d(cout)

        def forward(self, x):
            return self.norm(self.act(self.linear(x)))

    class Classifier(nn.Module):
        def __init__(self, embedding, hidden: list[int], classes):
            super().__init__()
            self.act = nn.LeakyReLU()
            self.norm = BatchNorm1d(embedding)
            sizes = [embedding, *hidden]
            self.DNN = nn.ModuleDict({f"block_{i}": Block(a, b) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))})
            self.out = Linear(sizes[-1], classes)

        def forward(self, embedding):  # [B, 1, E] -> [B, classes] log-probabilities
            x = self.norm(self.act(embedding[:, 0]))
            for block in self.DNN.values():
                x = block(x)
            return torch.log_softmax(self.out(x), dim=-1)

    return ECAPA, Classifier


class EcapaModel:
    """The embedding network and the classifier, loaded from the release's files; ``log_probs`` per clip."""

    def __init__(self, directory: Path, device: str = "cpu"):
        import torch

        self.torch = torch
        missing = [name for name in ECAPA_FILES if not (directory / name).is_file()]
        if missing:
            raise ModelUnavailableError(f"ECAPA model {directory} lacks {', '.join(missing)}: copy them from "
                                        "speechbrain/lang-id-voxlingua107-ecapa (sunvai models pull)")
        self.labels = read_labels(directory)
        embedding_state = _state(directory / "embedding_model.ckpt", torch)
        classifier_state = _state(directory / "classifier.ckpt", torch)
        ECAPA, Classifier = _network(torch)
        sizes = _sizes(embedding_state, classifier_state, directory)
        self.n_mels = sizes["n_mels"]
        self.embedding = ECAPA(sizes["n_mels"], sizes["channels"], sizes["kernels"], sizes["dilations"],
                               sizes["attention"], sizes["embedding"], sizes["scale"], sizes["se"])
        self.classifier = Classifier(sizes["embedding"], sizes["hidden"], sizes["classes"])
        for module, state, name in ((self.embedding, embedding_state, "embedding_model.ckpt"),
                                    (self.classifier, classifier_state, "classifier.ckpt")):
            state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
            result = module.load_state_dict(state, strict=False)
            unexpected = list(result.unexpected_keys)
            missing_keys = [k for k in result.missing_keys if not k.endswith("num_batches_tracked")]
            if unexpected or missing_keys:
                raise ModelUnavailableError(
                    f"{directory / name} does not fit VoxLingua107 ECAPA: missing {missing_keys[:3]}, unexpected "
                    f"{unexpected[:3]}")
        if len(self.labels) != sizes["classes"]:
            raise ModelUnavailableError(f"{directory / 'label_encoder.txt'} has {len(self.labels)} labels; the "
                                        f"classifier has {sizes['classes']} outputs")
        self.device = torch.device(device)
        self.embedding.to(self.device).eval()
        self.classifier.to(self.device).eval()

    def log_probs(self, clip: np.ndarray):
        """[classes] log-probabilities of one 16 kHz clip."""
        torch = self.torch
        audio = np.asarray(clip, dtype=np.float32)
        if len(audio) < MIN_SAMPLES:
            audio = np.pad(audio, (0, MIN_SAMPLES - len(audio)))
        with torch.inference_mode():
            features = fbank(torch.from_numpy(audio).to(self.device), self.n_mels)
            return self.classifier(self.embedding(features))[0].float().cpu()


class EcapaLanguageIdentifier:
    """``lid.engine: ecapa``: VoxLingua107's probabilities restricted to the caller's candidates."""

    def __init__(self, directory: Path, device: str = "cpu", cpu_threads: int = 0):
        import torch

        if cpu_threads:
            torch.set_num_threads(cpu_threads)
        self.model = EcapaModel(Path(directory), device)
        self.name = f"ecapa:{Path(directory).name}"
        self.iso_by_index = {index: iso for iso, index in self.model.labels.items()}

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        results = []
        for audio, codes in zip(audios, candidates):
            probs = self.model.log_probs(audio).exp().numpy()
            results.append(rank_candidates({self.iso_by_index[i]: float(p) for i, p in enumerate(probs)}, codes))
        return results


def _state(path: Path, torch) -> dict:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # a truncated or foreign file: pickle, zip or torch errors
        raise ModelUnavailableError(f"cannot read {path} ({exc.__class__.__name__}: {exc}); copy it again") from exc
    if not isinstance(state, dict):
        raise ModelUnavailableError(f"{path} holds no state dict")
    return state


def _sizes(embedding: dict, classifier: dict, directory: Path) -> dict:
    """The architecture from the weights' shapes (and the dilations from hyperparams.yaml)."""
    try:
        first = embedding["blocks.0.conv.conv.weight"]
        count = 1 + len({k.split(".")[1] for k in embedding if k.startswith("blocks.") and ".tdnn1." in k})
        channels = [first.shape[0]] + [embedding[f"blocks.{i}.tdnn1.conv.conv.weight"].shape[0]
                                       for i in range(1, count)] + [embedding["mfa.conv.conv.weight"].shape[0]]
        kernels = [first.shape[2]] + [embedding[f"blocks.{i}.res2net_block.blocks.0.conv.conv.weight"].shape[2]
                                      for i in range(1, count)] + [embedding["mfa.conv.conv.weight"].shape[2]]
        scale = 1 + len({k.split(".")[4] for k in embedding if k.startswith("blocks.1.res2net_block.blocks.")})
        hidden = [classifier[f"DNN.block_{i}.linear.w.weight"].shape[0]
                  for i in range(len({k for k in classifier if k.startswith("DNN.block_") and k.endswith("linear.w.weight")}))]
        return {"n_mels": first.shape[1], "channels": channels, "kernels": kernels,
                "dilations": _dilations(directory, len(channels)), "scale": scale,
                "se": embedding["blocks.1.se_block.conv1.conv.weight"].shape[0],
                "attention": embedding["asp.tdnn.conv.conv.weight"].shape[0],
                "embedding": embedding["fc.conv.weight"].shape[0], "hidden": hidden,
                "classes": classifier["out.w.weight"].shape[0]}
    except (KeyError, IndexError) as exc:
        raise ModelUnavailableError(f"{directory / 'embedding_model.ckpt'} / classifier.ckpt lack ECAPA's weight "
                                    f"{exc}: not SpeechBrain's VoxLingua107 ECAPA") from exc


def _dilations(directory: Path, layers: int) -> list[int]:
    """``dilations: [1, 2, 3, 4, 1]`` from hyperparams.yaml (HyperPyYAML: read as text), else ECAPA's own."""
    text = (directory / "hyperparams.yaml").read_text(encoding="utf-8", errors="replace")
    match = re.search(r"^\s*dilations:\s*\[([\d,\s]+)\]", text, flags=re.MULTILINE)
    found = [int(v) for v in match.group(1).split(",")] if match else [1, 2, 3, 4, 1]
    if len(found) != layers:
        raise ModelUnavailableError(f"{directory / 'hyperparams.yaml'}: {len(found)} dilations for {layers} layers")
    return found
