from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SpeechRecognitionRequest(_message.Message):
    __slots__ = ("config", "audio")
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    config: RecognitionConfig
    audio: _containers.RepeatedCompositeFieldContainer[RecognitionAudio]
    def __init__(self, config: _Optional[_Union[RecognitionConfig, _Mapping]] = ..., audio: _Optional[_Iterable[_Union[RecognitionAudio, _Mapping]]] = ...) -> None: ...

class RecognitionAudio(_message.Message):
    __slots__ = ("audioUri", "audioContent")
    AUDIOURI_FIELD_NUMBER: _ClassVar[int]
    AUDIOCONTENT_FIELD_NUMBER: _ClassVar[int]
    audioUri: str
    audioContent: bytes
    def __init__(self, audioUri: _Optional[str] = ..., audioContent: _Optional[bytes] = ...) -> None: ...

class Language(_message.Message):
    __slots__ = ("name", "sourceLanguage")
    class LanguageCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        hi: _ClassVar[Language.LanguageCode]
        en: _ClassVar[Language.LanguageCode]
        mr: _ClassVar[Language.LanguageCode]
        ta: _ClassVar[Language.LanguageCode]
        te: _ClassVar[Language.LanguageCode]
        kn: _ClassVar[Language.LanguageCode]
        gu: _ClassVar[Language.LanguageCode]
        pa: _ClassVar[Language.LanguageCode]
        bn: _ClassVar[Language.LanguageCode]
        ml: _ClassVar[Language.LanguageCode]
        as: _ClassVar[Language.LanguageCode]
        brx: _ClassVar[Language.LanguageCode]
        doi: _ClassVar[Language.LanguageCode]
        ks: _ClassVar[Language.LanguageCode]
        kok: _ClassVar[Language.LanguageCode]
        mai: _ClassVar[Language.LanguageCode]
        mni: _ClassVar[Language.LanguageCode]
        ne: _ClassVar[Language.LanguageCode]
        or: _ClassVar[Language.LanguageCode]
        sd: _ClassVar[Language.LanguageCode]
        si: _ClassVar[Language.LanguageCode]
        ur: _ClassVar[Language.LanguageCode]
        sat: _ClassVar[Language.LanguageCode]
        lus: _ClassVar[Language.LanguageCode]
        njz: _ClassVar[Language.LanguageCode]
        pnr: _ClassVar[Language.LanguageCode]
        kha: _ClassVar[Language.LanguageCode]
        grt: _ClassVar[Language.LanguageCode]
        sa: _ClassVar[Language.LanguageCode]
        raj: _ClassVar[Language.LanguageCode]
        bho: _ClassVar[Language.LanguageCode]
        en_bio: _ClassVar[Language.LanguageCode]
        hi_en: _ClassVar[Language.LanguageCode]
    hi: Language.LanguageCode
    en: Language.LanguageCode
    mr: Language.LanguageCode
    ta: Language.LanguageCode
    te: Language.LanguageCode
    kn: Language.LanguageCode
    gu: Language.LanguageCode
    pa: Language.LanguageCode
    bn: Language.LanguageCode
    ml: Language.LanguageCode
    as: Language.LanguageCode
    brx: Language.LanguageCode
    doi: Language.LanguageCode
    ks: Language.LanguageCode
    kok: Language.LanguageCode
    mai: Language.LanguageCode
    mni: Language.LanguageCode
    ne: Language.LanguageCode
    or: Language.LanguageCode
    sd: Language.LanguageCode
    si: Language.LanguageCode
    ur: Language.LanguageCode
    sat: Language.LanguageCode
    lus: Language.LanguageCode
    njz: Language.LanguageCode
    pnr: Language.LanguageCode
    kha: Language.LanguageCode
    grt: Language.LanguageCode
    sa: Language.LanguageCode
    raj: Language.LanguageCode
    bho: Language.LanguageCode
    en_bio: Language.LanguageCode
    hi_en: Language.LanguageCode
    NAME_FIELD_NUMBER: _ClassVar[int]
    SOURCELANGUAGE_FIELD_NUMBER: _ClassVar[int]
    name: str
    sourceLanguage: Language.LanguageCode
    def __init__(self, name: _Optional[str] = ..., sourceLanguage: _Optional[_Union[Language.LanguageCode, str]] = ...) -> None: ...

