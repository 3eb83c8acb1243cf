"""Hypothesis strategies for the names and values of HJ 212 data areas, and edits of frames
(shared by the tests)."""

from __future__ import annotations

from hypothesis import strategies as st

#: code-Field names, some without a field part
names = st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}(-[A-Z][A-Za-z]{1,6})?", fullmatch=True)
#: plain values, and text values between '//' (HJ 212-2017 C.40)
values = st.from_regex(r"[-+.0-9A-Za-z_]{0,12}", fullmatch=True) | st.from_regex(
    r"//[^/;,=&\r\n]{0,20}//", fullmatch=True
)

#: one edit of a frame: (kind, where, bytes)
mutation = st.tuples(
    st.sampled_from(["replace", "insert", "delete", "flip"]),
    st.integers(min_value=0, max_value=2000),
    st.binary(min_size=1, max_size=4)
    | st.sampled_from([b";", b",", b"=", b"&&", b"//", b" ", b"\r\n", b"##", b"CP=&&", b"{0"]),
)


def mutate(frame: bytes, edits: list[tuple[str, int, bytes]]) -> bytes:
    """``frame`` with the edits of :data:`mutation` applied in turn."""
    data = bytearray(frame)
    for kind, where, blob in edits:
        at = where % (len(data) + 1)
        if kind == "replace":
            data[at : at + len(blob)] = blob
        elif kind == "insert":
            data[at:at] = blob
        elif kind == "flip" and at < len(data):
            data[at] ^= blob[0] or 1
        else:
            del data[at : at + len(blob)]
    return bytes(data)
