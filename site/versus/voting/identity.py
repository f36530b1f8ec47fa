"""Keyed hashes of visitors and addresses, so raw identifiers never reach storage."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress


def keyed_hash(secret: bytes, kind: str, value: str) -> str:
    """Return HMAC-SHA256 of ``kind:value`` as 64 hex digits."""
    message = f"{kind}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def network_of(address: str) -> str:
    """Return the /24 (IPv4) or /64 (IPv6) network holding ``address``.

    An unparsable address is its own network, so it is still limited.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address

    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped

    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
