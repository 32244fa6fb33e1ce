"""What batch bias words do: names with unusual spellings, recognised with and without them.

    .venv/bin/python -m bench.bias_words

Bias words reach Whisper as its initial prompt ("w1, w2, ...."), which steers spelling and
vocabulary; there is no score-level boost (bias_score 0 turns them off, any other value on).
Each sentence below says a name whose spelling whisper-base does not guess. We count the
names written exactly as listed, without and with the list (all names of the set as bias
words, as a job would send them), on both Whisper engines' shared decoding (CTranslate2, int8).
Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio

SENTENCES = [
    ("Please transfer the money to Ravee Koomar today.", "Ravee Koomar"),
    ("The meeting with Sundaram Iyengaar is at noon.", "Sundaram Iyengaar"),
    ("Call Priyanca Sharmah about the invoice.", "Priyanca Sharmah"),
    ("Our new office is in Koramangla.", "Koramangla"),
    ("Send the report to Venkatesh Raghavann.", "Venkatesh Raghavann"),
    ("The parcel goes to Thiruvanantapuram.", "Thiruvanantapuram"),
    ("Ask Anjaly Menon to join the call.", "Anjaly Menon"),
    ("Book a cab to Banashankary.", "Banashankary"),
    ("The loan was approved for Gurpreet Sandhoo.", "Gurpreet Sandhoo"),
    ("Meet Deepikah Padukon at the studio.", "Deepikah Padukon"),
]


def main() -> None:
    engine = build_engine(ModelConfig(name="whisper-base", engine="whisper-ct2", compute_type="int8",
                                      cpu_threads=2), ModelStore())
    bias = ", ".join(name for _, name in SENTENCES) + "."
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for sentence, name in SENTENCES:
            path = Path(folder) / "s.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(path), sentence], check=True)
            audio = decode_audio(path.read_bytes()).samples
            plain = engine.transcribe_batch([AsrRequest(audio, "en")])[0].text
            biased = engine.transcribe_batch([AsrRequest(audio, "en", prompt=bias)])[0].text
            rows.append({"name": name, "without": name in plain, "with": name in biased,
                         "plain": plain, "biased": biased})
            print(f"{name:22s} without: {plain!r}\n{'':22s} with:    {biased!r}", flush=True)
    result = {"bench": "bias_words", "sentences": len(rows), "names_without": sum(r["without"] for r in rows),
              "names_with": sum(r["with"] for r in rows)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
