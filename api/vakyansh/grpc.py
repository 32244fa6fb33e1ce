"""Registers the Vakyansh servicer with Serve's gRPC proxy (``grpc_options.grpc_servicer_functions``).

The generated ``add_SpeechRecognizerServicer_to_server`` parses requests with ``FromString``,
so a malformed message fails inside the proxy, before any sunvai code, with UNKNOWN. Here the
parser never raises: a message that does not parse arrives at the ingress as a
:class:`MalformedMessage`, which answers INVALID_ARGUMENT saying what was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from google.protobuf.message import DecodeError

from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.errors import BadRequest

SERVICE = "ekstep.speech_recognition.SpeechRecognizer"


@dataclass(frozen=True)
class MalformedMessage:
    """Bytes that did not parse as ``expected``; the ingress answers INVALID_ARGUMENT."""

    expected: str
    reason: str
    size: int

    @property
    def message(self) -> str:
        return (f"the request is not a valid {self.expected} protobuf message ({self.reason}; {self.size} bytes). "
                "Send messages built from speech_recognition.proto")


def _lenient(message_class):
    def parse(data: bytes):
        try:
            return message_class.FromString(data)
        except (DecodeError, ValueError, TypeError) as exc:
            return MalformedMessage(message_class.DESCRIPTOR.full_name, str(exc) or type(exc).__name__, len(data))
    return parse


def add_servicer(servicer, server) -> None:
    handlers = {
        "recognize": grpc.unary_unary_rpc_method_handler(
            servicer.recognize, request_deserializer=_lenient(pb.SpeechRecognitionRequest),
            response_serializer=pb.SpeechRecognitionResult.SerializeToString),
        "punctuate": grpc.unary_unary_rpc_method_handler(
            servicer.punctuate, request_deserializer=_lenient(pb.PunctuateRequest),
            response_serializer=pb.PunctuateResponse.SerializeToString),
        "recognize_audio": grpc.stream_stream_rpc_method_handler(
            servicer.recognize_audio, request_deserializer=_lenient(pb.Message),
            response_serializer=pb.Response.SerializeToString),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    if hasattr(server, "add_registered_method_handlers"):
        server.add_registered_method_handlers(SERVICE, handlers)


def check_message(message):
    """``message`` itself, or BadRequest if it did not parse."""
    if isinstance(message, MalformedMessage):
        raise BadRequest(message.message, code="malformed_protobuf")
    return message


async def checked_messages(messages):
    """A request stream whose malformed messages end the call with INVALID_ARGUMENT."""
    async for message in messages:
        yield check_message(message)
