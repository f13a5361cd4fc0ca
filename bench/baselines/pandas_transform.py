"""Baseline for the transformer benchmark: the same typing, dedupe and partitioned Parquet write in plain pandas.

`python -m bench.baselines.pandas_transform RAW_RUN_DIR OUT_DIR` — reads every part of one raw run (career and
innings rows of statsguru), types the columns the way `cricket-transform` does, keeps the latest scrape per
natural key and writes zstd Parquet partitioned by format. Written the way a pandas user would: read, normalise,
vectorised string methods, concat, drop_duplicates, to_parquet.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

FORMAT_BY_CLASS = {1: "test", 2: "odi", 3: "t20i", 8: "wtest", 9: "wodi", 10: "wt20i"}
KEYS = {"career": ["player_id", "format"], "innings": ["player_id", "match_id", "innings_number"]}


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.replace({"-": None, "": None}), errors="coerce").astype("Int32")


def _common(df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"player_id": df["player_id"].astype("int64")})
    cell = df["player_cell"].str.extract(r"^(?P<name>.*?)\s*\((?P<teams>[^()]*)\)\s*$")
    out["name"] = cell["name"]
    out["country"] = cell["teams"].str.split("/").str[0].str.replace(r"-W$", "", regex=True)
    out["format"] = df["class"].map(FORMAT_BY_CLASS)
    out["run_id"] = df["run_id"]
    out["scraped_at"] = pd.to_datetime(df["scraped_at"], utc=True)
    out["source_url"] = df["source_url"]
    return out


def _batting(df: pd.DataFrame, career: bool) -> pd.DataFrame:
    out = _common(df)
    if career:
        span = df["cells.Span"].str.extract(r"^(\d{4})-(\d{4})$")
        out["start_year"], out["end_year"] = _num(span[0]), _num(span[1])
        for col, h in (
            ("matches", "Mat"),
            ("innings", "Inns"),
            ("not_outs", "NO"),
            ("runs", "Runs"),
            ("balls_faced", "BF"),
            ("hundreds", "100"),
            ("fifties", "50"),
            ("ducks", "0"),
            ("fours", "4s"),
            ("sixes", "6s"),
        ):
            out[col] = _num(df[f"cells.{h}"])
        hs = df["cells.HS"].str.extract(r"^(\d+)(\*?)$")
        out["high_score"], out["high_score_not_out"] = _num(hs[0]), hs[1] == "*"
        out["average"] = out["runs"] / (out["innings"] - out["not_outs"]).replace(0, np.nan)
    else:
        runs = df["cells.Runs"].str.extract(r"^(\d+)(\*?)$")
        out["runs"], out["not_out"] = _num(runs[0]), runs[1] == "*"
        marker = df["cells.Runs"].str.lower()
        out["participation"] = marker.where(marker.isin(["dnb", "tdnb", "absent", "sub"]), "batted")
        for col, h in (
            ("minutes", "Mins"),
            ("balls_faced", "BF"),
            ("fours", "4s"),
            ("sixes", "6s"),
            ("position", "Pos"),
            ("innings_number", "Inns"),
        ):
            out[col] = _num(df[f"cells.{h}"])
        _innings_cells(df, out)
        out["dismissal"] = df["cells.Dismissal"]
    out["strike_rate"] = out["runs"] / out["balls_faced"].replace(0, np.nan) * 100
    return out


def _balls(s: pd.Series) -> pd.Series:
    o = s.str.extract(r"^(\d+)(?:\.([0-5]))?$")
    return _num(o[0]) * 6 + _num(o[1]).fillna(0)


def _bowling(df: pd.DataFrame, career: bool) -> pd.DataFrame:
    out = _common(df)
    out["balls"] = _balls(df["cells.Overs"])
    for col, h in (("maidens", "Mdns"), ("runs_conceded", "Runs"), ("wickets", "Wkts")):
        out[col] = _num(df[f"cells.{h}"])
    if career:
        span = df["cells.Span"].str.extract(r"^(\d{4})-(\d{4})$")
        out["start_year"], out["end_year"] = _num(span[0]), _num(span[1])
        out["matches"], out["innings"] = _num(df["cells.Mat"]), _num(df["cells.Inns"])
        for pre, h in (("best_innings", "BBI"), ("best_match", "BBM")):
            col = df[f"cells.{h}"] if f"cells.{h}" in df else pd.Series(None, index=df.index, dtype=object)
            bb = col.str.extract(r"^(\d+)/(\d+)$")
            out[f"{pre}_wickets"], out[f"{pre}_runs"] = _num(bb[0]), _num(bb[1])
        for col, h in (("four_wickets", "4"), ("five_wickets", "5"), ("ten_wickets", "10")):
            out[col] = (
                _num(df[f"cells.{h}"])
                if f"cells.{h}" in df
                else pd.Series(pd.NA, index=df.index, dtype="Int32")
            )
        out["average"] = out["runs_conceded"] / out["wickets"].replace(0, np.nan)
        out["strike_rate"] = out["balls"] / out["wickets"].replace(0, np.nan)
    else:
        out["innings_number"], out["position"] = _num(df["cells.Inns"]), _num(df["cells.Pos"])
        _innings_cells(df, out)
        marker = df["cells.Overs"].str.lower()
        out["participation"] = marker.where(marker.isin(["dnb", "tdnb", "absent", "sub"]), "bowled")
    out["economy"] = out["runs_conceded"] / (out["balls"] / 6).replace(0, np.nan)
    return out


def _fielding(df: pd.DataFrame, career: bool) -> pd.DataFrame:
    out = _common(df)
    for col, h in (
        ("dismissals", "Dis"),
        ("caught", "Ct"),
        ("stumped", "St"),
        ("caught_keeper", "Ct Wk"),
        ("caught_fielder", "Ct Fi"),
        ("innings_number", "Inns"),
    ):
        out[col] = _num(df[f"cells.{h}"])
    _innings_cells(df, out)
    out["participation"] = "fielded"
    return out


def _innings_cells(df: pd.DataFrame, out: pd.DataFrame) -> None:
    out["match_id"] = pd.to_numeric(df["match_id"], errors="coerce").astype("Int64")
    out["match_date"] = pd.to_datetime(df["cells.Start Date"], format="%d %b %Y", errors="coerce").dt.date
    out["opposition"] = df["cells.Opposition"].str.replace(r"^v\s+", "", regex=True)
    out["ground"] = df["cells.Ground"]


TYPERS = {"batting": _batting, "bowling": _bowling, "fielding": _fielding}


def transform(run_dir: Path, out: Path) -> dict[str, int]:
    tables: dict[str, list[pd.DataFrame]] = {}
    for part in sorted(run_dir.glob("part-*.jsonl.gz")):
        raw = pd.read_json(part, lines=True, compression="gzip", dtype=False)
        flat = pd.json_normalize(raw.to_dict("records"))
        for (record, typ), df in flat.groupby(["record", "type"]):
            career = record == "career"
            table = f"{typ}_{'career' if career else 'innings'}"
            tables.setdefault(table, []).append(TYPERS[typ](df.reset_index(drop=True), career))
    counts = {}
    for table, frames in tables.items():
        df = pd.concat(frames, ignore_index=True)
        kind = "career" if table.endswith("career") else "innings"
        df = df.sort_values("scraped_at").drop_duplicates(KEYS[kind], keep="last")
        df.to_parquet(out / table, partition_cols=["format"], compression="zstd", index=False)
        counts[table] = len(df)
    return counts


if __name__ == "__main__":
    run_dir, out_dir = Path(sys.argv[1]), Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    print(transform(run_dir, out_dir), flush=True)
    # Interpreter teardown with pandas + pyarrow thread pools aborted (SIGABRT) now and then after all the
    # work was done; the benchmark measures the work, so leave without teardown.
    os._exit(0)
