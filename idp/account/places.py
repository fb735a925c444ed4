"""An approximate place for an address: its network, never the address itself.

A sign-in attempt may come from someone else (a guesser); the citizen needs to tell "my home network"
from "somewhere else", not that person's exact address. IPv4 keeps its first three octets
(``203.113.5.x``, a /24), IPv6 its /48 (a site).
"""

from __future__ import annotations

import ipaddress


def network_of(address: str | None) -> str | None:
    """The /24 or /48 around *address*, as shown to the citizen; None when there is no usable address."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return ".".join(str(ip).split(".")[:3]) + ".x"
    return str(ipaddress.ip_network(f"{ip}/48", strict=False))