class RecognitionConfig(_message.Message):
    __slots__ = ("language", "audioFormat", "channel", "samplingRate", "bitsPerSample", "transcriptionFormat", "profanityFilter", "domain", "detailed", "punctuation", "model", "enableInverseTextNormalization")
    class AudioFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        wav: _ClassVar[RecognitionConfig.AudioFormat]
        pcm: _ClassVar[RecognitionConfig.AudioFormat]
        mp3: _ClassVar[RecognitionConfig.AudioFormat]
        flac: _ClassVar[RecognitionConfig.AudioFormat]
    wav: RecognitionConfig.AudioFormat
    pcm: RecognitionConfig.AudioFormat
    mp3: RecognitionConfig.AudioFormat
    flac: RecognitionConfig.AudioFormat
    class AudioChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        mono: _ClassVar[RecognitionConfig.AudioChannel]
        stereo: _ClassVar[RecognitionConfig.AudioChannel]
    mono: RecognitionConfig.AudioChannel
    stereo: RecognitionConfig.AudioChannel
    class AudioBitsPerSample(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        sixteen: _ClassVar[RecognitionConfig.AudioBitsPerSample]
        eight: _ClassVar[RecognitionConfig.AudioBitsPerSample]
    sixteen: RecognitionConfig.AudioBitsPerSample
    eight: RecognitionConfig.AudioBitsPerSample
    class TranscriptionFormatEnum(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        transcript: _ClassVar[RecognitionConfig.TranscriptionFormatEnum]
        srt: _ClassVar[RecognitionConfig.TranscriptionFormatEnum]
        alternatives: _ClassVar[RecognitionConfig.TranscriptionFormatEnum]
    transcript: RecognitionConfig.TranscriptionFormatEnum
    srt: RecognitionConfig.TranscriptionFormatEnum
    alternatives: RecognitionConfig.TranscriptionFormatEnum
    class Domain(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        GENERAL: _ClassVar[RecognitionConfig.Domain]
        NEWS: _ClassVar[RecognitionConfig.Domain]
        EDUCATION: _ClassVar[RecognitionConfig.Domain]
        LEGAL: _ClassVar[RecognitionConfig.Domain]
        GOVERNMENT_PRESS_RELEASE: _ClassVar[RecognitionConfig.Domain]
        HEALTHCARE: _ClassVar[RecognitionConfig.Domain]
        MOVIES: _ClassVar[RecognitionConfig.Domain]
        SUBTITLES: _ClassVar[RecognitionConfig.Domain]
        SPORTS: _ClassVar[RecognitionConfig.Domain]
    GENERAL: RecognitionConfig.Domain
    NEWS: RecognitionConfig.Domain
    EDUCATION: RecognitionConfig.Domain
    LEGAL: RecognitionConfig.Domain
    GOVERNMENT_PRESS_RELEASE: RecognitionConfig.Domain
    HEALTHCARE: RecognitionConfig.Domain
    MOVIES: RecognitionConfig.Domain
    SUBTITLES: RecognitionConfig.Domain
    SPORTS: RecognitionConfig.Domain
    class Model(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        command_and_search: _ClassVar[RecognitionConfig.Model]
        phone_call: _ClassVar[RecognitionConfig.Model]
        video: _ClassVar[RecognitionConfig.Model]
        default: _ClassVar[RecognitionConfig.Model]
    command_and_search: RecognitionConfig.Model
    phone_call: RecognitionConfig.Model
    video: RecognitionConfig.Model
    default: RecognitionConfig.Model
    class TranscriptionFormat(_message.Message):
        __slots__ = ("value",)
        VALUE_FIELD_NUMBER: _ClassVar[int]
        value: RecognitionConfig.TranscriptionFormatEnum
        def __init__(self, value: _Optional[_Union[RecognitionConfig.TranscriptionFormatEnum, str]] = ...) -> None: ...
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    AUDIOFORMAT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SAMPLINGRATE_FIELD_NUMBER: _ClassVar[int]
    BITSPERSAMPLE_FIELD_NUMBER: _ClassVar[int]
    TRANSCRIPTIONFORMAT_FIELD_NUMBER: _ClassVar[int]
    PROFANITYFILTER_FIELD_NUMBER: _ClassVar[int]
    DOMAIN_FIELD_NUMBER: _ClassVar[int]
    DETAILED_FIELD_NUMBER: _ClassVar[int]
    PUNCTUATION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ENABLEINVERSETEXTNORMALIZATION_FIELD_NUMBER: _ClassVar[int]
    language: Language
    audioFormat: RecognitionConfig.AudioFormat
    channel: RecognitionConfig.AudioChannel
    samplingRate: int
    bitsPerSample: RecognitionConfig.AudioBitsPerSample
    transcriptionFormat: RecognitionConfig.TranscriptionFormat
    profanityFilter: bool
    domain: _containers.RepeatedScalarFieldContainer[RecognitionConfig.Domain]
    detailed: bool
    punctuation: bool
    model: RecognitionConfig.Model
    enableInverseTextNormalization: bool
    def __init__(self, language: _Optional[_Union[Language, _Mapping]] = ..., audioFormat: _Optional[_Union[RecognitionConfig.AudioFormat, str]] = ..., channel: _Optional[_Union[RecognitionConfig.AudioChannel, str]] = ..., samplingRate: _Optional[int] = ..., bitsPerSample: _Optional[_Union[RecognitionConfig.AudioBitsPerSample, str]] = ..., transcriptionFormat: _Optional[_Union[RecognitionConfig.TranscriptionFormat, _Mapping]] = ..., profanityFilter: _Optional[bool] = ..., domain: _Optional[_Iterable[_Union[RecognitionConfig.Domain, str]]] = ..., detailed: _Optional[bool] = ..., punctuation: _Optional[bool] = ..., model: _Optional[_Union[RecognitionConfig.Model, str]] = ..., enableInverseTextNormalization: _Optional[bool] = ...) -> None: ...

class RecognitionDetails(_message.Message):
    __slots__ = ("channelTag", "language", "snr", "samplingRate", "bitsPerSample")
    CHANNELTAG_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SNR_FIELD_NUMBER: _ClassVar[int]
    SAMPLINGRATE_FIELD_NUMBER: _ClassVar[int]
    BITSPERSAMPLE_FIELD_NUMBER: _ClassVar[int]
    channelTag: int
    language: Language
    snr: int
    samplingRate: int
    bitsPerSample: int
    def __init__(self, channelTag: _Optional[int] = ..., language: _Optional[_Union[Language, _Mapping]] = ..., snr: _Optional[int] = ..., samplingRate: _Optional[int] = ..., bitsPerSample: _Optional[int] = ...) -> None: ...

class Alternative(_message.Message):
    __slots__ = ("word", "startTime", "endTime")
    WORD_FIELD_NUMBER: _ClassVar[int]
    STARTTIME_FIELD_NUMBER: _ClassVar[int]
    ENDTIME_FIELD_NUMBER: _ClassVar[int]
    word: str
    startTime: str
    endTime: str
    def __init__(self, word: _Optional[str] = ..., startTime: _Optional[str] = ..., endTime: _Optional[str] = ...) -> None: ...

class SpeechRecognitionResult(_message.Message):
    __slots__ = ("status", "output", "config", "status_text")
    class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SUCCESS: _ClassVar[SpeechRecognitionResult.Status]
        NO_MATCH: _ClassVar[SpeechRecognitionResult.Status]
        INITIAL_SILENCE_TIMEOUT: _ClassVar[SpeechRecognitionResult.Status]
        BABBLE_TIMEOUT: _ClassVar[SpeechRecognitionResult.Status]
        ERROR: _ClassVar[SpeechRecognitionResult.Status]
    SUCCESS: SpeechRecognitionResult.Status
    NO_MATCH: SpeechRecognitionResult.Status
    INITIAL_SILENCE_TIMEOUT: SpeechRecognitionResult.Status
    BABBLE_TIMEOUT: SpeechRecognitionResult.Status
    ERROR: SpeechRecognitionResult.Status
    class Output(_message.Message):
        __slots__ = ("source",)
        SOURCE_FIELD_NUMBER: _ClassVar[int]
        source: str
        def __init__(self, source: _Optional[str] = ...) -> None: ...
    STATUS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FIELD_NUMBER: _ClassVar[int]
    CONFIG_FIELD_NUMBER: _ClassVar[int]
    STATUS_TEXT_FIELD_NUMBER: _ClassVar[int]
    status: SpeechRecognitionResult.Status
    output: _containers.RepeatedCompositeFieldContainer[SpeechRecognitionResult.Output]
    config: RecognitionDetails
    status_text: str
    def __init__(self, status: _Optional[_Union[SpeechRecognitionResult.Status, str]] = ..., output: _Optional[_Iterable[_Union[SpeechRecognitionResult.Output, _Mapping]]] = ..., config: _Optional[_Union[RecognitionDetails, _Mapping]] = ..., status_text: _Optional[str] = ...) -> None: ...

class PunctuateRequest(_message.Message):
    __slots__ = ("text", "language", "enabledItn")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ENABLEDITN_FIELD_NUMBER: _ClassVar[int]
    text: str
    language: str
    enabledItn: bool
    def __init__(self, text: _Optional[str] = ..., language: _Optional[str] = ..., enabledItn: _Optional[bool] = ...) -> None: ...

class PunctuateResponse(_message.Message):
    __slots__ = ("text", "language")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    text: str
    language: str
    def __init__(self, text: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("audio", "user", "language", "speaking", "isEnd")
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    SPEAKING_FIELD_NUMBER: _ClassVar[int]
    ISEND_FIELD_NUMBER: _ClassVar[int]
    audio: bytes
    user: str
    language: str
    speaking: bool
    isEnd: bool
    def __init__(self, audio: _Optional[bytes] = ..., user: _Optional[str] = ..., language: _Optional[str] = ..., speaking: _Optional[bool] = ..., isEnd: _Optional[bool] = ...) -> None: ...

class Response(_message.Message):
    __slots__ = ("transcription", "user", "language", "action")
    TRANSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    transcription: str
    user: str
    language: str
    action: str
    def __init__(self, transcription: _Optional[str] = ..., user: _Optional[str] = ..., language: _Optional[str] = ..., action: _Optional[str] = ...) -> None: ...
