"""Innings figures from the real Cricsheet files' deliveries, by Statsguru's rules: values counted by hand."""

from __future__ import annotations

import copy
import json

import pytest

from transform.cricsheet_figures import innings_figures

REAL = ("1249875", "1086066", "1403290", "1260097")


@pytest.fixture(scope="module")
def figures(real_fixtures):
    out = {}
    for mid in REAL:
        doc = json.loads((real_fixtures / "cricsheet" / f"{mid}.json").read_text())
        out[mid] = (doc, innings_figures(doc))
    return out


def by_name(rows: dict, name: str):
    return next(r for r in rows.values() if r.name == name)


@pytest.mark.parametrize("mid", REAL)
def test_every_innings_total_is_the_sum_of_its_deliveries(figures, mid):
    doc, innings = figures[mid]
    for inn, raw in zip(innings, [i for i in doc["innings"] if not i.get("super_over")], strict=True):
        deliveries = [d for o in raw["overs"] for d in o["deliveries"]]
        assert inn.runs == sum(d["runs"]["total"] for d in deliveries)
        bat = sum(b.runs for b in inn.batting.values())
        assert inn.runs == bat + sum(inn.extras.values())
        # the bowlers' runs are the total less byes, leg byes and penalties
        bowled = sum(b.runs for b in inn.bowling.values())
        assert bowled == inn.runs - sum(inn.extras.get(k, 0) for k in ("byes", "legbyes", "penalty"))
        assert sum(b.balls for b in inn.bowling.values()) == inn.legal_balls


def test_the_wtc_final(figures):
    _doc, inns = figures["1249875"]
    assert [(i.team, i.runs, i.wickets) for i in inns] == [
        ("India", 217, 10),
        ("New Zealand", 249, 10),
        ("India", 170, 10),
        ("New Zealand", 140, 2),
    ]
    kohli = by_name(inns[0].batting, "V Kohli")
    assert (kohli.runs, kohli.balls, kohli.fours, kohli.sixes, kohli.dismissal) == (44, 132, 1, 0, "lbw")
    # Williamson's 49 has an all-run four (`non_boundary`): 6 fours, not 7
    kw = by_name(inns[1].batting, "KS Williamson")
    assert (kw.runs, kw.balls, kw.fours, kw.out, kw.position) == (49, 177, 6, True, 3)
    kw2 = by_name(inns[3].batting, "KS Williamson")
    assert (kw2.runs, kw2.balls, kw2.fours, kw2.out) == (52, 89, 8, False)
    jamieson = by_name(inns[0].bowling, "KA Jamieson")
    assert (jamieson.balls, jamieson.maidens, jamieson.runs, jamieson.wickets, jamieson.noballs) == (
        132,
        12,
        31,
        5,
        1,
    )
    ashwin = by_name(inns[3].bowling, "R Ashwin")
    assert (ashwin.balls, ashwin.maidens, ashwin.runs, ashwin.wickets) == (60, 5, 17, 2)
    ishant = by_name(inns[3].bowling, "I Sharma")
    assert ishant.balls == 38  # 6.2 overs: the match ended mid-over
    assert inns[1].extras == {"legbyes": 16, "noballs": 6, "byes": 4}


def test_the_womens_ashes_test_declaration_and_perrys_213(figures):
    doc, inns = figures["1086066"]
    assert doc["info"]["outcome"] == {"result": "draw"}
    assert [(i.team, i.runs, i.wickets, i.declared) for i in inns] == [
        ("England", 280, 10, False),
        ("Australia", 448, 9, True),
        ("England", 206, 2, False),
    ]
    perry = by_name(inns[1].batting, "EA Perry")
    assert (perry.runs, perry.balls, perry.fours, perry.sixes, perry.out) == (213, 374, 26, 1, False)
    # over 33 is in `miscounted_overs` (5 balls, all dots, all Ecclestone's): a complete over, so a maiden
    ecc = by_name(inns[1].bowling, "S Ecclestone")
    assert (ecc.balls, ecc.maidens, ecc.runs, ecc.wickets) == (221, 7, 107, 3)
    mcgrath = by_name(inns[0].bowling, "TM McGrath")
    assert (mcgrath.balls, mcgrath.maidens, mcgrath.runs, mcgrath.wickets) == (114, 8, 45, 2)


def test_nepal_v_hong_kong(figures):
    _doc, inns = figures["1403290"]
    assert [(i.runs, i.wickets, i.legal_balls) for i in inns] == [(213, 6, 120), (134, 8, 120)]
    malla = by_name(inns[0].batting, "Kushal Malla")
    assert (malla.runs, malla.balls, malla.fours, malla.sixes) == (92, 41, 3, 9)
    ghaz = by_name(inns[0].bowling, "Mohammad Ghazanfar")
    assert (ghaz.balls, ghaz.maidens, ghaz.runs, ghaz.wickets, ghaz.wides, ghaz.noballs) == (
        24,
        0,
        53,
        2,
        4,
        1,
    )


