"""The message catalogue: both languages complete, every key the pages use present."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from ecodata.web import i18n
from ecodata.web.rendering import palette, readable_text

WEB = Path(i18n.__file__).resolve().parents[1]


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    zh, en = i18n.messages("zh-CN"), i18n.messages("en")
    assert set(zh) == set(en)
    fields = string.Formatter()
    for key in zh:
        names_zh = {f for _, f, _, _ in fields.parse(zh[key]) if f}
        names_en = {f for _, f, _, _ in fields.parse(en[key]) if f}
        assert names_zh == names_en, key


def test_every_key_used_by_a_template_or_script_exists() -> None:
    used: set[str] = set()
    for path in (WEB / "templates").glob("*.html"):
        used |= set(re.findall(r"""\bt\(["']([a-z][\w.-]*[\w])["']""", path.read_text()))
    for path in (WEB / "static").glob("*.js"):
        used |= set(re.findall(r"""\bt\(["'`](js\.[\w.-]*[\w])["'`]""", path.read_text()))
    assert used, "no message keys found"
    missing = sorted(k for k in used if k not in i18n.messages("zh-CN"))
    assert missing == []


@pytest.mark.parametrize(
    ("query", "cookie", "header", "expected"),
    [
        (None, None, None, "zh-CN"),
        ("en", None, "zh-CN,zh;q=0.9", "en"),
        (None, "en", "zh-CN", "en"),
        (None, None, "en-GB,en;q=0.8,zh;q=0.5", "en"),
        (None, None, "fr-FR,zh-Hans;q=0.7,en;q=0.3", "zh-CN"),
        (None, None, "de,fr;q=0.8", "zh-CN"),
        (None, None, "en;q=0", "zh-CN"),
        ("xx", "zh_CN", "en", "zh-CN"),
    ],
)
def test_negotiation(query: str | None, cookie: str | None, header: str | None,
                     expected: str) -> None:  # fmt: skip
    assert i18n.negotiate(query, cookie, header, "zh-CN") == expected


def test_translate_fills_placeholders_and_shows_unknown_keys() -> None:
    assert i18n.translate("en", "overview.missing_list", n=3) == "Stations missing (3)"
    assert i18n.translate("zh-CN", "overview.missing_list", n=3) == "缺报站点（3）"
    assert i18n.translate("en", "no.such.key") == "no.such.key"
    with pytest.raises(ValueError, match="unknown language"):
        i18n.messages("fr")


def test_category_colours_come_from_hj633_with_readable_text() -> None:
    swatches = palette("2012", "zh-CN")
    # HJ 633-2012 Appendix A
    colours = ["#00E400", "#FFFF00", "#FF7E00", "#FF0000", "#99004C", "#7E0023"]
    assert [s.colour for s in swatches] == colours
    assert [s.name for s in swatches] == [
        "优",
        "良",
        "轻度污染",
        "中度污染",
        "重度污染",
        "严重污染",
    ]
    assert palette("2012", "en")[0].name == "Excellent"
    assert readable_text("#FFFF00") == "#000000" and readable_text("#7E0023") == "#FFFFFF"
    assert all(s.text in ("#000000", "#FFFFFF") for s in swatches)
