"""`scrapy check` contract `@replica_url PATH`: the callback's test URL on the replica named by a setting."""

from __future__ import annotations

from scrapy.contracts import Contract


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