def test_the_womens_t20i_won_on_dl(figures):
    doc, inns = figures["1260097"]
    assert doc["info"]["outcome"] == {"winner": "England", "by": {"runs": 18}, "method": "D/L"}
    assert [(i.runs, i.wickets, i.legal_balls) for i in inns] == [(177, 7, 120), (54, 3, 52)]
    sciver = by_name(inns[0].batting, "NR Sciver")
    assert (sciver.runs, sciver.balls, sciver.fours, sciver.sixes) == (55, 27, 8, 1)
    glenn = by_name(inns[1].bowling, "S Glenn")
    assert (glenn.balls, glenn.runs, glenn.wickets) == (10, 6, 1)
    mandhana = by_name(inns[1].batting, "S Mandhana")
    assert (mandhana.runs, mandhana.balls, mandhana.fours, mandhana.out) == (29, 17, 6, True)


def _deliveries(doc: dict, innings: int = 0) -> list[dict]:
    return [d for o in doc["innings"][innings]["overs"] for d in o["deliveries"]]


def test_a_batter_retired_hurt_who_comes_back_goes_on_with_the_same_innings(figures):
    doc = copy.deepcopy(figures["1403290"][0])
    balls = _deliveries(doc)
    malla = [i for i, d in enumerate(balls) if d["batter"] == "Kushal Malla"]
    # Malla retires hurt on his 10th ball and comes back: Cricsheet records the retirement as a wicket
    balls[malla[9]].setdefault("wickets", []).append({"player_out": "Kushal Malla", "kind": "retired hurt"})
    first = innings_figures(doc)[0]
    back = by_name(first.batting, "Kushal Malla")
    real = by_name(figures["1403290"][1][0].batting, "Kushal Malla")
    assert (back.runs, back.balls, back.out, back.dismissal) == (92, 41, real.out, real.dismissal)
    assert (first.wickets, first.runs) == (6, 213)  # a retirement is no wicket of the side's
    # one who never comes back stays "retired hurt", not out, and no bowler has his wicket
    last = balls[malla[-1]]
    kept = [w for w in last.get("wickets", []) if w["player_out"] != "Kushal Malla"]
    last["wickets"] = [*kept, {"player_out": "Kushal Malla", "kind": "retired hurt"}]
    gone = innings_figures(doc)[0]
    hurt = by_name(gone.batting, "Kushal Malla")
    assert (hurt.out, hurt.dismissal) == (False, "retired hurt")
    bowler = by_name(gone.bowling, last["bowler"])
    was = by_name(first.bowling, last["bowler"])
    assert bowler.wickets == was.wickets - (1 if real.out else 0)


def test_a_substitutes_catch_is_no_players(figures):
    doc = copy.deepcopy(figures["1086066"][0])
    caught = next(
        w
        for d in _deliveries(doc)
        for w in d.get("wickets", [])
        if w["kind"] == "caught" and w.get("fielders")
    )
    catcher = caught["fielders"][0]["name"]
    before = innings_figures(doc)[0]
    caught["fielders"][0]["substitute"] = True
    after = innings_figures(doc)[0]
    assert (
        after.fielding[_fielder_key(before, catcher)].catches
        == before.fielding[_fielder_key(before, catcher)].catches - 1
    )
    assert after.wickets == before.wickets  # still out, still the bowler's wicket
    assert sum(b.wickets for b in after.bowling.values()) == sum(b.wickets for b in before.bowling.values())


def _fielder_key(inn, name: str) -> str:
    return next(k for k, f in inn.fielding.items() if f.name == name)


def test_eight_ball_overs_make_a_maiden_only_when_all_eight_are_scoreless():
    def ball(runs: int = 0, **extras) -> dict:
        d = {
            "batter": "A",
            "non_striker": "B",
            "bowler": "X",
            "runs": {"batter": runs, "extras": 0, "total": runs},
        }
        if extras:
            d["extras"] = extras
            d["runs"]["extras"] = d["runs"]["total"] = sum(extras.values()) + runs
        return d

    doc = {
        "info": {"balls_per_over": 8, "players": {"P": ["A", "B"], "Q": ["X"]}},
        "innings": [
            {
                "team": "P",
                "overs": [
                    {"over": 0, "deliveries": [ball() for _ in range(8)]},  # a maiden of eight
                    {"over": 1, "deliveries": [ball() for _ in range(6)]},  # six scoreless: not complete
                    {
                        "over": 2,
                        "deliveries": [*(ball() for _ in range(7)), ball(legbyes=1), ball(noballs=1)],
                    },
                ],
            }
        ],
    }
    (inn,) = innings_figures(doc)
    x = by_name(inn.bowling, "X")
    assert (x.balls, x.maidens, x.runs, x.noballs) == (22, 1, 1, 1)
    assert by_name(inn.batting, "A").balls == 23  # the no-ball was faced


def test_a_forfeited_innings_keeps_its_number_and_has_no_ones_figures(figures):
    doc = copy.deepcopy(figures["1249875"][0])
    real = innings_figures(doc)
    doc["innings"].insert(1, {"team": doc["innings"][1]["team"], "overs": [], "forfeited": True})
    got = innings_figures(doc)
    assert [i.number for i in got] == list(range(1, len(real) + 2))
    gone = got[1]
    assert gone.forfeited and (gone.runs, gone.wickets, gone.legal_balls) == (0, 0, 0)
    assert not gone.batting and not gone.bowling and not gone.fielding  # nobody fielded: no zero rows
    # the innings after it keep their figures, numbered one on
    assert [(i.team, i.runs, i.wickets) for i in got[2:]] == [(i.team, i.runs, i.wickets) for i in real[1:]]
