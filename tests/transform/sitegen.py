"""Test helper: raw runs of results lists as the crawler writes them, without HTTP: the replica renders each page,
the crawler's own parser reads it (crawler/pages/statsguru.py), lineage is added as the crawler's pipeline does."""

from __future__ import annotations

from pathlib import Path

from scrapy.http import HtmlResponse

from crawler.pages.statsguru import parse_results
from cricket_contract.vocabulary import FORMAT_CLASSES, TYPES
from replica.pages import DEFAULT_QUERY, ListQuery, Site
from tests.transform.rawgen import write_run

BASE = "http://replica.test"
SIZE = 200


def list_rows(site: Site, cls: int, typ: str, view: str, query: ListQuery = DEFAULT_QUERY) -> list[dict]:
    """Every row of one results list, page after page, parsed from the page's HTML."""
    rows, page, pages = [], 1, 1
    while page <= pages:
        url = f"{BASE}/ci/engine/stats/index.html?class={cls};template=results;type={typ}"
        url += (";view=innings" if view == "innings" else "") + query.params() + f";page={page};size={SIZE}"
        body = site.results_page(cls, typ, view, page, SIZE, query).encode()
        parsed = parse_results(HtmlResponse(url=url, body=body, encoding="utf-8"))
        rows += parsed.rows
        pages = max(parsed.pages, 1)
        page += 1
    return rows


def list_run(
    site: Site,
    raw: Path,
    run_id: str,
    scraped_at: str,
    view: str,
    query: ListQuery = DEFAULT_QUERY,
    classes: tuple[int, ...] = FORMAT_CLASSES,
    types: tuple[str, ...] = TYPES,
) -> Path:
    """A finished `statsguru` raw run of the lists of `classes` × `types` in `view`, all rows stamped `scraped_at`."""
    items = []
    for cls in classes:
        for typ in types:
            for row in list_rows(site, cls, typ, view, query):
                items.append(row | {"scraped_at": scraped_at, "run_id": run_id, "spider": "statsguru"})
    args = {"classes": ",".join(map(str, classes)), "types": ",".join(types), "view": view}
    return write_run(raw, "statsguru", run_id, items, arguments=args)
