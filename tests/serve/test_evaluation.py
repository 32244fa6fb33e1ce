"""``sunvai eval --url`` against the running graph, on espeak-ng clips of the quality bench's sentences:
its per-language CER agrees with bench.quality's scoring of the same transcripts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bench.quality import cer as bench_cer
from bench.sentences import SENTENCES
from sunvai.cli.main import app
from tests import speech

pytestmark = pytest.mark.serve
LANGUAGES = ("en-IN", "hi-IN", "ta-IN")


def test_eval_agrees_with_the_quality_bench(serve_instance, tmp_path):
    lines = []
    for code in LANGUAGES:
        for index, sentence in enumerate(SENTENCES[code][:2]):
            audio = speech.speak(sentence, code[:2], tmp_path / f"{code}-{index}.wav")
            lines.append({"audio_filepath": audio.name, "text": sentence, "lang": code, "duration": 0})
    manifest = tmp_path / "espeak.jsonl"
    manifest.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n", encoding="utf-8")
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["eval", str(manifest), "--url", serve_instance.base_url,
                                      "--json", str(report_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert set(report["languages"]) == set(LANGUAGES) and report["overall"]["files"] == 6
    for code in LANGUAGES:
        files = [f for f in report["files"] if f["lang"] == code]
        references = [line["text"] for line in lines if line["lang"] == code]
        expected = 100 * bench_cer(references, [f["pred_text"] for f in files])
        assert abs(report["languages"][code]["cer"] - expected) <= 1.0, (code, report["languages"][code], expected)
    assert report["languages"]["en-IN"]["wer"] < report["languages"]["ta-IN"]["wer"]  # whisper-base: English best
