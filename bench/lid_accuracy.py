"""Language-ID accuracy on espeak-ng speech for the ten languages, and the latency it adds.

    .venv/bin/python -m bench.lid_accuracy [--sentences 20] [--all-ten-sentences 5] [--url http://127.0.0.1:8000]

For each language, sentences spoken by espeak-ng (bench/sentences.py) are identified among
the pair {language, en-IN} ({en-IN, hi-IN} for English) and, for the first few, among all ten
codes, with each method that runs here: Whisper's language-token detector (the lid
deployment), identification by decoding under the default strict lock (lid.method: decode; its time
includes the transcript, so the added latency is printed against a request with the language
given), and SpeechBrain where it imports. With --url, it also times POST /stt/v3 on a running
server with a comma list against the same clip with a single code.
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import time

import numpy as np

from bench.sentences import ESPEAK_VOICES
from bench.sentences import SENTENCES as ALL_SENTENCES
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from sunvai.language_router.codes import LANGUAGES
from sunvai.language_router.lid import LidResult
from sunvai.language_router.factory import build_identifier
from sunvai.language_router.speechbrain_lid import speechbrain_import_error

SENTENCES = {code: (ESPEAK_VOICES[code], texts) for code, texts in ALL_SENTENCES.items()}
ALL = list(SENTENCES)


def speak(voice: str, text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True).stdout


class DecodingIdentifier:
    """lid.method decode, as the ASR deployment runs it: the engine decodes each candidate and keeps the best."""

    def __init__(self, lock: str):
        from sunvai.asr.factory import ModelConfig, build_engine

        self.engine = build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8",
                                               cpu_threads=2, script_lock=lock))
        self.name = f"decoding under the {lock} lock"

    def identify_batch(self, audios, candidates) -> list[LidResult]:
        results = []
        for audio, codes in zip(audios, candidates):
            pairs = tuple((LANGUAGES[c].iso, LANGUAGES[c].writing) for c in codes)
            result = self.engine.transcribe_batch([AsrRequest(audio, None, candidates=pairs)])[0]
            code = next(c for c in codes if LANGUAGES[c].iso == result.language)
            ranking = {c: result.language_scores.get(LANGUAGES[c].iso, 0.0) for c in codes}
            results.append(LidResult(code, ranking[code], ranking))
        return results

    def transcribe_known(self, audio, code: str) -> None:
        self.engine.transcribe_batch([AsrRequest(audio, LANGUAGES[code].iso, writing=LANGUAGES[code].writing)])


def engines():
    yield "decoding, strict", DecodingIdentifier("strict")  # the default lock
    yield "whisper (packaged whisper-base, CT2 int8)", build_identifier("whisper", "packaged:whisper-base",
                                                                          compute_type="int8", cpu_threads=2)
    reason = speechbrain_import_error()
    if reason is None:
        yield "speechbrain VoxLingua107", build_identifier("speechbrain", "speechbrain/lang-id-voxlingua107-ecapa")
    else:
        print(f"speechbrain engine skipped: {reason}")


def http_added_latency(url: str, clip: bytes, runs: int = 5) -> dict[str, float]:
    import httpx

    def timed(language_code: str) -> float:
        times = []
        with httpx.Client(base_url=url, timeout=120) as client:
            for _ in range(runs + 1):
                started = time.perf_counter()
                client.post("/stt/v3", files={"audio_file": ("a.wav", clip)},
                            data={"language_code": language_code}).raise_for_status()
                times.append(time.perf_counter() - started)
        return statistics.median(times[1:])

    single, listed = timed("en-IN"), timed(",".join(ALL))
    return {"single_code_median_s": round(single, 3), "ten_codes_median_s": round(listed, 3),
            "added_s": round(listed - single, 3)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default=None, help="a running sunvai, to time the added request latency")
    parser.add_argument("--sentences", type=int, default=20, help="clips a language for the pairs")
    parser.add_argument("--all-ten-sentences", type=int, default=5, help="of those, how many also among all ten")
    options = parser.parse_args()
    clips = {code: [decode_audio(speak(voice, s)).samples for s in sentences[: options.sentences]]
             for code, (voice, sentences) in SENTENCES.items()}
    report = {}
    for name, identifier in engines():
        identifier.identify_batch([np.zeros(16000, np.float32) + 0.01], [["hi-IN", "en-IN"]])
        rows, times, added = {}, [], []
        for code, audios in clips.items():
            pair = [code, "en-IN"] if code != "en-IN" else ["en-IN", "hi-IN"]
            all_hits = pair_hits = 0
            confusions = []
            for n, audio in enumerate(audios):
                started = time.perf_counter()
                result = identifier.identify_batch([audio], [pair])[0]
                times.append(time.perf_counter() - started)
                pair_hits += result.language == code
                if hasattr(identifier, "transcribe_known"):  # its time includes the transcript: take that off
                    started = time.perf_counter()
                    identifier.transcribe_known(audio, code)
                    added.append(times[-1] - (time.perf_counter() - started))
                if n < options.all_ten_sentences:
                    result = identifier.identify_batch([audio], [ALL])[0]
                    all_hits += result.language == code
                    if result.language != code:
                        confusions.append(result.language)
            tried = min(len(audios), options.all_ten_sentences)
            rows[code] = {"all_ten": all_hits / tried, "pair": pair_hits / len(audios), "confused_with": confusions}
        report[name] = {"per_language": rows, "pair_median_ms": round(statistics.median(times) * 1000, 1),
                        "added_over_known_language_median_ms": round(statistics.median(added) * 1000, 1)
                        if added else None,
                        "all_ten_mean": round(statistics.mean(r["all_ten"] for r in rows.values()), 3),
                        "pair_mean": round(statistics.mean(r["pair"] for r in rows.values()), 3)}
        print(f"\n{name}: median {report[name]['pair_median_ms']} ms per clip for a pair; added over a known "
              f"language: {report[name]['added_over_known_language_median_ms']} ms")
        print(f"{'language':10s} {'all ten':>8s} {'pair':>6s}  confused with")
        for code, row in rows.items():
            print(f"{code:10s} {row['all_ten']:8.0%} {row['pair']:6.0%}  {', '.join(row['confused_with'])}")
        print(f"{'mean':10s} {report[name]['all_ten_mean']:8.0%} {report[name]['pair_mean']:6.0%}")
    if options.url:
        buffer = io.BytesIO(speak("en-us", SENTENCES["en-IN"][1][1]))
        report["http"] = http_added_latency(options.url, buffer.getvalue())
        print(f"\nPOST /stt/v3, same clip: {report['http']}")
    print(json.dumps({"bench": "lid_accuracy", **report}, ensure_ascii=False))


if __name__ == "__main__":
    main()
