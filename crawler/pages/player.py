"""Statsguru player pages: every row of "Career averages" and "Career summary" → raw rows by header text."""

from __future__ import annotations

import functools
import re
from typing import Any

from crawler.pages.tables import (
    NO_RECORDS,
    NO_RECORDS_B,
    LayoutDrift,
    cell_text,
    check_headers,
    data_rows,
    header_row,
    header_texts,
    page_root,
    query,
    require_complete,
)
from cricket_contract.columns import columns, common_headers
from cricket_contract.vocabulary import PLAYER_CAREER, PLAYER_PAGE_CAPTIONS, TYPES

# The first column holds the grouping label: untitled in "Career averages", "Grouping" in the summary.
GROUPING_HEADERS = ("", "Grouping")
PLAYER_URL_ID = re.compile(r"/ci/engine/player/(\d+)\.html")


def player_url(base_url: str, player_id: int, type_: str, klass: int = 11) -> str:
    return f"{base_url.rstrip('/')}/ci/engine/player/{player_id}.html?class={klass};template=results;type={type_}"


def page_params(url: str) -> tuple[int, int, str]:
    """(player_id, class, type) of a player-page URL; ValueError for one that is not."""
    m = PLAYER_URL_ID.search(url)
    q = query(url)
    if not m or q.get("type") not in TYPES:
        raise ValueError(f"not a Statsguru player results URL: {url}")
    return int(m.group(1)), int(q.get("class") or 11), q["type"]


@functools.cache
def _known(type_: str) -> tuple[frozenset[str], frozenset[str]]:
    """(known, required) career headers of a player page: every career column of the type is known (a page
    shows those of the formats the player played), the ones every class shows are required."""
    return frozenset(c.header for c in columns("career", type_)), frozenset(common_headers("career", type_))


def parse_player_page(response) -> list[dict[str, Any]]:
    """Raw rows of a player page; [] for "No records…"; raises LayoutDrift or IncompletePage."""
    url = response.url
    require_complete(response.body, url)
    player_id, klass, type_ = page_params(url)
    root = page_root(response)
    tables: dict[str, Any] = {}
    for table in root.iter("table"):
        cap = table.find("caption")
        if cap is not None and cell_text(cap) in PLAYER_PAGE_CAPTIONS:
            tables.setdefault(cell_text(cap), table)
    if not tables:
        if NO_RECORDS_B in response.body:
            return []
        raise LayoutDrift(url, f"none of the captions {list(PLAYER_PAGE_CAPTIONS)} found", [])
    known, required = _known(type_)
    rows: list[dict[str, Any]] = []
    for caption in PLAYER_PAGE_CAPTIONS:
        table = tables.get(caption)
        if table is None:
            continue
        head = header_row(table)
        if head is None:
            if NO_RECORDS in cell_text(table):
                continue
            raise LayoutDrift(url, f"'{caption}' has no header row", [])
        headers = header_texts(head)
        if headers[0] not in GROUPING_HEADERS:
            raise LayoutDrift(url, f"'{caption}' does not start with a grouping column", headers)
        # The last, untitled column holds a "Profile" link, not data.
        body_headers = headers[1:]
        check_headers(url, f"player page {caption} type={type_}", body_headers, known, required)
        n = len(headers)
        section = 0
        for tr in data_rows(table):
            tds = tr.findall("td")
            if len(tds) != n:
                if len(tds) == 1 and not cell_text(tds[0]):
                    section += 1  # blank colspan row: the next grouping section starts
                    continue
                if len(tds) == 1 and NO_RECORDS in cell_text(tds[0]):
                    continue
                raise LayoutDrift(url, f"'{caption}' row has {len(tds)} cells for {n} headers", headers)
            rows.append(
                {
                    "record": PLAYER_CAREER,
                    "class": klass,
                    "type": type_,
                    "view": "career",
                    "player_id": player_id,
                    "caption": caption,
                    "grouping": cell_text(tds[0]),
                    "section": section,
                    "cells": {h: cell_text(td) for h, td in zip(headers[1:], tds[1:], strict=True) if h},
                    "source_url": url,
                }
            )
    return rows
