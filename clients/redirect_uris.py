"""Validation of the URIs a client registers: redirect, post-logout redirect and back-channel logout URIs.

The provider compares a requested redirect URI with the registered ones by simple string comparison
(RFC 9700 §2.1 and §4.1.3, RFC 3986 §6.2.1): no normalisation, case-sensitive, a query added or
changed does not match. Each URI is therefore stored exactly as given, and registration insists on
the one spelling that browsers and servers read the same way, so that what the provider checks is
what the browser visits:

- absolute ``https://host/...``; ``http://`` only for a loopback host (127.0.0.1, [::1], localhost)
  and only when development mode allows it (RFC 9700 §2.6); every other scheme is refused, whatever
  its case, which covers ``javascript:``, ``data:`` and ``file:`` (Keycloak CVE-2026-9086);
- scheme and host in lower case (hosts are case-insensitive, so an upper-case spelling would be a
  second, confusing name for the same place); no trailing dot on the host; an internationalised host
  in punycode (``xn--``), never in Unicode, so look-alike letters cannot hide in it;
- no fragment (RFC 6749 §3.1.2), no wildcard, no user information and no ``@`` anywhere (the
  several-``@`` tricks of Keycloak CVE-2026-7504 exploit parsers that disagree on where the host
  starts), no backslash (browsers read it as ``/``), no dot segments in any spelling, including
  Tomcat's ``..;/`` (Keycloak CVE-2026-3872), no percent-encoded slash;
- printable ASCII only: no whitespace, control or non-ASCII characters; percent-encoding well formed.

Variable loopback ports (RFC 8252 §7.3) are **not** supported: the port is part of the exact
comparison. Native apps are not a use case of this provider, and http redirect URIs are refused
outside development anyway (SECURITY.md R3), so the exception would only widen what matches.
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Callable

from .errors import InvalidMetadata

MAX_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "[::1]", "localhost"})

_LABELS = {
    "redirect_uris": "Redirect URI",
    "post_logout_redirect_uris": "Post-logout redirect URI",
    "backchannel_logout_uri": "Back-channel logout URI",
    "frontchannel_logout_uri": "Front-channel logout URI",
    "sector": "Sector",
}
#: Builds the error for one URI from the reason it is refused.
Refuse = Callable[[str], InvalidMetadata]

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_DNS_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", re.ASCII)
_PORT = re.compile(r"[1-9][0-9]{0,4}", re.ASCII)
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: RFC 3986 characters allowed after the authority: unreserved, sub-delims, ":", "/", "?" and "%".
_PATH_QUERY_CHARS = frozenset(string.ascii_letters + string.digits + "-._~!$&'()+,;=:/?%")


def validate_uri(uri: object, *, field: str, allow_http_loopback: bool) -> str:
    """Return ``uri`` unchanged if it may be registered; raise InvalidMetadata with a sentence otherwise."""
    label = _LABELS[field]
    if not isinstance(uri, str) or not uri:
        raise InvalidMetadata(f"{label} must be a non-empty absolute URI.", field=field)

    def refuse(why: str) -> InvalidMetadata:
        return InvalidMetadata(f"{label} {_shown(uri)} is refused: {why}.", field=field)

    if len(uri) > MAX_URI_LENGTH:
        raise refuse(f"it is longer than {MAX_URI_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in uri):
        raise refuse("it contains whitespace or a control character")
    if not uri.isascii():
        raise refuse(
            "it contains non-ASCII characters; write an internationalised host in punycode (xn--…) "
            "and percent-encode other characters"
        )
    _check_scheme(uri, allow_http_loopback, refuse)
    for char, why in (
        ("#", "a fragment is not allowed (RFC 6749 §3.1.2)"),
        ("*", "wildcards are not supported; register every URI in full"),
        ("@", "user information and '@' are not allowed (percent-encode an '@' in a path as %40)"),
        ("\\", "a backslash is read as '/' by browsers"),
    ):
        if char in uri:
            raise refuse(why)
    scheme, authority, rest = split_uri(uri)
    host = _check_authority(authority, refuse)
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise refuse("http is allowed only for a loopback host (127.0.0.1, [::1], localhost) in development")
    _check_path_and_query(rest, refuse)
    return uri


def validate_host(host: object, *, field: str) -> str:
    """Return ``host`` unchanged if it is a lower-case DNS name or IP address, by the same rules as a URI's host."""
    label = _LABELS[field]
    if not isinstance(host, str) or not host or not host.isascii() or not host.isprintable() or len(host) > 255:
        raise InvalidMetadata(f"{label} must be a host name in ASCII (punycode for international names).", field=field)

    def refuse(why: str) -> InvalidMetadata:
        return InvalidMetadata(f"{label} {_shown(host)} is refused: {why}.", field=field)

    if "/" in host or (":" in host and not (host.startswith("[") and host.endswith("]"))):
        raise refuse("give the host alone, without a scheme or port")
    _check_authority(host, refuse)
    return host


