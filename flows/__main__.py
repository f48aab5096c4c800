"""``python -m flows``: the inventur command line."""

from flows.cli.main import main

main()
