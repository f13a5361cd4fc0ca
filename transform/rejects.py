"""Rejected raw rows: spooled to a local JSONL file with their raw text, table and reason, then published."""

from __future__ import annotations

import json
import tempfile
import threading
from collections import Counter

import pyarrow as pa


class Rejects:
    """Append-only reject log; one JSON line per rejected raw row."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile("w+b", prefix="cricket-rejects-", suffix=".jsonl")  # noqa: SIM115
        self.count = 0
        self.by_reason: Counter[str] = Counter()
        self.by_table: Counter[str] = Counter()
        self.samples: list[dict] = []
        self._lock = threading.Lock()  # the reader thread and the typing thread both reject rows

    def add(
        self,
        reason: str,
        detail: str,
        *,
        raw: bytes | str | dict | None,
        table: str | None = None,
        source: str | None = None,
        line: int | None = None,
    ) -> None:
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", errors="backslashreplace")
        elif isinstance(raw, dict):
            raw = json.dumps(raw, ensure_ascii=False, default=str)
        rec = {"reason": reason, "detail": detail, "table": table, "source": source, "line": line, "raw": raw}
        line_bytes = json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n"
        with self._lock:
            self._file.write(line_bytes)
            self.count += 1
            self.by_reason[reason] += 1
            self.by_table[table or "-"] += 1
            if len(self.samples) < 10:
                self.samples.append({k: v for k, v in rec.items() if k != "raw"})

    def add_rows(
        self,
        raw_rows: pa.Table,
        reasons: list[str],
        table_of: list[str | None],
        where: list[tuple[str, int]] | None = None,
    ) -> None:
        """Reject rows of a raw Arrow table (rows that parsed as JSON but cannot be typed); `where` gives each
        row's part and line (else the row's source URL stands in)."""
        places = where or [(None, None)] * raw_rows.num_rows
        for row, reason, table, (part, line) in zip(
            raw_rows.to_pylist(), reasons, table_of, places, strict=True
        ):
            code, _, detail = reason.partition(":")
            row = {k: v for k, v in row.items() if v is not None}
            if isinstance(row.get("cells"), dict):
                row["cells"] = {k: v for k, v in row["cells"].items() if v is not None}
            self.add(
                code, detail or code, raw=row, table=table, source=part or row.get("source_url"), line=line
            )

    def data(self) -> bytes:
        self._file.flush()
        self._file.seek(0)
        out = self._file.read()
        self._file.seek(0, 2)
        return out

    def summary(self) -> dict:
        return {
            "rows": self.count,
            "by_reason": dict(self.by_reason),
            "by_table": dict(self.by_table),
            "samples": self.samples,
        }

    def close(self) -> None:
        self._file.close()
