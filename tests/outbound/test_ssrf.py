"""Webhook requests reach the public internet and nothing else (laneway.outbound.ssrf)."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from laneway.outbound import ssrf
from laneway.outbound.ssrf import (
    GuardedResolver,
    Network,
    Refused,
    RefusedConnection,
    check_address,
    connector,
    parse_networks,
    resolve,
)

LOOPBACK = parse_networks("127.0.0.0/8")

# (url, what the reason says): every one refused when no network is allowed
CORPUS = [
    ("http://127.0.0.1/", "loopback"),
    ("http://localhost/", "loopback"),
    ("http://0.0.0.0/", "unspecified"),
    ("http://[::]/", "unspecified"),
    ("http://[::1]/", "loopback"),
    ("http://2130706433/", "loopback"),
    ("http://0x7f.1/", "loopback"),
    ("http://017700000001/", "loopback"),
    ("http://127.1/", "loopback"),
    ("http://[::ffff:127.0.0.1]/", "loopback"),
    ("http://[::ffff:7f00:1]/", "loopback"),
    ("http://[::127.0.0.1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::ffff:169.254.169.254]/latest/meta-data", "link-local"),
    ("http://10.0.0.1/", "private"),
    ("http://172.16.5.4/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
    ("http://[fc00::1]/", "private"),
    ("http://[fd12:3456::1]/", "private"),
    ("http://[fe80::1]/", "link-local"),
    ("http://[64:ff9b::7f00:1]/", "loopback"),
    ("http://[64:ff9b::a00:1]/", "private"),
    ("http://[2002:7f00:1::]/", "loopback"),
    ("http://[2002:c0a8:101::1]/", "private"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[ff02::1]/", "multicast"),
    ("http://255.255.255.255/", "broadcast"),
    ("http://240.0.0.1/", "reserved"),
    ("http://0.1.2.3/", "'this network'"),
    ("http://198.18.0.1/", "non-public"),
    ("http://[2001:db8::1]/", "non-public"),
    ("file:///etc/passwd", "only http and https"),
    ("gopher://127.0.0.1:6379/_INFO", "only http and https"),
    ("ftp://example.com/", "only http and https"),
    ("data:text/plain,hello", "only http and https"),
    ("javascript:alert(1)", "only http and https"),
    ("http://user:pass@example.com/", "user name or password"),
    ("http://user@example.com/", "user name or password"),
    ("http:///no-host", "no host"),
    ("http://example.com:99999/", "not a valid URL"),
]


def _loopback_names() -> list[str]:
    """localhost and its kin, and whatever /etc/hosts maps to a loopback address."""
    names = {"localhost", "localhost.", "ip6-localhost", "ip6-loopback"}
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        fields = line.partition("#")[0].split()
        try:
            if len(fields) > 1 and ipaddress.ip_address(fields[0]).is_loopback:
                names.update(fields[1:])
        except ValueError:
            continue
    return sorted(names)


LOOPBACK_NAMES = _loopback_names()

# the corpus, aimed at the canary's port wherever that could reach it
CANARY_URLS = [
    "http://127.0.0.1:{port}/",
    "https://127.0.0.1:{port}/",
    "http://0.0.0.0:{port}/",
    "http://[::]:{port}/",
    "http://[::1]:{port}/",
    "http://2130706433:{port}/",
    "http://0x7f.1:{port}/",
    "http://017700000001:{port}/",
    "http://127.1:{port}/",
    "http://127.0.0.2:{port}/",
    "http://[::ffff:127.0.0.1]:{port}/",
    "http://[::ffff:7f00:1]:{port}/",
    "http://[::127.0.0.1]:{port}/",
    *(f"http://{name}:{{port}}/" for name in LOOPBACK_NAMES),
]


class Canary:
    """A TCP server on loopback that only counts who reaches it."""

    def __init__(self) -> None:
        self.connections = 0
        self.port = 0

    async def accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def settled(self) -> int:
        """The count, once any connection under way has had time to arrive."""
        await asyncio.sleep(0.05)
        return self.connections


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    canary = Canary()
    server = await asyncio.start_server(canary.accept, "127.0.0.1", 0)
    canary.port = server.sockets[0].getsockname()[1]
    servers = [server]
    with contextlib.suppress(OSError):  # the same port on ::1 too, where there is IPv6
        servers.append(await asyncio.start_server(canary.accept, "::1", canary.port))
    yield canary
    for each in servers:
        each.close()
        await each.wait_closed()


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[int]]]:
    """Runs a handler as a web server on 127.0.0.1; gives its port."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> int:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port: int = runner.addresses[0][1]
        return port

    yield start
    for runner in runners:
        await runner.cleanup()


