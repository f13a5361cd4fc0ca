"""The replica's player pages have the table skeleton of each real saved Statsguru page, exactly."""

from __future__ import annotations

import re
from collections import defaultdict

import lxml.html
import pytest

from tests.replica.conftest import get_html

REAL_PAGES = {
    # real page → (type, which replica player stands in for it)
    "statsguru_player_311158_class11_batting_career.html": ("batting", "all_formats"),
    "statsguru_player_311158_class11_bowling_career.html": ("bowling", "all_formats"),
    "statsguru_player_311158_class11_fielding_career.html": ("fielding", "all_formats"),
    "statsguru_player_464626_class11_batting_career_partial_formats.html": ("batting", "two_formats"),
    "statsguru_player_887207_class11_batting_career_single_format.html": ("batting", "one_format"),
    "statsguru_player_578769_class11_fielding_no_records.html": ("fielding", "no_records"),
}
MEN = {"test", "odi", "t20i"}


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _cell_kind(td) -> str:
    """What the last cell of a row holds: a profile link, an innings link (image), or nothing."""
    a = td.xpath("./a")
    if not a:
        return "empty"
    if a[0].xpath("./img"):
        return f"img-link:{a[0].get('title')}"
    return f"link:{_norm(a[0].text_content())}:{a[0].get('title')}"


def skeleton(doc) -> list[dict]:
    """Tables, captions, header rows (texts, classes, titles), row classes and row shapes — no data."""
    out = []
    for t in doc.xpath('//table[contains(concat(" ", normalize-space(@class), " "), " engineTable ")]'):
        item: dict = {"class": t.get("class"), "style": t.get("style"), "caption": t.findtext("caption")}
        head = t.xpath("./thead/tr")
        if head:
            tr = head[0]
            item["head_class"] = tr.get("class")
            item["th"] = [
                (
                    th.get("class"),
                    th.get("title") or (th.xpath("./a/@title") or [None])[0],
                    _norm(th.text_content()),
                )
                for th in tr.xpath("./th")
            ]
        rows = t.xpath("./tbody/tr") if t.xpath("./tbody") else t.xpath("./tr")
        item["row_classes"] = sorted({r.get("class") for r in rows})
        if item["caption"]:
            shapes = set()
            for r in rows:
                tds = r.xpath("./td")
                if len(tds) == 1 and tds[0].get("colspan"):
                    shapes.add(("separator", tds[0].get("colspan"), len(tds[0].xpath("./br"))))
                elif len(tds) == 1:
                    shapes.add(("single", tds[0].get("class"), bool(tds[0].xpath("./b"))))
                else:
                    # padAst / padDp* depend on the value shown (checked by rule below), not on the layout
                    classes = tuple(
                        None if (td.get("class") or "").startswith("pad") else td.get("class")
                        for td in tds[:-1]
                    )
                    shapes.add(("data", len(tds), classes, bool(tds[0].xpath("./b")), _cell_kind(tds[-1])))
            item["shapes"] = sorted(shapes, key=repr)
            bodies = t.xpath("./tbody")
            item["tbodies_open_with_separator"] = sorted(
                {bool(b.xpath("./tr[1]/td[@colspan]")) for b in bodies[1:]}
            )
        out.append(item)
    return out


def summary_sections(doc) -> list[list[str]]:
    t = doc.xpath('//table[caption="Career summary"]')[0]
    sections = []
    for body in t.xpath("./tbody"):
        labels = [
            _norm(r.xpath("./td")[0].text_content())
            for r in body.xpath("./tr")
            if not r.xpath("./td[@colspan]")
        ]
        sections.append(labels)
    return sections


def pad_ast_rule(doc) -> None:
    """HS cells carry padAst unless they show a not-out star (as on the real pages)."""
    for t in doc.xpath("//table[caption]"):
        ths = [_norm(th.text_content()) for th in t.xpath("./thead/tr/th")]
        if "HS" not in ths:
            continue
        i = ths.index("HS")
        for r in t.xpath("./tbody/tr"):
            tds = r.xpath("./td")
            if len(tds) == len(ths):
                v = _norm(tds[i].text_content())
                assert (tds[i].get("class") == "padAst") == (not v.endswith("*")), v


PAD = {
    "batting": {"Ave": "padDp2", "SR": "padDp2"},
    "bowling": {"Ave": "padDp2", "Econ": "padDp2", "SR": "padDp1"},
    "fielding": {"D/I": "padDp2"},
}


