"""The crawler's header policy (crawler/pages/headers.py): what is drift, what is absent, what is unknown, on
results pages shaped as the real lists and on the real player pages; and the manifest's tally of it."""

from __future__ import annotations

import json

import pytest

from crawler.pages.headers import HeaderReport, HeaderTally, results_policy
from crawler.pages.player import innings_url, parse_player_innings, parse_player_page, player_url
from crawler.pages.statsguru import parse_results, results_url
from crawler.pages.tables import LayoutDrift
from cricket_contract.columns import list_row
from replica.model import Model
from replica.pages import DEFAULT_QUERY, Site
from tests.crawler.test_player_pages import FIXTURES as PLAYER_FIXTURES
from tests.crawler.test_player_pages import _response as player_response
from tests.crawler.test_results_pages import BASE, BAT, ROW, page_html, resp

CAREER_URL = results_url(BASE, 2, "batting", "career", 1, 200)
# A real multi-player innings list's row (tests/fixtures/real/lists, class 8), its untitled columns put back.
REAL_INNINGS = list_row(8, "batting", "innings")
REAL_ROW = ["1|Kiran Baluch (PAK-W)", "242", "584", "488", "38", "0", "49.59", "1", ""]
REAL_ROW += ["v WI Women", "Karachi", "15 Mar 2004", "4321|WTest # 120"]
TDNB_ROW = [
    "2|S Nazir (PAK-W)",
    "TDNB",
    "-",
    "-",
    "-",
    "-",
    "-",
    "-",
    "",
    "v WI Women",
    "Karachi",
    "15 Mar 2004",
]
TDNB_ROW += ["4321|WTest # 120"]


def _drop(headers, row, *names):
    keep = [i for i, h in enumerate(headers) if h not in names]
    return [headers[i] for i in keep], [row[i] for i in keep]


def test_a_real_multi_player_innings_list_parses_without_pos_and_dismissal():
    assert "Pos" not in REAL_INNINGS and "Dismissal" not in REAL_INNINGS
    url = results_url(BASE, 8, "batting", "innings", 1, 200)
    parsed = parse_results(resp(url, page_html(list(REAL_INNINGS), [REAL_ROW, TDNB_ROW])))
    assert not parsed.headers  # nothing absent (lists never show Pos/Dismissal), nothing unknown
    a, tdnb = parsed.rows
    assert a["cells"]["Runs"] == "242" and a["match_id"] == "4321" and a["match_label"] == "WTest # 120"
    # A TDNB row's Inns is "-" on the real site (the real files' TDNB rows have no innings number): kept verbatim.
    assert tdnb["cells"]["Runs"] == "TDNB" and tdnb["cells"]["Inns"] == "-"
    assert tdnb["cells"]["SR"] == "-" and "" not in tdnb["cells"]


def test_a_career_list_without_4s_and_6s_is_not_drift():
    headers, row = _drop(BAT, ROW, "4s", "6s")
    parsed = parse_results(resp(CAREER_URL, page_html(headers, [row])))
    assert parsed.headers == HeaderReport("career/batting/career", 2, ("4s", "6s"), ())
    cells = parsed.rows[0]["cells"]
    assert "4s" not in cells and "6s" not in cells and cells["Runs"] == "7000" and cells["0"] == "17"


@pytest.mark.parametrize("optional", ["BF", "SR", "100", "50", "0"])
def test_any_optional_career_column_may_be_absent(optional):
    headers, row = _drop(BAT, ROW, optional)
    assert parse_results(resp(CAREER_URL, page_html(headers, [row]))).headers.absent == (optional,)


def test_an_unknown_header_is_kept_verbatim_and_reported():
    headers = [*BAT[:-1], "Capt", ""]
    row = [*ROW[:-1], "12", ""]
    parsed = parse_results(resp(CAREER_URL, page_html(headers, [row])))
    assert (parsed.headers.absent, parsed.headers.unknown) == ((), ("Capt",))
    assert parsed.rows[0]["cells"]["Capt"] == "12" and parsed.rows[0]["cells"]["Ave"] == "36.64"


@pytest.mark.parametrize(
    ("old", "new"), [("Ave", "Avg"), ("Runs", "R"), ("Span", "Years"), ("HS", "High"), ("NO", "N/O")]
)
def test_a_required_header_missing_or_renamed_is_drift(old, new):
    headers = [new if h == old else h for h in BAT]
    with pytest.raises(LayoutDrift) as err:
        parse_results(resp(CAREER_URL, page_html(headers, [ROW])))
    assert err.value.missing == [old] and err.value.unknown == [new]
    assert f"missing headers ['{old}']" in str(err.value) and f"unknown headers ['{new}']" in str(err.value)
    headers, row = _drop(BAT, ROW, old)  # gone without a new name: drift as well
    with pytest.raises(LayoutDrift) as err:
        parse_results(resp(CAREER_URL, page_html(headers, [row])))
    assert err.value.missing == [old] and err.value.unknown == []


