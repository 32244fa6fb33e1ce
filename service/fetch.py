"""Audio from URLs, safely: one fetcher every surface shares (Vakyansh audioUri, batch, OpenAI).

Rules, each refusal a :class:`FetchRefused` naming the rule:
- http and https only, no credentials in the URL;
- the host is resolved once per hop, every address is checked, and the connection
  is made to the checked address (Host header and TLS SNI carry the name), so a
  second DNS answer cannot slip in a private address (no DNS-rebinding window);
- loopback, private, link-local (cloud metadata), multicast, reserved and other
  non-global addresses are refused unless ``FetchConfig`` allows the host or network;
- redirects are followed by hand, at most ``max_redirects``, each hop checked again;
- the body may not exceed ``max_bytes`` (checked while reading, not only from
  Content-Length) and the whole fetch may not take longer than ``timeout_s``.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from sunvai.errors import BadRequest

REDIRECTS = {301, 302, 303, 307, 308}


class FetchConfig(BaseModel):
    """``args.fetch``: what the server may download audio from, and how much."""

    model_config = ConfigDict(extra="forbid")

    allow_hosts: list[str] = Field(default_factory=list,
                                   description="host names allowed even when they resolve to non-public addresses")
    allow_networks: list[str] = Field(default_factory=list,
                                      description="CIDR networks allowed although not public, e.g. 127.0.0.0/8")
    max_bytes: int = Field(512 * 1024 * 1024, gt=0, description="largest download accepted")
    timeout_s: float = Field(120.0, gt=0, description="the whole fetch, redirects included")
    connect_timeout_s: float = Field(10.0, gt=0)
    max_redirects: int = Field(3, ge=0, le=10)


class FetchRefused(BadRequest):
    code = "audio_url_refused"


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL after redirects
    data: bytes
    content_type: str


class AudioFetcher:
    def __init__(self, config: FetchConfig | None = None, resolver=None):
        self.config = config or FetchConfig()
        self._networks = [ipaddress.ip_network(n, strict=False) for n in self.config.allow_networks]
        self._hosts = {h.lower().rstrip(".") for h in self.config.allow_hosts}
        self._resolve = resolver or _resolve

    async def fetch(self, url: str) -> Fetched:
        try:
            return await asyncio.wait_for(self._fetch(url), self.config.timeout_s)
        except asyncio.TimeoutError:
            raise FetchRefused(f"fetching {url[:200]} took longer than {self.config.timeout_s:g} s "
                               "(the limit for audio URLs)", code="audio_url_timeout") from None

    async def _fetch(self, url: str) -> Fetched:
        timeout = httpx.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            for hop in range(self.config.max_redirects + 1):
                parts = self._check_url(url)
                addresses = await self._checked_addresses(parts.hostname,
                                                          parts.port or (443 if parts.scheme == "https" else 80))
                response = await self._connect(client, url, parts, addresses)
                try:
                    if response.status_code in REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise FetchRefused(f"{url[:200]} answered {response.status_code} without a Location")
                        url = urljoin(url, location)
                        continue
                    if response.status_code != 200:
                        raise FetchRefused(f"{url[:200]} answered HTTP {response.status_code}; the audio URL must "
                                           "answer 200", code="audio_url_failed")
                    data = await self._read_limited(response, url)
                    return Fetched(url, data, response.headers.get("content-type", ""))
                finally:
                    await response.aclose()
        raise FetchRefused(f"more than {self.config.max_redirects} redirects fetching the audio URL "
                           f"(limit {self.config.max_redirects})", code="audio_url_redirects")

    def check_url(self, url: str) -> None:
        """Refuse a URL whose form the fetcher never accepts (scheme, host, credentials); no lookup."""
        self._check_url(url)

    def _check_url(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"audio URLs must be http or https, not {parts.scheme or 'missing'!r}: {url[:200]}")
        if not parts.hostname:
            raise FetchRefused(f"the audio URL has no host: {url[:200]}")
        if parts.username or parts.password:
            raise FetchRefused("audio URLs may not carry credentials (user:password@)")
        return parts

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        """Resolve ``host``; every address must pass the rules. IPv4 first."""
        try:
            addresses = await self._resolve(host, port)
        except OSError as exc:
            raise FetchRefused(f"the audio URL's host {host!r} does not resolve ({exc})",
                               code="audio_url_unreachable") from exc
        if not addresses:
            raise FetchRefused(f"the audio URL's host {host!r} does not resolve", code="audio_url_unreachable")
        for address in addresses:
            self._check_address(host, ipaddress.ip_address(address))
        return sorted(addresses, key=lambda a: ":" in a)

    async def post_json(self, url: str, body: dict) -> int:
        """POST ``body`` as JSON to ``url`` under the same address rules (no redirects); the HTTP status."""
        timeout = httpx.Timeout(self.config.timeout_s, connect=self.config.connect_timeout_s)
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            parts = self._check_url(url)
            addresses = await self._checked_addresses(parts.hostname,
                                                      parts.port or (443 if parts.scheme == "https" else 80))
            response = await self._connect(client, url, parts, addresses, "POST", json.dumps(body).encode())
            await response.aclose()
            return response.status_code

    async def _connect(self, client: httpx.AsyncClient, url: str, parts, addresses: list[str],
                       method: str = "GET", content: bytes | None = None) -> httpx.Response:
        """Send to the first checked address that accepts a connection (never a fresh DNS lookup)."""
        error: Exception | None = None
        for address in addresses:
            target = parts._replace(netloc=_netloc(address, parts.port)).geturl()
            headers = {"Host": parts.netloc, "User-Agent": "sunvai-audio-fetcher"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
            request = client.build_request(method, target, headers=headers, extensions=extensions, content=content)
            try:
                return await client.send(request, stream=True)
            except httpx.ConnectError as exc:
                error = exc
            except httpx.HTTPError as exc:
                raise FetchRefused(f"could not fetch {url[:200]}: {exc.__class__.__name__}: {exc}",
                                   code="audio_url_unreachable") from exc
        raise FetchRefused(f"could not connect to {parts.hostname!r} for {url[:200]}: {error}",
                           code="audio_url_unreachable")

    def _check_address(self, host: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
        mapped = getattr(ip, "ipv4_mapped", None)
        ip = mapped or ip
        if ip.is_global and not ip.is_multicast:
            return
        if host.lower().rstrip(".") in self._hosts or any(ip in network for network in self._networks):
            return
        kind = ("loopback" if ip.is_loopback else "link-local (cloud metadata)" if ip.is_link_local
                else "multicast" if ip.is_multicast else "private" if ip.is_private else "non-public")
        raise FetchRefused(f"the audio URL's host {host!r} resolves to {ip}, a {kind} address; the server does "
                           "not fetch from such addresses unless its operator allows them (args.fetch)")

    async def _read_limited(self, response: httpx.Response, url: str) -> bytes:
        limit = self.config.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise FetchRefused(f"{url} is {int(declared)} bytes; the limit for audio URLs is {limit} bytes",
                               code="audio_url_too_large")
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchRefused(f"{url} sent more than {limit} bytes, the limit for audio URLs",
                                   code="audio_url_too_large")
            chunks.append(chunk)
        if not size:
            raise FetchRefused(f"{url} sent an empty body; expected audio", code="empty_audio")
        return b"".join(chunks)


async def _resolve(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for *_, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def _netloc(address: str, port: int | None) -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{host}:{port}" if port else host
