"""The portal's words in Vietnamese (the default) and English.

A few dozen strings do not need gettext's tool chain: the English text is the key, as a gettext
msgid would be, and ``VI`` holds its Vietnamese. A string without a Vietnamese entry raises, so a page
rendered by the tests in Vietnamese proves its every word is translated; ``tests/portal/test_text.py``
proves no entry is unused.
"""

from __future__ import annotations

import datetime as dt

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
#: The whole country keeps one time, UTC+7 without daylight saving.
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
TIME_FORMATS = {"vi": "%H:%M:%S ngày %d/%m/%Y", "en": "%Y-%m-%d %H:%M:%S (UTC+7)"}

VI = {
    "A demonstration portal: it signs citizens in with the national e-ID over OpenID Connect.": (
        "Cổng thử nghiệm: công dân đăng nhập bằng định danh điện tử quốc gia qua OpenID Connect."
    ),
    "A one-time code is needed": "Cần mã dùng một lần",
    "Assurance": "Mức độ xác thực",
    "Back to the home page": "Về trang chủ",
    "Code for the portal's developers": "Mã lỗi dành cho người phát triển cổng",
    "Date of birth": "Ngày sinh",
    "Family name": "Họ",
    "Female": "Nữ",
    "Full name": "Họ và tên",
    "Given name": "Tên",
    "Hello, {name}": "Xin chào, {name}",
    "How you signed in": "Cách bạn đã đăng nhập",
    "Language": "Ngôn ngữ",
    "Male": "Nam",
    "Methods": "Phương thức",
    "Middle name": "Tên đệm",
    "Password": "Mật khẩu",
    "Password and one-time code": "Mật khẩu và mã dùng một lần",
    "Password and one-time code, identity verified in person": (
        "Mật khẩu và mã dùng một lần, danh tính đã được xác minh trực tiếp"
    ),
    "Please go back to the home page and try again.": "Vui lòng quay về trang chủ và thử lại.",
    "Please try again in a few minutes.": "Vui lòng thử lại sau ít phút.",
    "Provider session": "Phiên tại hệ thống định danh",
    "Sensitive service": "Dịch vụ cần bảo mật cao",
    "Session and tokens": "Phiên và mã thông báo",
    "Sex": "Giới tính",
    "Sign in once with the national e-ID to use the public services of every portal.": (
        "Chỉ cần đăng nhập một lần bằng định danh điện tử quốc gia để dùng dịch vụ công trên mọi cổng."
    ),
    "Sign in with the national e-ID": "Đăng nhập bằng định danh điện tử quốc gia",
    "Sign out": "Đăng xuất",
    "Signed in at": "Thời điểm đăng nhập",
    "Signed out.": "Đã đăng xuất.",
    "The ID token expires at": "Mã định danh (ID token) hết hạn lúc",
    "The access token expires at": "Mã truy cập (access token) hết hạn lúc",
    "The national e-ID cannot be reached": "Không kết nối được với hệ thống định danh điện tử quốc gia",
    "The national e-ID did not sign you in at this portal. You can try again.": (
        "Hệ thống định danh điện tử quốc gia chưa đăng nhập cho bạn vào cổng này. Bạn có thể thử lại."
    ),
    "The sign-in did not complete": "Chưa đăng nhập được",
    "This form has expired": "Biểu mẫu đã hết hạn",
    "This service is open only after a sign-in with a one-time code. You signed in with: {acr}.": (
        "Dịch vụ này chỉ mở sau khi đăng nhập có mã dùng một lần. Bạn đã đăng nhập bằng: {acr}."
    ),
    "This service needs a sign-in with a one-time code from your authenticator app, and the national e-ID "
    "did not confirm one.": (
        "Dịch vụ này yêu cầu đăng nhập bằng mã dùng một lần từ ứng dụng xác thực, nhưng hệ thống định danh "
        "điện tử quốc gia chưa xác nhận mã đó."
    ),
    "Try again": "Thử lại",
    "Unknown": "Không rõ",
    "Updated at": "Cập nhật lúc",
    "You are signed in with the national e-ID. This is what the portal received about you.": (
        "Bạn đã đăng nhập bằng định danh điện tử quốc gia. Dưới đây là thông tin về bạn mà cổng đã nhận được."
    ),
    "You have signed out.": "Bạn đã đăng xuất.",
    "Your identifier at this portal": "Mã định danh của bạn tại cổng này",
    "Your information": "Thông tin của bạn",
    "Your session at the national e-ID has ended; sign in again to continue.": (
        "Phiên đăng nhập của bạn tại hệ thống định danh điện tử đã kết thúc; vui lòng đăng nhập lại để tiếp tục."
    ),
    "Your session at this portal ends at": "Phiên của bạn tại cổng này kết thúc lúc",
    "renewed with the refresh token when needed": "được gia hạn bằng mã làm mới khi cần",
}

CLAIM_LABELS = {
    "name": "Full name",
    "family_name": "Family name",
    "middle_name": "Middle name",
    "given_name": "Given name",
    "birthdate": "Date of birth",
    "gender": "Sex",
    "sub": "Your identifier at this portal",
    "updated_at": "Updated at",
}
ACR_LABELS = {
    "urn:vn:eid:acr:pwd": "Password",
    "urn:vn:eid:acr:mfa": "Password and one-time code",
    "urn:vn:eid:acr:mfa:ial2": "Password and one-time code, identity verified in person",
}
GENDERS = {"male": "Male", "female": "Female"}


def translate(message: str, language: str, **values: object) -> str:
    """*message* in *language*, with ``{name}`` placeholders filled in."""
    text = VI[message]  # looked up in every language, so that an English page with a new word fails too
    if language != "vi":
        text = message
    return text.format(**values) if values else text


def when(timestamp: float | None, language: str) -> str:
    """An instant as people in Vietnam read it."""
    if timestamp is None:
        return "—"
    moment = dt.datetime.fromtimestamp(float(timestamp), VIETNAM)
    return moment.strftime(TIME_FORMATS[language])
