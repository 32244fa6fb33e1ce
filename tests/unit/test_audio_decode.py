"""Decoding by content: every accepted format, and every kind of bad input refused clearly."""

from __future__ import annotations

import io
import math
import wave

import numpy as np
import pytest

from sunvai.audio import AudioDecodeError, decode_audio, pcm16_to_float
from tests import speech


def _wav_bytes(samples: np.ndarray, rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()


def _tone(rate: int, seconds: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * np.sin(2 * math.pi * freq * t)


@pytest.mark.parametrize("fmt", sorted(speech.FORMATS))
def test_every_format_decodes_to_16k_mono(clips, fmt):
    path = clips.english_as("hello", fmt)
    reference = decode_audio(clips.english["hello"].read_bytes())
    decoded = decode_audio(path.read_bytes())  # no file name reaches the decoder
    assert decoded.samples.dtype == np.float32
    assert decoded.samples.ndim == 1
    assert abs(decoded.duration_s - reference.duration_s) < 0.1
    assert 0.1 < float(np.abs(decoded.samples).max()) <= 1.0


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000])
def test_any_rate_is_resampled_and_stereo_downmixed(rate):
    tone = _tone(rate, 2.0)
    stereo = np.stack([tone, tone], axis=1).reshape(-1)
    decoded = decode_audio(_wav_bytes(stereo, rate, channels=2))
    assert decoded.source_rate == rate and decoded.source_channels == 2
    assert abs(decoded.duration_s - 2.0) < 0.01
    # a 440 Hz tone stays a 440 Hz tone after resampling
    spectrum = np.abs(np.fft.rfft(decoded.samples))
    peak_hz = np.argmax(spectrum) * 16000 / len(decoded.samples)
    assert abs(peak_hz - 440) < 2


def test_16k_mono_pcm_wav_is_read_without_ffmpeg_to_the_same_samples(monkeypatch):
    from sunvai.audio import decode as module

    data = _wav_bytes(_tone(16000, 3.0) * np.linspace(0, 1, 48000), 16000)
    with monkeypatch.context() as patched:
        patched.setattr(module, "_plain_wav", lambda *_: None)  # FFmpeg's reading, as every other file has it
        by_ffmpeg = decode_audio(data)

    def no_ffmpeg(*args, **kwargs):
        raise AssertionError("FFmpeg opened a plain 16 kHz mono PCM WAV")

    monkeypatch.setattr(module.av, "open", no_ffmpeg)
    plain = decode_audio(data)
    assert np.array_equal(plain.samples, by_ffmpeg.samples) and plain.samples.dtype == np.float32
    assert (plain.container, plain.codec, plain.source_rate, plain.source_channels) == (
        by_ffmpeg.container, by_ffmpeg.codec, 16000, 1)
    error = _error(data, max_duration_s=1.0)
    assert error.code == "audio_too_long" and "3.0 s" in error.message
    one_byte = data[:40] + (1).to_bytes(4, "little") + b"\x01"  # a data chunk without one whole sample
    assert _error(one_byte).code == "empty_audio"


def test_streamed_wav_with_placeholder_size_is_accepted(clips):
    # espeak-ng --stdout and ffmpeg pipes write 0x7FFFF000 / 0xFFFFFFFF as the data size
    import subprocess

    data = subprocess.run(["espeak-ng", "-v", "en-us", "--stdout", "hello"], capture_output=True, check=True).stdout
    assert decode_audio(data).duration_s > 0.3


def test_raw_pcm_helper():
    samples = pcm16_to_float(np.array([0, 16384, -32768], dtype="<i2").tobytes())
    assert samples.tolist() == [0.0, 0.5, -1.0]
    with pytest.raises(AudioDecodeError, match="odd"):
        pcm16_to_float(b"\x00\x01\x02")


def _error(data: bytes, **kwargs) -> AudioDecodeError:
    with pytest.raises(AudioDecodeError) as info:
        decode_audio(data, **kwargs)
    return info.value


def test_empty_upload():
    error = _error(b"")
    assert error.code == "empty_audio" and "0 bytes" in error.message and "WAV" in error.message


def test_text_is_not_audio():
    error = _error(b"this is a text file, not audio at all\n" * 10)
    assert error.code == "undecodable_audio" and "accepted formats" in error.message


def test_image_is_refused_by_demuxer_allowlist():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
    error = _error(png)
    assert error.code in ("unsupported_format", "undecodable_audio")
    assert "accepted formats" in error.message


def test_header_only_wav_is_truncated(clips):
    data = clips.english["hello"].read_bytes()
    assert _error(data[:44]).code == "truncated_audio"


def test_wav_cut_mid_data_is_truncated(clips):
    data = clips.english["hello"].read_bytes()
    error = _error(data[: len(data) // 2])
    assert error.code == "truncated_audio" and "declares" in error.message


def test_mp3_cut_in_half_is_truncated(clips):
    data = clips.english_as("table", "mp3").read_bytes()
    error = _error(data[: len(data) // 2])
    assert error.code in ("truncated_audio", "corrupt_audio")


def test_flac_cut_in_half_is_corrupt_or_truncated(clips):
    data = clips.english_as("table", "flac").read_bytes()
    assert _error(data[: len(data) // 2]).code in ("truncated_audio", "corrupt_audio")


def test_corrupted_bytes_are_refused(clips):
    data = bytearray(clips.english_as("table", "m4a").read_bytes())
    rng = np.random.default_rng(0)
    data[16 : len(data)] = rng.integers(0, 256, len(data) - 16, dtype=np.uint8).tobytes()
    assert _error(bytes(data)).code in ("undecodable_audio", "corrupt_audio", "truncated_audio", "no_audio_stream")


def test_too_long_names_the_limit_and_the_batch_api(clips):
    error = _error(clips.english["table"].read_bytes(), max_duration_s=1.0)
    assert error.code == "audio_too_long"
    assert "at most 1 s" in error.message and "batch" in error.message


def test_decoding_stops_at_the_limit_for_files_without_duration():
    # A long stream whose header gives no length: decoding must stop at the limit.
    data = _wav_bytes(_tone(16000, 10.0), 16000)
    data = data[:4] + b"\xff\xff\xff\xff" + data[8:40] + b"\xff\xff\xff\xff" + data[44:]
    assert _error(data, max_duration_s=2.0).code == "audio_too_long"
