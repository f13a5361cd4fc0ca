"""The `players` table, assembled in one place: the lists' player cells joined with the profiles."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from transform.mapper import PLAYER_CELLS_SCHEMA
from transform.profiles import ProfileError, profile_row
from transform.rejects import Rejects
from transform.schemas import curated_schema
from transform.stage import Stage

_EPOCH = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


class Profiles:
    """Typed profile rows by player, the latest scrape winning; bad profile items become rejects."""

    def __init__(self, rejects: Rejects) -> None:
        self.rejects = rejects
        self.rows: dict[int, dict] = {}

    def add(self, item: dict) -> None:
        try:
            row = profile_row(item)
        except ProfileError as exc:
            self.rejects.add(exc.reason, str(exc), raw=item, table="players", source=item.get("_source"))
            return
        ts = item.get("scraped_at")
        try:
            when = dt.datetime.fromisoformat(str(ts).replace("Z", "+00:00")) if ts else None
            if when is not None and when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
        except ValueError:
            self.rejects.add("bad_timestamp", f"scraped_at {ts!r}", raw=item, table="players")
            return
        row.update(run_id=item.get("run_id"), scraped_at=when, source_url=item.get("source_url"))
        old = self.rows.get(row["player_id"])
        if old is None or (when or _EPOCH) >= (old["scraped_at"] or _EPOCH):
            self.rows[row["player_id"]] = row

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(list(self.rows.values()), schema=curated_schema("players"))


def _lookup(ids: pa.Array, table: pa.Table, column: str) -> pa.Array:
    idx = pc.index_in(ids, value_set=table.column("player_id").combine_chunks())
    return table.column(column).combine_chunks().take(idx)


def _best_cells(tb: pa.Table) -> pa.Table:
    """Each player's best cell: a career list's (every side) before an innings row's (one side), then the newest."""
    if not tb.num_rows:
        return tb
    order = pc.sort_indices(
        tb,
        sort_keys=[
            ("player_id", "ascending"),
            ("_rank", "descending"),
            ("scraped_at", "descending"),
            ("_seq", "descending"),
        ],
    )
    pid = tb.column("player_id").take(order).to_numpy()
    first = np.flatnonzero(np.concatenate([[True], pid[1:] != pid[:-1]]))
    return tb.take(order.take(pa.array(first)))


class Players:
    """Name, teams and country per player from the lists (latest scrape wins), enriched by the profiles."""

    def __init__(self, stage: Stage, profiles: Profiles) -> None:
        # staged buckets split by player id, so per-bucket winners are the global winners
        wins = [_best_cells(tb) for tb in stage.iter_tables("_player_cells")]
        cells = pa.concat_tables(wins) if wins else PLAYER_CELLS_SCHEMA.empty_table()
        self.cells = cells.drop_columns(["_seq", "_rank"])
        self.profiles = profiles.table()

    @property
    def has_profiles(self) -> bool:
        return self.profiles.num_rows > 0

    def table(self) -> pa.Table:
        """Every player a list or a profile names; the player cell's name and teams win (as on the pages)."""
        cells, profiles = self.cells, self.profiles
        ids = pc.unique(
            pa.concat_arrays(
                [
                    cells.column("player_id").combine_chunks(),
                    profiles.column("player_id").combine_chunks().cast(pa.int64()),
                ]
            )
        )
        ids = ids.take(pc.sort_indices(ids))
        sch = curated_schema("players")
        cols = []
        for f in sch:
            if f.name == "player_id":
                cols.append(ids)
                continue
            prof = _lookup(ids, profiles, f.name)
            if f.name in ("name", "teams", "country"):
                cols.append(pc.coalesce(_lookup(ids, cells, f.name), prof))
            elif f.name in ("scraped_at", "run_id", "source_url"):
                cols.append(pc.coalesce(prof, _lookup(ids, cells, f.name)))
            else:
                cols.append(prof)
        return pa.table(cols, schema=sch)

    def fill_names(self, tb: pa.Table) -> pa.Table:
        """Player-page rows carry no player cell: name and country come from the lists, else the profile."""
        need = pc.or_(pc.is_null(tb.column("name")), pc.is_null(tb.column("country")))
        if not pc.any(need).as_py():
            return tb
        ids = tb.column("player_id").combine_chunks()
        for col in ("name", "country"):
            filled = pc.coalesce(
                tb.column(col).combine_chunks(),
                _lookup(ids, self.cells, col),
                _lookup(ids, self.profiles, col),
            )
            tb = tb.set_column(tb.column_names.index(col), col, filled)
        return tb
