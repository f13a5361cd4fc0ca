"""Statsguru results lists (career and innings views) → raw rows keyed by the page's own header text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lxml.html import HtmlElement

from crawler.pages.headers import HeaderReport, results_policy
from crawler.pages.tables import (
    NO_RECORDS,
    NO_RECORDS_B,
    LayoutDrift,
    cell_text,
    data_rows,
    header_row,
    header_texts,
    link_columns,
    link_id,
    match_link,
    plain_root,
    query,
    require_complete,
)
from cricket_contract.vocabulary import CAREER, INNINGS, TYPES, VIEWS

PAGE_OF = re.compile(rb"Page\s+(\d+)\s+of\s+(\d+)")


def results_url(base_url: str, klass: int, type_: str, view: str, page: int, size: int) -> str:
    """A results-list URL in the site's own `;`-separated form."""
    url = f"{base_url.rstrip('/')}/ci/engine/stats/index.html?class={klass};template=results;type={type_}"
    if view == "innings":
        url += ";view=innings"
    return f"{url};page={page};size={size}"


@dataclass
class ResultsPage:
    """One parsed results page: its position in the list, its raw rows (lineage added later) and what its
    header row showed beside the required columns (absent optional columns, unknown headers)."""

    klass: int
    type: str
    view: str
    page: int
    pages: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    headers: HeaderReport | None = None


def list_params(url: str) -> tuple[int, str, str, int, int]:
    """(class, type, view, page, size) from a results-list URL; ValueError for one that is not."""
    q = query(url)
    try:
        klass = int(q["class"])
        type_ = q["type"]
    except (KeyError, ValueError) as exc:
        raise ValueError(f"not a Statsguru results URL (class/type missing): {url}") from exc
    view = q.get("view") or "career"
    if type_ not in TYPES or view not in VIEWS:
        raise ValueError(f"unsupported type/view in {url}")
    return klass, type_, view, int(q.get("page") or 1), int(q.get("size") or 50)


def _results_table(root: HtmlElement) -> tuple[HtmlElement, HtmlElement] | None:
    """The table whose header row starts with `Player` (found by header text, not by position)."""
    for table in root.iter("table"):
        tr = header_row(table)
        if tr is not None and "Player" in header_texts(tr):
            return table, tr
    return None


def parse_results(response) -> ResultsPage:
    """Parse a results-list response into raw rows; raises LayoutDrift or IncompletePage.

    A page past the end ("No records available…") has no rows. Headers follow the column map's policy
    (crawler/pages/headers.py): a required one missing is drift; an optional one absent or an unknown one is
    reported in `headers`, and an unknown header's cells are kept under its text.
    """
    url = response.url
    require_complete(response.body, url)
    klass, type_, view, page, _size = list_params(url)
    root = plain_root(response)
    found = _results_table(root)
    page_m = PAGE_OF.search(response.body)
    out = ResultsPage(klass, type_, view, page, int(page_m.group(2)) if page_m else 0)
    if found is None:
        if NO_RECORDS_B in response.body:
            return out
        seen = [h for t in root.iter("table") if (tr := header_row(t)) is not None for h in header_texts(tr)]
        raise LayoutDrift(url, "no results table with a 'Player' header", seen)
    table, head = found
    headers = header_texts(head)
    what = f"results list class={klass} type={type_} view={view}"
    out.headers = results_policy(klass, type_, view).check(url, what, headers)
    if not page_m:
        raise LayoutDrift(url, "no 'Page N of M' text beside the results table", headers)
    out.rows = _rows(url, table, headers, out)
    return out


def _rows(url: str, table, headers: list[str], page: ResultsPage) -> list[dict[str, Any]]:
    """The raw rows of a results table whose headers were checked."""
    player_col = headers.index("Player")
    innings = page.view == "innings"
    link_cols = link_columns(url, headers) if innings else []
    record = INNINGS if innings else CAREER
    n = len(headers)
    data_cols = [(i, h) for i, h in enumerate(headers) if h and h != "Player"]
    rows = []
    for tr in data_rows(table):
        tds = tr.findall("td")
        if len(tds) != n:
            if len(tds) == 1 and (not cell_text(tds[0]) or NO_RECORDS in cell_text(tds[0])):
                continue  # separator or no-records row
            raise LayoutDrift(url, f"a row has {len(tds)} cells for {n} headers", headers)
        # cell_text() inlined: this runs for every cell of a 200-row page
        texts = [(td.text or "").strip() if not len(td) else "".join(td.itertext()).strip() for td in tds]
        pid = link_id(tds[player_col], "/player/")
        row: dict[str, Any] = {
            "record": record,
            "class": page.klass,
            "type": page.type,
            "view": page.view,
            "player_id": int(pid) if pid is not None else None,
            "player_cell": texts[player_col],
            "cells": {h: texts[i] for i, h in data_cols},
            "source_url": url,
            "page": page.page,
        }
        if innings:
            row["match_id"], row["match_label"] = match_link(tds, texts, link_cols)
        rows.append(row)
    return rows
