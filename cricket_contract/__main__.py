"""`python -m cricket_contract columns`: print the column section of docs/contracts.md from the column map."""

from __future__ import annotations

import argparse
import sys

from cricket_contract.columns import markdown


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m cricket_contract", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("columns", help="the column lists and table, as docs/contracts.md shows them")
    return ap


def main(argv: list[str] | None = None) -> int:
    build_parser().parse_args(argv)
    print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
