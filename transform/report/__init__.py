"""The run report: one self-contained HTML page per curated run, `{curated}/_reports/run_id=R/index.html`.

Order against the `_current.json` pointer (transform/publish.py calls `write_attempt_page` and `publish_page`):
1. the page is rendered and written into the attempt's own directory, `_reports/run_id=R/attempt=A/index.html`,
   before the pointer moves, beside the attempt's report.json: it is that attempt's diagnosis, kept whether or
   not the attempt is published (a refused run's page says why it was refused);
2. `_current.json` moves to the attempt;
3. only then is the run's page, `_reports/run_id=R/index.html`, written (the same bytes). Written before the
   pointer, a crash or a refusal in between would leave the run's page describing data no reader ever saw.
   The price is a moment (or, after a crash right there, a gap) where the run is current and its page not yet
   there: `cricket-transform report` writes it again, and the DAG's check fails until it exists.
Rendering happens in step 1, so a report that cannot be built never stands between a good run and its readers:
the failure is logged and the run publishes without a page (and the summary says so).
"""

from __future__ import annotations

import contextlib
import json
import logging

from cricket_contract.layout import AttemptDir, report_dir
from cricket_storage import Location
from transform.report.gather import gather
from transform.report.page import document
from transform.report.sections import changes_section, charts_section, crawl_section, header, quality_section

log = logging.getLogger(__name__)

PAGE = "index.html"
REJECT_EXAMPLES = 3  # per reason
REJECT_SCAN_LINES = 100_000  # the examples come from the start of the rejects file; never read it all


def run_page(curated: Location, run_id: str) -> Location:
    """`{curated}/_reports/run_id=R/index.html`: the published run's page."""
    return curated.child(report_dir(run_id), PAGE)


def attempt_page(curated: Location, run_id: str, attempt: str) -> Location:
    return curated.child(report_dir(run_id, attempt), PAGE)


def reject_examples(report: dict) -> dict[str, list[dict]]:
    """A few rejected rows per reason, raw text included, from the attempt's rejects file."""
    if not report.get("rejects") or not report.get("rejects_location"):
        return {}
    out: dict[str, list[dict]] = {}
    reasons = set((report.get("rejects_summary") or {}).get("by_reason") or {})
    try:
        # streamed: a refused run's rejects file can be most of its raw rows
        with contextlib.closing(Location.parse(report["rejects_location"]).open_read()) as f:
            # an S3 body iterates in chunks; its iter_lines() gives lines as a local file does
            for n, line in enumerate(f.iter_lines() if hasattr(f, "iter_lines") else f):
                if n >= REJECT_SCAN_LINES or (
                    reasons and all(len(out.get(r, [])) >= REJECT_EXAMPLES for r in reasons)
                ):
                    break
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                kept = out.setdefault(str(rec.get("reason")), [])
                if len(kept) < REJECT_EXAMPLES:
                    kept.append(rec)
    except OSError as exc:
        log.warning("report: rejects file not readable: %s", exc)
    return out


def render(report: dict, previous: dict | None) -> bytes:
    """The page of an attempt (`report`: its report.json) against `previous` (a published run's `_current.json`
    or report.json), None when there is none."""
    data = gather(report, previous)
    body = "".join(
        [
            header(report, data),
            '<nav class="meta"><a href="#crawl">crawl health</a> · <a href="#changes">what changed</a> · '
            '<a href="#charts">charts</a> · <a href="#quality">quality</a></nav>',
            crawl_section(report),
            changes_section(report, data),
            charts_section(report, data),
            quality_section(report, reject_examples(report)),
        ]
    )
    return document(f"cricket-stats run {report.get('run_id')}", body)


def write_attempt_page(curated: Location, report: dict, previous: dict | None) -> bytes | None:
    """Step 1: render and write the attempt's page; None (logged) when it cannot be built."""
    try:
        page = render(report, previous)
        attempt_page(curated, report["run_id"], report["attempt"]).write_bytes(page)
        return page
    except Exception as exc:  # noqa: BLE001 - the data must not wait on its report; the summary says so
        log.error("run report not written: %s: %s", type(exc).__name__, exc, exc_info=True)
        return None


def publish_page(curated: Location, run_id: str, page: bytes) -> Location:
    """Step 3, after `_current.json` names the attempt: the run's page."""
    loc = run_page(curated, run_id)
    loc.write_bytes(page)
    return loc


def _attempt_reports(curated: Location, run_id: str) -> list[dict]:
    """Every attempt's report.json of `run_id`, oldest attempt first."""
    run = curated.child(report_dir(run_id))
    out = []
    for entry in sorted(run.list(), key=lambda x: x.name):
        if entry.is_dir and AttemptDir.parse(entry.name) is not None:
            try:
                out.append(json.loads(run.child(entry.name, "report.json").read_bytes()))
            except (OSError, ValueError):
                continue
    return out


def published_report(curated: Location, run_id: str) -> dict | None:
    """The report.json of the attempt at `run_id` that was published (the newest such), else None."""
    published = [r for r in _attempt_reports(curated, run_id) if r.get("published_at")]
    return published[-1] if published else None


def regenerate(curated: str | Location, run_id: str | None = None, out: str | None = None) -> Location:
    """`cricket-transform report`: render run `run_id` (default: the current one) again and write it to `out`,
    else to the run's page (a published run) or its newest attempt's page (a run never published)."""
    from transform.publish import current, load_current

    root = Location.parse(curated)
    cur = load_current(root) if run_id is None else current(root)
    run_id = run_id or cur["run_id"]
    report = published_report(root, run_id)
    previous = None
    if report is not None:
        history = report.get("history") or []
        prev_id = history[1] if len(history) > 1 else None
        previous = published_report(root, prev_id) if prev_id else None
        if prev_id and previous is None:
            previous = {"run_id": prev_id, "pruned": True}  # beyond --keep: say so, compare nothing
        target = run_page(root, run_id)
    else:
        attempts = _attempt_reports(root, run_id)
        if not attempts:
            raise FileNotFoundError(
                f"no report.json of run {run_id!r} under {root.child(report_dir(run_id))}"
            )
        report = attempts[-1]
        previous = cur if cur and cur.get("run_id") != run_id else None
        target = attempt_page(root, run_id, report["attempt"])
    page = render(report, previous)
    dest = Location.parse(out) if out else target
    dest.write_bytes(page)
    return dest
