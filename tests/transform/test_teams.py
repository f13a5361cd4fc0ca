"""One canonical team per side in the curated tables: old and new codes alike, composites never a country,
unknown spellings kept and reported; the `teams` table is written by every run."""

from __future__ import annotations

from tests.transform.conftest import read_table
from tests.transform.rawgen import write_run
from tests.transform.test_rejects import GOOD, INNINGS, item

WOMEN = {**INNINGS, "class": 9, "match_label": "WODI # 100"}


def test_countries_and_oppositions_are_canonical_and_unknowns_are_findings(tmp_path, transform_run):
    rows = [
        item(GOOD, pid=1, player_cell="A Old (INDIA)"),
        item(GOOD, pid=2, player_cell="B New (IND)"),
        item(GOOD, pid=3, player_cell="JH Kallis (Afr/ICC/SA)"),
        item(GOOD, pid=4, player_cell="C Nobody (XYZ)"),
        item(GOOD, pid=5, player_cell="D Dhaka (BDESH)", **{"class": 2}),
        # innings rows name that innings' side only: a composite leaves the country to the player's other rows
        item(INNINGS, pid=3, player_cell="JH Kallis (Afr)", cell_Opposition="v Asia XI", match_id="10"),
        item(INNINGS, pid=1, player_cell="A Old (INDIA)", cell_Opposition="v U.A.E.", match_id="11"),
        item(INNINGS, pid=2, player_cell="B New (IND)", cell_Opposition="v Atlantis", match_id="12"),
        item(WOMEN, pid=6, player_cell="E Bangla (BD-W)", cell_Opposition="v ENG Women", match_id="13"),
        item(WOMEN, pid=7, player_cell="F Eng (ENG-W)", cell_Opposition="v Bdesh Wmn", match_id="13"),
        item(WOMEN, pid=8, player_cell="G Dane (DnWmn)", cell_Opposition="v Y. Eng Women", match_id="14"),
    ]
    for r in rows:  # these innings lists show no Pos and no Dismissal (as the real multi-player lists)
        r["cells"].pop("Pos", None) if r["record"] == "innings" else None
        r["cells"].pop("Dismissal", None) if r["record"] == "innings" else None
    write_run(tmp_path / "raw", "statsguru", "s1", rows)
    res = transform_run(tmp_path / "raw", tmp_path / "cur", run_id="t1", max_reject_ratio=0)
    assert res.exit_code == 0, res.summary
    careers = {r["player_id"]: r["country"] for r in read_table(tmp_path / "cur", "batting_career")}
    assert careers == {1: "IND", 2: "IND", 3: "SA", 4: "XYZ", 5: "BAN"}
    innings = {r["player_id"]: r for r in read_table(tmp_path / "cur", "batting_innings")}
    assert {p: (r["country"], r["opposition"]) for p, r in innings.items()} == {
        3: ("SA", "ASIA-XI"),  # Afr is a composite: Kallis's country comes from his career row
        1: ("IND", "UAE"),
        2: ("IND", "Atlantis"),  # an opposition teams.csv does not know keeps the site's text
        6: ("BAN-W", "ENG-W"),
        7: ("ENG-W", "BAN-W"),
        8: ("DNK-W", "YEN-W"),
    }
    assert innings[1]["position"] is None and innings[1]["dismissal"] is None
    players = {r["player_id"]: r for r in read_table(tmp_path / "cur", "players")}
    # a career list's cell names every side (an innings row's only one): it wins for `teams`
    assert players[3]["teams"] == ["AFR-XI", "ICC-XI", "SA"] and players[3]["country"] == "SA"
    assert players[6]["teams"] == ["BAN-W"] and players[8]["country"] == "DNK-W"
    dq = res.report["dq"]
    assert dq["checks"]["batting_career"]["unknown_team:XYZ"] == {"checked": 5, "failed": 1}
    assert dq["checks"]["batting_innings"]["unknown_opposition:Atlantis"]["failed"] == 1
    assert dq["samples"]["batting_innings.unknown_opposition:Atlantis"][0]["unknown_opposition"] == "Atlantis"
    assert not [
        c
        for t in dq["checks"].values()
        for c in t
        if c.startswith("unknown_") and c[-3:] not in ("XYZ", "tis")
    ]
    teams = {r["team_id"]: r for r in read_table(tmp_path / "cur", "teams")}
    assert len(teams) > 190 and teams["IND"]["player_codes"] == ["INDIA", "IND"]
    assert (teams["ENG-W"]["nation"], teams["ENG-W"]["gender"], teams["AFR-XI"]["kind"]) == (
        "England",
        "female",
        "composite",
    )
    assert res.tables["teams"]["rows"] == len(teams)
