"""The run report's sections — at a glance, crawl health, what changed, charts, quality — as escaped HTML."""

from __future__ import annotations

from transform.report import charts
from transform.report.page import Raw, badge, card, e, figure, pre, table

KINDS = ("added", "changed", "removed")


def verdicts(report: dict, data: dict) -> dict[str, tuple[str, str]]:
    """(level, one line) for crawl, data and quality: what the owner of the refresh reads first."""
    crawls = report.get("crawl") or []
    failed = sum(c["pages_failed"] for c in crawls)
    blocked = sum(c["blocked_responses"] for c in crawls)
    drift = [c for c in crawls if c.get("layout_drift")]
    unfinished = [c for c in crawls if c.get("finish_reason") not in (None, "finished")]
    retries = sum(c["retries"] for c in crawls)
    requests = sum(c["requests"] for c in crawls)
    if failed or blocked or drift or unfinished:
        crawl = ("bad", f"{failed} pages failed, {blocked} blocked responses, {len(drift)} drifted, "
                 f"{len(unfinished)} runs not finished")  # fmt: skip
    elif requests and retries / requests > 0.05:
        crawl = ("warn", f"{retries:,} retries in {requests:,} requests ({retries / requests:.1%})")
    else:
        crawl = ("ok", f"{len(crawls)} raw runs, {requests:,} requests, {retries:,} retries")
    ch = data.get("changes") or {}
    tot = {k: sum(v[k] for t in ch.values() for v in t.values()) for k in KINDS}
    if report.get("refused"):
        changed = ("bad", "; ".join(report["refused"]))
    elif not data.get("previous_run"):
        changed = ("ok", "first published run: nothing to compare with")
    elif data.get("previous_pruned"):
        changed = ("warn", f"the previous run {data['previous_run']} is no longer kept: not compared")
    else:
        changed = ("ok", f"+{tot['added']:,} added, {tot['changed']:,} changed, −{tot['removed']:,} removed "
                   f"since {data['previous_run']}")  # fmt: skip
    ratio, limit = report.get("reject_ratio") or 0.0, report.get("max_reject_ratio") or 0.0
    dq = (report.get("dq") or {}).get("findings") or 0
    mism = (report.get("reconciliation") or {}).get("mismatched") or 0
    level = "bad" if ratio > limit else ("warn" if report.get("rejects") or dq or mism else "ok")
    quality = (level, f"rejects {report.get('rejects') or 0:,} ({ratio:.2%}, limit {limit:.2%}); "
               f"DQ findings {dq:,}; reconciliation mismatches {mism:,}")  # fmt: skip
    return {"Crawl health": crawl, "What changed": changed, "Quality": quality}


def header(report: dict, data: dict) -> str:
    status = report.get("status") or "-"
    level = "ok" if report.get("published_at") else "bad"
    cards = "".join(
        card(t, f"<span>{e(line)}</span>", lv) for t, (lv, line) in verdicts(report, data).items()
    )
    st = report.get("stats") or {}
    return (
        f"<h1>Cricket stats run {e(report.get('run_id'))} {badge(status, level)}</h1>"
        f'<p class="meta">attempt {e(report.get("attempt"))} · published {e(report.get("published_at"))} · '
        f"{e(report.get('rows_read') or 0)} raw rows read in {e(float(st.get('seconds') or 0))} s · "
        f"previous published run {e(data.get('previous_run'))}</p>"
        f'<div class="cards">{cards}</div>'
    )


