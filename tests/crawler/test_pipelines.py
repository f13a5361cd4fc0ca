"""Item pipelines on page items: validation with path-like drop stats (profiles too), de-duplication, lineage."""

from __future__ import annotations

import copy

import pytest
from scrapy.exceptions import DropItem

from crawler.items import RawRows
from crawler.pipelines import DedupePipeline, KeySet, LineagePipeline, ValidatePipeline

CAREER = {
    "record": "career",
    "class": 1,
    "type": "batting",
    "view": "career",
    "player_id": 311158,
    "player_cell": "BA Stokes (ENG)",
    "cells": {"Span": "2011-2026", "Mat": "110", "HS": "258*"},
    "source_url": "http://x/ci/engine/stats/index.html?class=1;template=results;type=batting;page=1",
    "page": 1,
}
INNINGS = {
    **CAREER,
    "record": "innings",
    "view": "innings",
    "match_id": "4321",
    "match_label": "Test # 2345",
    "cells": {"Runs": "DNB", "Inns": "2", "Start Date": "21 Jul 2011"},
}
PLAYER = {
    "record": "player_career",
    "class": 11,
    "type": "bowling",
    "view": "career",
    "player_id": 1,
    "caption": "Career summary",
    "grouping": "v Australia",
    "section": 1,
    "cells": {"Wkts": "3"},
    "source_url": "http://x/ci/engine/player/1.html?class=11;template=results;type=bowling",
}
PROFILE = {
    "record": "profile",
    "player_id": 253802,
    "source": "next_data",
    "data": {"longName": "Virat Kohli"},
}


@pytest.fixture
def stats():
    class Stats(dict):
        def inc_value(self, key, count=1):
            self[key] = self.get(key, 0) + count

    return Stats()


def _page(*rows):
    return RawRows("http://x/page", [copy.deepcopy(r) for r in rows])


@pytest.mark.parametrize("item", [CAREER, INNINGS, PLAYER, PROFILE], ids=lambda i: i["record"])
def test_valid_items_pass(stats, item):
    assert ValidatePipeline(stats=stats).process_item(_page(item)).rows == [item]
    assert not stats


@pytest.mark.parametrize(
    ("item", "key"),
    [
        ({k: v for k, v in CAREER.items() if k != "player_id"}, "drop_item/career/missing_player_id"),
        ({**CAREER, "player_id": "311158"}, "drop_item/career/bad_player_id"),
        ({**CAREER, "player_id": True}, "drop_item/career/bad_player_id"),
        ({**CAREER, "cells": {}}, "drop_item/career/missing_cells"),
        ({**CAREER, "cells": {"Mat": 110}}, "drop_item/career/bad_cells"),
        ({**CAREER, "page": "1"}, "drop_item/career/bad_page"),
        ({k: v for k, v in INNINGS.items() if k != "match_id"}, "drop_item/innings/missing_match_id"),
        ({**PLAYER, "section": "1"}, "drop_item/player_career/bad_section"),
        ({**PROFILE, "source": "guess"}, "drop_item/profile/bad_source"),
        ({**PROFILE, "data": {}}, "drop_item/profile/missing_data"),
        ({**PROFILE, "player_id": None}, "drop_item/profile/missing_player_id"),
        ({**CAREER, "record": "scorecard"}, "drop_item/scorecard/unknown_record"),
    ],
)
def test_invalid_items_dropped_with_path_like_stat(stats, item, key):
    with pytest.raises(DropItem):
        ValidatePipeline(stats=stats).process_item(_page(item))
    assert stats == {key: 1}


def test_duplicates_dropped_and_counted(stats):
    dedupe = DedupePipeline(stats=stats)
    dedupe.process_item(_page(CAREER))
    dedupe.process_item(_page(INNINGS))
    another_innings = {**INNINGS, "cells": {**INNINGS["cells"], "Inns": "4"}}
    dedupe.process_item(_page(another_innings))  # kept
    dedupe.process_item(_page({**CAREER, "class": 2}))  # another format: kept
    for dup in (CAREER, {**CAREER, "page": 3, "cells": {"Mat": "111"}}, INNINGS):
        with pytest.raises(DropItem):
            dedupe.process_item(_page(dup))
    assert stats == {"dedupe/duplicates": 3, "dedupe/duplicates/career": 2, "dedupe/duplicates/innings": 1}


def test_lineage_added(stats):
    (item,) = (
        LineagePipeline(stats=stats, spider_name="statsguru", run_id="r1").process_item(_page(CAREER)).rows
    )
    assert item["run_id"] == "r1" and item["spider"] == "statsguru"
    assert len(item["scraped_at"]) == 20 and item["scraped_at"].endswith("Z")
    assert stats == {"items/career": 1, "cricket/rows": 1}


def test_page_item_keeps_its_good_rows(stats):
    bad = {**CAREER, "player_id": "311158"}
    item = ValidatePipeline(stats=stats).process_item(_page(CAREER, bad, INNINGS))
    assert item.rows == [CAREER, INNINGS]
    assert stats == {"drop_item/career/bad_player_id": 1}


def test_page_item_with_no_valid_rows_is_dropped(stats):
    with pytest.raises(DropItem, match="no valid rows on http://x/page"):
        ValidatePipeline(stats=stats).process_item(_page({**CAREER, "cells": {}}))
    assert stats == {"drop_item/career/missing_cells": 1}


def test_page_item_duplicates_removed_row_by_row(stats):
    dedupe = DedupePipeline(stats=stats)
    assert dedupe.process_item(_page(CAREER, INNINGS, CAREER)).rows == [CAREER, INNINGS]
    assert dedupe.process_item(_page(INNINGS, {**CAREER, "class": 2})).rows == [{**CAREER, "class": 2}]
    with pytest.raises(DropItem, match="every row of http://x/page was seen before"):
        dedupe.process_item(_page(CAREER))
    assert stats == {"dedupe/duplicates": 3, "dedupe/duplicates/career": 2, "dedupe/duplicates/innings": 1}


def test_page_item_lineage_on_every_row(stats):
    item = LineagePipeline(stats=stats, spider_name="statsguru", run_id="r1").process_item(
        _page(CAREER, INNINGS)
    )
    assert {(r["run_id"], r["spider"], r["record"]) for r in item.rows} == {
        ("r1", "statsguru", "career"),
        ("r1", "statsguru", "innings"),
    }
    assert len({r["scraped_at"] for r in item.rows}) == 1
    assert stats == {"items/career": 1, "items/innings": 1, "cricket/rows": 2}


def test_key_set_is_exact_across_settling():
    keys = KeySet(settle_at=4)
    for k in range(10):  # settles twice: 8 keys in the sorted array, 2 in the recent set
        keys.add(k * 7 - 30)
    assert len(keys) == 10 and len(keys.settled) == 8
    assert keys.seen_before([-30, 33, 32, 2**63 - 1, -(2**63)]) == [True, True, False, False, False]
    assert all(k * 7 - 30 in keys for k in range(10)) and 6 not in keys


def test_page_duplicates_found_while_the_key_set_settles(stats):
    dedupe = DedupePipeline(stats=stats)
    dedupe.seen.settle_at = 2
    rows = [{**CAREER, "player_id": i} for i in (1, 2, 3, 1, 4, 2)]
    assert [r["player_id"] for r in dedupe.process_item(_page(*rows)).rows] == [1, 2, 3, 4]
    assert [
        r["player_id"] for r in dedupe.process_item(_page(*rows[:3], {**CAREER, "player_id": 5})).rows
    ] == [5]
    assert stats["dedupe/duplicates/career"] == 5
