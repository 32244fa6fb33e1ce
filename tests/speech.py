"""Real test audio: espeak-ng speech, converted with ffmpeg. No recorded fixtures."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# whisper-base transcribes these espeak-ng (en-us) sentences word for word.
ENGLISH = {
    "hello": "Hello, how are you today?",
    "call": "Please call me tomorrow morning.",
    "table": "I would like to book a table for two people.",
    "station": "Where is the railway station?",
}
HINDI = "नमस्ते, आप कैसे हैं? मैं बाज़ार जा रहा हूँ।"
TAMIL = "வணக்கம், நீங்கள் எப்படி இருக்கிறீர்கள்? நான் சந்தைக்கு செல்கிறேன்."
ESPEAK_VOICES = {"en": "en-us", "hi": "hi", "ta": "ta", "bn": "bn", "gu": "gu", "kn": "kn", "ml": "ml", "mr": "mr",
                 "pa": "pa", "te": "te"}

# ffmpeg arguments per target format, chosen by content not name in the server.
FORMATS = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    "ogg": ["-c:a", "libvorbis"],
    "opus": ["-c:a", "libopus", "-f", "ogg"],
    "flac": ["-c:a", "flac"],
    "m4a": ["-c:a", "aac", "-f", "ipod"],
    "webm": ["-c:a", "libopus", "-f", "webm"],
}


def require_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "ffmpeg", "sox") if shutil.which(tool) is None]
    if missing:
        raise RuntimeError(f"tests need {', '.join(missing)} (Debian packages); `make test` installs them")


def speak(text: str, language: str, out: Path, rate_wpm: int = 175) -> Path:
    """Speak ``text`` into a WAV file at espeak-ng's native 22.05 kHz."""
    subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES[language], "-s", str(rate_wpm), "-w", str(out), text],
                   check=True, capture_output=True)
    return out


def convert(source: Path, out: Path, fmt: str, *extra: str) -> Path:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *extra, *FORMATS[fmt], str(out)],
                   check=True, capture_output=True)
    return out


def silence_wav(out: Path, seconds: float, rate: int = 16000) -> Path:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"anullsrc=r={rate}:cl=mono",
                    "-t", str(seconds), "-c:a", "pcm_s16le", str(out)], check=True, capture_output=True)
    return out


def noise_wav(out: Path, seconds: float = 5.0, amplitude: float = 0.3, seed: int = 1,
              colour: str = "white") -> Path:
    """Noise (white, or FFmpeg's other ``colour``s) from a fixed ``seed``: FFmpeg's default draws new noise
    each run, and a test must hear the same sound every time."""
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"anoisesrc=d={seconds}:c={colour}:a={amplitude}:r=16000:s={seed}", "-ac", "1", "-c:a", "pcm_s16le",
                    str(out)], check=True, capture_output=True)
    return out


def tones_wav(out: Path) -> Path:
    """Music-like: a melody of sine notes over a held chord, four notes a second, 6 s."""
    notes = [262, 294, 330, 349, 392, 440, 494, 523] * 3
    melody = "+".join(f"sin(2*PI*{f}*t)*between(t,{i * 0.25},{(i + 1) * 0.25})" for i, f in enumerate(notes))
    expr = f"0.25*({melody})+0.1*sin(2*PI*131*t)+0.1*sin(2*PI*196*t)"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"aevalsrc='{expr}':s=16000:d=6",
                    "-ac", "1", "-c:a", "pcm_s16le", str(out)], check=True, capture_output=True)
    return out


