"""Which IP addresses a URL may be fetched from: global unicast only, unless the user allows.

An IPv6 address can carry an IPv4 address inside it (IPv4-mapped and -compatible, SIIT,
NAT64, 6to4, Teredo, ISATAP); a host on the path may route such an address to the IPv4
one, so ``::127.0.0.1`` or ``2002:7f00:1::`` is as local as ``127.0.0.1``.  An address is
public only when it and every IPv4 address embedded in it are global.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)

__all__ = ["ALLOW_ENV", "AddressPolicy", "embedded_ipv4", "is_public", "parse_ip"]

ALLOW_ENV = "OPGRAPH_ALLOW_PRIVATE_URLS"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

_COMPAT = IPv6Network("::/96")  # IPv4-compatible (deprecated), also :: and ::1
_SIIT = IPv6Network("::ffff:0:0:0/96")  # IPv4-translated
_NAT64 = IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")  # local-use NAT64: never global
_ISATAP_IDS = (0x00005EFE, 0x02005EFE)  # interface id ...:0000:5efe:a.b.c.d / 0200:5efe


def parse_ip(text: str) -> IPv4Address | IPv6Address:
    """An address as a socket reports it (an IPv6 zone, ``%eth0``, is kept as scope)."""
    return ip_address(text)


def embedded_ipv4(ip: IPv6Address) -> list[IPv4Address]:
    """Every IPv4 address that ``ip`` carries and that a translator may route to."""
    n = int(ip)
    low = IPv4Address(n & 0xFFFFFFFF)
    found: list[IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip in _COMPAT or ip in _SIIT or ip in _NAT64:
        found.append(low)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)  # (server, client)
    if (n >> 32) & 0xFFFFFFFF in _ISATAP_IDS:
        found.append(low)
    return found


def is_public(ip: IPv4Address | IPv6Address) -> bool:
    """True for a global unicast address that embeds no private, loopback or local one."""
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback or ip.is_link_local:
        return False
    if isinstance(ip, IPv4Address):
        return ip.is_global and not ip.is_reserved
    if ip.scope_id or ip.is_site_local or ip in _NAT64_LOCAL:
        return False
    if ip in _COMPAT or ip.ipv4_mapped is not None or ip in _SIIT:
        return False  # never a real peer: the IPv4 address is what gets connected to
    if not all(is_public(v4) for v4 in embedded_ipv4(ip)):
        return False
    if ip in _NAT64:
        return True  # a global IPv4 behind the translator (3.11 calls the prefix reserved)
    return ip.is_global and not ip.is_reserved


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses always; others only when allowed (all of them, or some networks)."""

    allow_all: bool = False
    networks: tuple[IPv4Network | IPv6Network, ...] = ()

    @classmethod
    def from_setting(cls, allow: bool | str | Iterable[str]) -> AddressPolicy:
        """``True``/"1": allow every address; "10.0.0.0/8,::1": allow those networks."""
        if isinstance(allow, bool):
            return cls(allow_all=allow)
        items = allow.split(",") if isinstance(allow, str) else list(allow)
        items = [s.strip() for s in items if s.strip()]
        if len(items) == 1 and items[0].lower() in _TRUE | _FALSE:
            return cls(allow_all=items[0].lower() in _TRUE)
        try:
            return cls(networks=tuple(ip_network(s, strict=False) for s in items))
        except ValueError as exc:
            raise ValueError(f"{ALLOW_ENV}: {exc} (give 1, or networks like 10.0.0.0/8)") from None

    @classmethod
    def from_env(cls, allow: bool | str | Iterable[str] = False) -> AddressPolicy:
        """``allow`` (a setting) joined with what the environment variable allows."""
        setting = cls.from_setting(allow)
        env = cls.from_setting(os.environ.get(ALLOW_ENV, ""))
        return cls(setting.allow_all or env.allow_all, setting.networks + env.networks)

    def permits(self, ip: IPv4Address | IPv6Address) -> bool:
        if self.allow_all or is_public(ip):
            return True
        candidates: list[IPv4Address | IPv6Address] = [ip]
        if isinstance(ip, IPv6Address):
            candidates.extend(embedded_ipv4(ip))
            ip = ip_address(str(ip).split("%", 1)[0])  # a zone never changes the network
            candidates.append(ip)
        nets = self.networks
        return any(c in n for c in candidates for n in nets if c.version == n.version)
