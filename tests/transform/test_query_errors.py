"""`cricket-transform query`: an unknown table or view, or bad SQL, is one clear line (exit 1), not a traceback."""

from __future__ import annotations

from tests.transform.rawgen import write_run
from tests.transform.test_rejects import item
from transform import cli


def test_unknown_table_lists_the_tables_and_views(tmp_path, transform_run, capsys):
    raw, cur = tmp_path / "raw", tmp_path / "cur"
    write_run(raw, "statsguru", "a", [item(pid=i) for i in range(1, 4)])
    assert transform_run(raw, cur, run_id="r1", raw_runs=["a"]).published
    capsys.readouterr()
    assert cli.main(["query", "--curated", str(cur), "SELECT * FROM battin_career"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "cricket-transform query: error: no table or view 'battin_career'; tables: players,"
    )
    assert "batting_career" in line and "views: player_career" in line
    assert cli.main(["query", "--curated", str(cur), "SELEC 1"]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("cricket-transform query: error: ParseError:")
    assert cli.main(["query", "--curated", str(cur), "SELECT count(*) AS n FROM players"]) == 0
    assert "3" in capsys.readouterr().out
