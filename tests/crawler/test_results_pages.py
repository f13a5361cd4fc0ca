"""Results-list parser on pages shaped as docs/contracts.md §1 describes: header-text mapping, drift, paging."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from crawler.pages.statsguru import parse_results, results_url
from crawler.pages.tables import IncompletePage, LayoutDrift

BASE = "http://replica.test"


def page_html(
    headers: list[str], rows: list[list[str]], page: int = 1, pages: int = 3, caption="Overall figures"
):
    th = "".join(f'<th class="left" title="t">{h}</th>' for h in headers)
    body = []
    for r in rows:
        tds = []
        for h, v in zip(headers, r, strict=True):
            if h == "Player":
                pid, text = v.split("|")
                tds.append(
                    f'<td class="left"><a href="/ci/content/player/{pid}.html" class="data-link">{text}</a></td>'
                )
            elif h == "" and v:
                mid, text = v.split("|")
                tds.append(f'<td><a href="/ci/engine/match/{mid}.html">{text}</a></td>')
            else:
                tds.append(f"<td>{v}</td>")
        body.append(f'<tr class="data1">{"".join(tds)}</tr>')
    return (
        '<html><head><title>Statsguru</title></head><body><table class="engineTable"><tr class="data2"><td>menu</td></tr></table>'
        f'<table class="engineTable"><tr class="data2"><td class="left"><b>Page {page} of {pages}</b> Showing 1 - 2 of 450'
        "</td></tr></table>"
        f'<table class="engineTable"><caption>{caption}</caption><thead><tr class="headlinks">{th}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></body></html>"
    ).encode()


BAT = [
    "Player",
    "Span",
    "Mat",
    "Inns",
    "NO",
    "Runs",
    "HS",
    "Ave",
    "BF",
    "SR",
    "100",
    "50",
    "0",
    "4s",
    "6s",
    "",
]
ROW = [
    "311158|BA Stokes (ENG)",
    "2011-2026",
    "110",
    "200",
    "9",
    "7000",
    "258",
    "36.64",
    "-",
    "58.4",
    "13",
    "36",
    "17",
    "800",
    "130",
    "",
]


def resp(url: str, body: bytes) -> HtmlResponse:
    return HtmlResponse(url, body=body, encoding="utf-8")


def test_career_rows_keyed_by_header_text():
    url = results_url(BASE, 1, "batting", "career", 2, 200)
    # Columns in another order still land under their own header.
    order = [0, 2, 1] + list(range(3, len(BAT)))
    headers = [BAT[i] for i in order]
    row = [ROW[i] for i in order]
    parsed = parse_results(resp(url, page_html(headers, [row, ["9|Rashid Khan (AFG/ICC)", *row[1:]]], 2, 3)))
    assert (parsed.klass, parsed.type, parsed.view, parsed.page, parsed.pages) == (
        1,
        "batting",
        "career",
        2,
        3,
    )
    first = parsed.rows[0]
    assert first["player_id"] == 311158 and first["player_cell"] == "BA Stokes (ENG)"
    assert (
        first["cells"]["Span"] == "2011-2026"
        and first["cells"]["Mat"] == "110"
        and first["cells"]["BF"] == "-"
    )
    assert "Player" not in first["cells"] and "" not in first["cells"]
    assert first["record"] == "career" and first["page"] == 2 and first["source_url"] == url
    assert parsed.rows[1]["player_cell"] == "Rashid Khan (AFG/ICC)" and parsed.rows[1]["player_id"] == 9


def test_innings_rows_carry_match_link():
    headers = [
        "Player",
        "Runs",
        "Mins",
        "BF",
        "4s",
        "6s",
        "SR",
        "Pos",
        "Dismissal",
        "Inns",
        "Opposition",
        "Ground",
        "Start Date",
        "",
    ]
    rows = [
        [
            "7|JE Root (ENG)",
            "52*",
            "90",
            "80",
            "5",
            "1",
            "65",
            "4",
            "not out",
            "2",
            "v Australia",
            "Lord's",
            "21 Jul 2011",
            "4321|Test # 2345",
        ],
        [
            "7|JE Root (ENG)",
            "DNB",
            "-",
            "-",
            "-",
            "-",
            "-",
            "4",
            "-",
            "4",
            "v Australia",
            "Lord's",
            "21 Jul 2011",
            "4321|Test # 2345",
        ],
    ]
    url = results_url(BASE, 1, "batting", "innings", 1, 200)
    parsed = parse_results(resp(url, page_html(headers, rows, caption="Innings by innings list")))
    a, b = parsed.rows
    assert a["record"] == "innings" and a["match_id"] == "4321" and a["match_label"] == "Test # 2345"
    assert (
        a["cells"]["Runs"] == "52*"
        and a["cells"]["Start Date"] == "21 Jul 2011"
        and a["cells"]["Inns"] == "2"
    )
    assert b["cells"]["Runs"] == "DNB"


def test_bowling_columns_follow_the_class():
    test_cols = [
        "Player",
        "Span",
        "Mat",
        "Inns",
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "BBI",
        "BBM",
        "Ave",
        "Econ",
        "SR",
        "5",
        "10",
        "",
    ]
    odi_cols = [
        "Player",
        "Span",
        "Mat",
        "Inns",
        "Overs",
        "Mdns",
        "Runs",
        "Wkts",
        "BBI",
        "Ave",
        "Econ",
        "SR",
        "4",
        "5",
        "",
    ]

    def row(cols):
        return ["1|A B (ENG)"] + ["1"] * (len(cols) - 2) + [""]

    test_page, odi_page = page_html(test_cols, [row(test_cols)]), page_html(odi_cols, [row(odi_cols)])
    assert parse_results(resp(results_url(BASE, 1, "bowling", "career", 1, 50), test_page)).rows
    assert parse_results(resp(results_url(BASE, 2, "bowling", "career", 1, 50), odi_page)).rows
    # Class 11 (all men's formats) lists show the limited-overs columns (docs/contracts.md §1).
    assert parse_results(resp(results_url(BASE, 11, "bowling", "career", 1, 50), odi_page)).rows
    assert (
        parse_results(resp(results_url(BASE, 1, "bowling", "career", 1, 50), test_page)).headers.absent == ()
    )
    # Test columns on an ODI list: BBM and 10 are career bowling columns the map knows (kept, typed), the
    # limited-overs "4" is absent: counted, not drift.
    odd = parse_results(resp(results_url(BASE, 2, "bowling", "career", 1, 50), test_page))
    assert (odd.headers.absent, odd.headers.unknown) == (("4",), ())
    assert {"BBM", "10"} <= set(odd.rows[0]["cells"]) and "4" not in odd.rows[0]["cells"]


def test_renamed_header_is_drift_naming_it():
    headers = [("Avg" if h == "Ave" else h) for h in BAT]
    with pytest.raises(LayoutDrift) as err:
        parse_results(resp(results_url(BASE, 1, "batting", "career", 1, 50), page_html(headers, [ROW])))
    msg = str(err.value)
    assert "Avg" in msg and "Ave" in msg and "headers seen" in msg


def test_past_the_end_page_has_no_rows():
    body = (
        b'<html><body><table class="engineTable"><tr class="data1"><td>No records available to match this query'
        b"</td></tr></table></body></html>"
    )
    parsed = parse_results(resp(results_url(BASE, 3, "fielding", "career", 9, 200), body))
    assert parsed.rows == []


def test_truncated_page_is_incomplete():
    body = page_html(BAT, [ROW])
    with pytest.raises(IncompletePage):
        parse_results(resp(results_url(BASE, 1, "batting", "career", 1, 50), body[:-40]))
