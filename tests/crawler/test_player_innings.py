"""A player's own innings view (`...;view=innings`, with Pos and Dismissal) → raw innings rows, on saved HTML."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.pages.player import innings_url, parse_player_innings
from crawler.pages.tables import IncompletePage, LayoutDrift
from cricket_contract.records import validate
from tests.transform.conftest import read_table
from tests.transform.rawgen import SCRAPED_AT, write_run
from transform.flow import Progress
from transform.job import Job

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "replica_player_innings"
TYPES = ("batting", "bowling", "fielding")


def _page(type_: str, body: bytes | None = None, url: str | None = None):
    name = f"player_147264_class11_{type_}_innings"
    expected = json.loads((FIXTURES / f"{name}.expected.json").read_text())
    body = body if body is not None else (FIXTURES / f"{name}.html").read_bytes()
    return HtmlResponse(url or expected["url"], body=body, encoding="utf-8"), expected


@pytest.mark.parametrize("type_", TYPES)
def test_every_row_and_cell(type_):
    response, expected = _page(type_)
    parsed = parse_player_innings(response)
    assert parsed.rows == expected["rows"]
    assert len(parsed.rows) == response.body.count(b'<tr class="data1">') == 32  # one a row of the table
    assert not parsed.headers  # every column of the view is there, none unknown
    for row in parsed.rows:
        validate(row)  # a valid raw `innings` record: player_cell null, page 1, match link


def test_known_values():
    bat = parse_player_innings(_page("batting")[0]).rows
    first = bat[0]
    assert first["cells"] == {
        "Runs": "1",
        "Mins": "2",
        "BF": "2",
        "4s": "0",
        "6s": "0",
        "SR": "50",
        "Pos": "8",
        "Dismissal": "bowled",
        "Inns": "2",
        "Opposition": "v Australia",
        "Ground": "Delhi",
        "Start Date": "2 Oct 2017",
    }
    assert (first["player_id"], first["player_cell"], first["match_id"], first["match_label"]) == (
        147264,
        None,
        "875390",
        "ODI # 3795",
    )
    tdnb = next(r for r in bat if r["cells"]["Runs"] == "TDNB")
    assert (tdnb["cells"]["Pos"], tdnb["cells"]["Dismissal"], tdnb["cells"]["SR"]) == ("9", "-", "-")
    bowl = parse_player_innings(_page("bowling")[0]).rows
    dnb = next(r for r in bowl if r["cells"]["Overs"] in ("DNB", "TDNB"))
    assert dnb["cells"]["Pos"] == "-" and "Dismissal" not in dnb["cells"]


def test_renamed_required_header_is_drift():
    response, _ = _page("batting")
    body = response.body.replace(b">Start Date</th>", b">Match Date</th>")
    with pytest.raises(LayoutDrift) as err:
        parse_player_innings(_page("batting", body)[0])
    assert err.value.missing == ["Start Date"] and err.value.unknown == ["Match Date"]


def test_optional_columns_absent_and_unknown_ones_kept():
    response, expected = _page("batting")
    body = response.body.replace(b' title="how dismissed">Dismissal</th>', b' title="how out">How out</th>')
    parsed = parse_player_innings(_page("batting", body)[0])
    assert (parsed.headers.absent, parsed.headers.unknown) == (("Dismissal",), ("How out",))
    assert [r["cells"]["How out"] for r in parsed.rows] == [r["cells"]["Dismissal"] for r in expected["rows"]]


def test_no_records_and_truncated():
    no_rows = (
        b'<html><body><table class="engineTable"><caption>Innings by innings list</caption><tbody>'
        b'<tr class="data1"><td class="left"><b>No records available to match this query</b></td></tr>'
        b"</tbody></table></body></html>"
    )
    assert parse_player_innings(_page("fielding", no_rows)[0]).rows == []
    response, _ = _page("bowling")
    with pytest.raises(IncompletePage):
        parse_player_innings(_page("bowling", response.body[: len(response.body) // 2])[0])


def test_url_is_the_innings_view():
    assert innings_url("http://x", 7, "bowling", 1) == (
        "http://x/ci/engine/player/7.html?class=1;template=results;type=bowling;view=innings"
    )
    response, _ = _page(
        "batting", url="http://replica.test/ci/engine/player/147264.html?class=11;type=batting"
    )
    with pytest.raises(ValueError):
        parse_player_innings(response)


def test_the_rows_type_through_the_transform(tmp_path):
    """The view's raw rows are valid `innings` records the transform types: `position` and `dismissal` filled,
    `name`/`country` null (the row does not name its player: the player's other records do)."""
    items = []
    for type_ in TYPES:
        rows = parse_player_innings(_page(type_)[0]).rows
        items += [{**r, "scraped_at": SCRAPED_AT, "run_id": "own", "spider": "player_stats"} for r in rows]
    write_run(tmp_path / "raw", "player_stats", "own", items)
    job = Job(
        str(tmp_path / "raw"), str(tmp_path / "cur"), ["own"], "t1", 0.0, 5, Progress(out=io.StringIO())
    )
    assert job.run().exit_code == 0
    bat = read_table(tmp_path / "cur", "batting_innings")
    assert len(bat) == 32 and {r["format"] for r in bat} == {"test", "odi", "t20i"}  # class 11: by match link
    first = next(r for r in bat if r["match_id"] == 875390)
    assert (first["position"], first["dismissal"], first["runs"], first["innings_number"]) == (
        8,
        "bowled",
        1,
        2,
    )
    assert (first["name"], first["country"], first["opposition"]) == (None, None, "AUS")
    tdnb = next(r for r in bat if r["participation"] == "tdnb")
    assert (tdnb["position"], tdnb["dismissal"], tdnb["runs"]) == (9, None, None)
    bowl = read_table(tmp_path / "cur", "bowling_innings")
    assert len(bowl) == 32 and all(r["position"] is None for r in bowl if r["participation"] != "bowled")
    assert len(read_table(tmp_path / "cur", "fielding_innings")) == 32
