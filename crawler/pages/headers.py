"""The crawler's header policy, from the column map: what stops a crawl, what is counted, what is kept verbatim."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from crawler.pages.tables import LayoutDrift
from cricket_contract.columns import Column, columns, list_columns, player_page_headers
from cricket_contract.vocabulary import CAREER, INNINGS, PLAYER_CAREER

# Header policy (cricket_contract/columns.py): a required column missing or renamed is layout drift; an optional
# column a table of its kind shows but this one lacks is "absent" (counted, its cells simply missing); a header
# the map does not know for the table is "unknown" (its cells kept verbatim under that header, reported). What
# cannot be keyed by header (a repeated header, a row with another number of cells) stays drift.


@dataclass(frozen=True)
class HeaderReport:
    """What one parsed table (or page) showed beside its required columns, for the manifest."""

    table: str  # "record/type/view", the manifest's key
    klass: int
    absent: tuple[str, ...] = ()
    unknown: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.absent or self.unknown)

    def merged(self, other: HeaderReport) -> HeaderReport:
        """Both tables' findings (a player page's two tables), each header once."""
        return HeaderReport(
            self.table,
            self.klass,
            tuple(dict.fromkeys((*self.absent, *other.absent))),
            tuple(dict.fromkeys((*self.unknown, *other.unknown))),
        )


@dataclass(frozen=True)
class HeaderPolicy:
    """One kind of table's headers: `known` (the map's columns of its view and type, aliases and `extra`
    included), `required` (per required column, the texts it may have), `expected` (per optional column a
    table of this kind shows, its texts; one missing is counted as absent)."""

    table: str
    klass: int
    known: frozenset[str]
    required: tuple[tuple[str, ...], ...]
    expected: tuple[tuple[str, ...], ...]

    def check(self, url: str, what: str, headers: list[str]) -> HeaderReport:
        """Raise LayoutDrift for a repeated header or a missing required one (naming the unknown headers
        beside it: likely its new name); else what is absent and unknown."""
        present = [h for h in headers if h]
        dup = sorted({h for h in present if present.count(h) > 1})
        if dup:
            raise LayoutDrift(url, f"{what}: repeated headers {dup}", headers)
        shown = set(present)
        unknown = tuple(h for h in present if h not in self.known)
        missing = [texts[0] for texts in self.required if shown.isdisjoint(texts)]
        if missing:
            raise LayoutDrift(url, what, headers, unknown, sorted(missing, key=lambda h: (len(h), h)))
        absent = tuple(texts[0] for texts in self.expected if shown.isdisjoint(texts))
        return HeaderReport(self.table, self.klass, absent, unknown)


def _policy(
    record: str, type_: str, view: str, klass: int, cols: Iterable[Column], shown: Iterable[Column], extra=()
) -> HeaderPolicy:
    cols, shown = tuple(cols), tuple(shown)
    known = frozenset(h for c in cols for h in c.headers) | frozenset(extra)
    required = tuple((h,) for h in extra) + tuple(c.headers for c in cols if c.required)
    expected = tuple(c.headers for c in shown if not c.required)
    return HeaderPolicy(f"{record}/{type_}/{view}", klass, known, required, expected)


@functools.cache
def results_policy(klass: int, type_: str, view: str) -> HeaderPolicy:
    """A multi-player results list of `klass`: `Player` and the view's required columns; the optional columns
    the map gives the class's lists are expected."""
    record = INNINGS if view == "innings" else CAREER
    cols = columns(view, type_)
    return _policy(record, type_, view, klass, cols, list_columns(klass, type_, view), extra=("Player",))


@functools.cache
def player_career_policy(klass: int, type_: str) -> HeaderPolicy:
    """A player page's "Career averages" / "Career summary" (after the grouping column): the career columns'
    required ones; the optional ones every class's page shows are expected (a Tests-only player's page has no
    limited-overs "4", which is not counted)."""
    cols = columns("career", type_)
    shown = set(player_page_headers(klass, type_))
    expected = [c for c in cols if c.header in shown and c.classes is None]
    return _policy(PLAYER_CAREER, type_, "career", klass, cols, expected)


@functools.cache
def player_innings_policy(klass: int, type_: str) -> HeaderPolicy:
    """A player's own innings view: the innings columns (no player column); every one is expected, `Pos` and
    `Dismissal` included."""
    cols = columns("innings", type_)
    return _policy(INNINGS, type_, "innings", klass, cols, cols)


class HeaderTally:
    """The run's header findings, for the manifest: per table, the absent optional columns (pages, classes,
    first URL); per unknown header, its pages, tables and first URL. A page counts once per header."""

    def __init__(self) -> None:
        self.absent: dict[str, dict[str, dict[str, Any]]] = {}
        self.unknown: dict[str, dict[str, Any]] = {}

    def add(self, url: str, report: HeaderReport) -> list[str]:
        """Count one page's findings; returns the unknown headers seen for the first time in the run."""
        for h in report.absent:
            entry = self.absent.setdefault(report.table, {}).setdefault(
                h, {"pages": 0, "classes": [], "first_url": url}
            )
            entry["pages"] += 1
            if report.klass not in entry["classes"]:
                entry["classes"] = sorted((*entry["classes"], report.klass))
        new = []
        for h in report.unknown:
            entry = self.unknown.get(h)
            if entry is None:
                new.append(h)
                entry = self.unknown[h] = {"pages": 0, "tables": [], "first_url": url}
            entry["pages"] += 1
            if report.table not in entry["tables"]:
                entry["tables"] = sorted((*entry["tables"], report.table))
        return new

    def manifest(self) -> dict[str, Any]:
        """`columns_absent` and `unknown_headers` (docs/contracts.md §5), keys sorted."""
        return {
            "columns_absent": {t: dict(sorted(hs.items())) for t, hs in sorted(self.absent.items())},
            "unknown_headers": dict(sorted(self.unknown.items())),
        }
