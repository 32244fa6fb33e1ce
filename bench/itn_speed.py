"""ITN speed per sentence over a few thousand realistic sentences (hi-IN and en-IN).

    .venv/bin/python -m bench.itn_speed [--sentences 4000]

Sentences: the published and our own cases, plus amounts, dates and phone numbers
spelled by num2words/indic-numtowords inside carrier sentences, plus sentences
with no numbers. Prints a line and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from pathlib import Path

from sunvai.itn import build_grammars, normalize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
HI_CARRIERS = ["मुझे {} रुपये चाहिए", "कुल {} लोग आए थे", "उसकी तनख्वाह {} रुपये महीना है", "आज मौसम बहुत अच्छा है और {} बार फोन आया"]
EN_CARRIERS = ["I need {} rupees by tomorrow", "there were {} people at the meeting", "the fee is {} rupees", "please call me back"]
PLAIN = ["नमस्ते आप कैसे हैं", "मैं बाज़ार जा रहा हूँ", "Hello, how are you today?", "Please call me tomorrow morning."]


def sentences(count: int) -> list[tuple[str, str]]:
    from indic_numtowords import num2words as hindi
    from num2words import num2words as english

    rng = random.Random(7)
    cases = []
    for name in ("itn-cases.tsv", "itn-extra-cases.tsv"):
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                language, spoken, _, _ = line.split("\t")
                cases.append((spoken, language))
    while len(cases) < count:
        value = rng.choice([rng.randint(11, 999), rng.randint(1000, 99_999), rng.randint(100_000, 99_999_999)])
        cases.append((rng.choice(HI_CARRIERS).format(hindi(value, lang="hi")), "hi-IN"))
        cases.append((rng.choice(EN_CARRIERS).format(english(value, lang="en_IN").replace(",", "")), "en-IN"))
        cases.append((rng.choice(PLAIN), rng.choice(["hi-IN", "en-IN"])))
    return cases[:count]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=4000)
    options = parser.parse_args()
    corpus = sentences(options.sentences)
    build_grammars()
    times = []
    for text, language in corpus:
        started = time.perf_counter()
        normalize(text, language)
        times.append(time.perf_counter() - started)
    times.sort()
    median_us = statistics.median(times) * 1e6
    p99_us = times[int(0.99 * len(times))] * 1e6
    print(f"ITN over {len(times)} sentences: median {median_us:.0f} µs, p99 {p99_us:.0f} µs, max {times[-1] * 1e6:.0f} µs")
    print(json.dumps({"bench": "itn_speed", "sentences": len(times), "median_us": round(median_us, 1),
                      "p99_us": round(p99_us, 1), "max_us": round(times[-1] * 1e6, 1)}))


if __name__ == "__main__":
    main()
