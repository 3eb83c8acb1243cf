"""Copy the third-party web assets the UI needs from node_modules into the package."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

#: package → files (relative to the package folder) the web UI loads.
ASSETS: dict[str, list[str]] = {
    "echarts": ["dist/echarts.min.js", "LICENSE"],
}


def main(node_modules: Path, vendor: Path) -> None:
    vendor.mkdir(parents=True, exist_ok=True)
    for package, files in ASSETS.items():
        for name in files:
            source = node_modules / package / name
            if not source.exists():
                sys.exit(f"{source} is missing: run `npm ci` first")
            target = vendor / package / Path(name).name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
