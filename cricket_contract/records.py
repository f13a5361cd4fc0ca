"""The raw record spec once: required keys and types per record kind (a JSON Schema), lineage, natural keys."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cricket_contract.vocabulary import (
    CAREER,
    CRICSHEET_MATCH,
    CRICSHEET_PERSON,
    INNINGS,
    PLAYER_CAREER,
    PROFILE,
    PROFILE_SOURCES,
)

INT_KEYS = ("class", "page", "player_id", "section")
LINEAGE_KEYS = ("scraped_at", "run_id", "spider")  # added by the crawler's lineage pipeline
MAX_ID = 2**63 - 1  # ids are int64 in the curated tables

# Keys each record kind must carry with a value (`player_cell` must be present but may be null).
REQUIRED_KEYS: dict[str, tuple[str, ...]] = {
    CAREER: ("class", "type", "view", "player_id", "player_cell", "cells", "source_url", "page"),
    INNINGS: (
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
    PLAYER_CAREER: ("class", "type", "player_id", "caption", "grouping", "section", "cells", "source_url"),
    PROFILE: ("player_id", "source", "data"),
    # A Cricsheet match file: `data` is its JSON (every key as published), `member` its name in `archive`.
    CRICSHEET_MATCH: ("match_id", "archive", "member", "data_version", "data", "source_url"),
    # A row of Cricsheet's people.csv: `cells` is the row by header (empty cells null).
    CRICSHEET_PERSON: ("identifier", "name", "cells", "source_url"),
}
NULLABLE_KEYS = frozenset({"player_cell"})

_STRING_OR_NULL = {"type": ["string", "null"]}
_INT = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
_CELLS = {"type": "object", "minProperties": 1, "additionalProperties": _STRING_OR_NULL}


def schema(record: str) -> dict[str, Any]:
    """The JSON Schema (draft-07) of one record kind, lineage keys included as optional strings."""
    props: dict[str, Any] = {"record": {"const": record}}
    for key in REQUIRED_KEYS[record]:
        props[key] = {"type": "string"}
    for key in INT_KEYS:
        props[key] = _INT
    props["player_id"] = {**_INT, "minimum": 1}
    props["player_cell"] = _STRING_OR_NULL
    if record == PROFILE:
        props["source"] = {"enum": list(PROFILE_SOURCES)}
        props["data"] = {"type": "object", "minProperties": 1}
    elif record == CRICSHEET_MATCH:
        props["match_id"] = {**_INT, "minimum": 1}
        props["data_version"] = {"type": "string", "pattern": r"^[0-9]+\.[0-9]+\.[0-9]+$"}
        props["data"] = {
            "type": "object",
            "required": ["meta", "info", "innings"],
            "properties": {
                "meta": {"type": "object"},
                "info": {"type": "object", "required": ["teams"]},
                "innings": {"type": "array"},
            },
        }
    else:
        props["cells"] = _CELLS
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"raw {record} record",
        "type": "object",
        "required": ["record", *REQUIRED_KEYS[record]],
        "properties": props,
        # Every other value the crawler writes (lineage, match_label, caption, …) is a string or null.
        "additionalProperties": _STRING_OR_NULL,
    }


class RecordError(ValueError):
    """A raw record that breaks the spec. `problem`: unknown_record | missing | wrong_type | out_of_range;
    `key`: the top-level key at fault (`cells` for any cell)."""

    def __init__(self, record: str, problem: str, key: str | None, detail: str) -> None:
        super().__init__(f"{record}: {detail}")
        self.record, self.problem, self.key, self.detail = record, problem, key, detail


_VALIDATORS: dict[str, Callable[[Any], Any]] = {}


def _validator(record: str) -> Callable[[Any], Any] | None:
    v = _VALIDATORS.get(record)
    if v is None and record in REQUIRED_KEYS:
        import fastjsonschema  # compiled once per record kind, on first use

        v = _VALIDATORS[record] = fastjsonschema.compile(schema(record))
    return v


def validate(item: Any) -> None:
    """Raise RecordError unless `item` is a well-formed raw record (one compiled JSON Schema per kind)."""
    if not isinstance(item, dict):
        raise RecordError(
            "unknown", "wrong_type", None, f"a raw record is a JSON object, not {type(item).__name__}"
        )
    record = item.get("record")
    validator = _validator(record) if isinstance(record, str) else None
    if validator is None:
        raise RecordError(
            str(record or "unknown"), "unknown_record", "record", f"unknown record kind {record!r}"
        )
    try:
        validator(item)
    except Exception as exc:  # fastjsonschema.JsonSchemaValueException: translated below
        raise _translate(record, item, exc) from None


def _translate(record: str, item: dict[str, Any], exc: Any) -> RecordError:
    path = [p for p in getattr(exc, "path", ["data"])[1:]]
    rule = getattr(exc, "rule", None)
    where = item.get("source_url")
    if not path:
        missing = [k for k in REQUIRED_KEYS[record] if k not in item]
        key = missing[0] if missing else "record"
        return RecordError(record, "missing", key, f"no {key!r} in item from {where}")
    key = str(path[0])
    value = item.get(key)
    if key == "cells" and len(path) > 1:
        cell = path[1]
        return RecordError(
            record, "wrong_type", key, f"cell {cell!r}={item[key][cell]!r} must be a string or null"
        )
    if value is None and key not in NULLABLE_KEYS:
        return RecordError(record, "missing", key, f"no {key!r} in item from {where}")
    if rule in ("minimum", "maximum"):
        return RecordError(record, "out_of_range", key, f"{key}={value!r} is out of range")
    if rule == "minProperties":
        return RecordError(record, "missing", key, f"{key} must be a non-empty object")
    return RecordError(record, "wrong_type", key, f"{key}={value!r}: {getattr(exc, 'message', exc)}"[:300])


def natural_key(item: dict[str, Any]) -> tuple:
    """A raw record's identity within a run (what the transformer keys the curated tables on, per kind)."""
    record = item["record"]
    if record == CAREER:
        return (record, item["class"], item["type"], item["player_id"])
    if record == INNINGS:
        return (
            record,
            item["class"],
            item["type"],
            item["player_id"],
            item["match_id"],
            item["cells"].get("Inns"),
        )
    if record == PLAYER_CAREER:
        return (
            record,
            item["class"],
            item["type"],
            item["player_id"],
            item["caption"],
            item["section"],
            item["grouping"],
        )
    if record == CRICSHEET_MATCH:
        return (record, item["match_id"])
    if record == CRICSHEET_PERSON:
        return (record, item["identifier"])
    return (record, item["player_id"], item.get("source"))
