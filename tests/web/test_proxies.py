"""Forwarded headers count only from configured proxies: client address, base URL, debug routes."""

from __future__ import annotations

import ipaddress

import pytest
from twisted.internet.address import IPv4Address
from twisted.web.test.requesthelper import DummyRequest

from clawtown.web.baseurl import BaseUrl
from clawtown.web.debug import DebugActions
from clawtown.web.jsonapi import ApiError, client_address
from clawtown.web.proxies import forwarded_client

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))


class Site:
    def __init__(self, trusted=()) -> None:
        self.trusted_proxies = trusted


def request(peer: str, trusted=(), **headers) -> DummyRequest:
    req = DummyRequest([b""])
    req.client = IPv4Address("TCP", peer, 50000)
    req.site = Site(trusted)
    req.isSecure = lambda: False
    for name, value in headers.items():
        req.requestHeaders.addRawHeader(name.replace("_", "-").encode(), value.encode())
    return req


@pytest.mark.parametrize("peer, header, expected", [
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),              # not a proxy: the header is ignored
    ("10.0.0.5", ["1.2.3.4"], "1.2.3.4"),                      # a proxy: the client it saw
    ("10.0.0.5", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),             # a spoofed entry left of it is not believed
    ("10.0.0.5", ["1.2.3.4, 10.0.0.9"], "1.2.3.4"),            # two proxies in a row
    ("10.0.0.5", ["6.6.6.6", "1.2.3.4"], "1.2.3.4"),           # repeated headers read as one list
    ("10.0.0.5", ["garbage, 10.0.0.9"], "10.0.0.9"),           # garbage: stop at the last good proxy
    ("10.0.0.5", ["not an ip"], "10.0.0.5"),
    ("10.0.0.5", None, "10.0.0.5"),
    ("10.0.0.5", ["10.0.0.7"], "10.0.0.7"),                    # only proxies: the leftmost one
])
def test_forwarded_for_is_read_from_the_right_and_only_behind_a_proxy(peer, header, expected):
    assert forwarded_client(peer, header, PROXIES) == expected


def test_many_hops_are_bounded():
    assert forwarded_client("10.0.0.5", [", ".join(["10.0.0.1"] * 10_000)], PROXIES) == "10.0.0.1"


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address(request("203.0.113.9", x_forwarded_for="1.2.3.4")) == "203.0.113.9"
    assert client_address(request("10.0.0.5", x_forwarded_for="1.2.3.4")) == "10.0.0.5"
    assert client_address(request("10.0.0.5", PROXIES, x_forwarded_for="1.2.3.4")) == "1.2.3.4"


def test_base_url_trusts_forwarded_proto_from_the_direct_peer_only():
    base = BaseUrl(None, PROXIES)
    behind = request("10.0.0.5", PROXIES, host="internal:8080", x_forwarded_for="1.2.3.4",
                     x_forwarded_proto="https", x_forwarded_host="town.example.com")
    assert base(behind) == "https://town.example.com"
    direct = request("203.0.113.9", PROXIES, host="internal:8080", x_forwarded_proto="https",
                     x_forwarded_host="evil.example")
    assert base(direct) == "http://internal:8080"


@pytest.mark.parametrize("header", ["x_forwarded_for", "forwarded", "x_real_ip"])
def test_debug_routes_refuse_proxied_requests_even_from_loopback(header):
    actions = DebugActions(game=None, sync=None)
    actions.check(request("127.0.0.1"))
    with pytest.raises(ApiError) as err:
        actions.check(request("127.0.0.1", **{header: "127.0.0.1"}))
    assert err.value.status == 403


def test_a_trusted_proxy_on_loopback_does_not_make_remote_clients_loopback():
    actions = DebugActions(game=None, sync=None)
    with pytest.raises(ApiError):
        actions.check(request("127.0.0.1", PROXIES, x_forwarded_for="203.0.113.9"))
