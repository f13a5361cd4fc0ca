"""The run id of a crawl: spider argument `run_id`, else setting CRICKET_RUN_ID, else a UTC timestamp."""

from __future__ import annotations

import datetime as dt
import re

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def default_run_id() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def check_run_id(run_id: str) -> str:
    if not RUN_ID_RE.match(run_id):
        raise ValueError(f"run id {run_id!r}: use letters, digits and . _ : - (at most 128)")
    return run_id


def run_id_of(spider) -> str:
    """The spider's run id, fixed on first use (so every component of one crawl agrees on it)."""
    run_id = getattr(spider, "run_id", None)
    if not run_id:
        settings = getattr(spider, "settings", None)
        run_id = (settings.get("CRICKET_RUN_ID") if settings is not None else None) or default_run_id()
        spider.run_id = check_run_id(run_id)
    return spider.run_id
