"""Language-ID accuracy on espeak-ng speech for the ten languages, and the latency it adds.

    .venv/bin/python -m bench.lid_accuracy [--url http://127.0.0.1:8000]

For each language, five sentences spoken by espeak-ng are identified among all ten
codes and among the pair {language, en-IN} ({en-IN, hi-IN} for English), with each
LID engine that runs here. With --url, it also times POST /stt/v3 on a running
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

from sunvai.audio import decode_audio
from sunvai.language_router.factory import build_identifier
from sunvai.language_router.speechbrain_lid import speechbrain_import_error

SENTENCES = {
    "bn-IN": ("bn", ["আমি ভাত খাই।", "আজ আবহাওয়া খুব ভালো।", "তুমি কেমন আছো?", "আমি বাজারে যাচ্ছি।", "এই বইটি খুব সুন্দর।"]),
    "en-IN": ("en-us", ["Hello, how are you today?", "Please call me tomorrow morning.", "Where is the railway station?",
                        "I would like to book a table for two people.", "Thank you very much for your help."]),
    "gu-IN": ("gu", ["હું બજાર જાઉં છું.", "આજે હવામાન ખૂબ સારું છે.", "તમે કેમ છો?", "મને ચા ગમે છે.", "આ પુસ્તક ખૂબ સરસ છે."]),
    "hi-IN": ("hi", ["मैं बाज़ार जा रहा हूँ।", "आज मौसम बहुत अच्छा है।", "आप कैसे हैं?", "मुझे चाय पसंद है।", "यह किताब बहुत अच्छी है।"]),
    "kn-IN": ("kn", ["ನಾನು ಮಾರುಕಟ್ಟೆಗೆ ಹೋಗುತ್ತೇನೆ.", "ಇಂದು ಹವಾಮಾನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ.", "ನೀವು ಹೇಗಿದ್ದೀರಿ?", "ನನಗೆ ಚಹಾ ಇಷ್ಟ.",
                     "ಈ ಪುಸ್ತಕ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ."]),
    "ml-IN": ("ml", ["ഞാൻ ചന്തയിലേക്ക് പോകുന്നു.", "ഇന്ന് കാലാവസ്ഥ വളരെ നല്ലതാണ്.", "നിങ്ങൾക്ക് സുഖമാണോ?", "എനിക്ക് ചായ ഇഷ്ടമാണ്.",
                     "ഈ പുസ്തകം വളരെ നല്ലതാണ്."]),
    "mr-IN": ("mr", ["मी बाजारात जातोय.", "आज हवामान खूप छान आहे.", "तुम्ही कसे आहात?", "मला चहा आवडतो.", "हे पुस्तक खूप छान आहे."]),
    "pa-IN": ("pa", ["ਮੈਂ ਬਾਜ਼ਾਰ ਜਾ ਰਿਹਾ ਹਾਂ।", "ਅੱਜ ਮੌਸਮ ਬਹੁਤ ਵਧੀਆ ਹੈ।", "ਤੁਸੀਂ ਕਿਵੇਂ ਹੋ?", "ਮੈਨੂੰ ਚਾਹ ਪਸੰਦ ਹੈ।", "ਇਹ ਕਿਤਾਬ ਬਹੁਤ ਵਧੀਆ ਹੈ।"]),
    "ta-IN": ("ta", ["நான் சந்தைக்கு செல்கிறேன்.", "இன்று வானிலை மிகவும் நன்றாக உள்ளது.", "நீங்கள் எப்படி இருக்கிறீர்கள்?",
                     "எனக்கு தேநீர் பிடிக்கும்.", "இந்த புத்தகம் மிகவும் நன்றாக உள்ளது."]),
    "te-IN": ("te", ["నేను మార్కెట్‌కి వెళ్తున్నాను.", "ఈ రోజు వాతావరణం చాలా బాగుంది.", "మీరు ఎలా ఉన్నారు?", "నాకు టీ ఇష్టం.",
                     "ఈ పుస్తకం చాలా బాగుంది."]),
}
ALL = list(SENTENCES)


def speak(voice: str, text: str) -> bytes:
    return subprocess.run(["espeak-ng", "-v", voice, "--stdout", text], check=True, capture_output=True).stdout


def engines():
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
    options = parser.parse_args()
    clips = {code: [decode_audio(speak(voice, s)).samples for s in sentences]
             for code, (voice, sentences) in SENTENCES.items()}
    report = {}
    for name, identifier in engines():
        identifier.identify_batch([np.zeros(16000, np.float32) + 0.01], [["hi-IN", "en-IN"]])
        rows, times = {}, []
        for code, audios in clips.items():
            pair = [code, "en-IN"] if code != "en-IN" else ["en-IN", "hi-IN"]
            all_hits = pair_hits = 0
            confusions = []
            for audio in audios:
                started = time.perf_counter()
                result = identifier.identify_batch([audio], [ALL])[0]
                times.append(time.perf_counter() - started)
                all_hits += result.language == code
                if result.language != code:
                    confusions.append(result.language)
                pair_hits += identifier.identify_batch([audio], [pair])[0].language == code
            rows[code] = {"all_ten": all_hits / len(audios), "pair": pair_hits / len(audios), "confused_with": confusions}
        report[name] = {"per_language": rows, "lid_median_ms": round(statistics.median(times) * 1000, 1),
                        "all_ten_mean": round(statistics.mean(r["all_ten"] for r in rows.values()), 3),
                        "pair_mean": round(statistics.mean(r["pair"] for r in rows.values()), 3)}
        print(f"\n{name}: LID median {report[name]['lid_median_ms']} ms per clip")
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
