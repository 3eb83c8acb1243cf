"""Copy the third-party web assets the UI needs from node_modules into the package.

Each entry names files of an npm package relative to its folder; ``*`` patterns are allowed. Files
keep their path inside the package (``vendor/<package>/<path>``), so that a stylesheet finds the
fonts it refers to.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

#: package → files (relative to the package folder) the web UI loads.
ASSETS: dict[str, list[str]] = {
    # ECharts itself is bundled from its modules by esbuild (scripts/echarts-entry.js).
    "echarts": ["LICENSE"],
    # Noto Sans SC (SIL OFL 1.1), regular weight split by Unicode range, for screens without a
    # Chinese system font; only WOFF2 is copied, which every supported browser takes before the
    # WOFF fallback the stylesheet also names.
    "@fontsource/noto-sans-sc": ["400.css", "files/noto-sans-sc-*-400-normal.woff2", "LICENSE"],
}


def main(node_modules: Path, vendor: Path) -> None:
    vendor.mkdir(parents=True, exist_ok=True)
    for package, files in ASSETS.items():
        folder = node_modules / package
        for name in files:
            sources = sorted(folder.glob(name)) if "*" in name else [folder / name]
            if not sources or not all(s.exists() for s in sources):
                sys.exit(f"{folder / name} is missing: run `npm ci` first")
            for source in sources:
                target = vendor / package / source.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
