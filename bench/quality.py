"""Character error rate per language: the bare model, each script lock, and the full pipeline.

    .venv/bin/python -m bench.quality [--languages hi-IN,ta-IN] [--sentences 20] [--json out.json]

Twenty espeak-ng sentences a language (bench/sentences.py), the packaged whisper-base on
CTranslate2 int8 (as configs/local.yaml serves it), greedy, the language given. Variants:

- ``faster-whisper``: faster-whisper's ``transcribe`` on the same weights, beam 1, no VAD: the
  model as its most common runner serves it (its own temperature fallback included);
- ``engine, lock off``: sunvai's engine with no script lock;
- ``engine, script+latin`` / ``engine, strict``: sunvai's engine under each lock;
- ``pipeline``: the whole request flow in-process (TranscriptionService: decoding from WAV bytes,
  the no-speech gate, routing, ASR with the server's default lock, punctuation; format
  verbatim, so no ITN, which writes numbers as digits by design).

CER is computed on text normalised the same way for reference and hypothesis: Unicode NFC,
punctuation and symbols removed, lower case, spaces collapsed. Prints a table (CER %, and the
mean seconds per clip) and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import time
import unicodedata

import jiwer

from bench.sentences import ESPEAK_VOICES, SENTENCES
from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from sunvai.language_router.codes import LANGUAGES

LOCKS = ("off", "script+latin", "strict")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip().lower()


def speak(voice: str, text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True).stdout


def cer(references: list[str], hypotheses: list[str]) -> float:
    """Character edits over reference characters, all clips of a language pooled."""
    pairs = [(normalise(r), normalise(h)) for r, h in zip(references, hypotheses)]
    edits = 0
    for reference, hypothesis in pairs:
        if not hypothesis:  # jiwer refuses an empty hypothesis: every reference character is deleted
            edits += len(reference)
            continue
        result = jiwer.process_characters(reference, hypothesis)
        edits += result.substitutions + result.deletions + result.insertions
    return edits / sum(len(r) for r, _ in pairs)


def engine_for(store: ModelStore, lock: str):
    return build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8", cpu_threads=2,
                                    script_lock=lock), store)


def run_faster_whisper(store: ModelStore, clips: dict[str, list], out: dict) -> None:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(store.resolve("packaged:whisper-base")), device="cpu", compute_type="int8", cpu_threads=2)
    for code, items in clips.items():
        language = LANGUAGES[code].iso
        texts, started = [], time.perf_counter()
        for audio, _ in items:
            segments, _ = model.transcribe(audio, language=language, beam_size=1, vad_filter=False)
            texts.append(" ".join(s.text for s in segments))
        out.setdefault("faster-whisper", {})[code] = (texts, (time.perf_counter() - started) / len(items))


def run_engine(store: ModelStore, lock: str, clips: dict[str, list], out: dict) -> None:
    engine = engine_for(store, lock)
    for code, items in clips.items():
        language = LANGUAGES[code].iso
        texts, started = [], time.perf_counter()
        for audio, _ in items:
            texts.append(engine.transcribe_batch([AsrRequest(audio, language, writing="native")])[0].text)
        out.setdefault(f"engine, {lock}", {})[code] = (texts, (time.perf_counter() - started) / len(items))


def run_pipeline(store: ModelStore, clips: dict[str, list], out: dict) -> None:
    from sunvai.service.args import AppArgs
    from sunvai.service.backend import InProcessAsrBackend
    from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

    args = AppArgs()
    default_lock = args.models[0].script_lock
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": engine_for(store, default_lock)}))
    name = f"pipeline ({default_lock})"

    async def go():
        for code, items in clips.items():
            texts, started = [], time.perf_counter()
            for _, wav in items:
                texts.append((await service.transcribe_bytes(wav, TranscriptionOptions(code))).transcript)
            out.setdefault(name, {})[code] = (texts, (time.perf_counter() - started) / len(items))

    asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--languages", default=",".join(SENTENCES))
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--variants", default="faster-whisper,off,script+latin,strict,pipeline")
    parser.add_argument("--json", default=None, help="also write every transcript here")
    args = parser.parse_args()
    codes = [c.strip() for c in args.languages.split(",")]
    variants = [v.strip() for v in args.variants.split(",")]
    clips = {}
    for code in codes:
        items = []
        for text in SENTENCES[code][: args.sentences]:
            wav = speak(ESPEAK_VOICES[code], text)
            items.append((decode_audio(wav).samples, wav))
        clips[code] = items
    store = ModelStore()
    out: dict[str, dict[str, tuple[list[str], float]]] = {}
    for variant in variants:
        if variant == "faster-whisper":
            run_faster_whisper(store, clips, out)
        elif variant == "pipeline":
            run_pipeline(store, clips, out)
        else:
            run_engine(store, variant, clips, out)
    names = list(out)
    print(f"{'language':10}" + "".join(f"{n:>26}" for n in names))
    table: dict[str, dict[str, dict[str, float]]] = {}
    for code in codes:
        references = SENTENCES[code][: args.sentences]
        row = {n: {"cer": round(100 * cer(references, out[n][code][0]), 1), "s_per_clip": round(out[n][code][1], 2)}
               for n in names}
        table[code] = row
        print(f"{code:10}" + "".join(f"{row[n]['cer']:>17.1f}% {row[n]['s_per_clip']:>5.2f}s" for n in names))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({n: {c: out[n][c][0] for c in codes} for n in names}, handle, ensure_ascii=False, indent=1)
    print(json.dumps({"cer_percent_and_seconds_per_clip": table}, ensure_ascii=False))


if __name__ == "__main__":
    main()
