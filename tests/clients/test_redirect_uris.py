"""Registration refuses every redirect-URI bypass we know of, with a sentence that says why."""

from __future__ import annotations

import pytest

from clients import InvalidMetadata, validate_uri

FIELD = "redirect_uris"


def check(uri: object, *, dev: bool = True) -> str:
    return validate_uri(uri, field=FIELD, allow_http_loopback=dev)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        # not absolute
        ("/auth/callback", "absolute URI"),
        ("//evil.example/cb", "absolute URI"),
        ("dichvucong.gov.vn/cb", "absolute URI"),
        ("https:dichvucong.gov.vn/cb", "absolute URI"),
        ("https:///cb", "no host"),
        ("https://:443/cb", "no host"),
        # fragments (RFC 6749 §3.1.2)
        ("https://dichvucong.gov.vn/cb#frag", "fragment"),
        ("https://dichvucong.gov.vn/cb#", "fragment"),
        # user information, and the several-@ tricks (Keycloak CVE-2026-7504)
        ("https://user@dichvucong.gov.vn/cb", "user information"),
        ("https://user:pw@dichvucong.gov.vn/cb", "user information"),
        ("https://dichvucong.gov.vn@evil.example/cb", "user information"),
        ("https://evil.example@dichvucong.gov.vn@evil.example/cb", "user information"),
        ("https://a@b@dichvucong.gov.vn/cb", "user information"),
        ("https://dichvucong.gov.vn:443@evil.example/cb", "user information"),
        ("https://dichvucong.gov.vn/cb?next=@evil.example", "user information"),
        ("https://dichvucong.gov.vn%40evil.example/cb", "percent-encoding is not allowed in the host"),
        # schemes other than https, in any case (Keycloak CVE-2026-9086)
        ("javascript:alert(document.cookie)", "absolute URI"),
        ("javascript://dichvucong.gov.vn/%0aalert(1)", "scheme 'javascript'"),
        ("JaVaScRiPt://dichvucong.gov.vn/%0aalert(1)", "scheme 'JaVaScRiPt'"),
        ("data:text/html;base64,PHNjcmlwdD4=", "absolute URI"),
        ("data://dichvucong.gov.vn/x", "scheme 'data'"),
        ("file:///etc/passwd", "scheme 'file'"),
        ("ftp://dichvucong.gov.vn/cb", "scheme 'ftp'"),
        ("vn.gov.app://callback", "scheme 'vn.gov.app'"),
        ("HTTPS://dichvucong.gov.vn/cb", "scheme in lower case"),
        ("Https://dichvucong.gov.vn/cb", "scheme in lower case"),
        # http is for loopback hosts only
        ("http://dichvucong.gov.vn/cb", "loopback"),
        ("http://localhost.evil.example/cb", "loopback"),
        ("http://127.0.0.1.nip.io/cb", "loopback"),
        ("http://0.0.0.0:5000/cb", "loopback"),
        ("http://127.0.0.2/cb", "loopback"),
        # wildcards (Keycloak #48430)
        ("https://*.gov.vn/cb", "wildcards"),
        ("https://dichvucong.gov.vn/*", "wildcards"),
        ("https://dichvucong.gov.vn*", "wildcards"),
        # host spelling
        ("https://dichvucong.gov.vn./cb", "must not end with a dot"),
        ("https://DichVuCong.gov.vn/cb", "host in lower case"),
        ("https://[2001:DB8::1]/cb", "host in lower case"),
        ("https://dich_vu_cong.gov.vn/cb", "DNS name"),
        ("https://-dvc.gov.vn/cb", "DNS name"),
        ("https://0x7f000001/cb", "dotted IPv4"),
        ("https://127.1/cb", "dotted IPv4"),
        ("https://0177.0.0.1/cb", "dotted IPv4"),
        ("https://[zz::1]/cb", "IPv6 address is not valid"),
        ("https://[::1/cb", "IPv6 address is not valid"),
        ("https://[fe80::1%25eth0]/cb", "percent-encoding is not allowed in the host"),
        # non-ASCII: punycode required (look-alike letters)
        ("https://cổngdịchvụ.gov.vn/cb", "punycode"),
        ("https://dichvuc\u043eng.gov.vn/cb", "punycode"),
        ("https://dichvucong.gov.vn/đăng-nhập", "percent-encode"),
        # ports
        ("https://dichvucong.gov.vn:0/cb", "port"),
        ("https://dichvucong.gov.vn:65536/cb", "port"),
        ("https://dichvucong.gov.vn:/cb", "port"),
        ("https://dichvucong.gov.vn:08443/cb", "port"),
        ("https://dichvucong.gov.vn:443x/cb", "port"),
        # path traversal (Keycloak CVE-2026-3872), encoded slashes, backslashes
        ("https://dichvucong.gov.vn/app/..;/admin", "dot segments"),
        ("https://dichvucong.gov.vn/app/../admin", "dot segments"),
        ("https://dichvucong.gov.vn/app/./cb", "dot segments"),
        ("https://dichvucong.gov.vn/app/%2e%2e/admin", "dot segments"),
        ("https://dichvucong.gov.vn/app/.%2E;x/admin", "dot segments"),
        ("https://dichvucong.gov.vn/app/..", "dot segments"),
        ("https://dichvucong.gov.vn/app%2f..%2fadmin", "percent-encoded slash"),
        ("https://dichvucong.gov.vn/app%5C..", "percent-encoded slash"),
        ("https://evil.example\\.dichvucong.gov.vn/cb", "backslash"),
        ("https://dichvucong.gov.vn\\@evil.example/cb", "user information"),
        # whitespace and control characters
        (" https://dichvucong.gov.vn/cb", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/cb ", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/c b", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/cb\n", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/\tcb", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/cb\x00", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/cb\x7f", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/\u200bcb", "whitespace or a control character"),
        ("https://dichvucong.gov.vn/\u00a0cb", "whitespace or a control character"),
        # characters that are not URI characters, and broken percent-encoding
        ('https://dichvucong.gov.vn/cb?x="><script>', "not allowed in a URI"),
        ("https://dichvucong.gov.vn/cb?x={1}", "not allowed in a URI"),
        ("https://dichvucong.gov.vn/a[1]", "not allowed in a URI"),
        ("https://dichvucong.gov.vn/%zz", "percent-encoded byte"),
        ("https://dichvucong.gov.vn/cb?x=%", "percent-encoded byte"),
        # length and type
        ("https://dichvucong.gov.vn/" + "a" * 2000, "longer than 2000"),
        ("", "non-empty absolute URI"),
        (None, "non-empty absolute URI"),
        (["https://dichvucong.gov.vn/cb"], "non-empty absolute URI"),
    ],
)
def test_bypass_attempts_are_refused_with_a_reason(uri: object, reason: str) -> None:
    with pytest.raises(InvalidMetadata, match=reason) as refused:
        check(uri)
    assert refused.value.field == FIELD
    assert refused.value.message.startswith("Redirect URI") and refused.value.message.endswith(".")
    assert "\n" not in refused.value.message


