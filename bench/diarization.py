"""Speaker error rate of batch diarization on synthesised two-voice conversations (espeak-ng).

    .venv/bin/python -m bench.diarization [--rounds 3]

Two espeak-ng voices (tests/speech.py CONVERSATION_VOICES) take turns over the ten
CONVERSATION sentences, repeated ``rounds`` times, with pauses of 0.8 s and of 0.3 s
between turns. For each: the engine's turns scored every 10 ms against the true turns
(time SER), and the words of the batch pipeline's path (whisper-base on CTranslate2 with
word timestamps, then the worker's labelling) scored by duration (word SER); with the
number of speakers given (2) and not given. Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from sunvai.diarization.resemblyzer_engine import ResemblyzerDiarizer
from sunvai.service.batch_worker import label_speakers
from sunvai.service.longform import LongformConfig, speech_regions
from tests import speech
from tests.diarization_scoring import speaker_error_rate, word_speaker_error_rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    engine = build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8",
                                      cpu_threads=2), ModelStore())
    diarizer = ResemblyzerDiarizer()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for gap_s in (0.8, 0.3):
            path = Path(folder) / f"conversation-{gap_s}.wav"
            truth = speech.conversation(path, gap_s=gap_s, turns=speech.CONVERSATION * options.rounds)
            samples = decode_audio(path.read_bytes()).samples
            regions = [(a / 16000, b / 16000) for a, b, _ in speech_regions(samples, LongformConfig())]
            chunks = [samples[i:i + 28 * 16000] for i in range(0, len(samples), 28 * 16000)]
            segments = []
            for n, chunk in enumerate(chunks):  # words in absolute time, as the long-form path gives them
                result = engine.transcribe_batch([AsrRequest(chunk, "en", word_timestamps=True)])[0]
                for s in result.segments:
                    offset = n * 28.0
                    segments.append(type(s)(s.start + offset, s.end + offset, s.text, tuple(
                        type(w)(w.start + offset, w.end + offset, w.text) for w in s.words)))
            for given in (2, None):
                started = time.perf_counter()
                turns = diarizer.diarize(samples, regions, given)
                elapsed = time.perf_counter() - started
                words = [w for s in label_speakers(tuple(segments), turns) for w in s.words]
                row = {"gap_s": gap_s, "speakers_given": given, "audio_s": round(len(samples) / 16000, 1),
                       "speakers_found": len({t.speaker for t in turns}),
                       "time_ser": round(speaker_error_rate(truth, [(t.start, t.end, t.speaker) for t in turns]), 4),
                       "word_ser": round(word_speaker_error_rate(truth, [(w.start, w.end, w.speaker) for w in words]),
                                         4),
                       "diarize_s": round(elapsed, 2)}
                rows.append(row)
                print(row, flush=True)
    print(json.dumps({"bench": "diarization", "rows": rows}))


if __name__ == "__main__":
    main()
