"""Hypothesis strategies for the names and values of HJ 212 data areas (shared by the tests)."""

from __future__ import annotations

from hypothesis import strategies as st

#: code-Field names, some without a field part
names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}(-[A-Z][A-Za-z]{1,6})?", fullmatch=True)
#: plain values, and text values between '//' (HJ 212-2017 C.40)
values = st.from_regex(r"[-+.0-9A-Za-z_]{0,12}", fullmatch=True) | st.from_regex(
    r"//[^/;,=&\r\n]{0,20}//", fullmatch=True
)