@pytest.mark.parametrize(
    "uri",
    [
        "https://dichvucong.gov.vn/auth/callback",
        "https://dichvucong.gov.vn",
        "https://dichvucong.gov.vn/",
        "https://dichvucong.gov.vn/cb?lang=vi&portal=1",
        "https://dichvucong.gov.vn:8443/a/b.c/d..e/...",
        "https://xn--cng-dch-v-cng-9ob.gov.vn/cb",
        "https://203.0.113.5/cb",
        "https://[2001:db8::1]:8443/cb",
        "https://dichvucong.gov.vn/users/%40me/%7Ehome;v=1",
        "https://localhost/cb",
    ],
)
def test_well_formed_https_uris_are_stored_exactly_as_given(uri: str) -> None:
    assert check(uri, dev=False) == uri


@pytest.mark.parametrize("uri", ["http://127.0.0.1:5001/cb", "http://[::1]:8080/cb", "http://localhost:3000/cb"])
def test_http_loopback_only_in_development(uri: str) -> None:
    assert check(uri, dev=True) == uri
    with pytest.raises(InvalidMetadata, match="http is allowed only for loopback hosts in development; use https"):
        check(uri, dev=False)


def test_other_uri_fields_use_the_same_rules_and_name_themselves() -> None:
    with pytest.raises(InvalidMetadata, match=r"^Back-channel logout URI") as refused:
        validate_uri("https://rp.gov.vn/logout#x", field="backchannel_logout_uri", allow_http_loopback=True)
    assert refused.value.field == "backchannel_logout_uri"
    with pytest.raises(InvalidMetadata, match=r"^Post-logout redirect URI") as refused:
        validate_uri("javascript:alert(1)", field="post_logout_redirect_uris", allow_http_loopback=True)
    assert refused.value.field == "post_logout_redirect_uris"


def test_a_control_character_is_escaped_in_the_message() -> None:
    with pytest.raises(InvalidMetadata) as refused:
        check("https://dichvucong.gov.vn/cb\r\nX-Injected: 1")
    assert "\r" not in refused.value.message and "\\r\\n" in refused.value.message