def test_innings_required_headers():
    url = results_url(BASE, 8, "batting", "innings", 1, 200)
    for old in ("Runs", "Inns", "Start Date"):
        headers, row = _drop(list(REAL_INNINGS), REAL_ROW, old)
        with pytest.raises(LayoutDrift, match=f"missing headers \\['{old}'\\]"):
            parse_results(resp(url, page_html(headers, [row])))
    headers, row = _drop(list(REAL_INNINGS), REAL_ROW, "Mins", "Opposition", "Ground")
    assert parse_results(resp(url, page_html(headers, [row]))).headers.absent == (
        "Mins",
        "Opposition",
        "Ground",
    )
    # Player is required on every list; the match link too on innings lists
    headers = ["Name" if h == "Player" else h for h in REAL_INNINGS]
    with pytest.raises(LayoutDrift, match="no results table"):
        parse_results(resp(url, page_html(headers, [REAL_ROW])))
    with pytest.raises(LayoutDrift, match="match-link"):
        parse_results(resp(url, page_html(list(REAL_INNINGS[:-1]), [REAL_ROW[:-1]])))


def test_what_cannot_be_keyed_by_header_stays_drift():
    with pytest.raises(LayoutDrift, match="repeated headers"):
        parse_results(resp(CAREER_URL, page_html([*BAT[:-1], "Runs", ""], [[*ROW[:-1], "1", ""]])))
    body = page_html(BAT, [ROW]).replace(b"<td>7000</td>", b"<td>7000</td><td>1</td>")
    with pytest.raises(LayoutDrift, match="a row has 17 cells for 16 headers"):
        parse_results(resp(CAREER_URL, body))
    body = page_html(BAT, [ROW]).replace(b"Page 1 of 3", b"")
    with pytest.raises(LayoutDrift, match="Page N of M"):
        parse_results(resp(CAREER_URL, body))


def test_policy_from_the_column_map():
    p = results_policy(2, "bowling", "career")
    assert {t[0] for t in p.required} == {
        "Player",
        "Span",
        "Mat",
        "Inns",
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "Ave",
    }
    assert [t[0] for t in p.expected] == ["BBI", "Econ", "SR", "4", "5"]  # the ODI list's optional columns
    assert {"BBM", "10"} <= p.known  # the Test ones are known, not expected
    inn = results_policy(1, "batting", "innings")
    assert {"Pos", "Dismissal"} <= inn.known and "Pos" not in {t[0] for t in inn.expected}


def test_a_player_page_without_an_optional_column(real_fixtures):
    name = "statsguru_player_311158_class11_batting_career"
    url = json.loads((PLAYER_FIXTURES / name / "expected.json").read_text())["url"]
    page = parse_player_page(player_response(real_fixtures, name, url))
    assert not page.headers and len(page.rows) > 10
    body = (real_fixtures / f"{name}.html").read_bytes().replace(b">Ave</th>", b">Avg</th>")
    with pytest.raises(LayoutDrift):
        parse_player_page(player_response(real_fixtures, name, url, body))
    # the two tables' "BF" renamed: an optional column, absent, and its cells kept under the new header
    body = (real_fixtures / f"{name}.html").read_bytes().replace(b">BF<", b">Balls<")  # `th` and `a` texts
    renamed = parse_player_page(player_response(real_fixtures, name, url, body))
    assert (renamed.headers.absent, renamed.headers.unknown) == (("BF",), ("Balls",))
    assert [r["cells"]["Balls"] for r in renamed.rows] == [r["cells"]["BF"] for r in page.rows]


def test_the_tally_counts_pages_per_table_and_header():
    tally = HeaderTally()
    assert tally.manifest() == {"columns_absent": {}, "unknown_headers": {}}
    bat = "career/batting/career"
    assert tally.add("u1", HeaderReport(bat, 2, ("4s", "6s"), ("Capt",))) == ["Capt"]
    assert tally.add("u2", HeaderReport(bat, 9, ("4s",), ("Capt",))) == []
    assert tally.add("u3", HeaderReport("innings/bowling/innings", 1, (), ("Capt", "Wides"))) == ["Wides"]
    assert tally.manifest() == {
        "columns_absent": {
            bat: {
                "4s": {"pages": 2, "classes": [2, 9], "first_url": "u1"},
                "6s": {"pages": 1, "classes": [2], "first_url": "u1"},
            }
        },
        "unknown_headers": {
            "Capt": {"pages": 3, "tables": [bat, "innings/bowling/innings"], "first_url": "u1"},
            "Wides": {"pages": 1, "tables": ["innings/bowling/innings"], "first_url": "u3"},
        },
    }


@pytest.fixture(scope="module")
def drifted():
    return Site(Model(30, 7), drift=True)


@pytest.mark.parametrize("type_", ["batting", "bowling", "fielding"])
def test_the_replicas_drift_stops_every_page_kind(drifted, type_):
    """`--drift headers` renames a required header on every kind of page the crawler reads."""
    for view in ("career", "innings"):
        body = drifted.results_page(2, type_, view, 1, 50, DEFAULT_QUERY).encode()
        with pytest.raises(LayoutDrift, match="missing headers"):
            parse_results(resp(results_url(BASE, 2, type_, view, 1, 50), body))
    pid = int(drifted.m.pid[0])
    with pytest.raises(LayoutDrift, match="missing headers"):
        parse_player_page(resp(player_url(BASE, pid, type_), drifted.player_page(0, 11, type_).encode()))
    with pytest.raises(LayoutDrift, match="missing headers"):
        body = drifted.player_innings_page(0, 11, type_).encode()
        parse_player_innings(resp(innings_url(BASE, pid, type_), body))
