"""Reading the packet files of ``../shared/data/hj212`` (one packet per line, a tab, a note)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    number: int  # 1-based position among the packets of the file
    frame: bytes  # as it would arrive: the packet plus CR LF
    note: str  # the source or description given in the file


def read_samples(path: Path) -> list[Sample]:
    samples = []
    for line in path.read_text("utf-8").splitlines():
        if not line.startswith("##"):
            continue
        packet, _, note = line.partition("\t")
        samples.append(Sample(len(samples) + 1, packet.encode("utf-8") + b"\r\n", note))
    return samples
