"""Tokens of the SensorThings ``$filter`` / ``$orderby`` expression language (OData 4.0 Part 2
§5.1.1).

The lexer works on the *decoded* option value (``+`` already turned into a space). One lenient rule
for real clients: a time-zone offset whose ``+`` was sent unencoded arrives as a space
(``2024-01-01T00:00:00 08:00``) and is read as ``+08:00`` — nothing else can follow a date-time
there.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation

from ecodata.protocols.odata_ast import ODataError
from ecodata.protocols.odata_geometry import Geometry, WktError, parse_wkt


class Kind(enum.StrEnum):
    NAME = "name"
    STRING = "string"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    DATE = "date"
    TIME = "time"
    DURATION = "duration"
    INTERVAL = "interval"
    GEOGRAPHY = "geography"
    LPAREN = "("
    RPAREN = ")"
    COMMA = ","
    SLASH = "/"
    COLON = ":"
    MINUS = "-"
    EOF = "end of text"


Value = (
    str | int | Decimal | datetime | date | time | timedelta | tuple[datetime, datetime] | Geometry
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str
    pos: int
    value: Value | None = None

    def describe(self) -> str:
        return "end of text" if self.kind is Kind.EOF else f"'{self.text}'"


_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?"
    r"(?:(Z)|([+-])(\d{2}):?(\d{2})| (\d{2}):(\d{2})(?![\d:]))?",
    re.ASCII | re.IGNORECASE,
)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\dTt])", re.ASCII)
_TIME = re.compile(r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,12}))?)?(?![\d:])", re.ASCII)
_NUMBER = re.compile(r"\d+(\.\d+)?([eE][+-]?\d+)?", re.ASCII)
_DURATION = re.compile(
    r"(-)?P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?",
    re.ASCII | re.IGNORECASE,
)
_PUNCT = {
    "(": Kind.LPAREN,
    ")": Kind.RPAREN,
    ",": Kind.COMMA,
    "/": Kind.SLASH,
    ":": Kind.COLON,
    "-": Kind.MINUS,
}
_TYPED = ("duration", "geography", "geometry")
_DIGITS = frozenset("0123456789")


def is_name_start(char: str) -> bool:
    return char.isalpha() or char in "_@$"


def is_name_char(char: str) -> bool:
    return char.isalnum() or char in "_.@-$"


def parse_duration(text: str) -> timedelta:
    """ISO 8601 day-time duration (Edm.Duration); raises ``ValueError``."""
    match = _DURATION.fullmatch(text)
    if not match or not any(match.group(i) for i in range(2, 6)) or text.upper().endswith("T"):
        if re.fullmatch(r"-?P(\d+Y)?(\d+M)?.*", text, re.IGNORECASE) and re.search(
            r"^-?P[^T]*[YM]", text, re.IGNORECASE
        ):
            raise ValueError(
                f"duration '{text}': years and months have no fixed length; use days (P30D)"
            )
        raise ValueError(f"'{text}' is not an ISO 8601 duration such as P1D or PT1H30M")
    days, hours, minutes, seconds = (Decimal(match.group(i) or 0) for i in range(2, 6))
    total = days * 86400 + hours * 3600 + minutes * 60 + seconds
    value = timedelta(seconds=float(total))
    return -value if match.group(1) else value


def _fraction(digits: str | None) -> int:
    return int((digits or "0")[:6].ljust(6, "0"))


class Lexer:
    """Turns one option value into tokens. Offsets in errors are relative to ``text`` plus ``base``;
    ``full_text`` is the whole option value (for the caret in error messages)."""

    def __init__(self, text: str, *, option: str, base: int = 0, full_text: str | None = None):
        self.text = text
        self.option = option
        self.base = base
        self.full_text = text if full_text is None else full_text

    def error(self, reason: str, at: int, expected: str = "") -> ODataError:
        return ODataError(
            reason,
            option=self.option,
            text=self.full_text,
            offset=self.base + at,
            expected=expected,
        )

    def tokens(self) -> list[Token]:
        out: list[Token] = []
        text, i, n = self.text, 0, len(self.text)
        while True:
            while i < n and text[i] in " \t\r\n":
                i += 1
            if i >= n:
                out.append(Token(Kind.EOF, "", self.base + n))
                return out
            token, i = self._one(i)
            out.append(token)

    def _one(self, i: int) -> tuple[Token, int]:
        text = self.text
        char = text[i]
        pos = self.base + i
        if char == "'":
            value, end = self._string(i)
            return Token(Kind.STRING, text[i:end], pos, value), end
        if char in _DIGITS:
            return self._numeric(i)
        if char in _PUNCT:
            return Token(_PUNCT[char], char, pos), i + 1
        if is_name_start(char):
            end = i + 1
            while end < len(text) and is_name_char(text[end]):
                end += 1
            name = text[i:end]
            if name.lower() in _TYPED and text.startswith("'", end):
                return self._typed(name.lower(), i, end)
            return Token(Kind.NAME, name, pos, name), end
        raise self.error(f"unexpected character '{char}'", i)

    def _string(self, i: int) -> tuple[str, int]:
        """``'it''s'`` → ``it's`` (OData ABNF SQUOTE-in-string)."""
        text, j, parts = self.text, i + 1, []
        while True:
            k = text.find("'", j)
            if k < 0:
                raise self.error("unterminated string", i, "a closing quote (')")
            parts.append(text[j:k])
            if text.startswith("'", k + 1):
                parts.append("'")
                j = k + 2
                continue
            return "".join(parts), k + 1

    def _typed(self, kind: str, i: int, quote: int) -> tuple[Token, int]:
        body, end = self._string(quote)
        pos = self.base + i
        if kind == "duration":
            try:
                return Token(Kind.DURATION, self.text[i:end], pos, parse_duration(body)), end
            except ValueError as exc:
                raise self.error(str(exc), quote + 1) from None
        try:
            geometry = parse_wkt(body)
        except WktError as exc:
            raise self.error(f"bad WKT in {kind} literal: {exc}", quote + 1 + exc.offset) from None
        return Token(Kind.GEOGRAPHY, self.text[i:end], pos, geometry), end

    def _numeric(self, i: int) -> tuple[Token, int]:
        text, pos = self.text, self.base + i
        match = _DATETIME.match(text, i)
        if match:
            start = self._datetime(match, i)
            end = match.end()
            if text.startswith("/", end) and end + 1 < len(text):
                return self._interval(start, i, end + 1)
            return Token(Kind.DATETIME, text[i:end], pos, start), self._check_end(end)
        match = _DATE.match(text, i)
        if match:
            try:
                value: Value = date(*(int(g) for g in match.groups()))
            except ValueError as exc:
                raise self.error(f"invalid date '{match.group()}': {exc}", i) from None
            return Token(Kind.DATE, match.group(), pos, value), self._check_end(match.end())
        match = _TIME.match(text, i)
        if match:
            h, m, s, frac = match.groups()
            try:
                value = time(int(h), int(m), int(s or 0), _fraction(frac))
            except ValueError as exc:
                raise self.error(f"invalid time '{match.group()}': {exc}", i) from None
            return Token(Kind.TIME, match.group(), pos, value), self._check_end(match.end())
        match = _NUMBER.match(text, i)
        assert match is not None  # text[i] is a digit
        end = self._check_end(match.end())
        if match.group(1) is None and match.group(2) is None:
            return Token(Kind.INTEGER, match.group(), pos, int(match.group())), end
        try:
            number = Decimal(match.group())
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            raise self.error(f"invalid number '{match.group()}'", i) from None
        return Token(Kind.DECIMAL, match.group(), pos, number), end

    def _check_end(self, end: int) -> int:
        if end < len(self.text) and is_name_char(self.text[end]) and self.text[end] not in "-.":
            raise self.error(
                f"unexpected '{self.text[end]}' after a literal", end, "a space or an operator"
            )
        return end

    def _datetime(self, match: re.Match[str], i: int) -> datetime:
        year, month, day, hour, minute, second, frac = match.groups()[:7]
        zulu, sign, off_h, off_m, space_h, space_m = match.groups()[7:]
        if not (zulu or sign or space_h):
            raise self.error(
                f"date-time '{match.group()}' has no time zone",
                match.end(),
                "'Z' or an offset such as +08:00 (URL-encode '+' as %2B)",
            )
        if space_h:
            sign, off_h, off_m = "+", space_h, space_m
        offset = timedelta(0)
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            if offset >= timedelta(hours=24):
                raise self.error(f"invalid time-zone offset in '{match.group()}'", i)
            offset = -offset if sign == "-" else offset
        try:
            return datetime(
                int(year),
                int(month),
                int(day),
                int(hour),
                int(minute),
                int(second or 0),
                _fraction(frac),
                tzinfo=timezone(offset),
            )
        except ValueError as exc:
            raise self.error(f"invalid date-time '{match.group()}': {exc}", i) from None

    def _interval(self, start: datetime, i: int, j: int) -> tuple[Token, int]:
        """``start/end`` or ``start/duration`` (ISO 8601 §4.4.4)."""
        text = self.text
        match = _DATETIME.match(text, j)
        if match:
            end_time = self._datetime(match, j)
            end = match.end()
        else:
            k = j
            while k < len(text) and (text[k].isalnum() or text[k] in ".-"):
                k += 1
            try:
                end_time = start + parse_duration(text[j:k])
            except ValueError as exc:
                raise self.error(str(exc), j, "an end date-time or a duration") from None
            end = k
        if end_time < start:
            raise self.error("the interval ends before it starts", j)
        token = Token(Kind.INTERVAL, text[i:end], self.base + i, (start, end_time))
        return token, self._check_end(end)
