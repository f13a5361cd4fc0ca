"""The run report as one self-contained HTML page: inline style, charts as SVG data images, every value escaped.

The page loads nothing: its Content-Security-Policy allows no script, no font and no fetch at all (images only
from `data:`), so even a value that escaped escaping could not run or call out. Every value is passed through
`e()`; the charts are SVG in `<img>` (an image runs no script and keeps its ids to itself).
"""

from __future__ import annotations

import base64
import datetime as dt
import html

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

STYLE = """
:root{--ok:#2e7d32;--warn:#b26a00;--bad:#c62828;--mute:#666;--line:#e3e3e3;--bg:#fafafa}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;background:#fff}
main{max-width:1100px;margin:0 auto;padding:16px}
h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.2em;margin:1.6em 0 .4em;border-bottom:2px solid var(--line)}
h1,h2,h3,p{overflow-wrap:anywhere}h3{font-size:1em;margin:1.1em 0 .3em}
.meta{color:var(--mute);font-size:.9em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:10px;margin:12px 0}
.card{border:1px solid var(--line);border-left:6px solid var(--mute);border-radius:6px;padding:8px 12px;background:var(--bg)}
.card b{display:block;font-size:1.05em}.card.ok{border-left-color:var(--ok)}.card.warn{border-left-color:var(--warn)}
.card.bad{border-left-color:var(--bad)}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:.85em;background:var(--mute)}
.badge.ok{background:var(--ok)}.badge.warn{background:var(--warn)}.badge.bad{background:var(--bad)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;margin:6px 0 10px;font-size:.9em}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
th{background:var(--bg)}td.n{text-align:right;font-variant-numeric:tabular-nums}
code,pre{font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
pre{white-space:pre-wrap;word-break:break-all;background:var(--bg);padding:4px 6px;margin:0;max-width:60ch}
figure{margin:10px 0}figure img{width:100%;height:auto;max-width:1000px;display:block}
figcaption{color:var(--mute);font-size:.85em}
.muted{color:var(--mute)}
@media (max-width:600px){body{font-size:14px}main{padding:10px}th,td{padding:3px 5px}}
"""


def e(value: object) -> str:
    """Any value as HTML text: markup characters and quotes escaped; None as a dash."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return html.escape(str(value), quote=True)


def table(headers: list[str], rows: list[list], numeric: set[int] | None = None, empty: str = "none") -> str:
    """An HTML table (in a scroll box for narrow screens); `numeric` column indexes right-aligned."""
    if not rows:
        return f'<p class="muted">{e(empty)}</p>'
    numeric = numeric or set()
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{e(v)}</td>' if i in numeric else f"<td>{cell(v)}</td>" for i, v in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


class Raw(str):
    """Markup built here from escaped parts (never from a site value directly)."""


def cell(v: object) -> str:
    return str(v) if isinstance(v, Raw) else e(v)


def pre(text: object, limit: int = 400) -> Raw:
    s = "" if text is None else str(text)
    return Raw(f"<pre>{e(s if len(s) <= limit else s[: limit - 1] + '…')}</pre>")


def card(title: str, body: str, level: str) -> str:
    return f'<div class="card {e(level)}"><b>{e(title)}</b>{body}</div>'


def badge(text: str, level: str) -> str:
    return f'<span class="badge {e(level)}">{e(text)}</span>'


def figure(svg: bytes | None, caption: str, alt: str, chart_id: str) -> str:
    if not svg:
        return f'<p class="muted">{e(caption)}: nothing to draw in this run.</p>'
    data = base64.b64encode(svg).decode("ascii")
    return (
        f'<figure><img class="chart" id="{e(chart_id)}" alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'
        f"<figcaption>{e(caption)}</figcaption></figure>"
    )


def document(title: str, body: str) -> bytes:
    generated = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head>"
        f'<body><main>{body}<p class="meta">generated {e(generated)} by cricket-transform report</p>'
        "</main></body></html>\n"
    ).encode()
