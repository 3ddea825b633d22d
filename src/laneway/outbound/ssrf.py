"""Keeps webhook requests from reaching anything but the public internet.

A webhook URL is chosen by a user but fetched from inside Laneway's network, next to the cloud
metadata service, Redis, Postgres and admin ports that trust their neighbours. Checking the URL
when it is saved is not enough: a name can resolve elsewhere by the time the request goes out
(DNS rebinding), and one address has many spellings (2130706433, 0x7f.1, ::ffff:127.0.0.1). So
the check sits where a connection's addresses are chosen, and aiohttp connects only to addresses
that passed it; aiohttp never asks its resolver about IP literals, so the connector checks those.

`resolve` gives the early answer, when a webhook is saved; `connector(allowed)` is what keeps
every request safe. Senders use no proxy (trust_env stays False) and `allow_redirects=False`,
treating a 3xx as a failed delivery.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Collection, Sequence

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.tracing import Trace
from yarl import URL

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT = 5.0

# first match wins: 0.0.0.0 before 0.0.0.0/8, the broadcast address before 240.0.0.0/4
_SPECIAL: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(cidr), kind)
    for kind, cidrs in {
        "an unspecified address": "0.0.0.0/32 ::/128",
        "a 'this network' address": "0.0.0.0/8",
        "a loopback address": "127.0.0.0/8 ::1/128",
        "a private address": "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7 fec0::/10",
        "a carrier-grade NAT address": "100.64.0.0/10",
        "a link-local address": "169.254.0.0/16 fe80::/10",
        "a multicast address": "224.0.0.0/4 ff00::/8",
        "a broadcast address": "255.255.255.255/32",
        "a reserved address": "240.0.0.0/4",
        # its translator is inside some local network, reaching whatever that network reaches
        "a local-use NAT64 address": "64:ff9b:1::/48",
    }.items()
    for cidr in cidrs.split()
)
# IPv6 forms whose last 32 bits are the IPv4 address they lead to (IPv4-mapped is unwrapped
# before these are looked at): NAT64's well-known prefix, IPv4-translated (::ffff:0:a.b.c.d)
# and the deprecated IPv4-compatible (::a.b.c.d)
_WRAPS_IPV4 = tuple(
    ipaddress.IPv6Network(cidr) for cidr in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96")
)


class Refused(ValueError):
    """A URL or address webhooks will not be sent to; `reason` says why, for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RefusedConnection(Refused, OSError):
    """Refused, as the OSError aiohttp turns into a connection error rather than a crash."""


def parse_networks(text: str) -> tuple[Network, ...]:
    """'10.1.0.0/16, 192.168.7.3' -> networks; an address stands for just itself."""
    networks = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError as exc:
            raise ValueError(f"not an IP address or network: {item!r} ({exc})") from None
    return tuple(networks)


def _kind(address: Address) -> str | None:
    listed = next((kind for network, kind in _SPECIAL if address in network), None)
    # the list says why; is_global catches whatever the registry has that the list misses
    return listed or (None if address.is_global else "a non-public address")


def embedded_ipv4(address: Address) -> tuple[ipaddress.IPv4Address, ...]:
    """The IPv4 addresses an IPv6 address leads to: the one it wraps (NAT64, IPv4-translated,
    IPv4-compatible, 6to4), or both ends of a Teredo address (server and client)."""
    if isinstance(address, ipaddress.IPv4Address):
        return ()
    if int(address) > 1 and any(address in wrap for wrap in _WRAPS_IPV4):  # not :: or ::1
        return (ipaddress.IPv4Address(int(address) & 0xFFFFFFFF),)
    if address.teredo is not None:
        return address.teredo
    return () if address.sixtofour is None else (address.sixtofour,)


