"""``args.auth``: whether API keys are required, and where they are kept."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field

LOOPBACK_NAMES = ("localhost", "ip6-localhost")


class AuthConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(False, description="every surface but the Python handle needs an API key "
                                             "(create them with `sunvai keys create`)")
    allow_open_network: bool = Field(False, description="start with auth off on a non-loopback address (anyone "
                                                        "who reaches the port can use every surface)")
    database_url: str | None = Field(None, description="where keys are kept; default: the batch job database "
                                                       "(args.batch)")
    cache_s: float = Field(5.0, ge=0, le=300, description="how long an ingress replica trusts what it read of a "
                                                          "key; a revocation takes effect within this")
    stream_lease_s: float = Field(60.0, ge=10, description="a realtime stream's slot against its key's "
                                                           "max_streams lapses this long after its replica "
                                                           "stops renewing it")

    def check_exposure(self, host: str) -> None:
        """Refuse a configuration that serves every surface, unauthenticated, beyond this machine."""
        if self.enabled or self.allow_open_network or is_loopback(host):
            return
        raise ValueError(f"http_options.host is {host!r}, reachable from other machines, and args.auth.enabled is "
                         "false: anyone could use the server. Turn auth on (and create keys with `sunvai keys "
                         "create`), listen on 127.0.0.1, or set args.auth.allow_open_network: true")


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
