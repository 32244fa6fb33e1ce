"""``sunvai eval``: the manifest, Vistaar's normalisation, the scores, and one configured model without a server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from sunvai.cli.main import app
from sunvai.evaluation.manifest import ManifestError, read_manifest
from sunvai.evaluation.scoring import LanguageScore, normalise
from tests import speech
from tests.helpers import ROOT

runner = CliRunner()


def test_vistaar_normalisation():
    assert normalise("नमस्ते, आप कैसे हैं?", "hi-IN") == "नमस्ते आप कैसे हैं"
    assert normalise("मैं  घर   जा रहा हूँ।", "hi-IN") == "मैं घर जा रहा हूँ"
    # IndicNLP's normaliser: a nukta letter written as two code points becomes the one Vistaar scores
    assert normalise("क\u093c", "hi-IN") == normalise("\u0958", "hi-IN")
    assert normalise("Hello, World - it's me!", "en-IN") == "hello world its me"


def test_scores_pool_errors_over_a_language():
    score = LanguageScore(references=["a b c d", "e f"], hypotheses=["a x c d", ""])
    wer, cer = score.rates()
    assert wer == pytest.approx(3 / 6)  # one substitution, then both words of the empty hypothesis
    assert 0 < cer < 1


def test_manifest_errors_name_the_line(tmp_path):
    audio = tmp_path / "a.wav"
    audio.write_bytes(b"RIFF")
    manifest = tmp_path / "m.jsonl"
    manifest.write_text(json.dumps({"audio_filepath": "a.wav", "text": "x", "lang": "hi"}) + "\n{not json}\n")
    with pytest.raises(ManifestError, match=r"m.jsonl:2: not a manifest line"):
        read_manifest(manifest)
    manifest.write_text(json.dumps({"audio_filepath": "b.wav", "text": "x", "lang": "hi"}) + "\n")
    with pytest.raises(ManifestError, match=r"m.jsonl:1: .*b.wav does not exist"):
        read_manifest(manifest)
    manifest.write_text(json.dumps({"audio_filepath": "a.wav", "text": "x", "lang": "xx"}) + "\n")
    with pytest.raises(ManifestError, match="unknown language code 'xx'"):
        read_manifest(manifest)
    manifest.write_text(json.dumps({"audio_filepath": "a.wav", "text": "x"}) + "\n")
    assert read_manifest(manifest, "ta")[0].language == "ta-IN"


def test_one_configured_model_without_a_server(clips, tmp_path):
    lines = [{"audio_filepath": str(clips.english[key]), "text": speech.ENGLISH[key], "lang": "en"}
             for key in ("hello", "call")]
    manifest = tmp_path / "english.jsonl"
    manifest.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    report_path = tmp_path / "report.json"
    result = runner.invoke(app, ["eval", str(manifest), "--config", str(ROOT / "configs" / "local.yaml"),
                                 "--model", "whisper-base", "--json", str(report_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(report_path.read_text())
    assert report["languages"]["en-IN"] == {"files": 2, "failed": 0, "wer": 0.0, "cer": 0.0}
    assert "en-IN" in result.output and "WER" in result.output
    assert [f["pred_text"] for f in report["files"]] == [normalise(speech.ENGLISH[k], "en-IN") for k in ("hello", "call")]


def test_eval_needs_a_target(tmp_path):
    result = runner.invoke(app, ["eval", str(tmp_path / "m.jsonl")])
    assert result.exit_code == 2 and "--url" in result.output
