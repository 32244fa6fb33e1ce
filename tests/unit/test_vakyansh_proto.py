"""The repo's proto: the names and numbers Vakyansh clients depend on, and stubs that match it."""

from __future__ import annotations

import subprocess
import sys

from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb


def test_committed_stubs_match_the_proto():
    result = subprocess.run([sys.executable, "-m", "sunvai.api.vakyansh.proto.generate", "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_service_and_methods():
    service = pb.DESCRIPTOR.services_by_name["SpeechRecognizer"]
    assert service.full_name == "ekstep.speech_recognition.SpeechRecognizer"
    methods = {m.name: (m.input_type.name, m.output_type.name, m.client_streaming, m.server_streaming)
               for m in service.methods}
    assert methods == {
        "recognize": ("SpeechRecognitionRequest", "SpeechRecognitionResult", False, False),
        "punctuate": ("PunctuateRequest", "PunctuateResponse", False, False),
        "recognize_audio": ("Message", "Response", True, True),
    }


def fields(message) -> dict[str, tuple[int, bool]]:
    return {f.name: (f.number, f.has_presence) for f in message.DESCRIPTOR.fields}


def test_field_numbers_and_presence():
    assert fields(pb.SpeechRecognitionRequest) == {"config": (1, True), "audio": (2, False)}
    assert fields(pb.RecognitionAudio) == {"audioUri": (1, True), "audioContent": (2, True)}
    config = fields(pb.RecognitionConfig)
    assert [config[n][0] for n in ("language", "audioFormat", "channel", "samplingRate", "bitsPerSample",
                                   "transcriptionFormat", "profanityFilter", "domain", "detailed", "punctuation",
                                   "model", "enableInverseTextNormalization")] == list(range(1, 13))
    assert all(config[n][1] for n in ("audioFormat", "samplingRate", "detailed", "punctuation"))
    assert fields(pb.SpeechRecognitionResult) == {"status": (1, False), "output": (2, False), "config": (3, True),
                                                  "status_text": (4, True)}
    assert fields(pb.Message) == {"audio": (1, False), "user": (2, False), "language": (3, False),
                                  "speaking": (4, False), "isEnd": (5, False)}
    assert fields(pb.Response) == {"transcription": (1, False), "user": (2, False), "language": (3, False),
                                   "action": (4, False)}
    assert fields(pb.PunctuateRequest) == {"text": (1, False), "language": (2, False), "enabledItn": (3, False)}


def test_enums_and_nested_names():
    codes = pb.Language.LanguageCode
    assert (codes.Value("hi"), codes.Value("en"), codes.Value("ml"), codes.Value("sat"), codes.Value("hi_en")) == (
        0, 1, 9, 23, 33)
    assert 22 not in codes.values()
    config = pb.RecognitionConfig
    assert (config.TranscriptionFormatEnum.Value("srt"), config.AudioFormat.Value("pcm"),
            config.AudioBitsPerSample.Value("eight"), config.Domain.Value("SPORTS"), config.Model.Value("default")) == (
        1, 1, 1, 8, 3)
    assert pb.SpeechRecognitionResult.Status.Value("ERROR") == 4
    assert pb.SpeechRecognitionResult.Output.DESCRIPTOR.full_name == \
        "ekstep.speech_recognition.SpeechRecognitionResult.Output"
    assert pb.RecognitionConfig.TranscriptionFormat.DESCRIPTOR.full_name == \
        "ekstep.speech_recognition.RecognitionConfig.TranscriptionFormat"
