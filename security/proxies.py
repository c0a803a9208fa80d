"""Who the client of a request is, given the proxies in front of the app that we trust.

The address is the TCP peer's, unless that peer is a trusted proxy (TRIAL_TRUSTED_PROXIES) and
TRIAL_PROXY_HOPS says how many proxies append to X-Forwarded-For: then it is the entry that
many places from the right, the address the outermost trusted proxy saw. Entries further left
are written by the client and never trusted. The remote address itself is never rewritten
(header mode checks it), and an IPv6 client counts as its /64 network, which one user holds.
"""

from __future__ import annotations

import ipaddress

import flask

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPV6_CLIENT_PREFIX = 64


def parse_address(text: str | None) -> IPAddress | None:
    try:
        ip = ipaddress.ip_address((text or "").strip().split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


class TrustedProxies:
    def __init__(self, networks: tuple[str, ...], hops: int = 0):
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]
        self.hops = hops

    def trusts(self, addr: str | None) -> bool:
        """Whether `addr` (a request's remote address) is one of the trusted proxies."""
        ip = parse_address(addr)
        return ip is not None and any(ip in net for net in self.networks)

    def client_ip(self, remote_addr: str | None, forwarded_for: list[str]) -> IPAddress | None:
        """The client's address (see the module docstring); `forwarded_for`: the values of the
        request's X-Forwarded-For headers, in order."""
        if self.hops and self.trusts(remote_addr):
            chain = [e.strip() for value in forwarded_for for e in value.split(",")]
            if len(chain) >= self.hops:
                forwarded = parse_address(chain[-self.hops])
                if forwarded is not None:
                    return forwarded
        return parse_address(remote_addr)

    def client_of_request(self) -> str:
        """The client of this request as the sign-in throttle counts it: an IPv4 address or an
        IPv6 /64 network ("?" when the server gives no address)."""
        req = flask.request
        ip = self.client_ip(req.remote_addr, req.headers.getlist("X-Forwarded-For"))
        if ip is None:
            return "?"
        if isinstance(ip, ipaddress.IPv6Address):
            return str(ipaddress.ip_network(f"{ip}/{IPV6_CLIENT_PREFIX}", strict=False))
        return str(ip)
