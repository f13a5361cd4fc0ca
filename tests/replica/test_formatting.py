"""Numbers as the real site writes them: truncated not rounded, trailing zeros dropped, overs and MD forms."""

from __future__ import annotations

import numpy as np
import pytest

from replica.stats import batting_cells, fielding_cells, overs, ratio


@pytest.mark.parametrize(
    ("num", "den", "places", "shown"),
    [
        (585, 27, 2, "21.66"),  # 21.666… truncated, not 21.67 (Stokes, T20I average)
        (11264, 318, 2, "35.42"),  # Stokes overall average
        (58500, 457, 2, "128"),  # 128.008… → "128": trailing zeros dropped
        (192, 383, 3, "0.501"),  # D/I
        (115, 230, 3, "0.5"),
        (17489, 345, 1, "50.6"),  # bowling strike rate, one decimal: 50.69… → "50.6"
        (3110, 74, 1, "42"),  # 42.02… → "42"
        (11648 * 6, 17489, 2, "3.99"),  # economy 3.996… truncated
        (1, 3, 2, "0.33"),
        (0, 5, 2, "0"),
        (7, 0, 2, "-"),  # no dismissals: the site shows "-"
        (10**12 + 1, 10**10, 2, "100"),  # exact integer arithmetic, no float drift
        (115, 100, 2, "1.15"),  # 1.15 in binary floating point is 1.1499…; the page must still say 1.15
    ],
)
def test_ratio_truncates_and_drops_trailing_zeros(num, den, places, shown):
    assert ratio(num, den, places) == shown


def test_overs_keep_the_ball_digit():
    assert overs(17489) == "2914.5"
    assert overs(612) == "102.0"  # a whole number of overs still shows ".0", as on the real page
    assert overs(22) == "3.4"


def _agg(**cols):
    return {k: np.array([v]) for k, v in cols.items()}


def test_batting_cells_not_out_high_score_and_missing_balls_faced():
    a = _agg(
        mat=43,
        inns=36,
        no=9,
        runs=585,
        hs=52 * 2 + 1,
        bf=457,
        start=2011,
        end=2022,
        **{"100": 0, "50": 1, "0": 1, "4s": 42, "6s": 22},
    )
    c = batting_cells(a, 0, has_bf=True)
    assert (c["HS"], c["Ave"], c["SR"], c["Span"]) == ("52*", "21.66", "128", "2011-2022")
    old = batting_cells(a, 0, has_bf=False)
    assert (old["BF"], old["SR"]) == ("-", "-")
    never = batting_cells(
        _agg(
            mat=1,
            inns=0,
            no=0,
            runs=0,
            hs=-1,
            bf=0,
            start=2013,
            end=2013,
            **{"100": 0, "50": 0, "0": 0, "4s": 0, "6s": 0},
        ),
        0,
        True,
    )
    assert never["Mat"] == "1" and {never[k] for k in never if k not in ("Mat", "Span")} == {"-"}


def test_fielding_max_dismissals_form():
    a = _agg(mat=277, inns=383, ct=192, st=0, ctwk=0, dis=192, md=5 * 1000 + 5, start=2011, end=2026)
    c = fielding_cells(a, 0)
    assert (c["MD"], c["D/I"], c["Ct Fi"]) == ("5 (5ct 0st)", "0.501", "192")
    z = fielding_cells(_agg(mat=1, inns=1, ct=0, st=0, ctwk=0, dis=0, md=0, start=2023, end=2023), 0)
    assert (z["MD"], z["D/I"]) == ("0", "0")


def test_bowling_cells_without_wickets_or_without_bowling():
    from replica.stats import BIG, bowling_cells

    wicketless = _agg(
        mat=2,
        inns=1,
        balls=60,
        mdns=0,
        runs=51,
        wkts=0,
        bbi=BIG - 1 - 51,
        bbm=BIG - 1 - 51,
        start=2011,
        end=2013,
        **{"4": 0, "5": 0, "10": 0},
    )
    c = bowling_cells(wicketless, 0)  # as the real "in Ireland" row: 10.0 overs, 51 runs, no wicket
    assert (c["Overs"], c["Wkts"], c["BBI"], c["BBM"], c["Ave"], c["Econ"], c["SR"]) == (
        "10.0",
        "0",
        "-",
        "-",
        "-",
        "5.1",
        "-",
    )
    never = _agg(
        mat=1,
        inns=0,
        balls=0,
        mdns=0,
        runs=0,
        wkts=0,
        bbi=-1,
        bbm=-1,
        start=2023,
        end=2023,
        **{"4": 0, "5": 0, "10": 0},
    )
    n = bowling_cells(never, 0)
    assert n["Mat"] == "1" and {v for k, v in n.items() if k not in ("Mat", "Span")} == {"-"}
