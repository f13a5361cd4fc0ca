"""Split a uv-compiled, hashed requirements lock into the base image's part and the scraper's part."""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Project dependencies that, of the two image parts, only the crawler imports (aiohttp is otherwise
# the replica's server, which no image runs; the transformer reads S3 with pyarrow's own filesystem
# and boto3, not s3fs). Everything that only they pull in (Twisted, Playwright and its driver,
# aiobotocore, ...) goes into the scraper image, so the transformer image, which is the base plus
# an entrypoint, stays small. Anything shared with the rest of the project stays in the base (orjson: the
# transformer parses Cricsheet's match JSON with it too, transform/cricsheet.py).
SCRAPER_ROOTS = frozenset({"scrapy", "scrapy-playwright", "itemadapter", "lxml", "s3fs", "aiohttp"})
PROJECT_MARK = "(pyproject.toml)"
REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Entry:
    name: str
    lines: list[str] = field(default_factory=list)
    parents: set[str] = field(default_factory=set)
    root: bool = False


def parse(text: str) -> dict[str, Entry]:
    """Requirement blocks (`name==version \\` plus `--hash` lines) with their `# via` parents."""
    entries: dict[str, Entry] = {}
    current: Entry | None = None
    in_via = False
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if not line[0].isspace() and not stripped.startswith("#"):
            m = REQ.match(stripped)
            if not m:
                raise ValueError(f"line {lineno}: not a pinned requirement: {stripped!r}")
            current = Entry(canonical(m.group(1)), [line])
            if current.name in entries:
                raise ValueError(f"line {lineno}: {current.name} pinned twice")
            entries[current.name] = current
            in_via = False
        elif current is None:
            continue  # header comments before the first requirement
        elif stripped.startswith("--hash"):
            current.lines.append(line)
        elif stripped.startswith("# via"):
            in_via = True
            rest = stripped[len("# via") :].strip()
            if rest:
                _add_parent(current, rest)
        elif stripped.startswith("#") and in_via:
            _add_parent(current, stripped.lstrip("#").strip())
    if not entries:
        raise ValueError("no requirements found")
    return entries


def _add_parent(entry: Entry, via: str) -> None:
    if via.startswith(("-c ", "-r ")):
        return  # a constraints/requirements file, not a package
    if via.endswith(PROJECT_MARK):
        entry.root = True
    else:
        entry.parents.add(canonical(via))


def scraper_only(entries: dict[str, Entry]) -> set[str]:
    """SCRAPER_ROOTS plus every package needed only by scraper-only packages (a fixed point)."""
    missing = SCRAPER_ROOTS - entries.keys()
    if missing:
        raise ValueError(f"lock lacks the crawler's dependencies: {sorted(missing)}")
    only = set(SCRAPER_ROOTS)
    changed = True
    while changed:
        changed = False
        for name, entry in entries.items():
            if name in only or entry.root or not entry.parents:
                continue
            if entry.parents <= only:
                only.add(name)
                changed = True
    return only


def split(text: str, part: str) -> str:
    entries = parse(text)
    only = scraper_only(entries)
    keep = [e for n, e in entries.items() if (n in only) == (part == "scraper")]
    return "".join("\n".join(e.lines) + "\n" for e in keep)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("lock", type=Path, help="a lock written by `uv pip compile --generate-hashes`")
    ap.add_argument("--part", choices=["base", "scraper"], required=True)
    args = ap.parse_args(argv)
    try:
        sys.stdout.write(split(args.lock.read_text(encoding="utf-8"), args.part))
    except (OSError, ValueError) as exc:
        print(f"lock_split: {args.lock}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
