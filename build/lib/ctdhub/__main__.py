"""Allow `python -m ctdhub`."""

from ctdhub.cli import main

main()
