"""A player's own innings view (`/ci/engine/player/<id>.html?…;view=innings`) → raw innings rows by header text."""

from __future__ import annotations

from typing import Any

from crawler.pages.player import PLAYER_URL_ID
from crawler.pages.tables import (
    NO_RECORDS,
    NO_RECORDS_B,
    LayoutDrift,
    cell_text,
    check_headers,
    data_rows,
    header_row,
    header_texts,
    link_id,
    page_root,
    query,
    require_complete,
)
from cricket_contract.columns import player_innings_headers
from cricket_contract.vocabulary import INNINGS, TYPES

CAPTION = "Innings by innings list"
# What every own innings view shows whatever the class (the rest depends on the format and the era).
REQUIRED = {"batting": ("Runs",), "bowling": ("Overs", "Wkts"), "fielding": ("Dis",)}


def player_innings_url(base_url: str, player_id: int, type_: str, klass: int) -> str:
    return (
        f"{base_url.rstrip('/')}/ci/engine/player/{player_id}.html?class={klass};template=results;"
        f"type={type_};view=innings"
    )


def _params(url: str) -> tuple[int, int, str]:
    m = PLAYER_URL_ID.search(url)
    q = query(url)
    if not m or q.get("type") not in TYPES or q.get("view") != "innings":
        raise ValueError(f"not a player's innings-view URL: {url}")
    return int(m.group(1)), int(q.get("class") or 11), q["type"]


def _table(root):
    for table in root.iter("table"):
        cap = table.find("caption")
        if cap is not None and cell_text(cap) == CAPTION:
            return table
    return None


def parse_player_innings(response) -> list[dict[str, Any]]:
    """Raw `innings` rows of one player's own view (player_cell None: the page is the player's; `Pos` and
    `Dismissal` among the cells); [] for "No records…"; raises LayoutDrift or IncompletePage."""
    url = response.url
    require_complete(response.body, url)
    player_id, klass, type_ = _params(url)
    table = _table(page_root(response))
    if table is None:
        if NO_RECORDS_B in response.body:
            return []
        raise LayoutDrift(url, f"no '{CAPTION}' table", [])
    head = header_row(table)
    if head is None:
        if NO_RECORDS in cell_text(table):
            return []
        raise LayoutDrift(url, f"'{CAPTION}' has no header row", [])
    headers = header_texts(head)
    known = set(player_innings_headers(type_))
    required = {*REQUIRED[type_], "Inns", "Opposition", "Ground", "Start Date"}
    check_headers(url, f"player innings view type={type_}", headers, known, required)
    blank = [i for i, h in enumerate(headers) if not h]
    titled = [(i, h) for i, h in enumerate(headers) if h]
    rows = []
    for tr in data_rows(table):
        tds = tr.findall("td")
        if len(tds) != len(headers):
            if len(tds) == 1 and (not cell_text(tds[0]) or NO_RECORDS in cell_text(tds[0])):
                continue
            raise LayoutDrift(url, f"a row has {len(tds)} cells for {len(headers)} headers", headers)
        match_id = label = None
        for i in blank:
            mid = link_id(tds[i], "/match/")
            if mid is not None:
                match_id, label = mid, cell_text(tds[i])
                break
        rows.append(
            {
                "record": INNINGS,
                "class": klass,
                "type": type_,
                "view": "innings",
                "player_id": player_id,
                "player_cell": None,
                "cells": {h: cell_text(tds[i]) for i, h in titled},
                "source_url": url,
                "page": 1,
                "match_id": match_id,
                "match_label": label,
            }
        )
    return rows
