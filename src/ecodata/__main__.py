"""`python -m ecodata` runs the `ecodata` command."""

from ecodata.cli import main

main()
