"""Offline, self-contained HTML charts of topics (plotly; plotly.js inlined, no CDN).

`figures(...)` returns plotly figures (topic sizes, topics over time, topics per class,
emerging topics); `to_html(figs)` writes one self-contained page with plotly.js inlined once;
`figure_div(fig)` gives a <div> without plotly.js for a dashboard that includes it itself.
Nothing here loads anything from the network: no CDN script, no MathJax, no fonts.
"""

from __future__ import annotations

import html

TOP_N = 12
OTHER = "其他话题"
_CONFIG = {"displaylogo": False, "responsive": True,
           "showSendToCloud": False}  # no button that talks to plotly.com


def _go():
    import plotly.graph_objects as go

    return go


def sizes_figure(sizes: list[dict], title: str = "话题规模"):
    """Horizontal bars: count per topic (rows from trends.topic_sizes), largest on top."""
    go = _go()
    rows = sorted(sizes, key=lambda r: r["count"])
    fig = go.Figure(go.Bar(x=[r["count"] for r in rows], y=[r["topic_label"] for r in rows],
                           orientation="h",
                           customdata=[[r["topic"], r.get("share", 0) * 100] for r in rows],
                           hovertemplate="%{y}<br>话题 %{customdata[0]}：%{x} 条"
                                         "（%{customdata[1]:.1f}%）<extra></extra>"))
    fig.update_layout(title=title, height=max(300, 28 * len(rows) + 120),
                      margin={"l": 260, "r": 20, "t": 50, "b": 40}, xaxis_title="条数")
    return fig


def _top_topics(rows: list[dict], n: int) -> set[int]:
    totals: dict[int, int] = {}
    for r in rows:
        totals[r["topic"]] = totals.get(r["topic"], 0) + r["count"]
    return {t for t, _ in sorted(totals.items(), key=lambda kv: -kv[1])[:n]}


def _fold(rows: list[dict], key: str, n: int) -> dict[str, dict[str, float]]:
    """{topic label: {key value: share}} for the top n topics, the rest as 其他话题."""
    top = _top_topics(rows, n)
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        name = r["topic_label"] if r["topic"] in top else OTHER
        series = out.setdefault(name, {})
        series[r[key]] = series.get(r[key], 0.0) + r["share"]
    return out


def time_figure(over_time: list[dict], title: str = "话题趋势", top_n: int = TOP_N):
    """Lines: share of each top topic per period (rows from trends.over_time)."""
    go = _go()
    periods = sorted({r["period"] for r in over_time})
    fig = go.Figure()
    for name, series in _fold(over_time, "period", top_n).items():
        fig.add_trace(go.Scatter(x=periods, y=[round(100 * series.get(p, 0.0), 2) for p in periods],
                                 mode="lines+markers", name=name,
                                 hovertemplate="%{x}<br>%{y:.1f}%<extra>" + html.escape(name)
                                               + "</extra>"))
    fig.update_layout(title=title, yaxis_title="占比（%）", xaxis_title="日期",
                      xaxis={"type": "category"}, height=460, legend={"font": {"size": 11}})
    return fig


def class_figure(per_class: list[dict], class_name: str, title: str | None = None,
                 top_n: int = TOP_N):
    """Stacked bars: topic shares within each class value (rows from trends.per_class)."""
    go = _go()
    classes = sorted({r["class"] for r in per_class})
    fig = go.Figure()
    for name, series in _fold(per_class, "class", top_n).items():
        fig.add_trace(go.Bar(x=classes, y=[round(100 * series.get(c, 0.0), 2) for c in classes],
                             name=name, hovertemplate="%{x}<br>%{y:.1f}%<extra>"
                                                      + html.escape(name) + "</extra>"))
    fig.update_layout(barmode="stack", title=title or f"各{class_name}的话题构成",
                      yaxis_title="占比（%）", xaxis_title=class_name, height=460,
                      xaxis={"type": "category"})
    return fig


def emerging_figure(groups: list[dict], title: str = "新出现的话题"):
    """Bars: size of each emerging topic (rows from AssignResult.groups as dicts)."""
    go = _go()
    rows = sorted(groups, key=lambda g: g["size"])
    fig = go.Figure(go.Bar(x=[g["size"] for g in rows], y=[g["label"] for g in rows],
                           orientation="h", marker_color="#d62728",
                           hovertemplate="%{y}：%{x} 条<extra></extra>"))
    fig.update_layout(title=title, height=max(260, 30 * len(rows) + 120),
                      margin={"l": 260, "r": 20, "t": 50, "b": 40}, xaxis_title="条数")
    return fig


def figure_div(fig) -> str:
    """A <div> for a page that loads plotly.js itself (e.g. the dashboard)."""
    return fig.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False,
                       config=_CONFIG)


def to_html(figs: list, title: str = "话题分析", notes: list[str] | None = None) -> str:
    """One self-contained page: plotly.js inlined once, then each figure."""
    from plotly.offline import get_plotlyjs

    body = "\n".join(f'<section class="chart">{figure_div(f)}</section>' for f in figs)
    note = "".join(f"<p>{html.escape(n)}</p>" for n in notes or [])
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title>"
            "<style>body{font-family:sans-serif;margin:1.5em;color:#222}"
            ".chart{margin-bottom:2em}</style>"
            f"<script type=\"text/javascript\">{get_plotlyjs()}</script></head><body>"
            f"<h1>{html.escape(title)}</h1>{note}{body}</body></html>")


def write_html(path, figs: list, title: str = "话题分析", notes: list[str] | None = None):
    from pathlib import Path

    from voc.files import write_text

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_text(p, to_html(figs, title, notes))
    return p
