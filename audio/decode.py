"""Decode uploaded audio by its content (never its file name) through PyAV/FFmpeg.

Only audio demuxers are allowed, decoding stops as soon as the clip passes the
duration limit (so a small file that expands to hours costs nothing), and
truncated or corrupt input is refused rather than transcribed in part, except a
bad last frame or few (recorders and telephony systems leave them): where what
decoded reaches within ``TAIL_TOLERANCE_S`` (or 5%) of the declared length, it is
kept and :attr:`DecodedAudio.warnings` says what was lost.
"""

from __future__ import annotations

import io
import struct
import wave
from dataclasses import dataclass

import av
import numpy as np

TARGET_RATE = 16_000
MAX_CHANNELS = 8  # multi-channel transcription (batch is_multi_channel)
ACCEPTED_FORMATS = ("WAV (PCM, G.711 mu-law/A-law, GSM 6.10), MP3, OGG (Vorbis or Opus), FLAC, AAC, M4A/MP4 audio, "
                    "WebM/Matroska audio, AMR-NB, AMR-WB")
TAIL_TOLERANCE_S = 0.5  # a decode error this close to the declared end loses only the last frames

# FFmpeg demuxer names we accept; everything else (images, video-only, playlists,
# exotic demuxers) is refused before any decoder runs.
_ALLOWED_DEMUXERS = {
    "wav", "w64", "mp3", "ogg", "flac", "aac", "aiff", "caf", "amr",
    "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm",
}


# Writers that stream WAV to a pipe (espeak-ng --stdout, ffmpeg -f wav -) put a
# placeholder such as 0x7FFFF000 or 0xFFFFFFFF in the data size: not truncation.
_STREAMING_WAV_SIZE = 0x7FFF0000


class AudioDecodeError(ValueError):
    """Audio that cannot be used; ``code`` is machine-readable, the message says why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class DecodedAudio:
    samples: np.ndarray  # float32, mono, 16 kHz, in [-1, 1]
    container: str
    codec: str
    source_rate: int
    source_channels: int
    warnings: tuple[str, ...] = ()  # what was not used (a last frame that did not decode)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / TARGET_RATE


def pcm16_to_float(data: bytes) -> np.ndarray:
    """Raw signed 16-bit little-endian PCM to float32 in [-1, 1]."""
    if len(data) % 2:
        raise AudioDecodeError("invalid_pcm", "raw PCM must be whole 16-bit samples: the byte count is odd")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def _wav_declared_data_bytes(data: bytes) -> tuple[int, int] | None:
    """(declared, available) bytes of a RIFF/WAVE 'data' chunk, or None if unknown."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        if chunk_id == b"data":
            if size == 0 or size >= _STREAMING_WAV_SIZE:  # streaming writers leave the size open
                return None
            return size, len(data) - offset - 8
        offset += 8 + size + (size & 1)
    return None


def _reject_truncated_wav(sizes: tuple[int, int] | None) -> None:
    """``sizes``: :func:`_wav_declared_data_bytes` of the upload."""
    if sizes and sizes[1] < sizes[0]:
        declared, available = sizes
        raise AudioDecodeError(
            "truncated_audio",
            f"the WAV file is truncated: its header declares {declared} bytes of audio but only "
            f"{available} arrived; upload the complete file",
        )


def _plain_wav(data: bytes, sizes: tuple[int, int] | None) -> np.ndarray | None:
    """Samples of a 16 kHz mono 16-bit PCM WAV with a known data size (Whisper's own rate, the usual upload to
    a speech API), read by the standard library's ``wave``; None for anything else, which FFmpeg decodes. The
    same samples FFmpeg gives (x / 32768), in under a millisecond where FFmpeg took 9 ms for 5 s."""
    if sizes is None:  # not RIFF/WAVE, or a streaming writer's open size
        return None
    try:
        with wave.open(io.BytesIO(data)) as reader:
            if (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) != (1, 2, TARGET_RATE):
                return None
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):  # WAVE_FORMAT_EXTENSIBLE, float, A-law...: FFmpeg's job
        return None
    return pcm16_to_float(frames)


BATCH_HINT = "Use the batch API (/stt/v3/batch/jobs) for longer recordings"


