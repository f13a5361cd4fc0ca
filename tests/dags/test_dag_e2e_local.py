"""End to end: `dag.test()` with CRICKET_BACKEND=local crawls the replica into moto S3, transforms, publishes to Glue, checks.

Airflow runs in a subprocess (its own AIRFLOW_HOME, migrated DB and DAGs folder) so its global
configuration never leaks into other tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from cricket_commands import safe_run_id

from tests.dags.conftest import MAIN_BIN

DRIVER = Path(__file__).with_name("dagtest_driver.py")
BUCKET = "example-cricket-bucket"
# The replica is our own local site: crawl it without the polite delays meant for the real one.
FAST = "AUTOTHROTTLE_ENABLED=False,DOWNLOAD_DELAY=0,CONCURRENT_REQUESTS=32,CONCURRENT_REQUESTS_PER_DOMAIN=32"


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory) -> dict[str, str]:
    from scripts.dag_bundle import build

    home = tmp_path_factory.mktemp("airflow-home")
    bundle = tmp_path_factory.mktemp("dag-bundle") / "dags"
    build(
        bundle
    )  # what the deploy uploads: dags/ with the packages the DAG imports, nothing of the repo else
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(bundle),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "airflow"), "db", "migrate"],
        env={**os.environ, **env},
        check=True,
        capture_output=True,
        timeout=600,
    )
    return env


def run_dag(
    airflow_home,
    aws_env,
    *,
    base_url: str,
    prefix: str,
    conf: dict,
    logical_date: str | None = None,
    variables: dict[str, str] | None = None,
) -> tuple[dict, str]:
    env = {
        **os.environ,
        **airflow_home,
        **aws_env,
        "CRICKET_BACKEND": "local",
        # Airflow Variables, as MWAA would hold them (AIRFLOW_VAR_<NAME> is Airflow's env form).
        "AIRFLOW_VAR_CRICKET_RAW_URI": f"s3://{BUCKET}/{prefix}/raw",
        "AIRFLOW_VAR_CRICKET_CURATED_URI": f"s3://{BUCKET}/{prefix}/curated",
        "AIRFLOW_VAR_CRICKET_GLUE_DATABASE": f"cricket_{prefix}",
        "AIRFLOW_VAR_CRICKET_BASE_URL": base_url,
        "AIRFLOW_VAR_CRICKET_SCRAPE_SETTINGS": FAST,
        # cricket-scrape / cricket-transform live in the project's venv, not in MWAA's.
        "PATH": f"{MAIN_BIN}:{os.environ.get('PATH', '')}",
        **{f"AIRFLOW_VAR_{k}": v for k, v in (variables or {}).items()},
    }
    proc = subprocess.run(
        [sys.executable, str(DRIVER), json.dumps(conf), *([logical_date] if logical_date else [])],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    out = proc.stdout + proc.stderr
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("DAGTEST-RESULT ")]
    assert proc.returncode == 0 and lines, out[-5000:]
    return json.loads(lines[-1].removeprefix("DAGTEST-RESULT ")), out


@pytest.fixture(scope="module")
def bucket(moto_s3):
    s3 = boto3.client(
        "s3", endpoint_url=moto_s3.url, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def test_dag_runs_end_to_end_on_local_backend(airflow_home, aws_env, bucket, replica_300):
    result, log = run_dag(
        airflow_home,
        aws_env,
        base_url=replica_300.url,
        prefix="ok",
        conf={"mode": "lists", "classes": [1, 2]},
    )
    states = {k: v["state"] for k, v in result["tis"].items()}
    assert result["state"] == "success", log[-5000:]
    assert states == {
        "plan[-1]": "success",
        "scrape[0]": "success",
        "scrape[1]": "success",
        "profile_launches[-1]": "success",
        "profiles[0]": "success",
        "cricsheet_launches[-1]": "success",
        "cricsheet[-1]": "skipped",  # the cricsheet mode is off (no Variable CRICKET_CRICSHEET)
        "transform[-1]": "success",
        "publish[-1]": "success",
        "check[-1]": "success",
    }
    run = safe_run_id(result["run_id"])
    s3 = boto3.client("s3")
    # Each mapped scrape wrote its own finished raw run named after the DAG run.
    for raw_run in (f"statsguru/run_id={run}-c1-career", f"statsguru/run_id={run}-c2-career",
                    f"profiles/run_id={run}-profiles"):  # fmt: skip
        s3.head_object(Bucket=bucket, Key=f"ok/raw/{raw_run}/_manifest.json")
    current = json.loads(s3.get_object(Bucket=bucket, Key="ok/curated/_current.json")["Body"].read())
    assert current["run_id"] == run
    for table in ("players", "batting_career", "bowling_career", "fielding_career"):
        assert current["tables"][table]["rows"] > 0, table
    assert {"test", "odi"} == {
        part.split("format=")[1].split("/")[0] for part in current["tables"]["batting_career"]["files"]
    }
    # publish pointed moto's Glue tables at this run's data.
    glue = boto3.client("glue")
    tables = {t["Name"]: t for t in glue.get_tables(DatabaseName="cricket_ok")["TableList"]}
    assert run in tables["batting_career"]["StorageDescriptor"]["Location"]
    # check logged its report: rows per table, rejects and DQ findings.
    assert "curated run report" in log and '"rejects": 0' in log and '"dq_findings":' in log
    # ... and the URI of the run's HTML report (its XCom), which cricket-transform wrote after the pointer.
    page = f"ok/curated/_reports/run_id={run}/index.html"
    assert f"run report: s3://{bucket}/{page}" in log
    assert s3.head_object(Bucket=bucket, Key=page)["ContentLength"] > 10_000


def test_drifted_site_fails_at_scrape_without_retry(airflow_home, aws_env, bucket, replica_factory):
    drifted = replica_factory("--players", "60", "--seed", "7", "--drift", "headers")
    result, log = run_dag(
        airflow_home,
        aws_env,
        base_url=drifted.url,
        prefix="drift",
        conf={"mode": "lists", "classes": [1], "profiles": False},
    )
    assert result["state"] == "failed"
    scrape = result["tis"]["scrape[0]"]
    assert scrape == {"state": "failed", "try_number": 1}  # AirflowFailException: no retry
    assert result["tis"]["transform[-1]"]["state"] == "upstream_failed"
    assert "scrape stopped: layout drift" in log and "(exit 3); not retried" in log
    # The crawler's own message names the renamed header; it is in the task log.
    assert "layout drift at " in log and "unknown headers ['Avg']" in log
    s3 = boto3.client("s3")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="drift/curated/")


def test_blocked_scrape_fails_without_retry(replica_factory, tmp_path, capfd, monkeypatch):
    """The local backend's runner on the real cricket-scrape: a site that blocks (exit 2) is a final failure."""
    from airflow.sdk.exceptions import AirflowFailException
    from cricket_commands import scrape_command
    from cricket_local import run_step

    # As on a worker with cricket-stats installed: the programs are on PATH.
    monkeypatch.setenv("PATH", f"{MAIN_BIN}:{os.environ.get('PATH', '')}")
    blocking = replica_factory("--players", "30", "--seed", "7", "--robots", "strict")
    argv = scrape_command(
        cls=1, types=["batting"], view="career", raw=tmp_path.as_uri(), run_id="blocked-c1-career",
        base_url=blocking.url, settings={"AUTOTHROTTLE_ENABLED": "False"},
    )  # fmt: skip
    with pytest.raises(
        AirflowFailException, match=r"scrape stopped: blocked by the site .*\(exit 2\); not retried"
    ):
        run_step("scrape", argv)
    out, err = capfd.readouterr()
    assert "robots.txt" in out + err  # the crawler's own reason, streamed into the log


