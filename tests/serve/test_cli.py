"""The `sunvai` console script against the local graph: each command, exit codes, subtitles parsed by libraries."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import srt
import webvtt

from tests import speech

pytestmark = pytest.mark.serve
SUNVAI = str(Path(sys.executable).parent / "sunvai")


def sunvai(*args: str, url: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, **({"SUNVAI_URL": url} if url else {}), "COLUMNS": "200"}
    return subprocess.run([SUNVAI, *args], capture_output=True, text=True, env=env, timeout=timeout)


def test_transcribe_a_short_file_to_stdout(serve_instance, clips):
    done = sunvai("transcribe", str(clips.english["station"]), "-l", "en-IN", url=serve_instance.base_url)
    assert done.returncode == 0, done.stderr
    assert speech.normalise(done.stdout) == speech.normalise(speech.ENGLISH["station"])


def test_subtitles_for_short_and_long_files(serve_instance, clips, tmp_path):
    long = speech.concat_with_silence([clips.english[k] for k in sorted(speech.ENGLISH)] * 5, tmp_path / "long.wav",
                                      gap_s=1.5)
    out = tmp_path / "subs"
    done = sunvai("transcribe", str(clips.english["table"]), str(long), "-l", "en-IN", "--format", "srt",
                  "--output", str(out), url=serve_instance.base_url)
    assert done.returncode == 0, done.stderr
    short_cues = list(srt.parse((out / "table.srt").read_text()))
    assert speech.normalise(" ".join(c.content for c in short_cues)) == speech.normalise(speech.ENGLISH["table"])
    long_cues = list(srt.parse((out / "long.srt").read_text()))
    assert len(long_cues) >= 10 and long_cues[-1].end.total_seconds() > 60
    assert "long.wav: completed" in done.stderr or "long.wav: processing" in done.stderr  # plain progress lines
    vtt = sunvai("transcribe", str(long), "-l", "en-IN", "-f", "vtt", "--itn", url=serve_instance.base_url)
    assert vtt.returncode == 0, vtt.stderr
    assert len(webvtt.from_string(vtt.stdout)) == len(long_cues)


def test_json_output_and_exit_codes(serve_instance, clips, tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio at all " * 50)
    done = sunvai("transcribe", str(bad), str(clips.english["hello"]), "-l", "en-IN", "-f", "json",
                  url=serve_instance.base_url)
    assert done.returncode == 1
    assert "notes.wav" in done.stderr and "HTTP 400" in done.stderr
    body = json.loads(done.stdout)
    assert speech.normalise(body["transcript"]) == speech.normalise(speech.ENGLISH["hello"]) and body["segments"]
    assert sunvai("transcribe", str(clips.english["hello"]), "-f", "xml", url=serve_instance.base_url).returncode == 2
    unreachable = sunvai("transcribe", str(clips.english["hello"]), url="http://127.0.0.1:9")
    assert unreachable.returncode == 3 and "cannot reach the server" in unreachable.stderr


def test_redact_and_mask(serve_instance, tmp_path):
    said = "My card number is 4111 1111 1111 1111. My phone number is 98765 43210. Thank you."
    clip = speech.speak(said, "en", tmp_path / "call.wav", rate_wpm=140)
    done = sunvai("transcribe", str(clip), "-l", "en-IN", "-f", "json", "--redact", "pii", "--mask",
                  url=serve_instance.base_url)
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert sum(body["redactions"].values()) == 2 and "****" in body["transcript"], body
    assert not re.search(r"\d{5}", body["transcript"]), body["transcript"]  # only the last four of each left


def test_batch_wait_writes_every_transcript(serve_instance, clips, tmp_path):
    out = tmp_path / "batch"
    done = sunvai("batch", str(clips.english["call"]), str(clips.english["hello"]), "-l", "en-IN", "--wait",
                  "--output", str(out), url=serve_instance.base_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("job_") and "COMPLETED" in done.stderr
    for key in ("call", "hello"):
        document = json.loads((out / f"{key}.json").read_text())
        assert speech.normalise(document["full_transcript"]) == speech.normalise(speech.ENGLISH[key])


def test_stream_a_file_prints_finals(serve_instance, clips, tmp_path):
    two = speech.concat_with_silence([clips.english["hello"], clips.english["call"]], tmp_path / "two.wav", gap_s=1.5)
    done = sunvai("stream", "--file", str(two), "-l", "en-IN", "--fast", url=serve_instance.base_url)
    assert done.returncode == 0, done.stderr
    lines = [speech.normalise(line) for line in done.stdout.splitlines() if line.strip()]
    assert lines == [speech.normalise(speech.ENGLISH["hello"]), speech.normalise(speech.ENGLISH["call"])]


def test_help_shows_an_example_for_every_command():
    for command in ("transcribe", "batch", "stream", "serve"):
        done = sunvai(command, "--help")
        assert done.returncode == 0 and "Example" in done.stdout, (command, done.stdout)