def split_uri(uri: str) -> tuple[str, str, str]:
    """``scheme``, ``authority`` and the rest (path and query) of a URI that passed the scheme check."""
    scheme, _, tail = uri.partition("://")
    end = min((i for i in (tail.find("/"), tail.find("?")) if i >= 0), default=len(tail))
    return scheme, tail[:end], tail[end:]


def uri_host(uri: str) -> str:
    """The host of a validated URI, without the port (IPv6 literals keep their brackets)."""
    authority = split_uri(uri)[1]
    if authority.startswith("["):
        return authority[: authority.index("]") + 1]
    return authority.partition(":")[0]


def _check_scheme(uri: str, allow_http_loopback: bool, refuse: Refuse) -> None:
    match = _SCHEME.match(uri)
    if match is None or not uri[match.end() :].startswith("//"):
        raise refuse("it must be an absolute URI of the form https://host/path")
    scheme = match.group(1)
    if scheme.lower() not in ("https", "http"):
        raise refuse(f"the scheme {scheme!r} is not allowed; only https is")
    if scheme not in ("https", "http"):
        raise refuse("write the scheme in lower case")
    if scheme == "http" and not allow_http_loopback:
        raise refuse("http is allowed only for loopback hosts in development; use https")


def _check_authority(authority: str, refuse: Refuse) -> str:
    """Validate host and port; return the host."""
    if authority != authority.lower():
        raise refuse("write the host in lower case")
    if "%" in authority:
        raise refuse("percent-encoding is not allowed in the host")
    if authority.startswith("["):
        host, bracket, port = authority.partition("]")
        if not bracket:
            raise refuse("the IPv6 address is not valid")
        host += "]"
        if port and not port.startswith(":"):
            raise refuse("the IPv6 address must be followed by the port or the path")
        port = port[1:] if port else None
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise refuse("the IPv6 address is not valid") from None
    else:
        host, colon, port = authority.partition(":")
        port = port if colon else None
        _check_host_name(host, refuse)
    if port is not None and (not _PORT.fullmatch(port) or int(port) > 65535):
        raise refuse("the port must be a number from 1 to 65535")
    return host


def _check_host_name(host: str, refuse: Refuse) -> None:
    if not host:
        raise refuse("it has no host")
    if host.endswith("."):
        raise refuse("the host must not end with a dot")
    labels = host.split(".")
    if labels[-1][:1].isdigit():
        # WHATWG URL: a host whose last label is numeric is parsed as an IPv4 address, in any notation.
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            raise refuse("a host that ends in a number must be a dotted IPv4 address") from None
        return
    if len(host) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels):
        raise refuse("the host must be a DNS name of letters, digits and hyphens, or an IP address")


def _check_path_and_query(rest: str, refuse: Refuse) -> None:
    bad = sorted({c for c in rest if c not in _PATH_QUERY_CHARS})
    if bad:
        raise refuse(f"the character(s) {' '.join(bad)} are not allowed in a URI; percent-encode them")
    if _BAD_PERCENT.search(rest):
        raise refuse("'%' must start a percent-encoded byte such as %20")
    path = rest.partition("?")[0]
    lowered = path.lower()
    if "%2f" in lowered or "%5c" in lowered:
        raise refuse("a percent-encoded slash or backslash in the path is not allowed")
    for segment in lowered.replace("%2e", ".").split("/"):
        if segment.split(";")[0] in (".", ".."):
            raise refuse("dot segments such as '..', '..;' or '%2e%2e' are not allowed in the path")


def _shown(uri: str) -> str:
    """The URI quoted for a message: control characters escaped, long values cut."""
    return repr(uri if len(uri) <= 120 else uri[:120] + "…")
