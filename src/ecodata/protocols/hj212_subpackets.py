"""Reassembly of split packets (HJ 212-2017 Table 3 PNUM/PNO, Appendix C.49/C.50).

A data area too long for one packet is sent as PNUM packets numbered PNO = 1..PNUM, each with its
own QN, the same DataTime and complete items. Parts are grouped by (MN, CN, DataTime, PNUM),
accepted in any order, and a part received twice (a device resending after a lost 9014) is
ignored. A group that does not complete within ``timeout`` seconds, or that is pushed out when more
than ``max_groups`` are open, is handed back by :meth:`SubpacketAssembler.expire` with its parts:
each part holds complete items with their DataTime, so its readings can still be stored.
Time is passed in (``now``, e.g. ``time.monotonic()``): the assembler reads no clock.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from ecodata.protocols.hj212_errors import SubpacketError
from ecodata.protocols.hj212_packet import Packet

__all__ = ["IncompleteGroup", "SubpacketAssembler"]

GroupKey = tuple[str, str, str, int]


@dataclass(frozen=True, slots=True)
class IncompleteGroup:
    """Parts of a split packet that never completed."""

    key: GroupKey  # (MN, CN, DataTime, PNUM)
    parts: tuple[Packet, ...]  # in PNO order
    reason: str  # "timeout" or "evicted"


@dataclass(slots=True)
class _Group:
    started: float
    pnum: int
    parts: dict[int, Packet]


class SubpacketAssembler:
    """Collects sub-packets and returns the whole packet once every PNO has arrived."""

    def __init__(self, *, timeout: float = 600.0, max_groups: int = 1000) -> None:
        self.timeout = timeout
        self.max_groups = max_groups
        self._groups: OrderedDict[GroupKey, _Group] = OrderedDict()
        self._evicted: list[IncompleteGroup] = []
        #: sub-packets ignored because their PNO had already arrived
        self.duplicates = 0

    def __len__(self) -> int:
        return len(self._groups)

    def add(self, packet: Packet, now: float) -> Packet | None:
        """Add a packet. A packet that is not split is returned unchanged; a sub-packet returns
        None until its group is complete, then the merged packet."""
        if not packet.split or packet.pnum is None or packet.pno is None:
            return packet
        pnum, pno = packet.pnum, packet.pno
        if not 1 <= pno <= pnum:
            raise SubpacketError(
                f"PNO={pno} is outside 1..PNUM={pnum} (MN {packet.mn}, CN {packet.cn})",
                field="PNO",
                raw=packet.raw,
            )
        key: GroupKey = (packet.mn, packet.cn, packet.get("DataTime") or "", pnum)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(started=now, pnum=pnum, parts={})
            while len(self._groups) > self.max_groups:
                old_key, old = self._groups.popitem(last=False)
                self._evicted.append(_incomplete(old_key, old, "evicted"))
        if pno in group.parts:
            self.duplicates += 1
            return None
        group.parts[pno] = packet
        if len(group.parts) < pnum:
            return None
        del self._groups[key]
        return _merge([group.parts[number] for number in range(1, pnum + 1)])

    def expire(self, now: float) -> list[IncompleteGroup]:
        """Groups open longer than ``timeout`` (and those evicted since the last call)."""
        out, self._evicted = self._evicted, []
        stale = [key for key, group in self._groups.items() if now - group.started >= self.timeout]
        for key in stale:
            out.append(_incomplete(key, self._groups.pop(key), "timeout"))
        return out


def _incomplete(key: GroupKey, group: _Group, reason: str) -> IncompleteGroup:
    return IncompleteGroup(key, tuple(group.parts[n] for n in sorted(group.parts)), reason)


def _merge(parts: list[Packet]) -> Packet:
    """One packet with the header of part 1 and the data areas of all parts, in PNO order; the
    leading uncoded fields (``DataTime`` …) repeated by every part are kept once."""
    first = parts[0]
    merged: list[str] = list(first.fields)
    for part in parts[1:]:
        flat = part.fields
        start = 0
        while start < len(flat) - 1 and "-" not in flat[start] and flat[start] in merged[0::2]:
            start += 2
        merged.extend(flat[start:])
    return first._replace(
        fields=tuple(merged),
        pno=None,
        raw=b"".join(part.raw for part in parts),
        violations=tuple(dict.fromkeys(v for part in parts for v in part.violations)),
    )
