"""Which address a request really comes from, when reverse proxies stand in front of the server.

`X-Forwarded-For` is believed only when the direct peer is a configured trusted proxy
(`--trusted-proxies`); then the header is read from the right (the address the nearest proxy
saw) and the first address that is not itself a trusted proxy is the client. A header from
anyone else is ignored, so a client cannot pick its own address to dodge per-address limits
or to look like loopback.
"""

from __future__ import annotations

import ipaddress

MAX_HOPS = 16
"""At most this many X-Forwarded-For entries are looked at (from the right)."""


def _ip(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def is_trusted(address: str, networks) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in net for net in networks)


def forwarded_client(peer: str, forwarded_for: list[str] | None, networks) -> str:
    """The client address of a request from `peer` carrying these X-Forwarded-For values."""
    if not networks or not forwarded_for or not is_trusted(peer, networks):
        return peer
    hops = [part for value in forwarded_for for part in value.split(",")][-MAX_HOPS:]
    client = peer
    for hop in reversed(hops):
        ip = _ip(hop)
        if ip is None:
            break  # garbage: trust nothing further left than the last good proxy
        client = str(ip)
        if not any(ip in net for net in networks):
            break
    return client
