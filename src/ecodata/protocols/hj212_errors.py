"""Typed errors of the HJ 212 codec.

Every error says what is wrong, what was expected and where: ``offset`` is the byte offset in
the frame (or in the stream, when the frame's own offset was given), ``field`` the packet field
concerned.
Only these errors leave the codec, whatever bytes it is given.
"""

from __future__ import annotations

from ecodata.errors import InputError

__all__ = [
    "CrcError",
    "DecryptionError",
    "EncodingError",
    "FieldSyntaxError",
    "FramingError",
    "Hj212Error",
    "LengthError",
    "MissingFieldError",
    "SubpacketError",
    "TruncatedError",
    "UnsupportedVersionError",
]

_RAW_PREVIEW = 120


def preview(raw: bytes) -> str:
    """A printable excerpt of a frame for messages and logs."""
    text = raw[:_RAW_PREVIEW].decode("utf-8", "backslashreplace")
    return text + ("…" if len(raw) > _RAW_PREVIEW else "")


class Hj212Error(InputError):
    """An HJ 212 frame (or part of a stream) that cannot be used as it is."""

    def __init__(
        self,
        reason: str,
        *,
        offset: int | None = None,
        field: str | None = None,
        source: str = "",
        raw: bytes = b"",
    ) -> None:
        parts = []
        if offset is not None:
            parts.append(f"byte {offset}")
        if field:
            parts.append(field)
        super().__init__(reason, source=source, position=" ".join(parts), raw=preview(raw))
        self.offset = offset
        self.field = field
        self.frame = raw

    @property
    def kind(self) -> str:
        """Short stable name of the error class, e.g. ``"crc"`` (for logs, JSON and metrics)."""
        return _KINDS.get(type(self), "hj212")


class FramingError(Hj212Error):
    """No valid frame here: no ``##``, a length that is not four digits, junk between packets."""


class TruncatedError(FramingError):
    """The frame (or the stream) ends before the length the header declares."""


class LengthError(Hj212Error):
    """The declared data-segment length does not match the data segment."""


class CrcError(Hj212Error):
    """The CRC the packet carries does not match its data segment in any accepted dialect."""

    def __init__(
        self,
        reason: str,
        *,
        carried: str,
        expected: str,
        matches_dialect: str | None = None,
        offset: int | None = None,
        source: str = "",
        raw: bytes = b"",
    ) -> None:
        super().__init__(reason, offset=offset, field="CRC", source=source, raw=raw)
        self.carried = carried
        self.expected = expected
        #: a known dialect the carried CRC does match (not enabled for this device), if any
        self.matches_dialect = matches_dialect


class EncodingError(Hj212Error):
    """The data segment is not text in the expected encoding (UTF-8, or GBK where configured)."""


class FieldSyntaxError(Hj212Error):
    """A field is malformed: no ``=``, a non-numeric CN or Flag, an impossible DataTime …"""


class MissingFieldError(Hj212Error):
    """A field the packet must carry is absent (CN, MN, PNUM/PNO when Flag says so, DataTime …)."""


class UnsupportedVersionError(Hj212Error):
    """The Flag's version bits name no version this codec knows."""


class DecryptionError(Hj212Error):
    """The SM4-encrypted data area (HJ 212-2025) cannot be decrypted with the configured key."""


class SubpacketError(Hj212Error):
    """PNUM/PNO are inconsistent (PNO outside 1..PNUM, PNUM changing within one group)."""


_KINDS: dict[type[Hj212Error], str] = {
    Hj212Error: "hj212",
    FramingError: "framing",
    TruncatedError: "truncated",
    LengthError: "length",
    CrcError: "crc",
    EncodingError: "encoding",
    FieldSyntaxError: "field-syntax",
    MissingFieldError: "missing-field",
    UnsupportedVersionError: "unsupported-version",
    DecryptionError: "decryption",
    SubpacketError: "subpacket",
}