async def fetch(url: str, allowed: Collection[Network] = (), **options: Any) -> int:
    """What a webhook sender does: a guarded session, redirects never followed."""
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(connector=connector(allowed), timeout=timeout) as session,
        session.request(options.pop("method", "GET"), url, allow_redirects=False, **options) as r,
    ):
        return r.status


def fake_dns(*answers: list[str]) -> Callable[..., Awaitable[list[Any]]]:
    """A getaddrinfo that gives each of `answers` in turn (the last one from then on)."""
    calls = 0

    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        nonlocal calls
        ips = answers[min(calls, len(answers) - 1)]
        calls += 1
        if not ips:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in ips
        ]

    return getaddrinfo


@pytest.mark.parametrize(("url", "reason"), CORPUS)
async def test_resolve_refuses_the_corpus(url: str, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        await resolve(url, ())
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


@pytest.mark.parametrize("name", LOOPBACK_NAMES)
async def test_names_for_loopback_are_refused(name: str) -> None:
    with pytest.raises(Refused) as caught:
        await resolve(f"https://{name}/hook", ())
    assert "loopback" in caught.value.reason or caught.value.reason == "does not resolve"


async def test_the_canary_counts(canary: Canary) -> None:
    """Without this, the zeros below would prove nothing."""
    _, writer = await asyncio.open_connection("127.0.0.1", canary.port)
    writer.close()
    await writer.wait_closed()
    for _ in range(100):
        if canary.connections:
            break
        await asyncio.sleep(0.01)
    assert canary.connections == 1


async def test_aiohttp_skips_the_resolver_for_ip_literals(canary: Canary) -> None:
    """Why the connector checks literals itself: a guarded resolver alone lets them through.

    If aiohttp ever asks the resolver about literals, this fails and the override in
    ssrf._GuardedConnector could go.
    """
    plain = aiohttp.TCPConnector(resolver=GuardedResolver(()))
    async with aiohttp.ClientSession(connector=plain) as session:
        with pytest.raises(aiohttp.ClientError):
            async with session.get(f"http://127.0.0.1:{canary.port}/", allow_redirects=False):
                pass
    assert await canary.settled() >= 1  # aiohttp tries a GET twice when the server hangs up


@pytest.mark.parametrize("template", CANARY_URLS)
async def test_guarded_requests_never_reach_loopback(canary: Canary, template: str) -> None:
    url = template.format(port=canary.port)
    with pytest.raises(Refused):
        await resolve(url, ())
    with pytest.raises(aiohttp.ClientError) as caught:
        await fetch(url)
    error = caught.value
    # refused by the guard, or by aiohttp itself for the old numeric spellings of 127.0.0.1
    assert isinstance(error, aiohttp.InvalidUrlClientError) or isinstance(
        getattr(error, "os_error", None), RefusedConnection
    ), repr(error)
    assert await canary.settled() == 0


async def test_names_resolving_to_loopback_are_refused_at_connect(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        asyncio.get_running_loop(), "getaddrinfo", fake_dns(["93.184.215.14", "127.0.0.1"])
    )
    with pytest.raises(aiohttp.ClientConnectorError) as caught:
        await fetch(f"http://hooks.example.com:{canary.port}/")
    assert isinstance(caught.value.os_error, RefusedConnection)
    assert "127.0.0.1" in caught.value.os_error.reason
    assert await canary.settled() == 0


async def test_dns_rebinding_after_the_check_is_refused(
    canary: Canary, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that is public when the webhook is saved and loopback when it is sent."""
    monkeypatch.setattr(
        asyncio.get_running_loop(), "getaddrinfo", fake_dns(["93.184.215.14"], ["127.0.0.1"])
    )
    url = f"http://rebind.example.com:{canary.port}/"
    assert await resolve(url, ()) == ("rebind.example.com", canary.port, ["93.184.215.14"])
    with pytest.raises(aiohttp.ClientConnectorError) as caught:
        await fetch(url)
    assert isinstance(caught.value.os_error, RefusedConnection)
    assert await canary.settled() == 0


async def test_redirects_are_not_followed(
    canary: Canary, serve: Callable[[Handler], Awaitable[int]]
) -> None:
    async def redirect(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(f"http://127.0.0.1:{canary.port}/")

    port = await serve(redirect)
    assert await fetch(f"http://127.0.0.1:{port}/hook", LOOPBACK, method="POST") == 302
    assert await canary.settled() == 0


async def test_allowed_networks_reach_a_local_receiver(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    received: list[bytes] = []

    async def receiver(request: web.Request) -> web.StreamResponse:
        received.append(await request.read())
        return web.Response(status=204)

    assert await resolve("http://127.0.0.1:8080/hook", LOOPBACK) == (
        "127.0.0.1",
        8080,
        ["127.0.0.1"],
    )
    port = await serve(receiver)
    url = f"http://127.0.0.1:{port}/hook"
    assert await resolve(url, LOOPBACK) == ("127.0.0.1", port, ["127.0.0.1"])
    assert await fetch(url, LOOPBACK, method="POST", data=b'{"event":"ping"}') == 204
    assert await fetch(f"http://localhost:{port}/hook", LOOPBACK) == 204
    assert received == [b'{"event":"ping"}', b""]


async def test_allowed_networks_allow_only_themselves(
    serve: Callable[[Handler], Awaitable[int]],
) -> None:
    async def receiver(request: web.Request) -> web.StreamResponse:
        return web.Response(status=204)

    port = await serve(receiver)
    only = parse_networks("127.0.0.2")
    with pytest.raises(Refused, match=r"loopback address \(127\.0\.0\.1\)"):
        await resolve(f"http://127.0.0.1:{port}/", only)
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(f"http://127.0.0.1:{port}/", only)


async def test_resolve_accepts_public_literals() -> None:
    assert await resolve("https://93.184.215.14/hook", ()) == (
        "93.184.215.14",
        443,
        ["93.184.215.14"],
    )
    assert await resolve("http://[2606:4700::1111]:8443/", ()) == (
        "2606:4700::1111",
        8443,
        ["2606:4700::1111"],
    )


async def test_every_address_of_a_name_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        asyncio.get_running_loop(), "getaddrinfo", fake_dns(["93.184.215.14", "10.1.2.3"])
    )
    with pytest.raises(Refused, match=r"private address \(10\.1\.2\.3\)"):
        await resolve("https://hooks.example.com/", ())
    with pytest.raises(RefusedConnection, match=r"hooks\.example\.com: resolves to a private"):
        await GuardedResolver(()).resolve("hooks.example.com", 443, socket.AF_UNSPEC)


async def test_the_resolver_answers_like_aiohttps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        asyncio.get_running_loop(), "getaddrinfo", fake_dns(["93.184.215.14", "2606:4700::1111"])
    )
    resolver = GuardedResolver(())
    assert await resolver.resolve("hooks.example.com", 443, socket.AF_UNSPEC) == [
        {
            "hostname": "hooks.example.com",
            "host": address,
            "port": 443,
            "family": family,
            "proto": 6,
            "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
        }
        for address, family in (
            ("93.184.215.14", socket.AF_INET),
            ("2606:4700::1111", socket.AF_INET6),
        )
    ]
    await resolver.close()


async def test_a_name_that_does_not_resolve(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", fake_dns([]))
    with pytest.raises(Refused, match=r"^does not resolve$"):
        await resolve("https://nowhere.example.com/", ())
    with pytest.raises(RefusedConnection, match="does not resolve"):
        await GuardedResolver(()).resolve("nowhere.example.com", 443)


async def test_slow_resolution_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    async def hang(*_: Any, **__: Any) -> list[Any]:
        await asyncio.sleep(10)
        return []

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", hang)
    monkeypatch.setattr(ssrf, "RESOLVE_TIMEOUT", 0.05)
    with pytest.raises(Refused, match="takes too long to resolve"):
        await resolve("https://slow.example.com/", ())


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:93.184.215.14", "2002:5db8:d70e::1"],
)
def test_public_addresses_pass(address: str) -> None:
    check_address(ipaddress.ip_address(address), ())


@pytest.mark.parametrize(
    ("address", "allowed", "passes"),
    [
        ("127.0.0.1", "127.0.0.0/8", True),
        ("::ffff:127.0.0.1", "127.0.0.0/8", True),
        ("10.20.30.40", "10.20.0.0/16", True),
        ("fd00::5", "fd00::/8", True),
        ("10.21.0.1", "10.20.0.0/16", False),
        ("127.0.0.1", "10.0.0.0/8, ::1", False),
        ("169.254.169.254", "10.0.0.0/8", False),
    ],
)
def test_allowed_networks(address: str, allowed: str, passes: bool) -> None:
    if passes:
        check_address(ipaddress.ip_address(address), parse_networks(allowed))
    else:
        with pytest.raises(Refused):
            check_address(ipaddress.ip_address(address), parse_networks(allowed))


def test_refusals_name_the_address() -> None:
    with pytest.raises(Refused) as caught:
        check_address(ipaddress.ip_address("127.0.0.1"), ())
    assert caught.value.reason == "resolves to a loopback address (127.0.0.1)"
    with pytest.raises(Refused) as caught:
        check_address(ipaddress.ip_address("64:ff9b::a9fe:a9fe"), ())
    assert caught.value.reason == (
        "resolves to a link-local address (169.254.169.254 inside 64:ff9b::a9fe:a9fe)"
    )
    assert isinstance(RefusedConnection("x"), OSError)
    assert isinstance(RefusedConnection("x"), Refused)


def _embedding(inner: str) -> dict[str, str]:
    """Every IPv6 form that leads to the IPv4 address `inner`, by name."""
    v4 = int(ipaddress.IPv4Address(inner))
    high, low = f"{v4 >> 16:x}", f"{v4 & 0xFFFF:x}"
    return {
        "IPv4-mapped": f"::ffff:{high}:{low}",
        "IPv4-compatible": f"::{high}:{low}",
        "IPv4-translated": f"::ffff:0:{high}:{low}",
        "NAT64": f"64:ff9b::{high}:{low}",
        "local-use NAT64 /96": f"64:ff9b:1::{high}:{low}",
        "local-use NAT64 /48": f"64:ff9b:1:{high}:{v4 >> 8 & 0xFF:x}:{(v4 & 0xFF) << 8:x}::",
        "6to4": f"2002:{high}:{low}::1",
        "Teredo client": f"2001:0:808:808::{(v4 ^ 0xFFFFFFFF) >> 16:x}:{(v4 ^ 0xFFFF) & 0xFFFF:x}",
        "Teredo server": f"2001:0:{high}:{low}::f7f7:f7f7",
    }


EMBEDDED = [
    pytest.param(address, inner, id=f"{form} of {inner}")
    for inner in ("127.0.0.1", "169.254.169.254")
    for form, address in _embedding(inner).items()
]


@pytest.mark.parametrize(("address", "inner"), EMBEDDED)
async def test_every_ipv6_form_embedding_a_refused_ipv4_is_refused(
    address: str, inner: str
) -> None:
    with pytest.raises(Refused) as caught:
        check_address(ipaddress.ip_address(address), ())
    assert inner in caught.value.reason or "local-use NAT64" in caught.value.reason
    with pytest.raises(Refused):
        await resolve(f"http://[{address}]/hook", ())


@pytest.mark.parametrize(
    ("form", "passes"),
    [
        ("IPv4-mapped", True),
        ("IPv4-translated", True),
        ("NAT64", True),
        ("6to4", True),
        # the local-use prefix's translator sits in some local network, whatever it embeds
        ("local-use NAT64 /96", False),
        ("local-use NAT64 /48", False),
        # Teredo (2001::/32) is not globally routable itself
        ("Teredo client", False),
    ],
)
def test_a_public_ipv4_embedded_passes_where_its_form_is_routable(form: str, passes: bool) -> None:
    address = ipaddress.ip_address(_embedding("8.8.8.8")[form])
    if passes:
        check_address(address, ())
    else:
        with pytest.raises(Refused):
            check_address(address, ())


def test_an_allowed_ipv4_passes_in_the_forms_that_wrap_it() -> None:
    allowed = parse_networks("127.0.0.0/8")
    for form in ("IPv4-mapped", "IPv4-translated", "NAT64", "6to4"):
        check_address(ipaddress.ip_address(_embedding("127.0.0.1")[form]), allowed)
    with pytest.raises(Refused):  # allowing an IPv4 network allows no local-use NAT64
        check_address(ipaddress.ip_address(_embedding("127.0.0.1")["local-use NAT64 /96"]), allowed)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ()),
        ("  ", ()),
        ("127.0.0.0/8", ("127.0.0.0/8",)),
        (
            " 10.1.0.0/16 ,192.168.7.3, ::1,fd00::/8,",
            ("10.1.0.0/16", "192.168.7.3/32", "::1/128", "fd00::/8"),
        ),
    ],
)
def test_parse_networks(text: str, expected: tuple[str, ...]) -> None:
    assert parse_networks(text) == tuple(ipaddress.ip_network(cidr) for cidr in expected)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("10.0.0.0/33", "10.0.0.0/33"),
        ("127.0.0.0/8, localhost", "localhost"),
        ("10.0.0.1/8", "10.0.0.1/8"),
        ("10.0.0.0/8;192.168.0.0/16", "10.0.0.0/8;192.168.0.0/16"),
    ],
)
def test_parse_networks_refuses_bad_items(text: str, bad: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"not an IP address or network: '{bad}'")):
        parse_networks(text)


async def test_link_local_answers_keep_their_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    async def getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1", port, 0, 1))]

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", getaddrinfo)
    with pytest.raises(Refused, match=r"link-local address \(fe80::1%1\)"):
        await resolve("http://printer.local/", ())
    assert await resolve("http://printer.local/", parse_networks("fe80::/10")) == (
        "printer.local",
        80,
        ["fe80::1%1"],
    )
