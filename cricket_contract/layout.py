"""Names in the raw and curated zones, built and parsed in one place: run ids, parts, manifests, `_current.json`."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

# ------------------------------------------------------------------------------------------ run ids

RUN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


def default_run_id(now: dt.datetime | None = None) -> str:
    """A UTC timestamp, `20261126T030405Z`: ids sort in time order."""
    return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%SZ")


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID_RE.match(run_id):
        raise ValueError(f"run id {run_id!r}: use letters, digits and . _ : - (at most 128)")
    return run_id


class RunDir(NamedTuple):
    """`run_id=R`: the directory of one run under a spider (raw) or a table (curated)."""

    run_id: str

    PREFIX = "run_id="

    @classmethod
    def parse(cls, name: str) -> RunDir | None:
        if not name.startswith(cls.PREFIX) or len(name) == len(cls.PREFIX):
            return None
        return cls(name[len(cls.PREFIX) :])

    def name(self) -> str:
        return f"{self.PREFIX}{self.run_id}"


# ------------------------------------------------------------------------------------------ raw zone

MANIFEST = "_manifest.json"


class RawPartName(NamedTuple):
    """`part-00001.jsonl.gz`: the n-th part of a raw run (numbers start at 1; a resume numbers on).

    The crawler writes gzipped parts; readers also take a plain `part-NNNNN.jsonl`.
    """

    number: int
    gzipped: bool = True

    RE = re.compile(r"^part-(\d{5,})\.jsonl(\.gz)?$")

    @classmethod
    def parse(cls, name: str) -> RawPartName | None:
        m = cls.RE.match(name)
        return cls(int(m.group(1)), bool(m.group(2))) if m else None

    def name(self) -> str:
        return f"part-{self.number:05d}.jsonl" + (".gz" if self.gzipped else "")


def raw_run_path(spider: str, run_id: str) -> str:
    """`{spider}/run_id={run_id}`, relative to the raw root."""
    return f"{spider}/{RunDir(run_id).name()}"


def part_numbers(names: Iterable[str]) -> list[int]:
    """Sorted numbers of the raw part names among `names`."""
    return sorted(p.number for n in names if (p := RawPartName.parse(n)) is not None)


@dataclass(frozen=True)
class FinishedRun:
    """What the "newest finished run" rule needs to know of a run with a manifest."""

    run_id: str
    written_at: str  # the manifest's `written_at` (ISO UTC)
    mtime_ns: int = 0  # the manifest's modification time, for ties


def newest_finished(runs: Iterable[FinishedRun]) -> FinishedRun | None:
    """The newest of finished runs: latest manifest `written_at`, then manifest mtime, then run id."""
    return max(runs, key=lambda r: (r.written_at or "", r.mtime_ns or 0, r.run_id), default=None)


def manifest_written_at(manifest: dict[str, Any]) -> str:
    return str(manifest.get("written_at") or manifest.get("finished_at") or "")


# ------------------------------------------------------------------------------------------ curated zone

CURRENT = "_current.json"
NO_FORMAT = "_"  # the one partition of a table without a `format` column
REJECTS_DIR = "_rejects"
REPORTS_DIR = "_reports"


def table_run_path(table: str, run_id: str) -> str:
    """`{table}/run_id={run_id}`, relative to the curated root: every attempt at that run lives below it."""
    return f"{table}/{RunDir(run_id).name()}"


class AttemptDir(NamedTuple):
    """`attempt=A`: one attempt at a curated run. Each `cricket-transform run` writes a new one, so a published
    run's files are never written again; `_current.json` names the attempt readers see."""

    attempt: str

    PREFIX = "attempt="

    @classmethod
    def parse(cls, name: str) -> AttemptDir | None:
        if not name.startswith(cls.PREFIX) or len(name) == len(cls.PREFIX):
            return None
        return cls(name[len(cls.PREFIX) :])

    @classmethod
    def new(cls, now: dt.datetime | None = None) -> AttemptDir:
        """A fresh attempt id: UTC time to the microsecond and a random suffix (sorts by time, never reused)."""
        import secrets

        stamp = (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y%m%dT%H%M%S%fZ")
        return cls(f"{stamp}-{secrets.token_hex(3)}")

    def name(self) -> str:
        return f"{self.PREFIX}{self.attempt}"


def attempt_path(table: str, run_id: str, attempt: str) -> str:
    """`{table}/run_id={run_id}/attempt={attempt}`: where one attempt writes a table."""
    return f"{table_run_path(table, run_id)}/{AttemptDir(attempt).name()}"


def partition_path(fmt: str) -> str:
    """`format=F` under a partitioned table's run directory; "" for an unpartitioned table."""
    return "" if fmt == NO_FORMAT else f"format={fmt}"


class CuratedPartName(NamedTuple):
    """`part-00000.parquet`: the n-th Parquet file of one partition (numbers start at 0). A second writer of the
    same partition names its files by its source, `part-cricsheet-00000.parquet` (Cricsheet's innings share the
    innings tables' partitions with Statsguru's), so the two can never write the same file."""

    number: int
    source: str = ""

    RE = re.compile(r"^part-(?:(?P<source>[a-z]+)-)?(?P<number>\d{5,})\.parquet$")

    @classmethod
    def parse(cls, name: str) -> CuratedPartName | None:
        m = cls.RE.match(name)
        return cls(int(m.group("number")), m.group("source") or "") if m else None

    def name(self) -> str:
        return f"part-{self.source + '-' if self.source else ''}{self.number:05d}.parquet"


def rejects_path(run_id: str, attempt: str) -> str:
    return f"{REJECTS_DIR}/{RunDir(run_id).name()}/{AttemptDir(attempt).name()}/rejects.jsonl"


def report_dir(run_id: str, attempt: str | None = None) -> str:
    """`_reports/run_id=R` (the published run's report), or one attempt's `_reports/run_id=R/attempt=A`."""
    run = f"{REPORTS_DIR}/{RunDir(run_id).name()}"
    return run if attempt is None else f"{run}/{AttemptDir(attempt).name()}"


def json_object(data: bytes | str, where: str) -> dict[str, Any]:
    """`data` parsed as a JSON object; ValueError naming `where` if it is not one."""
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"{where} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{where} is not a JSON object")
    return doc


def read_current(data: bytes | str, where: str = CURRENT) -> dict[str, Any]:
    """A published `_current.json`, checked for what every reader relies on; ValueError naming `where` if not."""
    doc = json_object(data, where)
    if not isinstance(doc.get("run_id"), str) or not doc["run_id"]:
        raise ValueError(f"{where} names no run_id")
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise ValueError(f"{where} has no tables")
    for name, meta in tables.items():
        if not isinstance(meta, dict) or not isinstance(meta.get("location"), str):
            raise ValueError(f"{where}: table {name!r} has no location")
        if not isinstance(meta.get("files", []), list):
            raise ValueError(f"{where}: table {name!r} has no list of files")
    return doc
