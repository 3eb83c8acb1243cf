"""HJ 212 sans-I/O codec (HJ/T 212-2005, HJ 212-2017, HJ 212-2025): the public surface.

Bytes in, objects out, no sockets and no clock — the TCP gateway, the CLI and the tests all drive
the same code::

    decoder = StreamDecoder(crc_dialects={"standard"})
    for event in decoder.feed(chunk):             # Packet or Hj212Error
        if isinstance(event, Packet):
            answer = reply_for(event)             # 9014 / 9013 bytes, or None
            readings = records(event)             # list[Reading]

Modules: ``hj212_frame`` (bytes → :class:`Packet`), ``hj212_packet`` (the model and the data
segment grammar), ``hj212_build`` (→ bytes), ``hj212_crc``, ``hj212_codes`` (code tables),
``hj212_replies``, ``hj212_records`` (meaning of data), ``hj212_subpackets``, ``hj212_sm4``
(2025 encryption), ``hj212_simulator``, ``hj212_decode`` (the JSON of ``ecodata hj212 decode``).
This module adds the stream framer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from ecodata.protocols.hj212_build import build_packet, build_split_packets, format_data_area
from ecodata.protocols.hj212_codes import COMMANDS, DATA_FLAGS, EXE_RTN, QN_RTN, SYSTEM_CODES
from ecodata.protocols.hj212_crc import CrcDialect, crc16, crc16_bitwise, crc16_modbus
from ecodata.protocols.hj212_errors import (
    CrcError,
    DecryptionError,
    EncodingError,
    FieldSyntaxError,
    FramingError,
    Hj212Error,
    LengthError,
    MissingFieldError,
    SubpacketError,
    TruncatedError,
    UnsupportedVersionError,
)
from ecodata.protocols.hj212_frame import accelerator, parse_packet
from ecodata.protocols.hj212_packet import ALL_DIALECTS, STANDARD_ONLY, VIOLATIONS, Packet, Version
from ecodata.protocols.hj212_records import Reading, records
from ecodata.protocols.hj212_replies import (
    data_reply,
    execution_reply,
    heartbeat,
    notification_reply,
    reply_for,
    request_reply,
)
from ecodata.protocols.hj212_simulator import simulated_packet
from ecodata.protocols.hj212_subpackets import IncompleteGroup, SubpacketAssembler

__all__ = [
    "ALL_DIALECTS",
    "COMMANDS",
    "DATA_FLAGS",
    "EXE_RTN",
    "QN_RTN",
    "STANDARD_ONLY",
    "SYSTEM_CODES",
    "VIOLATIONS",
    "CrcDialect",
    "CrcError",
    "DecryptionError",
    "EncodingError",
    "FieldSyntaxError",
    "FramingError",
    "Hj212Error",
    "IncompleteGroup",
    "LengthError",
    "MissingFieldError",
    "Packet",
    "Reading",
    "StreamDecoder",
    "SubpacketAssembler",
    "SubpacketError",
    "TruncatedError",
    "UnsupportedVersionError",
    "Version",
    "build_packet",
    "build_split_packets",
    "crc16",
    "crc16_bitwise",
    "crc16_modbus",
    "data_reply",
    "execution_reply",
    "format_data_area",
    "heartbeat",
    "notification_reply",
    "parse_packet",
    "records",
    "reply_for",
    "request_reply",
    "simulated_packet",
]

#: Largest frame the 4-digit length allows: ## + 4 + 9999 + CRC 4 + CR LF.
MAX_FRAME: Final = 2 + 4 + 9999 + 4 + 2
#: Bytes between packets that are not worth an error: line ends, spaces and the '**' one vendor
#: appends to reverse-control packets.
_QUIET_JUNK: Final = b" \t\r\n*"


class StreamDecoder:
    """Frames HJ 212 packets out of a byte stream (one TCP connection, or a capture file).

    :meth:`feed` takes whatever the transport delivered and returns the events it completes: each
    a :class:`Packet` or an :class:`Hj212Error` (framing, CRC … with its stream offset). Framing
    follows ``##`` + length, never read boundaries or CR LF alone: a packet is decoded as soon as
    its CRC has arrived, packets split across reads or several per read come out the same, and
    after a bad frame the search resumes at the next ``##``. A frame whose length field is wrong
    but which ends with CR LF before the next ``##`` is still decoded when its CRC checks (devices
    that count characters, 2025 encrypted frames). Bytes outside packets are not kept; each run
    of them is reported as one :class:`FramingError` when the next packet starts (line ends,
    spaces and ``**`` are not reported). :meth:`close` decodes or reports what is left, e.g. a
    packet cut off by the end of the stream. Use one decoder per connection, so that no half
    packet leaks into another.
    """

    def __init__(
        self,
        *,
        crc_dialects: Iterable[str] = STANDARD_ONLY,
        sm4_key: bytes | None = None,
        encoding: str | None = None,
        source: str = "",
    ) -> None:
        self._dialects = frozenset(crc_dialects)
        self._key = sm4_key
        self._encoding = encoding
        self._source = source
        self._buffer = b""  # bytes, not bytearray: slices of bytes need no second copy
        self._base = 0  # stream offset of _buffer[0]
        self._quiet_until = 0  # stream offset up to which the bytes of a reported frame lie
        # the run of junk being skipped: stream offset, end offset, first bytes (for the report)
        self._junk_run: tuple[int, int, bytes] | None = None
        # the C fast lane for reads of one whole packet, where parse_packet would use it
        self._whole = accelerator if sm4_key is None and encoding is None else None

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the rest of a packet."""
        return len(self._buffer)

    @property
    def position(self) -> int:
        """Stream offset up to which everything has been decoded or reported."""
        return self._base

    def _parse(self, frame: bytes, offset: int) -> Packet:
        return parse_packet(
            frame,
            crc_dialects=self._dialects,
            sm4_key=self._key,
            encoding=self._encoding,
            offset=offset,
            source=self._source,
        )

    def _junk(self, start: int, stop: int) -> None:
        """Bytes ``start:stop`` of the buffer belong to no packet: add them to the current run of
        junk, which is reported as one error when the next '##' or the end of the stream comes
        (so the report does not depend on how the bytes were cut into reads)."""
        start = max(start, self._quiet_until - self._base)
        if stop <= start:
            return
        junk = self._buffer[start:stop]
        run = self._junk_run
        if run is None:
            stripped = junk.lstrip(_QUIET_JUNK)
            if not stripped:
                return
            first = self._base + stop - len(stripped)
            self._junk_run = (first, self._base + stop, stripped[:40])
        else:
            first, _, preview = run
            self._junk_run = (first, self._base + stop, (preview + junk)[:40])

    def _flush_junk(self, events: list[Packet | Hj212Error]) -> None:
        if self._junk_run is not None:
            first, stop, preview = self._junk_run
            events.append(
                FramingError(
                    f"{stop - first} bytes outside any packet skipped (a packet starts with "
                    "'##' and a 4-digit length)",
                    offset=first,
                    source=self._source,
                    raw=preview,
                )
            )
            self._junk_run = None

    @property
    def between_packets(self) -> bool:
        """Whether the decoder holds nothing (no partial packet, no skipped bytes) and decodes
        common frames in C: then whole frames may be decoded elsewhere and :meth:`advance` told."""
        return self._whole is not None and not self._buffer and self._junk_run is None

    def advance(self, size: int) -> None:
        """Count ``size`` bytes of whole packets decoded elsewhere, so that offsets stay right."""
        self._base += size

    def feed(self, data: bytes) -> list[Packet | Hj212Error]:
        """Add bytes; return the packets and errors they complete, in stream order."""
        if (
            self._whole is not None
            and not self._buffer
            and self._junk_run is None
            and type(data) is bytes
        ):
            # The common read, exactly one packet that the C fast lane decodes: the same packet
            # as below, without the search for frames.
            packet = self._whole(data)
            if packet is not None:
                self._base += len(data)
                return [packet]
        self._buffer = self._buffer + data if self._buffer else bytes(data)
        return self._drain(final=False)

    def close(self) -> list[Packet | Hj212Error]:
        """End of stream: decode or report what is left (a truncated packet, junk) and reset."""
        events = self._drain(final=True)
        self._base += len(self._buffer)
        self._buffer = b""
        return events

    def _truncated(self, start: int) -> TruncatedError:
        rest = self._buffer[start:]
        declared = rest[2:6]
        expected = (
            f"; its header declares {6 + int(declared) + 4} bytes up to the CRC"
            if len(declared) == 4 and declared.isdigit()
            else ""
        )
        return TruncatedError(
            f"the stream ended {len(rest)} bytes into a packet{expected}",
            offset=self._base + start,
            source=self._source,
            raw=rest,
        )

    def _drain(self, *, final: bool) -> list[Packet | Hj212Error]:
        buffer = self._buffer
        events: list[Packet | Hj212Error] = []
        position = 0
        while True:
            start = buffer.find(b"##", position)
            if start < 0:
                keep = 1 if buffer[-1:] == b"#" and not final else 0
                self._junk(position, len(buffer) - keep)
                position = len(buffer) - keep
                if final:
                    self._flush_junk(events)
                break
            if start > position:
                self._junk(position, start)
            position = start
            if len(buffer) - start < 6:
                if final:
                    self._flush_junk(events)
                    events.append(self._truncated(start))
                    position = len(buffer)
                    self._quiet(position)
                break
            if not buffer[start + 2 : start + 6].isdigit():
                self._junk(start, start + 1)  # '##' without a length: not a packet
                position = start + 1
                continue
            if self._junk_run is not None:
                self._flush_junk(events)
            end = start + 6 + int(buffer[start + 2 : start + 6]) + 4
            if end > len(buffer):
                # Wait for the rest, unless the next packet has visibly begun: then this frame's
                # length is wrong; decode it up to its CR LF if it checks, or report it and
                # look for packets after its '##'.
                next_start = buffer.find(b"\r\n##", start + 6)
                if next_start >= 0:
                    event = self._decode_line(start, next_start + 2)
                    events.append(event)
                    position = next_start + 2 if isinstance(event, Packet) else start + 2
                    self._quiet(next_start + 2)
                    continue
                if final:
                    events.append(self._truncated(start))
                    position = start + 2
                    self._quiet(len(buffer))
                    continue
                break
            if buffer[end : end + 2] == b"\r\n":
                end += 2
            elif buffer[end : end + 1] == b"\n":
                end += 1
            try:
                events.append(
                    parse_packet(
                        buffer[start:end],
                        crc_dialects=self._dialects,
                        sm4_key=self._key,
                        encoding=self._encoding,
                        offset=self._base + start,
                        source=self._source,
                    )
                )
                position = end
                continue
            except Hj212Error as exc:
                error = exc
            line_end = buffer.find(b"\r\n", start + 6)
            if (
                line_end >= 0
                and line_end + 2 != end
                and buffer.find(b"##", start + 2, line_end) < 0
            ):
                # a wrong length field (characters counted, 2025 plaintext length): try the line
                event = self._decode_line(start, line_end + 2)
                if isinstance(event, Packet):
                    events.append(event)
                    position = line_end + 2
                    continue
                if isinstance(event, LengthError):
                    error = event
                    end = max(end, line_end + 2)
            elif (
                not final
                and line_end < 0
                and buffer[end - 1 : end] != b"\n"
                and len(buffer) - start < MAX_FRAME
                and buffer.find(b"##", start + 2) < 0
            ):
                break  # perhaps a frame whose CR LF has not arrived yet: wait for it
            events.append(error)
            position = start + 2
            self._quiet(end)
        self._buffer = buffer[position:] if position else buffer
        self._base += position
        return events

    def _quiet(self, stop: int) -> None:
        """Bytes up to ``stop`` (a buffer index) belong to a frame already reported: when the
        search for the next '##' passes over them they are not reported again as junk."""
        self._quiet_until = max(self._quiet_until, self._base + stop)

    def _decode_line(self, start: int, stop: int) -> Packet | Hj212Error:
        frame = self._buffer[start:stop]
        try:
            return self._parse(frame, self._base + start)
        except Hj212Error as exc:
            return exc
