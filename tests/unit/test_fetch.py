"""The audio-URL fetcher against a real HTTP server on loopback (no Ray).

Where a test needs a name that resolves to a private or metadata address, it gives the
fetcher a stand-in resolver (no DNS here); those cases are refused before any connection.
"""

from __future__ import annotations

import pytest

from sunvai.service.fetch import AudioFetcher, FetchConfig, FetchRefused
from tests.audio_server import AudioServer


@pytest.fixture(scope="module")
def server(clips):
    with AudioServer({"/clip.wav": clips.english["hello"]}) as running:
        yield running


async def test_default_config_refuses_loopback(server):
    with pytest.raises(FetchRefused, match="127.0.0.1, a loopback address.*args.fetch"):
        await AudioFetcher().fetch(server.url("/clip.wav"))


async def test_allowed_network_fetches_the_file(server, clips):
    fetched = await AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"])).fetch(server.url("/clip.wav"))
    assert fetched.data == clips.english["hello"].read_bytes() and fetched.content_type == "audio/wav"


async def test_allowed_host_name_does_not_allow_a_redirect_to_an_address(server):
    fetcher = AudioFetcher(FetchConfig(allow_hosts=["localhost"]))
    assert (await fetcher.fetch(server.url("/clip.wav", host="localhost"))).data
    hostile = server.url(f"/redirect/127.0.0.1:{server.port}/clip.wav", host="localhost")
    with pytest.raises(FetchRefused, match="resolves to 127.0.0.1, a loopback address"):
        await fetcher.fetch(hostile)


async def test_redirect_loop_is_cut_off(server):
    fetcher = AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"], max_redirects=3))
    with pytest.raises(FetchRefused, match="more than 3 redirects") as info:
        await fetcher.fetch(server.url("/loop"))
    assert info.value.code == "audio_url_redirects"


async def test_endless_body_stops_at_the_size_limit(server):
    fetcher = AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"], max_bytes=2_000_000))
    with pytest.raises(FetchRefused, match="more than 2000000 bytes") as info:
        await fetcher.fetch(server.url("/endless"))
    assert info.value.code == "audio_url_too_large"


async def test_slow_body_stops_at_the_time_limit(server):
    fetcher = AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"], max_bytes=10**12, timeout_s=1.0))
    with pytest.raises(FetchRefused, match="longer than 1 s") as info:
        await fetcher.fetch(server.url("/endless"))
    assert info.value.code == "audio_url_timeout"


async def test_http_errors_are_named(server):
    fetcher = AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"]))
    with pytest.raises(FetchRefused, match="answered HTTP 404"):
        await fetcher.fetch(server.url("/missing"))


@pytest.mark.parametrize("url, fragment", [
    ("file:///etc/passwd", "http or https"),
    ("ftp://example.com/a.wav", "http or https"),
    ("gopher://x/", "http or https"),
    ("http://user:secret@example.com/a.wav", "credentials"),
    ("http:///nohost", "no host"),
])
async def test_bad_urls(url, fragment):
    with pytest.raises(FetchRefused, match=fragment):
        await AudioFetcher().fetch(url)


@pytest.mark.parametrize("address, kind", [
    ("10.1.2.3", "private"), ("192.168.0.10", "private"), ("172.16.5.4", "private"),
    ("169.254.169.254", "link-local"), ("127.0.0.2", "loopback"), ("::1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("224.0.0.1", "multicast"), ("100.64.0.1", "non-public"), ("0.0.0.0", ""),
])
async def test_names_resolving_to_non_public_addresses_are_refused(address, kind):
    async def resolver(host, port):  # stand-in DNS: the name resolves to ``address``
        return [address]

    with pytest.raises(FetchRefused, match=f"resolves to .*{kind}"):
        await AudioFetcher(resolver=resolver).fetch("http://audio.example.com/clip.wav")


async def test_one_bad_address_among_good_ones_is_enough_to_refuse():
    async def resolver(host, port):
        return ["93.184.216.34", "10.0.0.7"]

    with pytest.raises(FetchRefused, match="10.0.0.7"):
        await AudioFetcher(resolver=resolver).fetch("http://mixed.example.com/clip.wav")


async def test_the_connection_goes_to_the_checked_address_with_the_name_in_host(server, clips):
    """No second DNS lookup: the stand-in resolver is the only place 'audio.example.com' resolves
    (there is no DNS here), so the fetch can only succeed by connecting to the address it checked."""
    calls = []

    async def resolver(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    fetcher = AudioFetcher(FetchConfig(allow_networks=["127.0.0.0/8"]), resolver=resolver)
    fetched = await fetcher.fetch(f"http://audio.example.com:{server.port}/clip.wav")
    assert fetched.data == clips.english["hello"].read_bytes()
    assert calls == ["audio.example.com"] and server.hosts[-1] == f"audio.example.com:{server.port}"
