"""The run report's charts: matplotlib figures rendered server-side to SVG (glyphs as paths, no fonts fetched).

No pyplot: each chart is its own `Figure` on the SVG canvas, so nothing global (a GUI backend, a figure
registry) is touched and charts can be drawn from any thread. Text from the site (player names) is drawn as
glyph outlines, so it can never become markup; `$` is escaped so a name is never read as mathtext.
matplotlib is imported when the first chart is drawn (not by whoever imports the report, e.g. for crawl_health),
and panels are placed by hand from their labels' measured widths: a layout engine measures every text of a
figure again and again (constrained layout took about 40 % of a chart's CPU time).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from transform.schemas import TRUTH_TABLES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = ("#1b6ca8", "#e07b39", "#3a9e5f", "#c23b3b", "#7d5ba6", "#8c6d31", "#d4a72c", "#5f7d8e")
ADDED, CHANGED, REMOVED = "#3a9e5f", "#d4a72c", "#c23b3b"
MAIN_TABLES = tuple(t for t in TRUTH_TABLES if t.endswith(("_career", "_innings")))
TIMELINE_PANELS = 8
FORMAT_ORDER = ("test", "odi", "t20i", "wtest", "wodi", "wt20i")
PT = 1 / 72  # inches per point
TICK = 7 * PT  # a tick (3.5 pt) and its label's pad (3.5 pt), matplotlib's defaults
EDGE = 0.06  # inches of blank around each panel's labels


def label(text: object) -> str:
    """A site value as matplotlib text: `$` escaped (mathtext), long values shortened."""
    s = str(text if text is not None else "-").replace("$", r"\$")
    return s if len(s) <= 40 else s[:39] + "…"


def formats(names) -> list[str]:
    """Formats in the vocabulary's order, anything else after."""
    names = set(names)
    return [f for f in FORMAT_ORDER if f in names] + sorted(names - set(FORMAT_ORDER))


def _svg(fig: Figure, name: str) -> bytes:
    import matplotlib

    buf = io.BytesIO()
    # a salt per chart: ids inside each SVG differ from the other charts' (they share one page)
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": name}):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _width(texts, size: float) -> float:
    """Inches the widest of `texts` takes at `size` points (the font's metrics; nothing drawn)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    prop = FontProperties(size=size)
    widths = (text_to_path.get_text_width_height_descent(str(t), prop, ismath=False)[0] for t in texts)
    return max(widths, default=0.0) * PT


def _line(size: float) -> float:
    """Inches a line of text at `size` points takes."""
    return 1.2 * size * PT


def _grid(fig: Figure, nrows: int, ncols: int, *, left: float, bottom: float, top: float, right: float = EDGE,
          above: float = 0.0, below: float = 0.0) -> list[list]:  # fmt: skip
    """An nrows × ncols grid of axes, each cell keeping `left`, `bottom`, `top` and `right` inches for its
    labels; `above` and `below` are bands of the whole figure (a legend, the last panel's axis label)."""
    w, h = fig.get_size_inches()
    cw, ch = w / ncols, (h - above - below) / nrows
    return [
        [
            fig.add_axes(
                (
                    (c * cw + left) / w,
                    (below + (nrows - 1 - r) * ch + bottom) / h,
                    max(cw - left - right, 0.1) / w,
                    max(ch - bottom - top, 0.1) / h,
                )
            )
            for c in range(ncols)
        ]
        for r in range(nrows)
    ]


def _style(ax) -> None:
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    # few, comma-grouped ticks: a panel a quarter of a phone wide must not run its labels together
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def rows_per_format(rows: dict[str, dict[str, int]]) -> bytes | None:
    """Two panels, careers and innings (their sizes differ a hundredfold): rows of each table per format."""
    groups = [
        [t for t in MAIN_TABLES if t.endswith(kind) and sum((rows.get(t) or {}).values())]
        for kind in ("_career", "_innings")
    ]
    groups = [g for g in groups if g]
    if not groups:
        return None
    fmts = formats({f for g in groups for t in g for f in rows[t]})
    fig = _figure(9, 0.9 + 0.32 * len(fmts))
    x_axis = TICK + _line(10) + _line(8) + 4 * PT  # tick labels and the axis label "rows"
    axes = _grid(fig, 1, len(groups), left=_width(fmts, 10) + TICK + EDGE, bottom=x_axis + EDGE,
                 top=_line(9) + 6 * PT + EDGE)[0]  # fmt: skip
    for ax, tables in zip(axes, groups, strict=True):
        height = 0.8 / len(tables)
        for i, table in enumerate(tables):
            ys = [j + i * height for j in range(len(fmts))]
            vals = [rows[table].get(f, 0) for f in fmts]
            color = COLORS[MAIN_TABLES.index(table) % 3]
            bars = ax.barh(ys, vals, height=height, color=color, label=table.split("_")[0])
            ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in vals], padding=2, fontsize=6)
        ax.set_yticks([j + 0.4 - height / 2 for j in range(len(fmts))], fmts)
        ax.invert_yaxis()
        ax.set_title(tables[0].split("_")[1], fontsize=9, loc="left")
        ax.set_xlabel("rows", fontsize=8)
        ax.margins(x=0.12)
        ax.legend(fontsize=7, loc="lower right", frameon=False)
        _style(ax)
    return _svg(fig, "rows_per_format")


