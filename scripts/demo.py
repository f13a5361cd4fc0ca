"""`make demo`: the whole pipeline offline — replica → crawl → transform → DuckDB answers — on local storage;
ends by printing the path of the run's HTML report."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))

from replica.process import start_replica  # noqa: E402

FORMATS = ("test", "odi", "t20i", "wtest", "wodi", "wt20i")


def run(cmd: list[str], **kw) -> None:
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def query(curated: Path, sql: str) -> None:
    run([str(BIN / "cricket-transform"), "query", "--curated", str(curated), sql])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m scripts.demo")
    ap.add_argument("--players", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--cricsheet-from",
        type=int,
        default=2025,
        help="the replica's Cricsheet archives hold the matches of this year on (earlier years take longer)",
    )
    ap.add_argument("--data", default=str(REPO / "data"))
    ap.add_argument(
        "--keep-data", action="store_true", help="do not clear ./data/raw and ./data/curated first"
    )
    args = ap.parse_args(argv)

    data = Path(args.data).resolve()
    raw, curated = data / "raw", data / "curated"
    if not args.keep_data:
        shutil.rmtree(raw, ignore_errors=True)
        shutil.rmtree(curated, ignore_errors=True)
    raw.mkdir(parents=True, exist_ok=True)
    run_id = "demo-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    t0 = time.monotonic()

    # SIGTERM behaves like Ctrl-C so the finally block stops the replica either way.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    replica = start_replica(
        "--players", str(args.players), "--seed", str(args.seed), "--cricsheet-from", str(args.cricsheet_from)
    )
    print(f"replica: {replica.url} ({args.players} players, seed {args.seed})", flush=True)
    # A local replica is our own site: crawl it fast. Against the real site keep the polite defaults.
    fast = [
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "CONCURRENT_REQUESTS=32",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=32",
    ]
    try:
        scrape = str(BIN / "cricket-scrape")
        stats_run = f"{run_id}-statsguru"
        run(
            [
                scrape,
                "statsguru",
                "--base-url",
                replica.url,
                "--classes",
                "1,2,3,8,9,10",
                "--types",
                "batting,bowling,fielding",
                "--view",
                "career",
                "--raw",
                raw.as_uri(),
                "--run-id",
                stats_run,
                *fast,
            ]
        )
        run(
            [
                scrape,
                "profiles",
                "--base-url",
                replica.url,
                "--from-raw",
                f"{raw.as_uri()}/statsguru/run_id={stats_run}",
                "--raw",
                raw.as_uri(),
                "--run-id",
                f"{run_id}-profiles",
                "-a",
                "render=auto",
                *fast,
            ]
        )
        # The second source: Cricsheet's ball-by-ball archive and people register (its own host on the real web)
        run(
            [
                scrape,
                "cricsheet",
                "--base-url",
                replica.url,
                "--archives",
                "all",
                "--raw",
                raw.as_uri(),
                "--run-id",
                f"{run_id}-cricsheet",
                *fast,
            ]
        )
        run(
            [
                str(BIN / "cricket-transform"),
                "run",
                "--raw",
                raw.as_uri(),
                "--curated",
                curated.as_uri(),
                "--raw-run",
                stats_run,
                "--raw-run",
                f"{run_id}-profiles",
                "--run-id",
                run_id,
            ]
        )
    finally:
        replica.stop()
        print("replica stopped", flush=True)

    print("\n== top 10 run scorers per format", flush=True)
    query(
        curated,
        "SELECT format, rank, name, country, runs, average FROM ("
        " SELECT format, row_number() OVER (PARTITION BY format ORDER BY runs DESC, player_id) AS rank,"
        " name, country, runs, round(average, 2) AS average FROM batting_career)"
        " WHERE rank <= 10 ORDER BY format, rank",
    )
    print("\n== top 10 wicket takers per format", flush=True)
    query(
        curated,
        "SELECT format, rank, name, country, wickets, average FROM ("
        " SELECT format, row_number() OVER (PARTITION BY format ORDER BY wickets DESC, player_id) AS rank,"
        " name, country, wickets, round(average, 2) AS average FROM bowling_career)"
        " WHERE rank <= 10 ORDER BY format, rank",
    )
    print(
        f"\n== Cricsheet since {args.cricsheet_from}: deliveries, and the top run scorers from them",
        flush=True,
    )
    query(
        curated,
        "SELECT format, count(DISTINCT match_id) AS matches, count(*) AS deliveries,"
        " sum(runs_total) AS runs FROM deliveries GROUP BY format ORDER BY format",
    )
    query(
        curated,
        "SELECT format, rank, name, innings, runs, balls FROM ("
        " SELECT format, row_number() OVER (PARTITION BY format ORDER BY sum(runs) DESC, player_id) AS rank,"
        " name, count(*) AS innings, sum(runs) AS runs, sum(balls_faced) AS balls"
        " FROM batting_innings WHERE source = 'cricsheet' GROUP BY format, player_id, name)"
        " WHERE rank <= 3 ORDER BY format, rank",
    )
    print(f"\ndemo finished in {time.monotonic() - t0:.0f} s; raw in {raw}, curated in {curated}")
    page = curated / "_reports" / f"run_id={run_id}" / "index.html"  # written by cricket-transform run
    if not page.is_file():
        print(f"demo failed: the run's report {page} was not written", file=sys.stderr)
        return 1
    print(f"run report (open it in a browser): {page}", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every component was stopped", file=sys.stderr)
        sys.exit(130)
    except subprocess.CalledProcessError as exc:
        print(f"demo failed: {exc.cmd[0]} exited {exc.returncode}", file=sys.stderr)
        sys.exit(exc.returncode or 1)
