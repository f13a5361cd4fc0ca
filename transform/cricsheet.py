"""Cricsheet raw runs → matches, deliveries, people and innings from deliveries, streamed match by match."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
from collections.abc import Iterator
from typing import Any

import orjson
import pyarrow as pa

from cricket_contract.layout import NO_FORMAT, attempt_path, manifest_written_at, partition_path
from cricket_contract.teams import canonical_country, teams
from cricket_contract.vocabulary import (
    CRICSHEET_DATA_VERSIONS,
    CRICSHEET_MATCH,
    CRICSHEET_PERSON,
    FORMAT_BY_CRICSHEET,
    SOURCE_CRICSHEET,
)
from cricket_storage import Location
from cricket_storage.rawruns import RawRun, RawRunError, load_run, run_dirs
from transform.cricsheet_figures import Innings, innings_figures
from transform.dq import DQ
from transform.flow import Progress
from transform.rejects import Rejects
from transform.schemas import PARTITIONED, SOURCED, curated_schema
from transform.write import PartWriter, file_schema, with_sources

SPIDER = "cricsheet"
FLUSH_ROWS = 50_000  # rows of one table and format held before they go to Parquet: memory stays flat
MAX_LINE_BYTES = 64 << 20  # a match record is < 2 MB
DELIVERY_COLUMNS = tuple(n for n in curated_schema("deliveries").names if n != "format")
_EMPTY: dict = {}
TEAM_IDS = frozenset(t.team_id for t in teams())


def cricsheet_runs(raw: Location) -> list[RawRun]:
    """Every finished `cricsheet` run, newest first: an unchanged archive adds nothing to its run (a 304), so
    a match's newest record is in the newest run that holds it."""
    runs = [
        load_run(d, sp, rid)
        for sp, rid, d in run_dirs(raw)
        if sp == SPIDER and d.child("_manifest.json").exists()
    ]
    return sorted(runs, key=lambda r: (manifest_written_at(r.manifest), r.run_id), reverse=True)


def records(run: RawRun, want: bytes) -> Iterator[dict[str, Any]]:
    """The records of kind `want` in a run, each part checked against its manifest entry first."""
    for part in run.parts:
        data = part.read_bytes()
        info = run.verify.get(part.uri)
        if info is not None and (len(data) != info.size or hashlib.sha256(data).hexdigest() != info.sha256):
            raise RawRunError(
                f"{part.uri}: its bytes are not the ones the manifest of run {run.run_id} lists"
            )
        with gzip.GzipFile(fileobj=io.BytesIO(data)) if part.name.endswith(".gz") else io.BytesIO(data) as fh:
            for line in fh:
                if len(line) > MAX_LINE_BYTES or want not in line[:80]:  # `record` is a record's first key
                    continue
                rec = orjson.loads(line)
                if isinstance(rec, dict):
                    yield rec


def _int(v: Any) -> int | None:
    try:
        return int(v) if v not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(v: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(v)) if v else None
    except ValueError:
        return None


