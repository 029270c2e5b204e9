"""Which address a request comes from, for limits keyed by client.

The socket's peer is the client unless that peer is one of the configured
trusted proxies (``YISHI_TRUSTED_PROXIES``: IPs or CIDR networks). Only then
is ``X-Forwarded-For`` read, from the right: each proxy appends the address
it received the request from, so the right-most entry that is not itself a
trusted proxy is the first hop nobody we trust vouches for beyond. Entries
to the left of it are whatever the client chose to send and are ignored.

This is the same rule uvicorn's proxy-header middleware applies (``yishi
serve`` configures it from the same setting), so an address uvicorn already
rewrote resolves to itself here, and an app served some other way, or
driven straight through ASGI in tests, gets the same answer.
"""
from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

from litestar import Request

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# A request without a peer (a unix socket, say) still counts against a limit:
# all of them share this one key rather than escaping the limit.
UNKNOWN = "unknown"
FORWARDED_FOR = b"x-forwarded-for"


def parse_trusted(entries: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The trusted proxies as networks; ``ValueError`` names an entry that is
    neither an IP nor a CIDR network (``*`` included: trusting every peer
    would let any client choose its own address)."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(f"YISHI_TRUSTED_PROXIES: {entry!r} is not an IP address or a CIDR network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return parse_trusted(entries)


def _ip(text: str) -> IPAddress | None:
    """An address from a peer or a forwarded hop: bare, ``host:port`` or ``[v6]:port``."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    # A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d.
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


def _is_trusted(ip: IPAddress | None, trusted: Sequence[IPNetwork]) -> bool:
    return ip is not None and any(ip in network for network in trusted)


def resolve(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]) -> str:
    """The client address for a request from ``peer`` carrying the given
    ``X-Forwarded-For`` header values (in the order received)."""
    if not peer:
        return UNKNOWN
    peer_ip = _ip(peer)
    if not _is_trusted(peer_ip, trusted):
        return str(peer_ip) if peer_ip is not None else peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    address = str(peer_ip)
    for hop in reversed(hops):
        hop_ip = _ip(hop)
        address = str(hop_ip) if hop_ip is not None else hop
        if not _is_trusted(hop_ip, trusted):
            break
    # Every hop trusted: the left-most is as far back as anyone vouches.
    return address


def client_address(request: Request) -> str:
    """The client address of ``request`` under the app's configured trusted proxies."""
    peer = request.scope.get("client")
    forwarded = [value.decode("latin-1") for name, value in request.scope.get("headers", ())
                 if name == FORWARDED_FOR]
    trusted = _trusted(tuple(request.app.state.runtime.config.trusted_proxies))
    return resolve(peer[0] if peer else None, forwarded, trusted)


def digest(address: str) -> str:
    """What is kept of an address: enough to count by, not to read back."""
    return hashlib.sha256(address.encode()).hexdigest()
