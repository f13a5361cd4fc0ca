"""Raw item kinds: what each record carries, its natural key, and the checks the validate pipeline applies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Every record kind the crawler's spiders emit → the keys it must carry (lineage is added by a pipeline).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    "career": ("class", "type", "view", "player_id", "player_cell", "cells", "source_url", "page"),
    "innings": (
        "class",
        "type",
        "view",
        "player_id",
        "player_cell",
        "cells",
        "source_url",
        "page",
        "match_id",
        "match_label",
    ),
    "player_career": ("class", "type", "player_id", "caption", "grouping", "section", "cells", "source_url"),
    "profile": ("player_id", "source", "data"),
}
PROFILE_SOURCES = frozenset({"next_data", "athlete_json", "rendered"})
INT_KEYS = ("class", "page", "player_id", "section")
LINEAGE_KEYS = ("scraped_at", "run_id", "spider")


@dataclass(slots=True)
class RawRows:
    """One page's raw records carried as one Scrapy item; the feed writes one JSON line per row.

    An item per row would cost Scrapy's per-item machinery (scraper, pipelines, signals, exporter) 200
    times per results page: several times the cost of parsing the page. The rows themselves are the
    raw records of the contract, one per data row of the page.
    """

    source_url: str
    rows: list[dict[str, Any]]


def row_count(item: Any) -> int:
    """Raw records an item carries: its rows for RawRows, else 1."""
    return len(item.rows) if type(item) is RawRows else 1


class InvalidItem(ValueError):
    """An item that breaks its record's contract; `reason` is the path-like stats suffix."""

    def __init__(self, record: str, reason: str, detail: str):
        self.record = record
        self.reason = reason
        super().__init__(f"{record}: {reason}: {detail}")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def validate(item: dict[str, Any]) -> None:
    """Raise InvalidItem unless `item` is a well-formed raw record (fast path first: this runs per row)."""
    record = item.get("record")
    required = REQUIRED_KEYS.get(record)  # type: ignore[arg-type]
    if required is None:
        raise InvalidItem(str(record or "unknown"), "unknown_record", f"record kind {record!r}")
    for key in required:
        if item.get(key) is None and (key != "player_cell" or key not in item):
            raise InvalidItem(record, f"missing_{key}", f"no {key!r} in item from {item.get('source_url')}")
    for key in INT_KEYS:
        value = item.get(key)
        if value is not None and type(value) is not int:
            raise InvalidItem(record, f"bad_{key}", f"{key}={value!r} is not an integer")
    if record == "profile":
        if item["source"] not in PROFILE_SOURCES:
            raise InvalidItem(record, "bad_source", f"source {item['source']!r}")
        if not isinstance(item["data"], dict) or not item["data"]:
            raise InvalidItem(record, "missing_data", "data must be a non-empty object")
        return
    cells = item["cells"]
    if type(cells) is not dict or not cells:
        raise InvalidItem(record, "missing_cells", f"no cells in item from {item.get('source_url')}")
    for k, v in cells.items():
        if type(v) is not str and (v is not None or type(k) is not str):
            raise InvalidItem(record, "bad_cells", f"cell {k!r}={v!r} must be a string or null")
    for key, value in item.items():
        if type(value) is not str and value is not None and key not in _NON_STRING_KEYS:
            raise InvalidItem(record, f"bad_{key}", f"{key}={value!r} must be a string or null")


_NON_STRING_KEYS = frozenset(INT_KEYS) | {"cells"}


def natural_key(item: dict[str, Any]) -> tuple:
    """The row's identity within a run (what the transformer also keys on)."""
    record = item["record"]
    if record == "career":
        return (record, item["class"], item["type"], item["player_id"])
    if record == "innings":
        return (
            record,
            item["class"],
            item["type"],
            item["player_id"],
            item["match_id"],
            item["cells"].get("Inns"),
        )
    if record == "player_career":
        return (
            record,
            item["class"],
            item["type"],
            item["player_id"],
            item["caption"],
            item["section"],
            item["grouping"],
        )
    return (record, item["player_id"], item.get("source"))
