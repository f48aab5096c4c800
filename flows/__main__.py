"""``python -m flows``: the inventur command line."""

from flows.cli import main

main()
