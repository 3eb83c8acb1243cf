"""The gateway's fast answer path gives the same bytes as the general frame builder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ecodata.protocols.hj212 import build_packet, parse_packet
from ecodata.protocols.hj212_build import assemble_frame
from ecodata.protocols.hj212_replies import _plain_answer

TEXT = st.text(alphabet="0123456789ABCDEFabcdef", min_size=1, max_size=24)


@given(
    mn=TEXT,
    pw=st.one_of(st.none(), TEXT),
    qn=st.one_of(st.none(), st.text(alphabet="0123456789", min_size=17, max_size=17)),
    version=st.sampled_from(["2005", "2017", "2025"]),
    ack=st.booleans(),
    cn=st.sampled_from(["9013", "9014"]),
)
def test_plain_answer_equals_assembled_frame(
    mn: str, pw: str | None, qn: str | None, version: str, ack: bool, cn: str
) -> None:
    packet = parse_packet(
        build_packet("2011", mn, pw=pw, qn=qn, version=version, ack=ack,
                     cp={"DataTime": "20240101000000", "a21026-Rtd": "1"})
    )  # fmt: skip
    header = [("QN", packet.qn)] if packet.qn is not None else []
    header += [("ST", "91"), ("CN", cn)]
    header += [("PW", packet.pw)] if packet.pw is not None else []
    header += [("MN", packet.mn)]
    header += [("Flag", str(packet.flag & 0xFC))] if packet.flag is not None else []
    assert _plain_answer(packet, cn) == assemble_frame(header, "", encoding=packet.encoding)
