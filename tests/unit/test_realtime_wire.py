"""The OpenAI Realtime surface's parts as plain Python: G.711 decoding, client secrets, session updates,
delta pieces and their log-probability shares."""

from __future__ import annotations

import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sunvai.api.openai import realtime_protocol as wire
from sunvai.asr.types import TokenLogprob
from sunvai.audio.g711 import g711_to_pcm16
from sunvai.auth import client_secrets
from sunvai.auth.access import AccessControl, presented_key
from sunvai.auth.keys import KeyStore
from sunvai.errors import Forbidden, Unauthorized


@pytest.mark.parametrize("law, ffmpeg_format", [("pcmu", "mulaw"), ("pcma", "alaw")])
def test_g711_decodes_every_code_as_ffmpeg_does(law, ffmpeg_format):
    codes = bytes(range(256)) * 2
    reference = subprocess.run(["ffmpeg", "-loglevel", "error", "-f", ffmpeg_format, "-ar", "8000", "-ac", "1",
                                "-i", "-", "-f", "s16le", "-"], input=codes, capture_output=True, check=True).stdout
    assert g711_to_pcm16(codes, law) == reference


HASH = "ab" * 32


def test_client_secret_round_trip_and_every_refusal():
    session = {"audio": {"input": {"turn_detection": None}}}
    secret, expires = client_secrets.mint("k1", HASH, session, ttl_s=60, now=1000)
    assert expires == 1060 and client_secrets.key_id_of(secret) == "k1"
    assert client_secrets.verify(secret, HASH, now=1059) == session
    with pytest.raises(client_secrets.ClientSecretError, match="expired"):
        client_secrets.verify(secret, HASH, now=1061)
    with pytest.raises(client_secrets.ClientSecretError, match="not minted"):
        client_secrets.verify(secret, "cd" * 32, now=1000)  # another key's hash
    key_id, stamp, payload, signature = secret.removeprefix("ek_").split(".")
    for forged in (f"ek_{key_id}.{int(stamp) + 999}.{payload}.{signature}",  # a longer life
                   f"ek_k2.{stamp}.{payload}.{signature}",  # another key
                   f"ek_{key_id}.{stamp}.e30.{signature}",  # another session ({})
                   f"ek_{key_id}.{stamp}.{payload}.-"):  # unsigned, where the key signs
        with pytest.raises(client_secrets.ClientSecretError):
            client_secrets.verify(forged, HASH, now=1000)
    for malformed in ("ek_", "ek_k1.1.2", "sv_abc", f"{secret}.x"):
        with pytest.raises(client_secrets.ClientSecretError, match="not a client secret"):
            client_secrets.verify(malformed, HASH, now=1000)
    unsigned, _ = client_secrets.mint(None, None, session, ttl_s=60, now=1000)  # auth off: configuration only
    assert unsigned.endswith(".-") and client_secrets.verify(unsigned, None, now=1000) == session


async def test_a_client_secret_stands_for_its_key_on_realtime_only(tmp_path):
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        access = AccessControl(store, cache_ttl_s=0)
        key, record = store.create("minting")
        caller = await access.authenticate(key, "realtime")
        secret, _ = await access.mint_client_secret(caller, {"type": "transcription"}, ttl_s=60)
        assert (await access.authenticate(secret, "realtime")).key_id == record.id
        with pytest.raises(Forbidden, match="realtime sessions only"):
            await access.authenticate(secret, "openai")
        store.revoke(record.id)
        with pytest.raises(Unauthorized, match="revoked"):
            await access.authenticate(secret, "realtime")
        unsigned, _ = await AccessControl(None).mint_client_secret(None, {}, ttl_s=60)
        with pytest.raises(Unauthorized):  # a secret minted with auth off opens nothing once auth is on
            await access.authenticate(unsigned, "realtime")
    finally:
        store.close()


def test_the_key_in_a_browsers_subprotocol():
    assert presented_key({"sec-websocket-protocol": "realtime, openai-insecure-api-key.sv_x_y"}) == "sv_x_y"
    assert presented_key({"sec-websocket-protocol": "realtime"}) is None


def test_session_updates_merge_and_name_the_bad_field():
    config = wire.updated(wire.RealtimeConfig(), {"type": "transcription", "audio": {"input": {
        "transcription": {"language": "hi", "itn": True}}}}, legacy=False)
    config = wire.updated(config, {"audio": {"input": {"turn_detection": None}}}, legacy=False)
    audio = config.audio.input
    assert (audio.transcription.language, audio.transcription.itn, audio.turn_detection) == ("hi", True, None)
    config = wire.updated(config, {"input_audio_format": "g711_alaw", "turn_detection": {"type": "server_vad",
                                   "silence_duration_ms": 300}}, legacy=True)
    assert config.audio.input.format.type == "audio/pcma" and config.audio.input.turn_detection.silence_duration_ms == 300
    assert config.audio.input.transcription.language == "hi"  # not sent: kept
    legacy = config.legacy_wire("sess_1")
    assert legacy["input_audio_format"] == "g711_alaw" and legacy["turn_detection"]["silence_duration_ms"] == 300
    for update, legacy_shape, param in [
        ({"audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 2}}}}, False,
         "session.audio.input.turn_detection.threshold"),
        ({"audio": {"input": {"format": {"type": "audio/pcm", "rate": 16000}}}}, False, "session.audio.input.format.rate"),
        ({"include": ["everything"]}, False, "session.include.0"),
        ({"input_audio_format": "pcm24"}, True, "session.input_audio_format"),
    ]:
        with pytest.raises(wire.InvalidEvent) as refused:
            wire.updated(config, update, legacy=legacy_shape)
        assert refused.value.param == param, refused.value.message


@given(st.text(alphabet=st.sampled_from(["a", "ब", "।", " ", "\n", "5", ","]), max_size=40))
def test_delta_pieces_concatenate_to_the_text(text):
    pieces = wire.delta_pieces(text)
    assert "".join(pieces) == text
    assert all(piece.strip() for piece in pieces[1:])


def entry(token: str) -> TokenLogprob:
    return TokenLogprob(token, tuple(token.encode()), -0.1)


def test_logprob_shares_follow_the_words_else_go_last():
    entries = [entry(" Hello"), entry(","), entry(" how"), entry(" are"), entry(" you")]
    shares = wire.logprob_shares(entries, 4)
    assert [[e.token for e in share] for share in shares] == [[" Hello", ","], [" how"], [" are"], [" you"]]
    shares = wire.logprob_shares(entries, 3)  # ITN or punctuation changed the words: all on the last piece
    assert shares[:2] == [[], []] and shares[2] == entries
    assert wire.logprob_shares([], 0) == []