def check_address(address: Address, allowed: Collection[Network]) -> None:
    """Raise Refused unless `address` is public or inside one of the `allowed` networks, and
    so is every IPv4 address it embeds."""
    shown = str(address)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # a socket given ::ffff:a.b.c.d talks to a.b.c.d
    if any(address in network for network in allowed):
        return
    for inner in embedded_ipv4(address):
        if any(inner in network for network in allowed):
            continue
        if (kind := _kind(inner)) is not None:
            raise Refused(f"resolves to {kind} ({inner} inside {shown})")
    if (kind := _kind(address)) is not None:
        where = shown if str(address) == shown else f"{address} inside {shown}"
        raise Refused(f"resolves to {kind} ({where})")


async def _lookup(
    host: str, port: int, family: int, allowed: Collection[Network]
) -> list[tuple[int, int, str, int]]:
    """(family, proto, address, port) for every address of `host`, each one checked."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(RESOLVE_TIMEOUT):
            infos = await loop.getaddrinfo(host, port, family=family, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise Refused("takes too long to resolve") from None
    except (OSError, UnicodeError):
        raise Refused("does not resolve") from None
    found: list[tuple[int, int, str, int]] = []
    for info_family, _, proto, _, sockaddr in infos:
        ip, ip_port = str(sockaddr[0]), int(sockaddr[1])
        if info_family == socket.AF_INET6 and len(sockaddr) == 4 and sockaddr[3]:
            ip = f"{ip}%{sockaddr[3]}"  # a link-local address means nothing without its scope
        check_address(ipaddress.ip_address(ip), allowed)
        found.append((info_family, proto, ip, ip_port))
    if not found:
        raise Refused("does not resolve")
    return found


async def resolve(url: str, allowed: Collection[Network]) -> tuple[str, int, list[str]]:
    """(host, port, addresses) for a webhook URL, or Refused saying what is wrong with it."""
    try:
        parsed = URL(url)
        port = parsed.port
    except ValueError:
        raise Refused("not a valid URL") from None
    if parsed.scheme not in ("http", "https"):
        raise Refused("only http and https URLs")
    if not parsed.raw_host or port is None:
        raise Refused("no host")
    if parsed.raw_user is not None or parsed.raw_password is not None:
        raise Refused("no user name or password in the URL")
    found = await _lookup(parsed.raw_host, port, socket.AF_UNSPEC, allowed)
    return parsed.raw_host, port, [ip for _, _, ip, _ in found]


class GuardedResolver(AbstractResolver):
    """Resolves names like aiohttp's ThreadedResolver, refusing any non-public answer."""

    def __init__(self, allowed: Collection[Network]) -> None:
        self._allowed = tuple(allowed)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        try:
            found = await _lookup(host, port, family, self._allowed)
        except Refused as exc:
            raise RefusedConnection(f"{host}: {exc.reason}") from None
        flags = socket.AI_NUMERICHOST | socket.AI_NUMERICSERV
        return [
            ResolveResult(hostname=host, host=ip, port=p, family=f, proto=proto, flags=flags)
            for f, proto, ip, p in found
        ]

    async def close(self) -> None:
        pass


class _GuardedConnector(aiohttp.TCPConnector):
    def __init__(self, allowed: Collection[Network]) -> None:
        super().__init__(resolver=GuardedResolver(allowed))
        self._allowed = tuple(allowed)

    async def _resolve_host(
        self, host: str, port: int, traces: Sequence[Trace] | None = None
    ) -> list[ResolveResult]:
        # IP literals come back from here without the resolver having seen them; and this
        # is what aiohttp connects to, whichever way it got it (cache, resolver, literal)
        hosts = await super()._resolve_host(host, port, traces=traces)
        for resolved in hosts:
            try:
                check_address(ipaddress.ip_address(resolved["host"]), self._allowed)
            except Refused as exc:
                raise RefusedConnection(f"{host}: {exc.reason}") from None
            except ValueError:
                raise RefusedConnection(f"{host}: not an IP address") from None
        return hosts


def connector(allowed: Collection[Network]) -> aiohttp.TCPConnector:
    """A connector that connects only to public addresses and those in `allowed`."""
    return _GuardedConnector(allowed)
