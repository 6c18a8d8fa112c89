"""The caller's IP address: ``REMOTE_ADDR``, or what a configured trusted proxy says it saw.

A header such as ``X-Real-IP`` is a claim anyone can make; it is believed only when
the connection comes from one of ``settings.TRUSTED_PROXIES`` (addresses or networks).
"""

import ipaddress
from functools import cache

from django.conf import settings

# nginx sets it to $remote_addr (deploy/nginx/jaeger-proxy.conf): one address, never a list.
PROXY_HEADER = "HTTP_X_REAL_IP"


@cache
def _networks(trusted: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def parse_ip(value: str | None) -> str | None:
    """``value`` as a normalised IP address, or None if it is none."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def is_in(address: str | None, trusted) -> bool:
    """Whether ``address`` (a parsed IP) is one of ``trusted`` (a setting's addresses or networks)."""
    trusted = tuple(trusted)
    if not trusted or address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in _networks(trusted))


def is_trusted_proxy(address: str | None) -> bool:
    return is_in(address, settings.TRUSTED_PROXIES)


def client_address(request) -> str | None:
    """The address of whoever sent ``request``, as far as this process can know it."""
    return address_in_environ(request.META)


def address_in_environ(meta) -> str | None:
    """``client_address`` from a request's WSGI environ, for code that sees only that (tracing)."""
    peer = parse_ip(meta.get("REMOTE_ADDR"))
    if is_trusted_proxy(peer):
        return parse_ip(meta.get(PROXY_HEADER)) or peer
    return peer
