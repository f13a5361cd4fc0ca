"""Feed exporters: a page's RawRows is written as one record per row, on the orjson path and Scrapy's own."""

from __future__ import annotations

import io
import json

import pytest

from crawler.feeds import RawCsvExporter, RawJsonExporter, RawJsonLinesExporter
from crawler.items import RawRows

ROWS = [
    {"record": "career", "player_id": 1, "cells": {"Mat": "2"}},
    {"record": "career", "player_id": 2, "cells": {"Mat": "Ünal"}},
]
ONE = {"record": "profile", "player_id": 3, "source": "next_data", "data": {"longName": "A B"}}


def export(exporter_class, **options) -> bytes:
    out = io.BytesIO()
    exporter = exporter_class(out, **options)
    exporter.start_exporting()
    exporter.export_item(RawRows("http://x/page", [dict(r) for r in ROWS]))
    exporter.export_item(RawRows("http://x/profile", [dict(ONE)]))  # a profile: a RawRows of one row
    exporter.finish_exporting()
    return out.getvalue()


@pytest.mark.parametrize(
    "options",
    [{"encoding": "utf-8"}, {"encoding": "UTF8"}, {}, {"encoding": "latin-1"}],
    ids=["orjson", "orjson-alias", "ascii-escaped", "latin-1"],
)
def test_json_lines_one_line_per_record(options):
    body = export(RawJsonLinesExporter, **options)
    assert [json.loads(line) for line in body.decode(options.get("encoding", "ascii")).splitlines()] == [
        *ROWS,
        ONE,
    ]


def test_json_lines_fields_to_export_take_scrapys_path():
    body = export(RawJsonLinesExporter, encoding="utf-8", fields_to_export=["record", "player_id"])
    assert [json.loads(line) for line in body.splitlines()] == [
        {"record": "career", "player_id": 1},
        {"record": "career", "player_id": 2},
        {"record": "profile", "player_id": 3},
    ]


def test_json_array_and_csv_hold_the_records():
    assert json.loads(export(RawJsonExporter, encoding="utf-8")) == [*ROWS, ONE]
    lines = (
        export(RawCsvExporter, encoding="utf-8", fields_to_export=["record", "player_id"])
        .decode()
        .splitlines()
    )
    assert lines == ["record,player_id", "career,1", "career,2", "profile,3"]
