"""API keys as plain Python: the store (hashed, never the key), the per-key limiter, the access check."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sunvai.auth.access import AccessControl, InProcessLimiter, presented_key
from sunvai.auth.config import AuthConfig
from sunvai.auth.keys import KeyLimits, KeyStore, split_key
from sunvai.auth.limits import KeyLimiter
from sunvai.errors import Forbidden, RateLimited, Unauthorized


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    yield store
    store.close()


def test_keys_are_stored_hashed_and_never_in_the_clear(store, tmp_path):
    keys = [store.create(f"key-{n}")[0] for n in range(3)]
    assert all(split_key(key) for key in keys)
    store.engine.dispose()  # flush the WAL into the file too
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    for key in keys:
        key_id, secret = split_key(key)
        assert key_id.encode() in stored  # the public id is what finds the row
        assert secret.encode() not in stored and key.encode() not in stored
    record = store.get(split_key(keys[0])[0])
    assert record.matches(split_key(keys[0])[1]) and not record.matches(split_key(keys[1])[1])


def test_create_list_find_revoke(store):
    key, record = store.create("team", ["hi-IN"], ["vachana", "openai"], KeyLimits(requests_per_minute=5))
    assert record.languages == ("hi-IN",) and record.surfaces == ("vachana", "openai")
    assert record.limits.requests_per_minute == 5
    assert [r.id for r in store.find("team")] == [record.id] == [r.id for r in store.find(record.id)]
    assert store.revoke(record.id) and not store.revoke(record.id)
    assert store.list() == [] and [r.id for r in store.list(include_revoked=True)] == [record.id]
    with pytest.raises(ValueError, match="unknown surface"):
        store.create("x", surfaces=["telepathy"])


def test_request_rate_window_and_retry_after():
    clock = Clock()
    limiter = KeyLimiter(clock)
    limits = KeyLimits(requests_per_minute=2)
    assert limiter.admit_request("k", limits) is None
    clock.now += 10
    assert limiter.admit_request("k", limits) is None
    refusal = limiter.admit_request("k", limits)
    assert refusal is not None and refusal.retry_after_s == 50 and "2 a minute" in refusal.message
    assert limiter.admit_request("other", limits) is None  # per key
    clock.now += 50
    assert limiter.admit_request("k", limits) is None  # the first request left the window


def test_audio_seconds_per_hour():
    clock = Clock()
    limiter = KeyLimiter(clock)
    limits = KeyLimits(audio_seconds_per_hour=100)
    limiter.charge_audio("k", 60)
    clock.now += 600
    limiter.charge_audio("k", 50)
    refusal = limiter.admit_request("k", limits)
    assert refusal is not None and refusal.retry_after_s == 3000  # when the first 60 s leave the hour
    clock.now += 3000
    assert limiter.admit_request("k", limits) is None


def test_stream_slots_lapse_without_renewal():
    clock = Clock()
    limiter = KeyLimiter(clock, stream_lease_s=60)
    limits = KeyLimits(max_streams=1)
    assert limiter.open_stream("k", "a", limits) is None
    assert limiter.open_stream("k", "b", limits) is not None
    clock.now += 50
    limiter.renew_stream("k", "a")
    clock.now += 50
    assert limiter.open_stream("k", "b", limits) is not None  # renewed: still held
    clock.now += 20  # a's replica died: no renewal
    assert limiter.open_stream("k", "b", limits) is None
    limiter.close_stream("k", "b")
    assert limiter.open_stream("k", "c", limits) is None


@pytest.fixture
def access(store):
    clock = Clock()
    return AccessControl(store, InProcessLimiter(KeyLimiter(clock)), cache_ttl_s=5, clock=clock), clock


async def test_authenticate_every_refusal(access, store):
    control, clock = access
    key, record = store.create("hindi-rest", ["hi-IN"], ["vachana"], KeyLimits(requests_per_minute=1))
    key_id, secret = split_key(key)
    for presented, error, fragment in [(None, Unauthorized, "needs an API key"),
                                       ("not-a-key", Unauthorized, "unknown API key"),
                                       (f"sv_{key_id}_{'x' * 43}", Unauthorized, "unknown API key"),
                                       (f"sv_{'0' * 12}_{secret}", Unauthorized, "unknown API key")]:
        with pytest.raises(error, match=fragment):
            await control.authenticate(presented, "vachana")
    with pytest.raises(Forbidden, match="not openai"):
        await control.authenticate(key, "openai")
    caller = await control.authenticate(key, "vachana")
    control.check_languages(caller, ["hi-IN"])
    with pytest.raises(Forbidden, match="not allowed en-IN"):
        control.check_languages(caller, ["hi-IN", "en-IN"])
    with pytest.raises(RateLimited) as limited:
        await control.authenticate(key, "vachana")
    assert limited.value.status == 429 and limited.value.retry_after_s == 60


async def test_revocation_takes_effect_within_the_cache_time(access, store):
    control, clock = access
    key, record = store.create("soon-revoked")
    await control.authenticate(key, "openai")
    store.revoke(record.id)
    await control.authenticate(key, "openai")  # cached for cache_ttl_s
    clock.now += 5
    with pytest.raises(Unauthorized, match="revoked"):
        await control.authenticate(key, "openai")


async def test_auth_off_lets_everyone_in_and_checks_nothing():
    control = AccessControl(None)
    caller = await control.authenticate(None, "batch")
    control.check_languages(caller, ["ta-IN"])
    await control.charge_audio(caller, 10)
    slot = await control.open_stream(caller)
    await slot.close()


async def test_stream_slot_is_released_on_close(access, store):
    control, _ = access
    key, _ = store.create("one-stream", limits=KeyLimits(max_streams=1))
    caller = await control.authenticate(key, "realtime")
    slot = await control.open_stream(caller)
    with pytest.raises(RateLimited, match="open streams"):
        await control.open_stream(caller)
    await slot.close()
    await (await control.open_stream(caller)).close()


def test_presented_key_from_every_header():
    assert presented_key({"x-api-key-id": " k1 "}) == "k1"
    assert presented_key({"authorization": "Bearer k2"}) == "k2"
    assert presented_key({"authorization": "bearer   k3"}) == "k3"
    assert presented_key({"rpc-auth-header": "k4"}) == "k4"
    assert presented_key({"authorization": "Basic abc"}) is None and presented_key({}) is None


@pytest.fixture(scope="module")
def one_key(tmp_path_factory):
    store = KeyStore(f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}")
    key, _ = store.create("k")
    yield AccessControl(store, cache_ttl_s=0), key
    store.close()


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_nothing_but_the_key_authenticates(one_key, data):
    """Random strings and the key with one character changed, cut short or lengthened: all 401."""
    control, key = one_key
    kind = data.draw(st.sampled_from(["random", "changed", "cut", "longer"]))
    if kind == "random":
        presented = data.draw(st.text(max_size=120))
    elif kind == "changed":
        at = data.draw(st.integers(0, len(key) - 1))
        presented = key[:at] + data.draw(st.characters().filter(lambda c: c != key[at])) + key[at + 1:]
    elif kind == "cut":
        presented = key[:data.draw(st.integers(0, len(key) - 1))]
    else:
        presented = key + data.draw(st.text(min_size=1, max_size=5).filter(lambda t: t.strip()))
    if presented.strip() == key:
        return
    with pytest.raises(Unauthorized):
        asyncio.run(control.authenticate(presented, "vachana"))
    assert asyncio.run(control.authenticate(key, "vachana")).name == "k"


def test_exposure_check():
    AuthConfig().check_exposure("127.0.0.1")
    AuthConfig().check_exposure("::1")
    AuthConfig(enabled=True).check_exposure("0.0.0.0")
    AuthConfig(allow_open_network=True).check_exposure("0.0.0.0")
    with pytest.raises(ValueError, match="anyone could use the server"):
        AuthConfig().check_exposure("0.0.0.0")
    with pytest.raises(ValueError):
        AuthConfig().check_exposure("192.168.1.10")
