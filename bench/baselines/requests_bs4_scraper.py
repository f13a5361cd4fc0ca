"""Baseline for the crawl benchmark: a sequential requests + BeautifulSoup scraper of Statsguru results lists.

This is how most peer tools read Statsguru: one page at a time, `find_all("tr")`, cells by position.
It is kept only as a yardstick for bench/crawl_bench.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterator

import requests
from bs4 import BeautifulSoup

PAGE_OF = re.compile(r"Page\s+\d+\s+of\s+(\d+)")


def list_url(base: str, klass: int, type_: str, view: str, page: int, size: int) -> str:
    v = ";view=innings" if view == "innings" else ""
    return f"{base}/ci/engine/stats/index.html?class={klass};template=results;type={type_}{v};page={page};size={size}"


def parse(html: str) -> tuple[int, list[dict[str, str]]]:
    soup = BeautifulSoup(html, "html.parser")
    m = PAGE_OF.search(soup.get_text(" "))
    pages = int(m.group(1)) if m else 1
    rows: list[dict[str, str]] = []
    for table in soup.find_all("table", class_="engineTable"):
        head = table.find("tr", class_="headlinks")
        if head is None:
            continue
        headers = [th.get_text(strip=True) for th in head.find_all("th")]
        if "Player" not in headers:
            continue
        for tr in table.find_all("tr", class_="data1"):
            cells = [td.get_text(strip=True) for td in tr.find_all("td")]
            if len(cells) == len(headers):
                rows.append(dict(zip(headers, cells, strict=True)))
    return pages, rows


def scrape(
    base: str, lists: list[tuple[int, str, str]], size: int, max_pages: int | None
) -> Iterator[tuple[tuple[int, str, str, int], list[dict]]]:
    """Yield (page key, rows) list by list, page by page, until `max_pages` pages were fetched."""
    session = requests.Session()
    fetched = 0
    for klass, type_, view in lists:
        page, pages = 1, 1
        while page <= pages:
            if max_pages is not None and fetched >= max_pages:
                return
            resp = session.get(list_url(base, klass, type_, view, page, size), timeout=30)
            resp.raise_for_status()
            fetched += 1
            pages, rows = parse(resp.text)
            yield (klass, type_, view, page), rows
            page += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--classes", default="1,2,3")
    ap.add_argument("--types", default="batting")
    ap.add_argument("--views", default="career,innings")
    ap.add_argument("--size", type=int, default=200)
    ap.add_argument("--max-pages", type=int, default=None)
    args = ap.parse_args(argv)
    lists = [
        (int(c), t, v)
        for c in args.classes.split(",")
        for t in args.types.split(",")
        for v in args.views.split(",")
    ]
    t0 = time.perf_counter()
    rows = pages = 0
    for _key, page_rows in scrape(args.base_url.rstrip("/"), lists, args.size, args.max_pages):
        pages += 1
        rows += len(page_rows)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"pages": pages, "rows": rows, "seconds": elapsed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
