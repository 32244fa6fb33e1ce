"""The long-form quality set: recordings of 2-6 minutes that differ in voice, speed, pauses and what lies between
the sentences, each with the text it speaks.

    .venv/bin/python -m bench.longform_set OUT_DIR        # writes NAME.wav and NAME.txt for each recording

Two synthesizers (espeak-ng's voices, and Debian's festival with its kal_diphone voice), speeds from 140 to 200
words a minute, pauses from 0.3 to 3 s drawn unevenly (a fixed seed per recording, so the set is the same on
every machine), and pauses that hold pink noise or a chord progression instead of silence. bench.longform
--set runs each through the graph and bare faster-whisper in one run per recording. Needs Debian's festival and
festvox-kallpc16k beside espeak-ng (`apt-get install festival festvox-kallpc16k`; not part of `make test`).
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sunvai.audio import decode_audio
from tests.speech import LONG_SENTENCES

RATE = 16_000


@dataclass(frozen=True)
class Recording:
    name: str
    synthesizer: str  # espeak-ng voice ("en-us+f3"), or "festival"
    words_per_minute: int = 175
    pauses_s: tuple[float, float] = (1.0, 1.0)  # drawn uniformly from this range for each pause
    between: str = "silence"  # silence, noise (pink, -30 dB), music (chords, -24 dB)
    repeats: int = 1  # the thirty sentences, this many times in turn
    seed: int = 0


SET = (
    # the recording: thirty sentences read three times with 1.2 s pauses (4.6 min)
    Recording("read-three-times", "en-us", pauses_s=(1.2, 1.2), repeats=3),
    Recording("slow-long-pauses", "en-us", words_per_minute=140, pauses_s=(1.5, 3.0), repeats=2, seed=1),
    Recording("fast-short-pauses", "en-us+f3", words_per_minute=200, pauses_s=(0.3, 0.8), repeats=3, seed=2),
    Recording("festival-uneven", "festival", pauses_s=(0.3, 3.0), repeats=2, seed=3),
    Recording("noise-between", "en-gb", pauses_s=(0.8, 2.0), between="noise", repeats=2, seed=4),
    Recording("music-between", "en-us+m3", words_per_minute=160, pauses_s=(1.0, 2.5), between="music", repeats=2,
              seed=5),
)


def speak(text: str, recording: Recording, folder: Path) -> np.ndarray:
    out = folder / "sentence.wav"
    if recording.synthesizer == "festival":
        subprocess.run(["text2wave", "-o", str(out)], input=text.encode(), check=True, capture_output=True)
    else:
        subprocess.run(["espeak-ng", "-v", recording.synthesizer, "-s", str(recording.words_per_minute), "-w",
                        str(out), text], check=True, capture_output=True)
    return decode_audio(out.read_bytes()).samples


def filler(kind: str, seconds: float, rng: np.random.Generator) -> np.ndarray:
    n = int(seconds * RATE)
    if kind == "silence":
        return np.zeros(n, np.float32)
    if kind == "noise":  # pink: white noise shaped 1/f in the frequency domain
        spectrum = np.fft.rfft(rng.standard_normal(n))
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
        pink = np.fft.irfft(spectrum, n)
        return (pink / (np.abs(pink).max() + 1e-9) * 10 ** (-30 / 20)).astype(np.float32)
    t = np.arange(n) / RATE  # music: a chord (three sine partials of a triad) changing twice a second
    roots = rng.choice([220.0, 246.9, 261.6, 293.7, 329.6], size=max(1, int(seconds * 2) + 1))
    root = roots[(t * 2).astype(int)]
    chord = sum(np.sin(2 * np.pi * root * ratio * t) for ratio in (1.0, 1.26, 1.5)) / 3
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.05)
    return (chord * fade * 10 ** (-24 / 20)).astype(np.float32)


def build(recording: Recording, out: Path) -> str:
    """Write ``out`` (16 kHz mono WAV); return the text it speaks."""
    rng = np.random.default_rng(recording.seed)
    pieces, texts = [], []
    with tempfile.TemporaryDirectory() as folder:
        spoken = {s: speak(s, recording, Path(folder)) for s in LONG_SENTENCES}
    for _ in range(recording.repeats):
        for sentence in LONG_SENTENCES:
            pieces += [spoken[sentence], filler(recording.between, float(rng.uniform(*recording.pauses_s)), rng)]
            texts.append(sentence)
    pcm = (np.clip(np.concatenate(pieces), -1, 1) * 32767).astype("<i2")
    with wave.open(str(out), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(pcm.tobytes())
    return " ".join(texts)


def main_into(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for recording in SET:
        text = build(recording, out / f"{recording.name}.wav")
        (out / f"{recording.name}.txt").write_text(text + "\n")
        seconds = (out / f"{recording.name}.wav").stat().st_size / 2 / RATE
        print(f"{recording.name}: {seconds / 60:.1f} min", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    main_into(parser.parse_args().out)


if __name__ == "__main__":
    main()