def dash_rule(doc, typ: str) -> int:
    """Missing values ("-") are nowrap cells; in decimal columns they carry padDp2/padDp1. Returns how many."""
    n = 0
    for t in doc.xpath("//table[caption]"):
        ths = [_norm(th.text_content()) for th in t.xpath("./thead/tr/th")]
        for r in t.xpath("./tbody/tr"):
            tds = r.xpath("./td")
            if len(tds) != len(ths):
                continue
            for h, td in zip(ths, tds, strict=True):
                if _norm(td.text_content()) == "-":
                    n += 1
                    assert td.get("nowrap") == "nowrap", (h, lxml.html.tostring(td))
                    want = "padAst" if h == "HS" else PAD[typ].get(h)
                    assert td.get("class") == want, (h, lxml.html.tostring(td))
    return n


@pytest.fixture(scope="module")
def stand_ins(truth_300) -> dict[str, int]:
    formats = defaultdict(set)
    bowled = set()
    for r in truth_300["batting_career"]:
        formats[r["player_id"]].add(r["format"])
    for r in truth_300["bowling_career"]:
        if r["innings"]:
            bowled.add(r["player_id"])
    men = {p: f & MEN for p, f in formats.items()}
    pick = {
        "all_formats": min(p for p, f in men.items() if f == MEN and p in bowled),
        "two_formats": min(p for p, f in men.items() if len(f) == 2),
        "one_format": min(p for p, f in men.items() if len(f) == 1),
        "no_records": min(p for p, f in formats.items() if not f & MEN),  # a woman: no class-11 records
    }
    return pick


@pytest.mark.parametrize("real_name", sorted(REAL_PAGES))
def test_player_page_skeleton_matches_real_page(real_name, real_fixtures, replica_300, stand_ins):
    typ, who = REAL_PAGES[real_name]
    real = lxml.html.parse(str(real_fixtures / real_name)).getroot()
    pid = stand_ins[who]
    ours = get_html(f"{replica_300.url}/ci/engine/player/{pid}.html?class=11;template=results;type={typ}")
    assert skeleton(ours) == skeleton(real)
    real_title = real.findtext(".//title")
    assert ours.findtext(".//title") == real_title
    if who == "no_records":
        return
    pad_ast_rule(real)
    pad_ast_rule(ours)
    dash_rule(real, typ)
    dash_rule(ours, typ)
    real_secs, our_secs = summary_sections(real), summary_sections(ours)
    # the first section is the format rows, or (one format only) the opposition rows — as on the real page
    if who == "one_format":
        assert all(lab.startswith("v ") for lab in real_secs[0]) and all(
            lab.startswith("v ") for lab in our_secs[0]
        )
    else:
        fmts = {"Test matches", "One-Day Internationals", "Twenty20 Internationals"}
        assert set(real_secs[0]) <= fmts and set(our_secs[0]) <= fmts
        assert len(our_secs[0]) == (3 if who == "all_formats" else 2)
    # the sections the replica reproduces follow the real page's order: opposition, host, continent,
    # home/away, year, season — the real page's section kinds, in the same relative order
    kinds = [_kind(s[0]) for s in our_secs]
    real_kinds = [_kind(s[0]) for s in real_secs]
    assert kinds == [k for k in dict.fromkeys(real_kinds) if k in set(kinds)]
    for required in ("opposition", "host", "home_away", "year"):
        assert required in kinds


def _kind(label: str) -> str:
    if label in ("Test matches", "One-Day Internationals", "Twenty20 Internationals"):
        return "format"
    if label.startswith("v "):
        return "opposition"
    if label in ("in Africa", "in Americas", "in Asia", "in Europe", "in Oceania"):
        return "continent"
    if label.startswith("in "):
        return "host"
    if label in ("home", "away", "neutral"):
        return "home_away"
    if label.startswith("year "):
        return "year"
    if label.startswith("season "):
        return "season"
    if label in ("won match", "lost match", "tied match", "drawn match", "no result"):
        return "result"
    if label.endswith(" position"):
        return "position"
    return label


def test_real_page_skeletons_differ_where_they_should(real_fixtures):
    """The skeleton is strict enough to tell the real pages apart (so the diff above means something)."""
    sk = {n: skeleton(lxml.html.parse(str(real_fixtures / n)).getroot()) for n in REAL_PAGES}
    assert (
        sk["statsguru_player_311158_class11_batting_career.html"]
        != sk["statsguru_player_311158_class11_bowling_career.html"]
    )
    assert (
        sk["statsguru_player_311158_class11_fielding_career.html"]
        != sk["statsguru_player_578769_class11_fielding_no_records.html"]
    )
