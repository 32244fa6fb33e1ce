"""Batch jobs through the real graph, driven by the official SDK's GnaniSTTBatchClient, unchanged.

The SDK polls every 10 s at the least (its documented minimum), so these tests take a while.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests import speech

pytestmark = pytest.mark.serve


@pytest.fixture(scope="module")
def client(serve_instance):
    from gnani.stt import GnaniSTTBatchClient

    return GnaniSTTBatchClient(api_key="any-key", base_url=serve_instance.base_url)


@pytest.fixture(scope="module")
def long_recording(clips):
    path = clips.dir / "batch-three-minutes.wav"
    spans = speech.placed_recording(speech.LONG_SENTENCES, path)
    return path, spans


def test_transcribe_several_files_with_a_long_and_a_bad_one(client, clips, long_recording, tmp_path):
    long_path, spans = long_recording
    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF this is not really audio" * 50)
    result = client.transcribe([str(clips.english["hello"]), str(clips.hindi), str(long_path), str(bad)],
                               language_code="en-IN,hi-IN", progress=False, timeout=600)
    assert result.job.status == "PARTIAL_FAILURE"
    by_name = {f.name: f for f in result.files}
    assert set(by_name) == {"hello.wav", "hindi.wav", long_path.name, "broken.wav"}
    assert speech.normalise(by_name["hello.wav"].text) == speech.normalise(speech.ENGLISH["hello"])
    hindi = by_name["hindi.wav"]
    assert hindi.ok and hindi.transcript["language_code"] == "hi-IN"
    assert any("\u0900" <= ch <= "\u097f" for ch in hindi.text)
    broken = by_name["broken.wav"]
    assert broken.status == "FAILED" and broken.error and "audio" in broken.error.lower()
    long = by_name[long_path.name]
    assert long.ok and abs(long.duration - (spans[-1][1] + 4.0)) < 1.0
    heard = speech.normalise(long.text)
    found = [heard.find(speech.normalise(s)) for s in speech.LONG_SENTENCES]
    assert sum(i >= 0 for i in found) >= 0.8 * len(found), heard
    located = [i for i in found if i >= 0]
    assert located == sorted(located), "sentences in order"
    starts = [s.start for s in long.segments]
    assert starts == sorted(starts) and long.segments[-1].end <= long.duration + 0.5
    words = [w for s in long.transcript["segments"] for w in s["words"]]
    assert words and all(0 <= w["start_time"] <= w["end_time"] <= long.duration + 0.5 for w in words)
    saved = result.save(tmp_path / "out", text_files=True)
    assert len(saved) == 6  # three JSON and three text files; the failed one is skipped


def test_create_start_wait_files_and_list(client, clips):
    job = client.create_job([str(clips.english["call"]), str(clips.english["station"])], language_code="en-IN",
                            start=False)
    assert job.status == "CREATED"
    assert job.id in [j.id for j in client.list_jobs(status="CREATED")]
    job.start()
    job.wait(timeout=300)
    assert job.status == "COMPLETED" and job.percent == 100
    assert (job.total_files, job.completed_files, job.failed_files) == (2, 2, 0)
    texts = {f.name: speech.normalise(f.text) for f in job.files()}
    assert texts == {"call.wav": speech.normalise(speech.ENGLISH["call"]),
                     "station.wav": speech.normalise(speech.ENGLISH["station"])}
    assert job.id in [j.id for j in client.list_jobs(status="COMPLETED", limit=1)]  # follows the cursor


def test_cancel_stops_the_job(client, clips, long_recording):
    job = client.create_job([str(long_recording[0]), str(clips.english["table"])], language_code="en-IN")
    job.cancel("not needed any more")
    assert job.status == "CANCELLED" and job.cancel_reason == "not needed any more"
    files = job.files()
    assert {f.status for f in files} <= {"CANCELLED", "COMPLETED"}
    job.refresh()
    assert job.status == "CANCELLED"
    with pytest.raises(Exception) as info:
        job.start()
    assert "409" in str(info.value) or "CANCELLED" in str(info.value)


def test_diarization_labels_two_voices(client, tmp_path):
    from tests.diarization_scoring import word_speaker_error_rate

    recording = tmp_path / "conversation.wav"
    turns = speech.conversation(recording)
    result = client.transcribe([str(recording)], language_code="en-IN", speakers=2, progress=False, timeout=300)
    segments = result[0].transcript["segments"]
    assert {s["speaker_id"] for s in segments} == {0, 1}
    words = [w for s in segments for w in s["words"]]
    assert all(w["speaker_id"] in (0, 1) for w in words)
    assert word_speaker_error_rate(turns, [(w["start_time"], w["end_time"], w["speaker_id"]) for w in words]) <= 0.1


def test_multi_channel_files_are_transcribed_per_channel(client, clips, tmp_path):
    import subprocess

    stereo = tmp_path / "two-channels.wav"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(clips.english["hello"]), "-i",
                    str(clips.english["station"]), "-filter_complex",
                    "[0:a]aformat=sample_rates=16000:channel_layouts=mono[a];"
                    "[1:a]aformat=sample_rates=16000:channel_layouts=mono[b];[a][b]amerge=inputs=2[out]",
                    "-map", "[out]", str(stereo)], check=True, capture_output=True)
    result = client.transcribe([str(stereo)], language_code="en-IN", multi_channel=True, progress=False, timeout=300)
    document = result[0].transcript
    assert document["channels"] == 2
    by_channel = {c: " ".join(s["text"] for s in document["segments"] if s["channel"] == c) for c in (0, 1)}
    assert speech.normalise(by_channel[0]) == speech.normalise(speech.ENGLISH["hello"])
    assert speech.normalise(by_channel[1]) == speech.normalise(speech.ENGLISH["station"])
    assert all(s["speaker_id"] == s["channel"] for s in document["segments"])


def test_bias_words_become_the_prompt(client, tmp_path):
    clip = speech.speak("My name is Ravi Kumar.", "en", tmp_path / "name.wav")
    result = client.transcribe([str(clip)], language_code="en-IN", bias_words=["Ravee", "Koomar"], bias_score=1.0,
                               progress=False, timeout=300)
    assert "Ravee Koomar" in result[0].text, result[0].text


@pytest.mark.parametrize("config, fragment", [
    ({"language_code": "xx-IN"}, "xx-IN"),
    ({"language_code": "en-IN", "colour": "blue"}, "colour"),
    ({"language_code": "en-IN", "with_denoise": True}, "with_denoise is not supported"),
    ({"language_code": "en-IN", "with_diarization": True, "is_multi_channel": True}, "together"),
    ({"language_code": "en-IN", "num_speakers": 9}, "num_speakers"),
    ({"language_code": "en-IN", "bias_score": 7}, "bias_score must be one of"),
    ({"language_code": "en-IN", "model": "gpt-9"}, "not served here"),
])
def test_bad_configs_are_refused(serve_instance, clips, config, fragment):
    response = httpx.post(f"{serve_instance.base_url}/stt/v3/batch/jobs", data={"config": json.dumps(config)},
                          files=[("files", ("a.wav", clips.english["hello"].read_bytes()))], timeout=60)
    assert response.status_code == 400 and fragment in response.json()["error"]["message"], response.text


def test_urls_are_checked_and_links_are_signed(serve_instance, client, clips):
    base = f"{serve_instance.base_url}/stt/v3/batch/jobs"
    refused = httpx.post(base, json={"config": {}, "source": {"type": "cloud_storage", "paths": ["file:///etc/passwd"]}})
    assert refused.status_code == 400 and "http or https" in refused.json()["error"]["message"]
    unknown = httpx.get(f"{base}/job_nope")
    assert unknown.status_code == 404 and "no batch job" in unknown.json()["error"]["message"]
    job = client.create_job([str(clips.english["hello"])], language_code="en-IN")
    job.wait(timeout=300)
    link = job.files()[0].transcript_url
    assert httpx.get(link).json()["full_transcript"]
    assert httpx.get(link.replace("signature=", "signature=0")).status_code == 403
    assert httpx.delete(f"{base}/{job.id}").status_code == 204
    assert httpx.get(f"{base}/{job.id}").status_code == 404 and httpx.get(link).status_code in (403, 404)


def test_a_zip_upload_gives_one_transcript_per_recording(serve_instance, client, clips, tmp_path):
    """The SDK sends a .zip as one part (its format list says so); each recording in it is a job file."""
    import zipfile

    archive = tmp_path / "calls.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.write(clips.english["call"], "monday/call.wav")
        out.write(clips.english["station"], "monday/station.wav")
    result = client.transcribe([str(archive)], language_code="en-IN", progress=False, timeout=300)
    assert result.job.status == "COMPLETED" and result.job.total_files == 2
    texts = {f.name: speech.normalise(f.text) for f in result.files}
    assert texts == {"call.wav": speech.normalise(speech.ENGLISH["call"]),  # the SDK names a file by its basename
                     "station.wav": speech.normalise(speech.ENGLISH["station"])}
    listed = httpx.get(f"{serve_instance.base_url}/stt/v3/batch/jobs/{result.job.id}/files", timeout=30).json()
    assert sorted(f["original_path"] for f in listed["data"]) == ["calls.zip/monday/call.wav",
                                                                 "calls.zip/monday/station.wav"]
