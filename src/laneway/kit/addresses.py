"""Whose address a request comes from, as a limit counts it: an IPv4 address (an IPv4-mapped
IPv6 address is one) counts on its own, an IPv6 address by its /64, which one subscriber usually
holds whole (counting single IPv6 addresses, one client rotates through 2**64 of them)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=4096)
def address_key(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # not an address (a test client's name, "unknown")
        return "a" + host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "a" + str(address.ipv4_mapped)
        return "n" + str(ipaddress.IPv6Network((address, 64), strict=False))
    return "a" + str(address)
