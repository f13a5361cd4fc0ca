"""Data-quality findings: counted per table and check, with a few examples each, for the run report."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pyarrow.compute as pc

SAMPLES_PER_CHECK = 5


class DQ:
    """Collects findings; a finding never changes data, it is reported."""

    def __init__(self) -> None:
        self.checked: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.failed: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.samples: dict[str, list[dict]] = defaultdict(list)

    def record(
        self,
        table: str,
        check: str,
        mask: pa.Array,
        rows: pa.Table | None = None,
        columns: dict[str, pa.Array] | None = None,
    ) -> None:
        """`mask` is True where the check failed (null = not applicable)."""
        n_applicable = len(mask) - mask.null_count
        mask = pc.fill_null(mask, False)
        n_failed = pc.sum(mask).as_py() or 0
        self.checked[table][check] += n_applicable
        if not n_failed:
            self.failed[table][check] += 0
            return
        self.failed[table][check] += n_failed
        key = f"{table}.{check}"
        if len(self.samples[key]) < SAMPLES_PER_CHECK and (rows is not None or columns):
            idx = pc.indices_nonzero(mask).slice(0, SAMPLES_PER_CHECK - len(self.samples[key]))
            cols = {}
            if rows is not None:
                for name in ("player_id", "format", "grouping", "match_id", "innings_number", "source_url"):
                    if name in rows.column_names:
                        cols[name] = rows.column(name).take(idx).to_pylist()
            for name, arr in (columns or {}).items():
                cols[name] = arr.take(idx).to_pylist()
            for i in range(len(idx)):
                self.samples[key].append(
                    {k: (v[i] if not isinstance(v[i], float) else round(v[i], 6)) for k, v in cols.items()}
                )

    def count(self, table: str, check: str, failed: int, sample: dict | None = None) -> None:
        """A finding counted outside a typed table (headers the column map does not know, in raw rows)."""
        self.checked[table][check] += failed
        self.failed[table][check] += failed
        key = f"{table}.{check}"
        if sample is not None and len(self.samples[key]) < SAMPLES_PER_CHECK:
            self.samples[key].append(sample)

    def merge(self, other: DQ) -> None:
        """Take in `other`'s findings as if its records had come after this collector's own."""
        for mine, theirs in ((self.checked, other.checked), (self.failed, other.failed)):
            for table, checks in theirs.items():
                for check, n in checks.items():
                    mine[table][check] += n
        for key, samples in other.samples.items():
            kept = self.samples[key]
            kept.extend(samples[: SAMPLES_PER_CHECK - len(kept)])

    def total_failed(self) -> int:
        return sum(n for checks in self.failed.values() for n in checks.values())

    def summary(self) -> dict:
        return {
            "findings": self.total_failed(),
            "checks": {
                t: {c: {"checked": self.checked[t][c], "failed": self.failed[t][c]} for c in sorted(checks)}
                for t, checks in sorted(self.checked.items())
            },
            "samples": dict(self.samples),
        }
