"""Statsguru player pages → raw rows by header text: "Career averages"/"Career summary", and the innings view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from crawler.pages.headers import HeaderReport, player_career_policy, player_innings_policy
from crawler.pages.tables import (
    NO_RECORDS,
    NO_RECORDS_B,
    LayoutDrift,
    cell_text,
    data_rows,
    header_row,
    header_texts,
    link_columns,
    match_link,
    page_root,
    query,
    require_complete,
)
from cricket_contract.vocabulary import INNINGS, PLAYER_CAREER, PLAYER_PAGE_CAPTIONS, TYPES

# The first column holds the grouping label: untitled in "Career averages", "Grouping" in the summary.
GROUPING_HEADERS = ("", "Grouping")
PLAYER_URL_ID = re.compile(r"/ci/engine/player/(\d+)\.html")


def player_url(base_url: str, player_id: int, type_: str, klass: int = 11) -> str:
    return f"{base_url.rstrip('/')}/ci/engine/player/{player_id}.html?class={klass};template=results;type={type_}"


def innings_url(base_url: str, player_id: int, type_: str, klass: int = 11) -> str:
    """A player's own innings view: every innings of the class, with `Pos` and `Dismissal`."""
    return player_url(base_url, player_id, type_, klass) + ";view=innings"


def page_params(url: str) -> tuple[int, int, str]:
    """(player_id, class, type) of a player-page URL; ValueError for one that is not."""
    m = PLAYER_URL_ID.search(url)
    q = query(url)
    if not m or q.get("type") not in TYPES:
        raise ValueError(f"not a Statsguru player results URL: {url}")
    return int(m.group(1)), int(q.get("class") or 11), q["type"]


@dataclass
class PlayerPage:
    """One parsed player page: its raw rows and what its tables' headers showed beside the required columns."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    headers: HeaderReport | None = None


def parse_player_page(response) -> PlayerPage:
    """Raw rows of a player page (none for "No records…"); raises LayoutDrift or IncompletePage.

    Headers follow the column map's policy (crawler/pages/headers.py): any career column of the type may show
    (a page has those of the formats the player played), a required one missing is drift, an unknown one is
    kept under its text and reported with the absent optional ones in `headers`.
    """
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
            return PlayerPage()
        raise LayoutDrift(url, f"none of the captions {list(PLAYER_PAGE_CAPTIONS)} found", [])
    policy = player_career_policy(klass, type_)
    out = PlayerPage()
    rows = out.rows
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
        report = policy.check(url, f"player page {caption} type={type_}", body_headers)
        out.headers = report if out.headers is None else out.headers.merged(report)
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
    return out


# The innings view's table: found by its caption, else by the header texts every innings row ends with.
INNINGS_CAPTION = "Innings by innings list"
_INNINGS_TAIL = frozenset({"Opposition", "Ground", "Start Date"})


def _innings_table(root):
    fallback = None
    for table in root.iter("table"):
        cap = table.find("caption")
        head = header_row(table)
        if cap is not None and cell_text(cap) == INNINGS_CAPTION:
            return table, head
        if fallback is None and head is not None and _INNINGS_TAIL & set(header_texts(head)):
            fallback = (table, head)
    return fallback


def parse_player_innings(response) -> PlayerPage:
    """Raw `innings` rows of a player's own innings view (`...;view=innings`), one per innings with `Pos` and
    `Dismissal`; no player column (the player is the page's: `player_cell` is null), one page (`page` 1).
    No rows for "No records…"; raises LayoutDrift or IncompletePage; headers as on results lists."""
    url = response.url
    require_complete(response.body, url)
    player_id, klass, type_ = page_params(url)
    if query(url).get("view") != "innings":
        raise ValueError(f"not a player's innings view: {url}")
    root = page_root(response)
    found = _innings_table(root)
    if found is None or found[1] is None:
        if NO_RECORDS_B in response.body:
            return PlayerPage()
        raise LayoutDrift(url, "no innings table (caption or Opposition/Ground/Start Date headers)", [])
    table, head = found
    headers = header_texts(head)
    out = PlayerPage(
        headers=player_innings_policy(klass, type_).check(url, f"player innings view type={type_}", headers)
    )
    link_cols = link_columns(url, headers)
    n = len(headers)
    for tr in data_rows(table):
        tds = tr.findall("td")
        if len(tds) != n:
            if len(tds) == 1 and (not cell_text(tds[0]) or NO_RECORDS in cell_text(tds[0])):
                continue
            raise LayoutDrift(url, f"an innings row has {len(tds)} cells for {n} headers", headers)
        texts = [cell_text(td) for td in tds]
        match_id, label = match_link(tds, texts, link_cols)
        out.rows.append(
            {
                "record": INNINGS,
                "class": klass,
                "type": type_,
                "view": "innings",
                "player_id": player_id,
                "player_cell": None,
                "cells": {h: t for h, t in zip(headers, texts, strict=True) if h},
                "source_url": url,
                "page": 1,
                "match_id": match_id,
                "match_label": label,
            }
        )
    return out
