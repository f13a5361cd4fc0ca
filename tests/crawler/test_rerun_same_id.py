"""A new attempt under a finished run id withdraws the old manifest until it finishes itself."""

from __future__ import annotations

from tests.crawler.test_crawl_replica import FAST, scrape


def test_failed_rerun_leaves_no_manifest_vouching_for_its_parts(replica_300, replica_factory, tmp_path):
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
    first = scrape(*args, "--base-url", replica_300.url)
    assert first.returncode == 0, first.stderr[-2000:]
    assert (run / "_manifest.json").is_file()

    blocking = replica_factory("--players", "300", "--seed", "7", "--block-after", "1")
    second = scrape(*args, "--base-url", blocking.url)
    assert second.returncode == 2, second.stderr[-2000:]
    assert "manifest is withdrawn" in second.stderr
    assert not (run / "_manifest.json").exists()  # the transformer will not read this run now

    third = scrape(*args, "--base-url", replica_300.url)
    assert third.returncode == 0, third.stderr[-2000:]
    assert (run / "_manifest.json").is_file()
