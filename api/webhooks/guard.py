"""The SSRF guard: a webhook URL's host is resolved, and every address it resolves to must be public.

Checked at registration (422) and again at each delivery, whose connection then goes to an address
checked here (with the URL's host kept in `Host` and in TLS), so a name that changes its answer in
between (DNS rebinding) cannot lead a delivery inside the network. Redirects are never followed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

WEB_PORTS = {"http": 80, "https": 443}


class RefusedUrl(Exception):
    """A webhook URL that may not be called: its reason is said to the client or recorded."""


@dataclass(frozen=True)
class Target:
    """Where one delivery connects: the URL's parts and the checked address to reach it at."""

    scheme: str
    host: str
    port: int
    address: str
    path: str  # with its query, if any

    @property
    def connect_url(self) -> str:
        """The URL with the checked address in place of the host (IPv6 in brackets)."""
        shown = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.scheme}://{shown}:{self.port}{self.path}"

    @property
    def host_header(self) -> str:
        """The `Host` header the URL itself would give."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return shown if self.port == WEB_PORTS[self.scheme] else f"{shown}:{self.port}"


def forbidden(address: str) -> str | None:
    """Why an address may not be called (loopback, private, link-local, ...), or None when it is public."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for reason, flagged in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if flagged:
            return reason
    return None


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve `url`'s host and check every address; the first address to connect to, or `RefusedUrl`."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in WEB_PORTS or not parts.hostname:
        raise RefusedUrl("give an http or https URL with a host")
    if parts.username or parts.password:
        raise RefusedUrl("the URL may not carry a user name or password")
    try:
        port = parts.port or WEB_PORTS[scheme]
    except ValueError as exc:
        raise RefusedUrl("the URL's port is not a number from 1 to 65535") from exc
    host = parts.hostname
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise RefusedUrl(f"the host {host!r} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise RefusedUrl(f"the host {host!r} does not resolve")
    if not allow_private:
        for address in addresses:
            reason = forbidden(address)
            if reason is not None:
                raise RefusedUrl(
                    f"the host {host!r} resolves to a {reason} address ({address}); such addresses are "
                    "refused unless LABORWATCH_WEBHOOK_ALLOW_PRIVATE=true"
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, addresses[0], path)