class CricsheetWriter:
    """Writes the Cricsheet tables of a transform attempt, match by match, in bounded memory."""

    def __init__(
        self, curated: Location, run_id: str, attempt: str, dq: DQ, rejects: Rejects, progress: Progress
    ):
        self.curated, self.run_id, self.attempt = curated, run_id, attempt
        self.dq, self.rejects, self.progress = dq, rejects, progress
        self.writers: dict[tuple[str, str], PartWriter] = {}
        self.buffers: dict[tuple[str, str], list[dict]] = {}
        self.people: dict[str, int | None] = {}  # Cricsheet identifier -> Cricinfo player id
        self.columns: dict[str, dict[str, list]] = {}  # deliveries by format, column by column
        self.matches = 0
        self.deliveries = 0

    def location(self, table: str) -> Location:
        return self.curated.child(attempt_path(table, self.run_id, self.attempt))

    def add(self, table: str, row: dict) -> None:
        fmt = row.get("format") if table in PARTITIONED else NO_FORMAT
        key = (table, fmt or "unknown")
        buf = self.buffers.setdefault(key, [])
        buf.append(row)
        if len(buf) >= FLUSH_ROWS:
            self.flush(key)

    def flush(self, key: tuple[str, str]) -> None:
        rows = self.buffers.pop(key, [])
        if not rows:
            return
        table, fmt = key
        w = self.writers.get(key)
        if w is None:
            # an innings table's partition is Statsguru's too: Cricsheet's files are named apart from its
            w = self.writers[key] = PartWriter(
                self.location(table).child(partition_path(fmt)),
                file_schema(table),
                source=SOURCE_CRICSHEET if table in SOURCED else "",
            )
        w.write(pa.Table.from_pylist(rows, schema=curated_schema(table)))

    def close(self, tables: tuple[str, ...]) -> dict:
        for key in list(self.buffers):
            self.flush(key)
        for fmt in list(self.columns):
            self.flush_columns(fmt)
        out = {}
        for table in tables:
            files, rows, parts = [], 0, {}
            for (t, fmt), w in sorted(self.writers.items()):
                if t != table:
                    continue
                files += w.close()
                rows += w.rows
                if fmt != NO_FORMAT:
                    parts[fmt] = w.rows
            meta = {"location": self.location(table).uri + "/", "files": files, "rows": rows}
            if table in PARTITIONED:
                meta["partitions"] = parts
            out[table] = with_sources(table, meta, SOURCE_CRICSHEET)
        return out

    # ------------------------------------------------------------------ reading

    def write(self, runs: list[RawRun]) -> dict:
        """{table: meta} of the Cricsheet tables written from `runs` (newest first), and of Cricsheet's rows of
        the innings tables (to be merged with Statsguru's: transform.write.merge_sources)."""
        seen: set[str] = set()
        for run in runs:
            if (
                (run.manifest.get("items") or {}).get(CRICSHEET_PERSON) == 0
                or "items" in run.manifest
                and (CRICSHEET_PERSON not in run.manifest["items"])
            ):
                continue  # the manifest says the run has no register rows: its parts are not read twice
            for rec in records(run, b'"record":"cricsheet_person"'):
                if rec.get("record") != CRICSHEET_PERSON or rec.get("identifier") in seen:
                    continue
                seen.add(rec["identifier"])
                self.person(rec)
        done: set[int] = set()
        for run in runs:
            for rec in records(run, b'"record":"cricsheet_match"'):
                mid = rec.get("match_id")
                if rec.get("record") != CRICSHEET_MATCH or not isinstance(mid, int) or mid in done:
                    continue
                done.add(mid)
                self.match(rec)
                self.progress.tick(f"cricsheet: {self.matches:,} matches, {self.deliveries:,} deliveries")
        return self.close(("matches", "deliveries", "people", *SOURCED))

    def person(self, rec: dict) -> None:
        cells = rec.get("cells") or {}
        first, second = _int(cells.get("key_cricinfo")), _int(cells.get("key_cricinfo_2"))
        pid = first if first is not None else second
        self.people[rec["identifier"]] = pid
        if pid is None:
            self.dq.count(
                "people", "no_cricinfo_id", 1, {"identifier": rec["identifier"], "name": rec.get("name")}
            )
        self.add(
            "people",
            {
                "identifier": rec["identifier"],
                "name": rec.get("name"),
                "unique_name": cells.get("unique_name"),
                "key_cricinfo": first,
                "key_cricinfo_2": second,
                "player_id": pid,
                **self.lineage(rec),
            },
        )

    @staticmethod
    def lineage(rec: dict) -> dict:
        at = rec.get("scraped_at")
        when = dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc) if at else None
        return {"run_id": rec.get("run_id"), "scraped_at": when, "source_url": rec.get("source_url")}

    def match(self, rec: dict) -> None:
        doc = rec["data"]
        info = doc.get("info") or {}
        mid = rec["match_id"]
        gender = info.get("gender")
        fmt = FORMAT_BY_CRICSHEET.get((info.get("match_type"), gender))
        if fmt is None or info.get("team_type") != "international":
            self.dq.count(
                "matches", "not_international", 1, {"match_id": mid, "match_type": info.get("match_type")}
            )
            return
        version = rec.get("data_version")
        if version not in CRICSHEET_DATA_VERSIONS:
            self.dq.count("matches", f"data_version:{version}", 1, {"match_id": mid})
        try:
            innings = innings_figures(doc)
        except (KeyError, TypeError, ValueError) as exc:
            self.rejects.add("cricsheet_match", f"match {mid}: {exc!r}", raw=None, table="matches",
                             source=rec.get("source_url"))  # fmt: skip
            return
        lin = self.lineage(rec)
        teams = list(info.get("teams") or [])
        ids = {t: canonical_country(t, gender) for t in teams}
        for name, tid in ids.items():
            if tid not in TEAM_IDS:  # a side teams.csv does not know: its name is kept, and reported
                self.dq.count("matches", "unknown_team", 1, {"match_id": mid, "team": name, "gender": gender})
        dates = [d for d in map(_date, info.get("dates") or []) if d]
        outcome = info.get("outcome") or {}
        by = outcome.get("by") or {}
        event = info.get("event") or {}
        meta = doc.get("meta") or {}
        self.matches += 1
        self.add(
            "matches",
            {
                "match_id": mid, "format": fmt, "gender": gender, "match_type": info.get("match_type"),
                "match_type_number": _int(info.get("match_type_number")),
                "start_date": min(dates) if dates else None, "end_date": max(dates) if dates else None,
                "days": len(dates), "venue": info.get("venue"), "city": info.get("city"),
                "team1": teams[0] if teams else None, "team2": teams[1] if len(teams) > 1 else None,
                "team1_id": ids.get(teams[0]) if teams else None,
                "team2_id": ids.get(teams[1]) if len(teams) > 1 else None,
                "toss_winner": (info.get("toss") or {}).get("winner"),
                "toss_decision": (info.get("toss") or {}).get("decision"),
                "winner": outcome.get("winner"), "result": outcome.get("result"),
                "by_runs": _int(by.get("runs")), "by_wickets": _int(by.get("wickets")),
                "by_innings": _int(by.get("innings")), "method": outcome.get("method"),
                "eliminator": outcome.get("eliminator") or outcome.get("bowl_out"),
                "event": event.get("name"), "event_stage": event.get("stage"),
                "event_match_number": _int(event.get("match_number")), "season": str(info.get("season") or "") or None,
                "balls_per_over": _int(info.get("balls_per_over")) or 6, "overs": _int(info.get("overs")),
                "innings": len(innings), "super_overs": sum(1 for i in doc.get("innings") or [] if i.get("super_over")),
                "data_version": version, "created": _date(meta.get("created")), "revision": _int(meta.get("revision")),
                "archive": rec.get("archive"), "member": rec.get("member"), **lin,
            },
        )  # fmt: skip
        self.ball_rows(mid, fmt, doc, lin)
        ctx = {
            "format": fmt,
            "match_id": mid,
            "match_date": min(dates) if dates else None,
            "ground": info.get("city") or (info.get("venue") or "").split(",")[0] or None,
            **lin,
        }
        for inn in innings:
            other = next((t for t in teams if t != inn.team), None)
            self.innings_rows(inn, ids.get(inn.team), ids.get(other), ctx)

    def ball_rows(self, mid: int, fmt: str, doc: dict, lin: dict) -> None:
        """The match's deliveries, column by column (the largest table: no dict per row)."""
        people = ((doc.get("info") or {}).get("registry") or {}).get("people") or {}
        cols = self.columns.get(fmt)
        if cols is None:
            cols = self.columns[fmt] = {n: [] for n in DELIVERY_COLUMNS}
        c = {n: cols[n].append for n in DELIVERY_COLUMNS}
        before = len(cols["match_id"])
        number = 0
        for inn in doc.get("innings") or []:
            number += 1
            so = bool(inn.get("super_over"))
            team = inn.get("team")
            for over in inn.get("overs") or []:
                o = over.get("over")
                for n, d in enumerate(over.get("deliveries") or (), start=1):
                    runs = d.get("runs") or _EMPTY
                    extras = d.get("extras") or _EMPTY
                    wk = d.get("wickets")
                    c["innings"](number)
                    c["super_over"](so)
                    c["batting_team"](team)
                    c["over"](o)
                    c["ball"](n)
                    batter, bowler, non = d.get("batter"), d.get("bowler"), d.get("non_striker")
                    c["batter_id"](people.get(batter))
                    c["bowler_id"](people.get(bowler))
                    c["non_striker_id"](people.get(non))
                    c["batter"](batter)
                    c["bowler"](bowler)
                    c["non_striker"](non)
                    c["runs_batter"](runs.get("batter", 0))
                    c["runs_extras"](runs.get("extras", 0))
                    c["runs_total"](runs.get("total", 0))
                    c["non_boundary"](bool(runs.get("non_boundary")))
                    c["wides"](extras.get("wides", 0))
                    c["noballs"](extras.get("noballs", 0))
                    c["byes"](extras.get("byes", 0))
                    c["legbyes"](extras.get("legbyes", 0))
                    c["penalty"](extras.get("penalty", 0))
                    if wk:
                        first = wk[0]
                        c["wicket_kind"](first.get("kind"))
                        c["player_out_id"](people.get(first.get("player_out")))
                        c["fielder_ids"](
                            [
                                people.get(f["name"], f["name"])
                                for f in first.get("fielders") or ()
                                if f.get("name")
                            ]
                        )
                        c["wickets"](len(wk))
                    else:
                        c["wicket_kind"](None)
                        c["player_out_id"](None)
                        c["fielder_ids"](None)
                        c["wickets"](0)
        added = len(cols["innings"]) - before
        self.deliveries += added
        for name, value in (("match_id", mid), *lin.items()):
            cols[name].extend([value] * added)
        if len(cols["match_id"]) >= FLUSH_ROWS:
            self.flush_columns(fmt)

    def flush_columns(self, fmt: str) -> None:
        cols = self.columns.pop(fmt, None)
        if not cols or not cols["match_id"]:
            return
        sch = file_schema("deliveries")
        tb = pa.table({f.name: pa.array(cols[f.name], type=f.type) for f in sch}, schema=sch)
        key = ("deliveries", fmt)
        w = self.writers.get(key)
        if w is None:
            w = self.writers[key] = PartWriter(self.location("deliveries").child(partition_path(fmt)), sch)
        w.write(tb)

    def innings_rows(self, inn: Innings, team_id: str | None, opp_id: str | None, ctx: dict) -> None:
        base = {
            **ctx,
            "innings_number": inn.number,
            "country": team_id,
            "opposition": opp_id,
            "source": SOURCE_CRICSHEET,
        }
        for b in inn.batting.values():
            pid = self.player(b.player, b.name)
            if pid is None:
                continue
            kind = b.dismissal if b.out else (b.dismissal if b.dismissal in ("retired hurt",) else "not out")
            self.add(
                "batting_innings",
                {
                    **base, "player_id": pid, "name": b.name, "participation": "batted", "runs": b.runs,
                    "not_out": not b.out, "minutes": None, "balls_faced": b.balls, "fours": b.fours,
                    "sixes": b.sixes, "strike_rate": round(100.0 * b.runs / b.balls, 2) if b.balls else None,
                    "position": b.position, "dismissal": "caught" if kind == "caught and bowled" else kind,
                },
            )  # fmt: skip
        for w in inn.bowling.values():
            pid = self.player(w.player, w.name)
            if pid is None:
                continue
            self.add(
                "bowling_innings",
                {
                    **base, "country": opp_id, "opposition": team_id, "player_id": pid, "name": w.name,
                    "participation": "bowled", "balls": w.balls, "maidens": w.maidens, "runs_conceded": w.runs,
                    "wickets": w.wickets, "economy": round(w.runs * 6.0 / w.balls, 2) if w.balls else None,
                    "position": w.position,
                },
            )  # fmt: skip
        for f in inn.fielding.values():
            pid = self.player(f.player, f.name)
            if pid is None:
                continue
            self.add(
                "fielding_innings",
                {
                    **base, "country": opp_id, "opposition": team_id, "player_id": pid, "name": f.name,
                    "participation": "fielded", "dismissals": f.catches + f.stumpings, "caught": f.catches,
                    "stumped": f.stumpings, "caught_keeper": None, "caught_fielder": None,
                },
            )  # fmt: skip

    def player(self, identifier: str, name: str) -> int | None:
        pid = self.people.get(identifier)
        if pid is None:
            self.dq.count(
                "innings_cricsheet", "player_without_cricinfo_id", 1, {"identifier": identifier, "name": name}
            )
        return pid


def reconcile(writer: CricsheetWriter, tables: dict) -> dict:
    """The `reconciliation` table of this attempt (transform/cricsheet_reconcile.py), each kind counted in DQ."""
    from transform.cricsheet_reconcile import findings

    counts: dict[str, int] = {}
    samples: dict[str, dict] = {}
    for row in findings(tables):
        counts[row["finding"]] = counts.get(row["finding"], 0) + 1
        samples.setdefault(row["finding"], row)
        writer.add("reconciliation", {**row, "run_id": writer.run_id, "scraped_at": None, "source_url": None})
    for finding, n in sorted(counts.items()):
        writer.dq.count("reconciliation", finding, n, samples[finding])
    return writer.close(("reconciliation",))
