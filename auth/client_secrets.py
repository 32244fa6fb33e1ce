"""Short-lived client secrets for the OpenAI Realtime surface (``POST /v1/realtime/client_secrets``).

A server holding an API key mints one for a browser or phone, which then opens
``/v1/realtime`` with it instead of the key. The secret is
``ek_<key id>.<expires>.<session>.<signature>``: the session configuration it was minted with
(base64url JSON, applied when a session opens with it) and an HMAC-SHA256 over the rest keyed
by the key's stored hash, so every replica that reads the key store can check it, nothing
else needs sharing, and revoking the key revokes its secrets. A secret opens sessions only;
it cannot mint more secrets or call the other surfaces. With auth off the secret is unsigned
(``-``): it only carries the session configuration.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time

PREFIX = "ek_"
UNSIGNED = "-"
OPEN_KEY_ID = "open"  # auth off: no key behind the secret
SECRET_PATTERN = re.compile(r"^ek_([a-z0-9]{1,12})\.(\d{1,12})\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{43}|-)$")
MAX_SESSION_BYTES = 4096


class ClientSecretError(ValueError):
    """Not a client secret this server minted, or one that has expired."""


def is_client_secret(value: str) -> bool:
    return value.startswith(PREFIX)


def mint(key_id: str | None, secret_hash: str | None, session: dict, ttl_s: int,
         now: float | None = None) -> tuple[str, int]:
    """(the secret, its expiry in seconds since the epoch); ``secret_hash`` None: auth is off (unsigned)."""
    expires = int((time.time() if now is None else now) + ttl_s)
    payload = base64.urlsafe_b64encode(json.dumps(session, separators=(",", ":")).encode()).decode().rstrip("=")
    if len(payload) > MAX_SESSION_BYTES:
        raise ValueError(f"the session configuration is too large for a client secret (over {MAX_SESSION_BYTES} "
                         "bytes encoded); send the rest with session.update once connected")
    body = f"{key_id or OPEN_KEY_ID}.{expires}.{payload}"
    signature = UNSIGNED if secret_hash is None else _sign(secret_hash, body)
    return f"{PREFIX}{body}.{signature}", expires


def key_id_of(secret: str) -> str:
    return _parts(secret)[0]


def verify(secret: str, secret_hash: str | None, now: float | None = None) -> dict:
    """The session configuration the secret was minted with; :class:`ClientSecretError` when it does not
    verify against ``secret_hash`` (the key's stored hash; None: auth is off, only parsed) or has expired."""
    key_id, expires, payload, signature = _parts(secret)
    if secret_hash is not None and (signature == UNSIGNED or not hmac.compare_digest(
            _sign(secret_hash, f"{key_id}.{expires}.{payload}"), signature)):
        raise ClientSecretError("this client secret was not minted by this server for this key")
    if int(expires) < (time.time() if now is None else now):
        raise ClientSecretError("this client secret has expired; mint a new one with POST /v1/realtime/client_secrets")
    try:
        session = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) or b"{}")
    except ValueError:
        raise ClientSecretError("this client secret's session configuration is damaged") from None
    return session if isinstance(session, dict) else {}


def _parts(secret: str) -> tuple[str, str, str, str]:
    match = SECRET_PATTERN.match(secret.strip())
    if match is None:
        raise ClientSecretError("not a client secret of this server (ek_<key id>.<expires>.<session>.<signature>)")
    return match.group(1), match.group(2), match.group(3), match.group(4)


def _sign(secret_hash: str, body: str) -> str:
    digest = hmac.new(bytes.fromhex(secret_hash), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
