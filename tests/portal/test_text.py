"""Every word of the portal's pages has its Vietnamese, and the catalogue holds nothing unused."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from portal import text

PACKAGE = Path(text.__file__).parent
#: ``_("...")`` in templates, in either kind of quotes.
TEMPLATE_CALL = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def used_messages() -> set[str]:
    messages = set()
    for template in (PACKAGE / "templates").glob("*.html"):
        for double, single in TEMPLATE_CALL.findall(template.read_text()):
            messages.add(double or single)
    for module in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Call) and _translating(node.func) and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    messages.add(first.value)
    return messages | set(text.CLAIM_LABELS.values()) | set(text.ACR_LABELS.values()) | set(text.GENDERS.values())


def _translating(function: ast.expr) -> bool:
    """``_(...)`` in the views, ``text.translate(...)`` elsewhere."""
    return (isinstance(function, ast.Name) and function.id == "_") or (
        isinstance(function, ast.Attribute) and function.attr == "translate"
    )


def test_every_message_has_its_vietnamese() -> None:
    missing = used_messages() - set(text.VI)
    assert not missing, f"add these to portal/text.py VI: {sorted(missing)}"


def test_the_catalogue_holds_no_unused_entry() -> None:
    unused = set(text.VI) - used_messages() - {"Unknown"}  # the label of an acr the portal does not know
    assert not unused, f"remove these from portal/text.py VI: {sorted(unused)}"


def test_the_finder_finds_messages() -> None:
    """A finder that found nothing would make both tests above pass."""
    assert {"Sign out", "Sensitive service", "You have signed out."} <= used_messages()


def test_a_message_without_vietnamese_fails_loudly_in_every_language() -> None:
    import pytest

    for language in text.LANGUAGES:
        with pytest.raises(KeyError):
            text.translate("A sentence nobody translated", language)
    assert text.translate("Hello, {name}", "vi", name="Mai") == "Xin chào, Mai"
    assert text.translate("Hello, {name}", "en", name="Mai") == "Hello, Mai"