def crawl_section(report: dict) -> str:
    out = ["<h2 id='crawl'>Crawl health</h2>"]
    crawls = report.get("crawl") or []
    if not crawls:
        return out[0] + '<p class="muted">this report predates crawl health in report.json</p>'
    rows = []
    for c in crawls:
        args = ", ".join(f"{k}={v}" for k, v in sorted((c.get("arguments") or {}).items()) if k != "base_url")
        rows.append([
            Raw(f"<b>{e(c['spider'])}</b><br>{e(c['run_id'])}"), args, c.get("finish_reason"),
            c["pages_known"], c["pages_fetched"], c["pages_resumed"], c["pages_failed"], c["rows"],
            c["requests"], c["retries"], round(c["elapsed_s"] / 60, 1),
        ])  # fmt: skip
    out.append(table(
        ["raw run", "arguments", "finish", "pages known", "fetched", "resumed", "failed", "rows", "requests",
         "retries", "minutes"], rows, numeric=set(range(3, 11)),
    ))  # fmt: skip
    for c in crawls:
        title = f"{c['spider']} / {c['run_id']}"
        causes = ", ".join(f"{k} {v:,}" for k, v in c["retries_by_cause"].items()) or "none"
        statuses = ", ".join(f"{k}: {v:,}" for k, v in c["status_counts"].items()) or "none"
        hosts = ", ".join(f"{h} {n:,}" for h, n in c["requests_per_host"].items()) or "-"
        delay = (
            ", ".join(f"Crawl-delay {k} {v} s" for k, v in c["crawl_delay"].items())
            or "no robots.txt Crawl-delay"
        )
        pace = c.get("pace") or {}
        if pace:
            delay += (f"; DOWNLOAD_DELAY {pace.get('download_delay')} s, AutoThrottle "
                      f"{'on' if pace.get('autothrottle') else 'off'}, {pace.get('concurrent_per_domain')} per domain")  # fmt: skip
        facts = [
            ["retries by cause", causes], ["gave up after retries", c["retries_given_up"]],
            ["Retry-After waits", c["retry_after_waits"]], ["response statuses", statuses],
            ["requests per host", hosts], ["delay in force", delay],
            ["blocked responses", c["blocked_responses"]], ["stop reason", c.get("stop_reason")],
            ["layout drift", c.get("layout_drift")], ["errors logged", c["errors_logged"]],
            ["unknown headers", _kv(c.get("unknown_headers"))], ["absent columns", _kv(c.get("columns_absent"))],
            ["dropped items", _kv(c.get("drops"))], ["started / finished", f"{c.get('started_at')} / {c.get('finished_at')}"],
            ["location", c.get("location")],
        ]  # fmt: skip
        out.append(f"<h3>{e(title)}</h3>" + table(["", ""], facts))
    return "".join(out)


def _kv(value) -> str:
    if not value:
        return "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} ({v})" if v not in (None, "") else str(k) for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def changes_section(report: dict, data: dict) -> str:
    out = ["<h2 id='changes'>What changed</h2>"]
    prev = data.get("previous_run")
    if not prev:
        out.append('<p class="muted">No earlier published run: every row is new.</p>')
    elif data.get("previous_pruned"):
        out.append(f'<p class="muted">The previous published run {e(prev)} is no longer kept (--keep): '
                   "nothing to compare with.</p>")  # fmt: skip
    else:
        out.append(f"<p>Compared with the published run <b>{e(prev)}</b> ({e(data.get('previous_published_at'))}), "
                   "row by natural key; a row is changed when any data column differs (lineage columns excluded). "
                   "An innings table's rows are Statsguru's; Cricsheet's (from the deliveries) are counted apart, "
                   "as <code>batting_innings (cricsheet)</code>.</p>")  # fmt: skip
        rows = [
            [t, f, v["rows"], v["added"], v["changed"], v["removed"]]
            for t, fmts in (data.get("changes") or {}).items()
            for f, v in fmts.items()
            if v["rows"] or v["removed"]
        ]
        out.append(table(["table", "format", "rows now", "added", "changed", "removed"], rows, {2, 3, 4, 5}))
        examples = data.get("changed_examples") or []
        if examples:
            out.append("<h3>Examples of changed rows</h3>" + table(
                ["table", "format", "key", "name", "changed (previous → this run)"],
                [[x["table"], x["format"], x["key"], x["name"], x["changed"]] for x in examples],
            ))  # fmt: skip
        out.append(figure(charts.change_per_table(data.get("changes") or {}), "rows added, changed and removed per table",
                          "bar chart of rows added, changed and removed per table", "chart-change"))  # fmt: skip
    missing = data.get("missing") or {}
    for side, tables in missing.items():
        if tables:
            out.append(
                f'<p class="muted">Data of the {e(side)} run no longer stored for: {e(", ".join(tables))}</p>'
            )
    fresh = data.get("freshness") or {}
    cs = fresh.get("cricsheet") or {}
    fmts = charts.formats(set(fresh.get("this") or {}) | set(fresh.get("previous") or {}) | set(cs))
    out.append("<h3>Freshness: the latest match per format (Statsguru's innings)</h3>")
    heads = ["format", "latest match", "previous run"] + (["Cricsheet's latest (this run)"] if cs else [])
    out.append(table(heads,
                     [[f, fresh["this"].get(f), (fresh.get("previous") or {}).get(f)] + ([cs.get(f)] if cs else [])
                      for f in fmts], empty="no innings rows in this run"))  # fmt: skip
    newp = data.get("new_players") or {}
    out.append(f"<h3>Players new this run: {e(newp.get('count', 0))}</h3>")
    if newp.get("compared"):
        listed = newp.get("listed") or []
        out.append(
            table(
                ["player id", "name", "country"], [[p["player_id"], p["name"], p["country"]] for p in listed]
            )
        )
        if newp.get("count", 0) > len(listed):
            out.append(f'<p class="muted">… and {e(newp["count"] - len(listed))} more</p>')
    return "".join(out)


