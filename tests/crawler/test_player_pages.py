"""Real Statsguru player pages → every cell of "Career averages" and "Career summary", against expected JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse

from crawler.pages.player import parse_player_page
from crawler.pages.tables import IncompletePage, LayoutDrift

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CASES = sorted(p.parent.name for p in FIXTURES.glob("statsguru_player_*/expected.json"))


def _response(real_fixtures: Path, name: str, url: str, body: bytes | None = None) -> HtmlResponse:
    return HtmlResponse(url, body=body if body is not None else (real_fixtures / f"{name}.html").read_bytes())


def test_every_real_page_has_expected_json(real_fixtures):
    assert sorted(p.stem for p in real_fixtures.glob("statsguru_player_*.html")) == CASES


@pytest.mark.parametrize("name", CASES)
def test_real_page_every_cell(real_fixtures, name):
    expected = json.loads((FIXTURES / name / "expected.json").read_text())
    rows = parse_player_page(_response(real_fixtures, name, expected["url"])).rows
    assert len(rows) == len(expected["rows"])
    for got, want in zip(rows, expected["rows"], strict=True):
        assert got == want


def test_stokes_known_values(real_fixtures):
    name = "statsguru_player_311158_class11_batting_career"
    url = json.loads((FIXTURES / name / "expected.json").read_text())["url"]
    rows = parse_player_page(_response(real_fixtures, name, url)).rows
    overall = rows[0]
    assert (overall["caption"], overall["grouping"], overall["section"]) == ("Career averages", "overall", 0)
    assert (
        overall["cells"]["Mat"] == "277"
        and overall["cells"]["HS"] == "258"
        and overall["cells"]["Ave"] == "35.42"
    )
    t20 = next(r for r in rows if r["grouping"] == "Twenty20 Internationals")
    assert (t20["cells"]["HS"], t20["cells"]["Ave"], t20["cells"]["SR"]) == ("52*", "21.66", "128")
    formats = [r for r in rows if r["caption"] == "Career summary" and r["section"] == 0]
    assert sum(int(r["cells"]["Runs"]) for r in formats) == 11264
    assert all(isinstance(v, str) for r in rows for v in r["cells"].values())


def test_single_format_page_groups_by_opposition(real_fixtures):
    name = "statsguru_player_887207_class11_batting_career_single_format"
    url = json.loads((FIXTURES / name / "expected.json").read_text())["url"]
    rows = parse_player_page(_response(real_fixtures, name, url)).rows
    first_section = [r["grouping"] for r in rows if r["caption"] == "Career summary" and r["section"] == 0]
    assert first_section and all(g.startswith("v ") for g in first_section)


def test_renamed_header_is_layout_drift(real_fixtures):
    name = "statsguru_player_311158_class11_batting_career"
    url = json.loads((FIXTURES / name / "expected.json").read_text())["url"]
    body = (real_fixtures / f"{name}.html").read_bytes().replace(b">Ave</th>", b">Avg</th>")
    with pytest.raises(LayoutDrift) as err:
        parse_player_page(_response(real_fixtures, name, url, body))
    assert "Avg" in str(err.value) and "Ave" in err.value.missing and "Avg" in err.value.unknown


def test_truncated_page_is_incomplete(real_fixtures):
    name = "statsguru_player_311158_class11_bowling_career"
    url = json.loads((FIXTURES / name / "expected.json").read_text())["url"]
    body = (real_fixtures / f"{name}.html").read_bytes()
    with pytest.raises(IncompletePage):
        parse_player_page(_response(real_fixtures, name, url, body[: len(body) // 2]))