def test_the_dag_is_unpaused_at_creation_where_new_dags_are_paused(airflow_home, tmp_path):
    """MWAA keeps Airflow's default (new DAGs paused): cricket_stats lands unpaused, a control DAG paused."""
    import shutil

    folder = tmp_path / "dags"
    shutil.copytree(
        airflow_home["AIRFLOW__CORE__DAGS_FOLDER"], folder, ignore=shutil.ignore_patterns("__pycache__")
    )
    (folder / "control_dag.py").write_text(
        "import datetime as dt\nfrom airflow.sdk import dag, task\n\n\n"
        "@dag(schedule=None, start_date=dt.datetime(2026, 1, 1))\ndef control_dag():\n"
        "    @task\n    def noop():\n        pass\n\n    noop()\n\n\ncontrol_dag()\n"
    )
    env = {
        **os.environ,
        **airflow_home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(folder),
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
        "CRICKET_BACKEND": "ecs",
    }
    airflow = str(Path(sys.executable).parent / "airflow")
    subprocess.run([airflow, "dags", "reserialize"], env=env, check=True, capture_output=True, timeout=300)
    out = subprocess.run(
        [airflow, "dags", "list", "-o", "json"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    (line,) = [ln for ln in out.splitlines() if ln.startswith("[{")]  # the JSON among the log lines
    listed = {d["dag_id"]: d["is_paused"] for d in json.loads(line)}
    assert listed == {"cricket_stats": "False", "control_dag": "True"}


# Run on the project's venv (pyarrow, the replica): the DAG venv is MWAA's and has neither.
TRUTH_CHECK = """
import sys, datetime as dt
from replica import timeline
from replica.model import Model
from replica.pages import Site
from replica.truth import differences, table_rows
from transform.ddl import current
from transform.query import dataset
from transform.schemas import TABLES, TRUTH_TABLES

curated, day, run = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3]
cur = current(curated)
assert cur["run_id"] == run, cur["run_id"]
site = Site(timeline.as_of(Model(300, 7), day, 5))
diffs = []
for t in TRUTH_TABLES:
    got = dataset(t, cur["tables"][t]).to_table().select(TABLES[t].names).to_pylist()
    diffs += differences(t, got, list(table_rows(site, t)))
# the player pages' limited-overs summary rows (the transform's precedence, see tests/crawler/test_refresh_crawl.py)
page = {("bowling_career", c) for c in ("best_match_wickets", "best_match_runs", "four_wickets", "ten_wickets")}
page |= {("batting_career", "fours"), ("batting_career", "sixes")}
left = [d for d in diffs if (d.split()[0], d.split(": ")[0].rsplit(" ", 1)[1]) not in page]
print(len(diffs), "differences,", len(left), "unexplained", left[:5])
sys.exit(1 if left else 0)
"""


def _published_equals_truth(aws_env, bucket: str, prefix: str, day, run: str) -> None:
    """The curated snapshot in moto S3 equals the replica's truth as of `day` (300 players, corrections 5)."""
    from tests.dags.conftest import REPO

    proc = subprocess.run(
        [
            str(MAIN_BIN / "python"),
            "-c",
            TRUTH_CHECK,
            f"s3://{bucket}/{prefix}/curated",
            day.isoformat(),
            run,
        ],
        cwd=REPO,
        env={**os.environ, **aws_env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]


def test_two_weekly_intervals_refresh_and_publish_each_weeks_snapshot(
    airflow_home, aws_env, bucket, replica_factory
):
    """Refresh mode, as scheduled: the first interval has no state (the full crawl), the next is the week's delta;
    each publishes the truth as of its interval's last day. A re-run of the second is idempotent."""
    import datetime as dt

    weeks = [
        ("2026-04-19T00:00:00+00:00", dt.date(2026, 4, 18)),
        ("2026-04-26T00:00:00+00:00", dt.date(2026, 4, 25)),
    ]
    conf = {"render": "never", "max_requests": 0}
    s3 = boto3.client("s3")
    for logical, day in weeks:
        srv = replica_factory(
            "--players", "300", "--seed", "7", "--corrections", "5", "--as-of", day.isoformat()
        )
        result, log = run_dag(
            airflow_home, aws_env, base_url=srv.url, prefix="weekly", conf=conf, logical_date=logical
        )
        assert result["state"] == "success", log[-5000:]
        assert result["data_interval_end"].startswith(logical[:10])
        assert result["tis"]["scrape[0]"]["state"] == "success" and "profiles[0]" not in result["tis"]
        state = json.loads(s3.get_object(Bucket=bucket, Key="weekly/raw/_state/refresh.json")["Body"].read())
        assert state["watermark"] == day.isoformat()
        run = safe_run_id(result["run_id"])
        _published_equals_truth(aws_env, bucket, "weekly", day, run)
        srv.stop()
    assert [r["kind"] for r in state["refreshes"]] == ["full", "delta"]
    # the same interval again: the refresh has nothing to do, the state stays as it was
    srv = replica_factory("--players", "300", "--seed", "7", "--corrections", "5", "--as-of", "2026-04-25")
    result, log = run_dag(
        airflow_home, aws_env, base_url=srv.url, prefix="weekly", conf=conf, logical_date=weeks[1][0]
    )
    assert result["state"] == "success", log[-5000:]
    assert "nothing to do" in log
    again = json.loads(s3.get_object(Bucket=bucket, Key="weekly/raw/_state/refresh.json")["Body"].read())
    assert again == state


def test_refresh_mode_runs_the_refreshs_cricsheet_run_in_the_cricsheet_task(
    airflow_home, aws_env, bucket, replica_factory
):
    """Two scheduled weeks with the Variable CRICKET_CRICSHEET=recent: the first has no finished cricsheet run
    (the cricsheet task's refresh backfills the archives), the second fetches recently_added_7; each transform
    publishes every match the replica's Cricsheet serves that week."""
    import datetime as dt

    from tests.dags.conftest import REPO

    weeks = [
        ("2026-04-19T00:00:00+00:00", dt.date(2026, 4, 18), "cricsheet-2026-04-18"),
        ("2026-04-26T00:00:00+00:00", dt.date(2026, 4, 25), "cricsheet-2026-04-25"),
    ]
    s3 = boto3.client("s3")
    for logical, day, cs_run in weeks:
        srv = replica_factory(
            "--players", "30", "--seed", "7", "--cricsheet-from", "2026", "--as-of", str(day)
        )
        result, log = run_dag(
            airflow_home, aws_env, base_url=srv.url, prefix="cs", conf={"render": "never", "max_requests": 0},
            logical_date=logical, variables={"CRICKET_CRICSHEET": "recent", "CRICKET_CRICSHEET_URL": srv.url},
        )  # fmt: skip
        assert result["state"] == "success", log[-5000:]
        assert result["tis"]["cricsheet[0]"]["state"] == "success"
        key = f"cs/raw/cricsheet/run_id={cs_run}/_manifest.json"
        args = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())["arguments"]
        assert args.get("recent") == (None if day == weeks[0][1] else "7"), args
        # the published matches are those the replica's Cricsheet serves as of the day (the project's venv reads them)
        proc = subprocess.run(
            [str(MAIN_BIN / "python"), "-c", MATCHES_CHECK, f"s3://{bucket}/cs/curated", str(day), safe_run_id(result["run_id"])],
            cwd=REPO, env={**os.environ, **aws_env}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
        srv.stop()


MATCHES_CHECK = """
import sys, datetime as dt
from tests.crawler.test_refresh_cricsheet import _served_matches
from transform.ddl import current
from transform.query import dataset

curated, day, run = sys.argv[1], dt.date.fromisoformat(sys.argv[2]), sys.argv[3]
cur = current(curated)
assert cur["run_id"] == run, cur["run_id"]
got = set(dataset("matches", cur["tables"]["matches"]).to_table().column("match_id").to_pylist())
want = _served_matches(day)
print(len(got), "matches published,", len(want), "served")
sys.exit(0 if got == want and want else 1)
"""