def band(seconds: float, seed: int = 0, rate: int = 16000):
    """Music without a voice, as float samples in [-1, 1]: three-note chords with five harmonics changing every
    second over a bass line, a melody of quarter-second notes, a kick on every half second and a hi-hat
    between. Silero must not call it speech, and must still hear a word sung over it."""
    import numpy as np

    draw = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate
    out = np.zeros(n)
    roots = [220, 196, 247, 262, 175, 233]
    for second in range(int(np.ceil(seconds))):
        part = slice(second * rate, min(n, (second + 1) * rate))
        root = roots[(second + seed) % len(roots)]
        for ratio in (1, 1.26, 1.5):
            for harmonic in range(1, 6):
                out[part] += 0.05 / harmonic * np.sin(2 * np.pi * root * ratio * harmonic * t[part])
        out[part] += 0.15 * np.sin(2 * np.pi * root / 2 * t[part])
    for start in range(0, n, rate // 4):
        length = min(n, start + rate // 4) - start
        note = 440 * 2 ** (draw.integers(0, 12) / 12)
        out[start:start + length] += 0.12 * np.exp(-np.arange(length) / (0.15 * rate)) * np.sin(
            2 * np.pi * note * t[start:start + length])
    for start in range(0, n, rate // 2):
        kick = min(n, start + rate // 10) - start
        out[start:start + kick] += 0.4 * np.exp(-np.arange(kick) / (rate / 40)) * np.sin(
            2 * np.pi * 60 * np.arange(kick) / rate)
        hat_at = start + rate // 4
        hat = max(0, min(n, hat_at + rate // 20) - hat_at)
        out[hat_at:hat_at + hat] += 0.08 * np.exp(-np.arange(hat) / (rate / 100)) * draw.standard_normal(hat)
    return (out / np.max(np.abs(out))).astype(np.float32)


def concat_with_silence(parts: list[Path], out: Path, gap_s: float = 1.0) -> Path:
    """Join WAV clips with ``gap_s`` of silence between them (16 kHz mono)."""
    inputs, filters = [], []
    for i, part in enumerate(parts):
        inputs += ["-i", str(part)]
        filters.append(f"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={gap_s}[a{i}]")
    joined = "".join(f"[a{i}]" for i in range(len(parts)))
    graph = ";".join(filters) + f";{joined}concat=n={len(parts)}:v=0:a=1[out]"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]",
                    "-c:a", "pcm_s16le", str(out)], check=True, capture_output=True)
    return out


def normalise(text: str) -> str:
    """Case and punctuation aside, for comparing English transcripts."""
    kept = "".join(ch.lower() if ch.isalnum() or ch.isspace() else " " for ch in text)
    return " ".join(kept.split())


def two_utterances_pcm(first: Path, second: Path, rate: int, gap_s: float = 1.0, lead_s: float = 0.5,
                       tail_s: float = 1.0) -> bytes:
    """PCM s16le mono at ``rate``: silence, utterance, ``gap_s`` silence, utterance, silence."""
    graph = (f"[0:a]aresample={rate},aformat=channel_layouts=mono,adelay={int(lead_s * 1000)},apad=pad_dur={gap_s}[a];"
             f"[1:a]aresample={rate},aformat=channel_layouts=mono,apad=pad_dur={tail_s}[b];[a][b]concat=n=2:v=0:a=1[out]")
    result = subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(first), "-i", str(second), "-filter_complex",
                             graph, "-map", "[out]", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-"],
                            check=True, capture_output=True)
    return result.stdout


def frames(pcm: bytes, size: int = 1024) -> list[bytes]:
    return [pcm[i:i + size] for i in range(0, len(pcm), size)]


# Sentences for long recordings: whisper-base hears these espeak-ng (en-us) sentences well.
LONG_SENTENCES = [
    "The train to Delhi leaves at night.", "Please bring two cups of tea.", "My sister lives in Chennai.",
    "The market opens early on Sunday.", "We planted a mango tree last year.", "The bus was late again today.",
    "Open the window, it is very warm.", "He reads the newspaper every morning.", "The children are playing cricket.",
    "Turn left after the temple.", "Her phone is on the table.", "The river is full after the rain.",
    "I will call you in the evening.", "The doctor will see you now.", "I like to drink coffee.",
    "Our flight was cancelled yesterday.", "Please write your name here.", "The library closes at six.",
    "The sky is blue today.", "The food at the wedding was delicious.", "Keep the keys on the table.",
    "The teacher explained the lesson slowly.", "It is raining heavily in Mumbai.", "Please close the door.",
    "The meeting starts in ten minutes.", "He forgot his umbrella at home.", "The museum is closed on Monday.",
    "We watched a movie last night.", "The road to the village is narrow.", "Thank you for your kind help.",
]


def placed_recording(sentences: list[str], out: Path, gap_s: float = 4.0) -> list[tuple[float, float]]:
    """Speak each sentence, join them with ``gap_s`` of silence; return each one's (start, end) in seconds."""
    from sunvai.audio import decode_audio

    parts, spans, at = [], [], 0.0
    for n, sentence in enumerate(sentences):
        part = speak(sentence, "en", out.with_name(f"{out.stem}-{n}.wav"))
        duration = len(decode_audio(part.read_bytes()).samples) / 16000
        parts.append(part)
        spans.append((round(at, 3), round(at + duration, 3)))
        at += duration + gap_s
    concat_with_silence(parts, out, gap_s)
    return spans


# Two espeak-ng voices taking turns: a man's (en-us) and a woman's (en-us+f4), each at its own pitch.
CONVERSATION_VOICES = (("en-us", 40), ("en-us+f4", 70))
CONVERSATION = [
    "Good morning, this is the bank. How can I help you today?",
    "Hello, I want to know the balance of my savings account.",
    "Sure, can you tell me your account number please?",
    "It is four five six seven eight nine.",
    "Thank you. Your balance is twelve thousand rupees.",
    "Can I also transfer some money to my brother?",
    "Yes, you can do that from the mobile app or at the branch.",
    "I will visit the branch tomorrow morning then.",
    "The branch opens at ten in the morning on weekdays.",
    "Thank you very much for your help.",
]


def conversation(out: Path, gap_s: float = 0.8, turns: list[str] | None = None) -> list[tuple[float, float, int]]:
    """Alternate the two voices over ``turns``; return each turn's (start, end, speaker) in seconds."""
    from sunvai.audio import decode_audio

    parts, spans, at = [], [], 0.0
    for n, text in enumerate(turns or CONVERSATION):
        voice, pitch = CONVERSATION_VOICES[n % 2]
        part = out.with_name(f"{out.stem}-{n}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "165", "-w", str(part), text],
                       check=True, capture_output=True)
        duration = len(decode_audio(part.read_bytes()).samples) / 16000
        parts.append(part)
        spans.append((round(at, 3), round(at + duration, 3), n % 2))
        at += duration + gap_s
    concat_with_silence(parts, out, gap_s)
    return spans


def pcm(source: Path, rate: int = 16000, channels: int = 1) -> bytes:
    """Raw PCM s16le of ``source`` at ``rate`` with ``channels`` channels."""
    return subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(source), "-f", "s16le", "-ar", str(rate),
                           "-ac", str(channels), "-"], check=True, capture_output=True).stdout


def noise_over_second_half(source: Path, out: Path, snr_db: float, seed: int = 0) -> tuple[Path, float]:
    """``source`` with white noise over its second half at ``snr_db`` (16 kHz WAV); (the file, where noise starts)."""
    import wave

    import numpy as np

    samples = np.frombuffer(pcm(source), "<i2").astype(np.float32) / 32768
    half = len(samples) // 2
    level = np.sqrt(np.mean(samples[half:] ** 2)) / 10 ** (snr_db / 20)
    samples[half:] += np.random.default_rng(seed).normal(0, level, len(samples) - half).astype(np.float32)
    with wave.open(str(out), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(16000)
        writer.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return out, half / 16000
