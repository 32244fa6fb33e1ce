"""Audio in: decode any accepted container by content to 16 kHz mono float32."""

from sunvai.audio.decode import ACCEPTED_FORMATS, AudioDecodeError, DecodedAudio, decode_audio, pcm16_to_float

__all__ = ["ACCEPTED_FORMATS", "AudioDecodeError", "DecodedAudio", "decode_audio", "pcm16_to_float"]
