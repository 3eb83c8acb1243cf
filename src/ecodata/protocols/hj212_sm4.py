"""SM4 encryption of the data area (HJ 212-2025 §6.4 and Appendix A.2).

Implemented as third-party readings of the 2025 text describe it; **unverified against the
official text**:

* SM4 (GB/T 32907-2016) in ECB mode without padding, 16-byte key;
* the data area (between ``CP=&&`` and the closing ``&&``) is cut into 16-byte groups that are
  encrypted; the trailing group shorter than 16 bytes stays plaintext;
* the encrypted bytes are written as text ``{0xE4,0x3E,…}`` followed by the plaintext tail;
* the CRC is computed over the *plaintext* data segment.

The cipher itself comes from ``cryptography`` (OpenSSL); nothing here implements SM4.
"""

from __future__ import annotations

import re
from typing import Final

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ecodata.protocols.hj212_errors import DecryptionError

__all__ = ["decrypt_data_area", "encrypt_data_area", "is_encrypted", "sm4_ecb"]

BLOCK: Final = 16
_BYTE_TOKEN = re.compile(rb"0[xX]([0-9A-Fa-f]{2})")


def _check_key(key: bytes) -> None:
    if len(key) != BLOCK:
        raise DecryptionError(
            f"an SM4 key has 16 bytes, the configured key has {len(key)}", field="sm4_key"
        )


def sm4_ecb(key: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    """SM4-ECB without padding over whole 16-byte blocks."""
    _check_key(key)
    cipher = Cipher(algorithms.SM4(key), modes.ECB())
    worker = cipher.decryptor() if decrypt else cipher.encryptor()
    return worker.update(data) + worker.finalize()


def is_encrypted(data_area: bytes) -> bool:
    """Whether a data area (the bytes between ``CP=&&`` and ``&&``) is in the encrypted form."""
    return data_area[:3] in (b"{0x", b"{0X")


def encrypt_data_area(plain: bytes, key: bytes) -> bytes:
    """The transmitted form of a plaintext data area: ``{0x..,…}`` + plaintext tail."""
    whole = len(plain) - len(plain) % BLOCK
    if whole == 0:
        return plain
    sealed = sm4_ecb(key, plain[:whole])
    rendered = b",".join(b"0x%02X" % byte for byte in sealed)
    return b"{" + rendered + b"}" + plain[whole:]


def decrypt_data_area(wire: bytes, key: bytes, *, offset: int = 0) -> bytes:
    """The plaintext of a transmitted data area; ``offset`` locates ``wire`` in the frame."""
    close = wire.find(b"}")
    if close < 0:
        raise DecryptionError(
            "the encrypted data area opens with '{' but has no closing '}'",
            offset=offset,
            field="CP",
        )
    tokens = wire[1:close].split(b",")
    sealed = bytearray()
    for position, token in enumerate(tokens):
        match = _BYTE_TOKEN.fullmatch(token.strip())
        if match is None:
            raise DecryptionError(
                f"encrypted byte {position + 1} is {token[:12]!r}; expected the form 0xHH",
                offset=offset,
                field="CP",
            )
        sealed.append(int(match.group(1), 16))
    if len(sealed) % BLOCK:
        raise DecryptionError(
            f"the encrypted part holds {len(sealed)} bytes; SM4 blocks need a multiple of 16",
            offset=offset,
            field="CP",
        )
    return sm4_ecb(key, bytes(sealed), decrypt=True) + wire[close + 1 :]