def charts_section(report: dict, data: dict) -> str:
    return "".join([
        "<h2 id='charts'>Charts</h2>",
        figure(charts.rows_per_format(data.get("rows_per_format") or {}), "rows per format and table",
               "bar chart of rows per format and table", "chart-rows"),
        figure(charts.crawl_timeline(report.get("crawl") or []), "requests, retries and HTTP errors per minute over each crawl"
               + (f" (the {charts.TIMELINE_PANELS} busiest)" if len(report.get("crawl") or []) > charts.TIMELINE_PANELS else ""),
               "line chart of requests and retries over each crawl's time", "chart-timeline"),
        figure(charts.leaders(data.get("top_runs") or {}, "runs", "top_runs"), "top run scorers per format (career runs)",
               "bar charts of the top run scorers per format", "chart-runs"),
        figure(charts.leaders(data.get("top_wickets") or {}, "wickets", "top_wickets"), "top wicket takers per format",
               "bar charts of the top wicket takers per format", "chart-wickets"),
        _leaders_tables(data),
    ])  # fmt: skip


def _leaders_tables(data: dict) -> str:
    """The leaders as text too (names selectable, readable without the charts)."""
    out = []
    for key, unit in (("top_runs", "runs"), ("top_wickets", "wickets")):
        for fmt, players in (data.get(key) or {}).items():
            rows = [[i + 1, p["name"], p["country"], p["value"]] for i, p in enumerate(players)]
            out.append(
                f"<h3>{e(fmt)}: most {e(unit)}</h3>" + table(["#", "player", "country", unit], rows, {0, 3})
            )
    return "<details><summary>leaders as tables</summary>" + "".join(out) + "</details>" if out else ""


def quality_section(report: dict, samples: dict[str, list[dict]]) -> str:
    out = ["<h2 id='quality'>Quality</h2>"]
    ratio, limit = report.get("reject_ratio") or 0.0, report.get("max_reject_ratio") or 0.0
    verdict = "over the limit: not published" if ratio > limit else "within the limit"
    out.append(f"<p>Reject ratio {badge(f'{ratio:.3%}', 'bad' if ratio > limit else 'ok')} of "
               f"{e(report.get('rows_read') or 0)} raw rows, limit {e(f'{limit:.2%}')}: {e(verdict)}. "
               f"Rejected rows: <code>{e(report.get('rejects_location'))}</code></p>")  # fmt: skip
    rs = report.get("rejects_summary") or {}
    out.append("<h3>Rejects by reason</h3>")
    out.append(
        table(
            ["reason", "rows"],
            sorted(((k, v) for k, v in (rs.get("by_reason") or {}).items()), key=lambda x: -x[1]),
            {1},
        )
    )
    ex = [[s.get("reason"), s.get("table"), s.get("detail"), Raw(f"{e(s.get('source'))}" + (f":{e(s.get('line'))}" if s.get("line") else "")), pre(s.get("raw"))]
          for rows in samples.values() for s in rows]  # fmt: skip
    if ex:
        out.append(
            "<h3>Reject examples</h3>" + table(["reason", "table", "detail", "source", "raw text"], ex)
        )
    dq = report.get("dq") or {}
    failing = [
        [t, c, v["checked"], v["failed"]]
        for t, cs in (dq.get("checks") or {}).items()
        for c, v in cs.items()
        if v.get("failed")
    ]
    out.append(f"<h3>DQ findings by check: {e(dq.get('findings') or 0)}</h3>")
    out.append(
        table(["table", "check", "rows checked", "failed"], failing, {2, 3}, empty="every check passed")
    )
    for key, rows in sorted((dq.get("samples") or {}).items()):
        if rows:
            cols = sorted({k for r in rows for k in r})
            out.append(f"<h3>examples: {e(key)}</h3>" + table(cols, [[r.get(c) for c in cols] for r in rows]))
    rec = report.get("reconciliation") or {}
    out.append(
        f"<h3>Reconciliation (careers against their innings): {e(rec.get('mismatched') or 0)} mismatched</h3>"
    )
    compared = ", ".join(f"{t} {sum(f.values()):,}" for t, f in (rec.get("compared") or {}).items())
    out.append(f"<p>compared: {e(compared or 'nothing (a run needs careers and innings of a format)')}</p>")
    out.append(
        table(
            ["check", "count", "detail"],
            [[f["check"], f["count"], f["detail"]] for f in rec.get("findings") or []],
            {1},
        )
    )
    players = rec.get("players") or []
    if players:
        out.append(table(["table", "player id", "name", "format", "columns", "career", "from innings"],
                         [[p["table"], p["player_id"], p["name"], p["format"], ", ".join(p["columns"]), p["career"], p["from_innings"]] for p in players]))  # fmt: skip
    refresh = report.get("refresh")
    if refresh:
        out.append("<h3>Refresh state</h3>" + table(["", ""], [[k, v] for k, v in refresh.items()]))
    return "".join(out)