def decode_audio(data: bytes, max_duration_s: float | None = None, too_long_hint: str = BATCH_HINT,
                 keep_channels: bool = False) -> DecodedAudio:
    """Decode ``data`` to 16 kHz mono float32, or raise :class:`AudioDecodeError`.

    ``too_long_hint`` ends the message for audio over ``max_duration_s``: what to do instead.
    ``keep_channels``: ``samples`` is [channels, n] (at most 8 channels), one row per channel.
    """
    if not data:
        raise AudioDecodeError("empty_audio", f"the audio file is empty (0 bytes); send audio as {ACCEPTED_FORMATS}")
    sizes = _wav_declared_data_bytes(data)
    _reject_truncated_wav(sizes)
    plain = None if keep_channels else _plain_wav(data, sizes)
    if plain is not None:
        if max_duration_s is not None and len(plain) > (max_duration_s + 0.5) * TARGET_RATE:
            raise too_long(len(plain) / TARGET_RATE, max_duration_s, too_long_hint)
        if len(plain) == 0:
            raise _no_samples()
        return DecodedAudio(plain, "wav", "pcm_s16le", TARGET_RATE, 1)
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, ValueError) as exc:
        raise AudioDecodeError(
            "undecodable_audio",
            f"the upload is not audio we can decode (FFmpeg: {_reason(exc)}); accepted formats: {ACCEPTED_FORMATS}",
        ) from exc
    with container:
        if container.format.name not in _ALLOWED_DEMUXERS:
            raise AudioDecodeError(
                "unsupported_format",
                f"the upload is {container.format.long_name or container.format.name}, not an accepted audio "
                f"format; accepted formats: {ACCEPTED_FORMATS}",
            )
        if not container.streams.audio:
            raise AudioDecodeError("no_audio_stream", f"the file has no audio stream; accepted formats: {ACCEPTED_FORMATS}")
        stream = container.streams.audio[0]
        declared_s = _declared_duration_s(container, stream)
        if max_duration_s is not None and declared_s is not None and declared_s > max_duration_s + 0.5:
            raise too_long(declared_s, max_duration_s, too_long_hint)
        if keep_channels and stream.channels > MAX_CHANNELS:
            raise AudioDecodeError("too_many_channels", f"the audio has {stream.channels} channels; multi-channel "
                                   f"transcription takes at most {MAX_CHANNELS}")
        samples, warnings = _decode_stream(container, stream, max_duration_s, declared_s, too_long_hint,
                                           keep_channels)
        codec = stream.codec_context.name
        rate, channels = stream.rate, stream.channels
    duration_s = samples.shape[-1] / TARGET_RATE
    if samples.shape[-1] == 0:
        raise _no_samples()
    if declared_s is not None and declared_s - duration_s > max(1.0, 0.1 * declared_s):
        raise AudioDecodeError(
            "truncated_audio",
            f"the {container.format.name} file is truncated: it declares {declared_s:.2f} s of audio but only "
            f"{duration_s:.2f} s could be decoded; upload the complete file",
        )
    return DecodedAudio(np.nan_to_num(samples, copy=False), container.format.name, codec, rate, channels, warnings)


def _no_samples() -> AudioDecodeError:
    return AudioDecodeError("empty_audio", "the file decodes to no audio samples; send a recording with sound in it")


def too_long(duration_s: float, max_duration_s: float, hint: str = BATCH_HINT) -> AudioDecodeError:
    return AudioDecodeError(
        "audio_too_long",
        f"the audio is {duration_s:.1f} s long; this endpoint accepts at most {max_duration_s:g} s. {hint}",
    )


def _declared_duration_s(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _decode_stream(container, stream, max_duration_s: float | None, declared_s: float | None = None,
                   too_long_hint: str = BATCH_HINT, keep_channels: bool = False) -> tuple[np.ndarray, tuple[str, ...]]:
    """Decode into one growing float32 buffer sized from the declared duration; (samples, warnings).

    Long audio is held once, not as a list of frames plus their concatenation: an hour at
    16 kHz is 230 MB, and the buffer is sized for it up front when the container says how long it is.
    """
    channels = stream.channels if keep_channels else 1
    layout = stream.layout.name if keep_channels and channels > 1 else "mono"
    resampler = av.AudioResampler(format="fltp" if channels > 1 else "flt", layout=layout, rate=TARGET_RATE)
    limit = None if max_duration_s is None else int((max_duration_s + 0.5) * TARGET_RATE)
    # a header may lie: never reserve more than the limit (or ten minutes without one); grow if needed
    ceiling = limit if limit is not None else 600 * TARGET_RATE
    buffers = [_Buffer(min(int(((declared_s or 30.0) + 1.0) * TARGET_RATE), ceiling)) for _ in range(channels)]
    buffer = buffers[0]

    def append(out) -> None:
        planes = out.to_ndarray().reshape(channels, -1)
        for plane, target in zip(planes, buffers):
            target.append(plane)

    try:
        for frame in container.decode(stream):
            frame.pts = None  # let the resampler count samples; broken timestamps must not matter
            for out in resampler.resample(frame):
                append(out)
            if limit is not None and buffer.size > limit:
                raise too_long(buffer.size / TARGET_RATE, max_duration_s, too_long_hint)
        for out in resampler.resample(None):
            append(out)
    except av.error.FFmpegError as exc:
        decoded_s = buffer.size / TARGET_RATE
        if declared_s is None or declared_s - decoded_s > max(TAIL_TOLERANCE_S, 0.05 * declared_s) or not buffer.size:
            raise AudioDecodeError(
                "corrupt_audio",
                f"the {container.format.name} audio is corrupt or truncated after {decoded_s:.2f} s "
                f"(FFmpeg: {_reason(exc)}); upload the complete, undamaged file",
            ) from exc
        warnings = (f"the last {max(declared_s - decoded_s, 0):.2f} s of the {container.format.name} audio did not "
                    f"decode (FFmpeg: {_reason(exc)}); the {decoded_s:.2f} s before it were transcribed",)
    else:
        warnings = ()
    if keep_channels:
        return (np.stack([b.samples() for b in buffers]) if channels > 1 else buffer.samples()[None]), warnings
    return buffer.samples(), warnings


class _Buffer:
    def __init__(self, capacity: int):
        self._data = np.empty(max(capacity, TARGET_RATE), dtype=np.float32)
        self.size = 0

    def append(self, chunk: np.ndarray) -> None:
        end = self.size + len(chunk)
        if end > len(self._data):
            grown = np.empty(max(end, int(len(self._data) * 1.5)), dtype=np.float32)
            grown[: self.size] = self._data[: self.size]
            self._data = grown
        self._data[self.size:end] = chunk
        self.size = end

    def samples(self) -> np.ndarray:
        if len(self._data) - self.size > TARGET_RATE * 60:  # more than a minute of slack: give it back
            return self._data[: self.size].copy()
        return self._data[: self.size]


def _reason(exc: Exception) -> str:
    return getattr(exc, "strerror", None) or str(exc)