def change_per_table(changes: dict[str, dict[str, dict[str, int]]]) -> bytes | None:
    """Bars per table: rows added, changed and removed against the previous published run."""
    tables = [t for t in changes if changes[t]]
    if not tables:
        return None
    sums = {
        t: {k: sum(v[k] for v in changes[t].values()) for k in ("added", "changed", "removed")}
        for t in tables
    }
    fig = _figure(8, 0.6 + 0.3 * len(tables))
    x_axis = TICK + 2 * _line(10) + 4 * PT
    ((ax,),) = _grid(fig, 1, 1, left=_width(tables, 10) + TICK + EDGE, bottom=x_axis + EDGE, top=EDGE)
    h = 0.27
    for i, (kind, color) in enumerate((("added", ADDED), ("changed", CHANGED), ("removed", REMOVED))):
        ys = [j + i * h for j in range(len(tables))]
        vals = [sums[t][kind] for t in tables]
        bars = ax.barh(ys, vals, height=h, color=color, label=kind)
        ax.bar_label(bars, labels=[f"{v:,}" if v else "" for v in vals], padding=2, fontsize=7)
    ax.set_yticks([j + h for j in range(len(tables))], tables)
    ax.invert_yaxis()
    ax.set_xlabel("rows")
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    _style(ax)
    return _svg(fig, "change_per_table")


def crawl_timeline(crawls: Sequence[dict]) -> bytes | None:
    """One panel per raw run with a progress timeline: requests, retries and HTTP errors per minute."""
    runs = [c for c in crawls if c.get("timeline") and sum(c["timeline"]["requests"])]
    if not runs:
        return None
    if len(runs) > TIMELINE_PANELS:  # a refresh reads many deltas: draw the busiest crawls, in their order
        busiest = sorted(runs, key=lambda c: -sum(c["timeline"]["requests"]))[:TIMELINE_PANELS]
        runs = [c for c in runs if any(c is b for b in busiest)]
    fig = _figure(8, 0.4 + 1.5 * len(runs))
    longest = max(c["timeline"]["bucket_s"] * len(c["timeline"]["requests"]) for c in runs)
    peak = max(n * 60.0 / c["timeline"]["bucket_s"] for c in runs for n in c["timeline"]["requests"]) * 1.25
    left = _width([f"{peak:.0f}"], 10) + TICK + _line(8) + 4 * PT + EDGE  # tick labels, then "per minute"
    grid = _grid(fig, len(runs), 1, left=left, bottom=TICK + _line(10) + EDGE, top=_line(9) + 6 * PT,
                 above=_line(8) + 2 * EDGE, below=_line(10) + 4 * PT)  # fmt: skip
    axes = [row[0] for row in grid]
    unit, unit_s = ("seconds", 1.0) if longest <= 180 else ("minutes", 60.0)  # short crawls read in seconds
    for ax, run in zip(axes, runs, strict=True):
        tl = run["timeline"]
        step = tl["bucket_s"]
        per_min = 60.0 / step
        edges = [i * step / unit_s for i in range(len(tl["requests"]) + 1)]
        xs = edges[:-1]
        reqs = [n * per_min for n in tl["requests"]]
        ax.stairs(reqs, edges, fill=True, color=COLORS[0], alpha=0.25)
        ax.stairs(reqs, edges, color=COLORS[0], linewidth=1.5, label="requests")
        width = step / unit_s * 0.8
        ax.bar(
            xs,
            [n * per_min for n in tl["retries"]],
            width=width,
            align="edge",
            color=CHANGED,
            label="retries",
        )
        errs = [n * per_min for n in tl["http_errors"]]
        ax.bar(xs, errs, width=width * 0.5, align="edge", color=REMOVED, label="HTTP errors (4xx/5xx)")
        ax.set_title(label(f"{run.get('spider')} / {run.get('run_id')}"), fontsize=9, loc="left")
        ax.set_ylabel("per minute", fontsize=8)
        ax.set_xlim(0, edges[-1])
        ax.set_ylim(0, max(reqs) * 1.25)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.spines[["top", "right"]].set_visible(False)
    axes[-1].set_xlabel(f"{unit} since the crawl started")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper right", bbox_to_anchor=(1, 1), fontsize=8, frameon=False,
               ncols=3)  # fmt: skip  # in the band kept above the panels
    return _svg(fig, "crawl_timeline")


def leaders(top: dict[str, list[dict]], unit: str, name: str) -> bytes | None:
    """A panel per format: the leading players' `unit` as horizontal bars, names as drawn glyphs."""
    fmts = [f for f in formats(top) if top[f]]
    if not fmts:
        return None
    cols = 2 if len(fmts) > 1 else 1
    rows = (len(fmts) + cols - 1) // cols
    per = max(len(top[f]) for f in fmts)
    fig = _figure(9, 0.4 + rows * (0.3 + 0.17 * per))
    names = {
        f: [label(f"{p['name']} ({p['country']})" if p.get("country") else p["name"]) for p in top[f]]
        for f in fmts
    }
    grid = _grid(fig, rows, cols, left=_width([n for f in fmts for n in names[f]], 7) + TICK + EDGE,
                 bottom=TICK + _line(10) + EDGE, top=_line(9) + 6 * PT + EDGE)  # fmt: skip
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(fmts) :]:
        ax.remove()  # an odd number of formats: the last cell stays blank
    for k, fmt in enumerate(fmts):
        ax = axes[k]
        players = top[fmt]
        vals = [p["value"] for p in players]
        bars = ax.barh(range(len(players)), vals, color=COLORS[k % len(COLORS)])
        ax.bar_label(bars, labels=[f"{v:,}" for v in vals], padding=2, fontsize=7)
        ax.set_yticks(range(len(players)), names[fmt], fontsize=7)
        ax.set_ylim(per - 0.5, -0.5)  # the same bar height in every panel, leaders top down
        ax.set_title(f"{fmt}: {unit}", fontsize=9, loc="left")
        ax.margins(x=0.15)
        _style(ax)
    return _svg(fig, name)
