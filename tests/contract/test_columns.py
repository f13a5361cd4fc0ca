"""The one column map: every consumer's header sets and typed columns, and the docs, derive from it."""

from __future__ import annotations

import re

import pyarrow as pa

from cricket_contract import columns as C
from cricket_contract.records import REQUIRED_KEYS
from cricket_contract.vocabulary import ALL_MEN_CLASS, FORMAT_CLASSES, INNINGS, TYPES, VIEWS
from tests.helpers import REPO
from transform import headers, mapper, read
from transform.schemas import EXTRA_COLUMNS, LINEAGE, TABLES

# Curated columns that come from a record's keys or its routing, not from a cell of the page.
# filled by the record or the mapper, not a column's cells (`source`: every Statsguru row's is `statsguru`)
ROUTED = {
    "player_id",
    "name",
    "country",
    "format",
    "grouping_kind",
    "grouping",
    "match_id",
    "participation",
    "source",
}


def test_the_docs_show_the_map():
    text = (REPO / "docs" / "contracts.md").read_text()
    m = re.search(r"<!-- columns:begin -->\n(.*)\n<!-- columns:end -->", text, re.S)
    assert m, "docs/contracts.md lost its generated column section"
    assert m.group(1) == C.markdown(), (
        "docs/contracts.md §6 differs: paste `python -m cricket_contract columns`"
    )


def test_every_curated_column_is_filled_by_the_map_or_the_record():
    for view in VIEWS:
        for type_ in TYPES:
            filled = {name for col in C.columns(view, type_) for name in col.out}
            tables = [f"{type_}_innings"] if view == INNINGS else [f"{type_}_career", f"{type_}_splits"]
            for table in tables:
                extra = {f.name for f in EXTRA_COLUMNS.get(table, [])}
                wanted = set(TABLES[table].names) | extra
                assert wanted - filled - ROUTED == set(), (table, sorted(wanted - filled - ROUTED))
                assert filled - wanted == set(), (table, sorted(filled - wanted))


def test_the_transformer_reads_exactly_the_maps_headers():
    for view in VIEWS:
        for type_ in TYPES:
            assert mapper.GROUP_HEADERS[(view, type_)] == tuple(
                h for c in C.columns(view, type_) for h in c.headers
            )
    assert headers.KNOWN_HEADERS == C.known_headers()
    assert (
        headers.CELLS_TYPE
        == read.CELLS_TYPE
        == pa.struct([pa.field(h, pa.string()) for h in C.known_headers()])
    )
    assert {f.name for f in LINEAGE} == {"run_id", "scraped_at", "source_url"}


def test_the_replica_renders_the_maps_columns():
    from replica.pages import INN_COLS, career_cols

    for type_ in TYPES:
        assert INN_COLS[type_] == C.list_headers(1, type_, "innings")
        for klass in (*FORMAT_CLASSES, ALL_MEN_CLASS):
            assert career_cols(type_, klass, True) == C.list_headers(klass, type_, "career")
            assert career_cols(type_, klass, False) == C.player_page_headers(klass, type_)


def test_class_specific_columns_match_the_real_pages(real_fixtures):
    """Player pages (class 11) show best-match figures and ten-fors, never the limited-overs "4" (real page)."""
    import lxml.html

    page = lxml.html.parse(str(real_fixtures / "statsguru_player_311158_class11_bowling_career.html"))
    heads = [th.text_content().strip() for th in page.xpath("//table[caption]//tr[th]")[0].xpath("th")]
    assert tuple(h for h in heads if h) == C.player_page_headers(ALL_MEN_CLASS, "bowling")
    assert "BBM" in C.list_headers(1, "bowling", "career") and "4" not in C.list_headers(
        1, "bowling", "career"
    )
    assert "4" in C.list_headers(2, "bowling", "career") and "BBM" not in C.list_headers(
        2, "bowling", "career"
    )


def test_the_map_is_well_formed():
    for view in VIEWS:
        for type_ in TYPES:
            cols = C.columns(view, type_)
            headers = [h for c in cols for h in c.headers]
            assert len(headers) == len(set(headers)), (view, type_)
            assert all(c.required for c in cols if c.header in ("Inns", "Start Date") and view == INNINGS)
            if view == INNINGS:
                assert sum(c.marker for c in cols) == 1
            rates = [c for c in cols if c.rate is not None]
            outs = {o for c in cols for o in c.out}
            for c in rates:
                assert {c.rate.num, c.rate.den} | ({c.rate.minus} if c.rate.minus else set()) <= outs, (
                    c.header
                )
    assert "match_id" in REQUIRED_KEYS[INNINGS]


def test_header_policy_in_the_map():
    """Required: what identifies a row and its core counts (issue 14 §1); everything else is optional."""
    assert C.required_headers("career", "batting") == ("Span", "Mat", "Inns", "NO", "Runs", "HS", "Ave")
    assert C.required_headers("career", "bowling") == (
        "Span",
        "Mat",
        "Inns",
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "Ave",
    )
    assert C.required_headers("career", "fielding") == ("Span", "Mat", "Inns", "Dis", "Ct", "St")
    assert C.required_headers("innings", "batting") == ("Runs", "Inns", "Start Date")
    assert C.required_headers("innings", "bowling") == ("Overs", "Mdns", "Runs", "Wkts", "Inns", "Start Date")
    assert C.required_headers("innings", "fielding") == ("Dis", "Ct", "St", "Inns", "Start Date")
    assert [c.header for c in C.columns("career", "batting") if c.sometimes] == ["4s", "6s"]


def test_where_columns_are_shown_as_the_real_lists_show_them(real_fixtures):
    """Multi-player innings lists have no Pos/Dismissal; a player's own innings view has both; untitled columns."""
    import csv

    for name in ("class8", "class10"):
        path = real_fixtures / "lists" / f"statsguru_results_{name}_batting_innings_2017_rows.csv"
        with path.open(encoding="utf-8") as f:
            header = tuple(next(csv.reader(f)))
        # the file dropped the two untitled columns (empty in every row once read as text)
        assert header == tuple(h for h in C.list_row(int(name[5:]), "batting", "innings") if h)
    tail = (
        "Inns",
        "",
        "Opposition",
        "Ground",
        "Start Date",
        "",
    )  # the spacer after Inns, the match link last
    assert C.list_row(8, "batting", "innings") == ("Player", "Runs", "Mins", "BF", "4s", "6s", "SR", *tail)
    assert C.list_row(1, "bowling", "innings") == ("Player", "Overs", "Mdns", "Runs", "Wkts", "Econ", *tail)
    assert "Pos" not in C.list_row(2, "fielding", "innings")
    assert C.player_innings_headers("batting")[6:9] == ("Pos", "Dismissal", "Inns")
    assert C.player_innings_headers("bowling")[5:7] == ("Pos", "Inns")
    assert C.list_row(2, "batting", "career")[-3:] == ("4s", "6s", "")
