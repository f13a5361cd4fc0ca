"""`scrapy check` contracts: `@replica_url PATH` on the replica, `@rows` / `@row_fields` for a RawRows item."""

from __future__ import annotations

from typing import Any

from scrapy.contracts import Contract
from scrapy.exceptions import ContractFail

from crawler.items import RawRows


class ReplicaUrlContract(Contract):
    """@replica_url /ci/engine/stats/index.html?class=1;… → CRICKET_CONTRACT_BASE_URL + PATH.

    `{player_id}` in PATH becomes CRICKET_CONTRACT_PLAYER_ID (a player of the replica the tests start).
    """

    name = "replica_url"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        self.spider = method.__self__

    def adjust_request_args(self, args):
        base = self.spider.settings.get("CRICKET_CONTRACT_BASE_URL")
        path = self.args[0].replace(
            "{player_id}", str(self.spider.settings.get("CRICKET_CONTRACT_PLAYER_ID"))
        )
        args["url"] = base.rstrip("/") + path
        args["meta"] = {**(args.get("meta") or {}), "cricket_page": True}
        return args


def _rows(output: list[Any]) -> list[dict[str, Any]]:
    return [row for x in output if isinstance(x, RawRows) for row in x.rows]


class RowsContract(Contract):
    """@rows MIN [MAX]: the callback's RawRows items carry between MIN and MAX raw records in all."""

    name = "rows"

    def __init__(self, method, *args):
        super().__init__(method, *args)
        if len(self.args) not in (1, 2):
            raise ValueError(f"@rows takes MIN [MAX], got {self.args}")
        self.low = int(self.args[0])
        self.high = int(self.args[1]) if len(self.args) > 1 else None

    def post_process(self, output: list[Any]) -> None:
        n = len(_rows(output))
        if n < self.low or (self.high is not None and n > self.high):
            want = f"{self.low}..{self.high}" if self.high is not None else f">= {self.low}"
            raise ContractFail(f"Returned {n} rows, expected {want}")


class RowFieldsContract(Contract):
    """@row_fields NAME ...: every raw record the callback returned has these keys."""

    name = "row_fields"

    def post_process(self, output: list[Any]) -> None:
        for row in _rows(output):
            missing = [f for f in self.args if f not in row]
            if missing:
                raise ContractFail(f"Missing fields {missing} in a row of {row.get('source_url')}")
