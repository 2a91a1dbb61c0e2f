"""Which webhook endpoints production refuses: a URL naming this machine or a private network
(loopback, RFC 1918, link-local such as a cloud metadata address, ...) would let whoever sets
REALTIME_APPS reach what is not on the internet. Development posts to loopback freely."""

import ipaddress
from urllib.parse import urlsplit


def is_internal_target(url: str) -> bool:
    """Whether `url` names a host that is not on the public internet, by its literal name or
    address (a DNS name is not resolved here)."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global
