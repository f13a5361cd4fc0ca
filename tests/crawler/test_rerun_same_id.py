"""A failed run id can be crawled again; a finished one is never written again (refused, or done with --if-finished)."""

from __future__ import annotations

from tests.crawler.test_crawl_replica import FAST, scrape


def _files(run):
    return {p.name: p.read_bytes() for p in run.iterdir()}


def test_a_failed_run_id_is_crawled_again_and_a_finished_one_refuses(replica_300, replica_factory, tmp_path):
    raw = tmp_path / "raw"
    run = raw / "statsguru" / "run_id=again"
    args = [
        "statsguru",
        "--classes",
        "1",
        "--types",
        "batting",
        "--view",
        "career",
        "--raw",
        raw.as_uri(),
        "--run-id",
        "again",
        *FAST,
    ]
    blocking = replica_factory("--players", "300", "--seed", "7", "--block-after", "1")
    first = scrape(*args, "--base-url", blocking.url)
    assert first.returncode == 2, first.stderr[-2000:]
    assert not (run / "_manifest.json").exists() and not (run / "_claim.json").exists()

    second = scrape(*args, "--base-url", replica_300.url)
    assert second.returncode == 0, second.stderr[-2000:]
    assert (run / "_manifest.json").is_file()
    finished = _files(run)

    third = scrape(*args, "--base-url", replica_300.url)
    assert third.returncode == 1, third.stderr[-2000:]
    errors = [line for line in third.stderr.splitlines() if "] ERROR: " in line]
    assert len(errors) == 1 and "is finished" in errors[0] and "never written again" in errors[0], errors
    assert "'run_finished'" in third.stderr
    assert _files(run) == finished  # not one byte of the finished run changed

    # A scheduler's re-run of a step whose crawl finished: nothing to do, exit 0, still not one byte written.
    done = scrape(*args, "--base-url", replica_300.url, "--if-finished", "done")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "'run_finished'" in done.stderr and "exit 0" in done.stderr
    assert _files(run) == finished
