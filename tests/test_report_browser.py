"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by playwright):
every page loads from file:// with no console error and no request other than file://, charts
render, the filters re-render, a click in the risk queue opens the call detail, hostile text
never runs, Chinese renders. Screenshots are kept in test-artifacts/report/."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import report_workspace as RW
from typer.testing import CliRunner

from voc.cli import app

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.slow,  # a real browser: seconds per page, timing-sensitive
              pytest.mark.skipif(not CHROMIUM.exists(),
                                 reason="needs Debian's chromium at /usr/bin/chromium "
                                        "(apt-get install chromium chromium-driver fonts-noto-cjk; "
                                        "scripts/install.sh does it when run as root)")]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "report"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
runner = CliRunner()


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    ws_dir = RW.shared(tmp_path_factory)
    out = tmp_path_factory.mktemp("browser") / "dash"
    r = runner.invoke(app, ["report", "--workspace", str(ws_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")       # a fresh --user-data-dir
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
            viewport={"width": 1400, "height": 1000}, locale="zh-CN")
        log = {"requests": [], "console": [], "dialogs": []}
        ctx.on("request", lambda r: log["requests"].append(r.url))
        ctx.route(re.compile(r"^(https?|wss?|ftp)://"), lambda route: route.abort())  # recorded, never sent
        ctx.on("console", lambda m: log["console"].append((m.type, m.text, m.page.url if m.page else "")))
        yield ctx, log
        ctx.close()


class Page:
    """A page opened in the browser, with what it asked for and what it logged."""

    def __init__(self, browser, path: Path):
        self.ctx, self.log = browser
        self.log["requests"].clear()
        self.log["console"].clear()
        self.errors: list[str] = []
        self.page = self.ctx.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", lambda d: (self.log["dialogs"].append(d.message), d.dismiss()))
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        self.page.wait_for_timeout(300)

    def check_clean(self):
        assert any(u.startswith("file://") for u in self.log["requests"]), "requests not recorded"
        bad = [u for u in self.log["requests"] if not u.startswith(("file://", "data:", "blob:"))]
        assert not bad, f"requests to the network: {bad[:5]}"
        errors = [c for c in self.log["console"] if c[0] == "error"] + self.errors
        assert not errors, f"console errors: {errors[:5]}"
        assert not self.log["dialogs"], f"a dialog opened (script ran): {self.log['dialogs']}"

    def charts(self) -> dict[str, int]:
        """Each plotly div and how many svg/canvas children it drew."""
        return self.page.evaluate("""() => Object.fromEntries(
            [...document.querySelectorAll('.js-plotly-plot')].map(d =>
              [d.id, d.querySelectorAll('svg.main-svg, canvas').length]))""")

    def shot(self, name: str, full: bool = False):
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def test_the_checks_see_errors_and_requests(report, browser, tmp_path):
    """The recorders work: a page that logs an error and asks a host for a script is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text("<script>console.error('boom')</script><script src='http://192.0.2.1/x.js'></script>",
                   encoding="utf-8")
    p = Page(browser, bad)
    assert any(u.startswith("http://192.0.2.1") for u in p.log["requests"])
    assert any(c[0] == "error" and "boom" in c[1] for c in p.log["console"])
    with pytest.raises(AssertionError):
        p.check_clean()
    p.page.close()


def first_call_page(report: Path) -> Path:
    return sorted((report / "calls").glob("*.html"))[0]


@pytest.mark.parametrize("name,charts", [("index.html", 7), ("risk.html", 0), ("qa.html", 2),
                                         ("topics.html", 2), ("runs.html", 0), ("call", 0),
                                         ("search.html", 0)])
def test_page_loads_clean_and_charts_render(report, browser, name, charts):
    path = first_call_page(report) if name == "call" else report / name
    p = Page(browser, path)
    p.check_clean()
    drawn = p.charts()
    assert len(drawn) == charts, drawn
    assert all(n > 0 for n in drawn.values()), drawn
    assert p.page.title().endswith("客户之声质检看板")
    p.shot(name.replace(".html", ""), full=name == "index.html")
    p.page.close()


def test_overview_filters_rerender_the_charts(report, browser):
    p = Page(browser, report / "index.html")
    data = json.loads(p.page.inner_text("#voc-data"))
    cells = data["cells"]

    def volume():
        return p.page.evaluate("() => document.getElementById('ch-volume').data"
                               ".reduce((s, t) => s + t.y.reduce((a, b) => a + b, 0), 0)")

    def headline():
        return int(p.page.inner_text("#kpi-range .card .v").strip())

    assert volume() == headline() == sum(c["n"] for c in cells)
    team = data["filters"]["teams"][0]
    p.page.select_option("#f-team", team)
    want = sum(c["n"] for c in cells if c["team"] == team)
    assert 0 < want < sum(c["n"] for c in cells)
    assert volume() == headline() == want
    p.page.fill("#f-from", "2026-11-03")
    p.page.fill("#f-to", "2026-11-05")
    p.page.dispatch_event("#f-to", "change")
    want = sum(c["n"] for c in cells if c["team"] == team and "2026-11-03" <= c["d"] <= "2026-11-05")
    assert volume() == headline() == want
    channel = "chat"
    p.page.select_option("#f-team", "")
    p.page.select_option("#f-channel", channel)
    want = sum(c["n"] for c in cells if c["channel"] == channel and "2026-11-03" <= c["d"] <= "2026-11-05")
    assert volume() == headline() == want
    p.page.click("#f-reset")
    assert volume() == sum(c["n"] for c in cells)
    p.check_clean()
    p.page.select_option("#f-product", data["filters"]["products"][0])
    p.shot("index-filtered")
    p.page.close()


def test_risk_queue_click_opens_call_detail(report, browser):
    p = Page(browser, report / "risk.html")
    rows = p.page.locator("#risk-table tbody tr")
    n = rows.count()
    assert n > 0
    p.page.select_option("#f-level", "high")
    visible = p.page.locator("#risk-table tbody tr:visible").count()
    assert 0 < visible <= n
    assert p.page.locator("#f-count").inner_text() == f"显示 {visible} / {n} 条"
    first = p.page.locator("#risk-table tbody tr:visible a.call-link").first
    source = first.inner_text()
    href = first.get_attribute("href")
    p.shot("risk")
    first.click()
    p.page.wait_for_load_state("load")
    assert p.page.url.endswith(href.split("/")[-1])
    assert source in p.page.inner_text("#call-title")
    assert p.page.locator("#transcript tbody tr").count() > 0
    assert p.page.locator("#risk-level").inner_text().startswith("高")
    assert p.page.locator("#risk-reasons li").count() > 0
    p.check_clean()
    p.shot("call-from-risk-queue", full=True)
    p.page.click("#back-risk")
    p.page.wait_for_load_state("load")
    assert p.page.url.endswith("/risk.html")
    p.page.close()


def test_hostile_contact_shows_text_runs_nothing(report, browser):
    from voc.report.data import page_name

    p = Page(browser, report / "calls" / page_name(RW.HOSTILE_ID))
    text = p.page.inner_text("#transcript")
    assert RW.XSS in text and RW.IMG in text                    # shown as text
    assert p.page.locator("#transcript script, #transcript img, #call-meta svg").count() == 0
    assert "[银行卡]" in text and RW.card_number() not in p.page.content()
    assert p.page.locator("#transcript mark.finding").count() > 0
    p.check_clean()
    p.shot("call-hostile", full=True)
    p.page.close()
    team = RW.hostile().meta["team"]
    for name in ("index.html", "risk.html"):                  # the hostile team in the filter
        q = Page(browser, report / name)
        q.page.select_option("#f-team", team)
        q.page.wait_for_timeout(200)
        assert q.page.locator("#f-team").input_value() == team
        q.check_clean()
        q.page.close()


def test_chinese_renders_with_a_cjk_font(report, browser):
    """The CJK glyphs are drawn from a real font: with the page's font stack, 质检 differs from a
    character no font has (which would be drawn as the same empty box, "tofu")."""
    p = Page(browser, report / "qa.html")
    same = p.page.evaluate("""() => {
        const font = getComputedStyle(document.body).fontFamily;
        const draw = (s) => { const c = document.createElement('canvas'); c.width = 80; c.height = 40;
          const g = c.getContext('2d'); g.font = '28px ' + font; g.fillText(s, 4, 32); return c.toDataURL(); };
        return [draw('质'), draw('检'), draw('\\u{10FFFD}'), draw('\\u{10FFFC}')];
    }""")
    zhi, jian, tofu1, tofu2 = same
    assert tofu1 == tofu2                                       # both missing: the same box
    assert zhi != tofu1 and jian != tofu1 and zhi != jian
    assert re.match(r'^"?Noto Sans CJK SC', p.page.evaluate("getComputedStyle(document.body).fontFamily"))
    p.page.close()


# -- the QA workbench (issue 16) -------------------------------------------------------------------

@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """A call made from a shared clip (the recording the page plays), reported twice: in the
    default zone (Asia/Shanghai) and in UTC."""
    from voc.config import load_settings
    from voc.report import report as build

    root = tmp_path_factory.mktemp("recordings")
    ws_dir = RW.build_recordings(root, [RW.recording_call(RW.SHARED_AUDIO / "asr_example.wav")])
    with RW.Workspace(ws_dir) as ws:
        build(ws, root / "dash", load_settings({}))
        build(ws, root / "utc", load_settings({"report.timezone": "UTC"}))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return root


def test_call_page_plays_the_recording_and_evidence_seeks(recordings, browser):
    from voc.report.data import page_name

    p = Page(browser, recordings / "dash" / "calls" / page_name("rec-1"))
    p.page.wait_for_function("() => document.getElementById('audio').readyState >= 1", timeout=10000)
    assert abs(p.page.evaluate("document.getElementById('audio').duration") - 5.5) < 0.1
    link = p.page.locator("#findings a.evidence[href='#u-2']").first   # 推诿搪塞 at 3.2 s
    link.click()
    p.page.wait_for_function("() => document.getElementById('audio').currentTime >= 3.2", timeout=5000)
    at = p.page.evaluate("document.getElementById('audio').currentTime")
    assert 3.2 <= at < 5.5
    p.page.wait_for_function("() => document.querySelector('#u-2').classList.contains('playing') || "
                             "document.getElementById('audio').currentTime >= 4.6", timeout=5000)
    p.page.evaluate("document.getElementById('audio').pause()")
    p.page.locator("#timeline rect.sp.customer").first.click()        # the strip seeks too: 1.2 s
    p.page.wait_for_function("() => Math.abs(document.getElementById('audio').currentTime - 1.2) < 0.6", timeout=5000)
    p.page.evaluate("document.getElementById('audio').pause()")
    assert p.page.locator("#timeline rect.silence").count() == 2
    assert p.page.locator("#timeline rect.overtalk").count() == 1
    assert p.page.locator("#audio-error").is_hidden()
    p.check_clean()
    p.shot("call-recording", full=True)
    p.page.close()


def test_time_zone_display(recordings, browser):
    from voc.report.data import page_name

    for folder, zone, shown in (("dash", "Asia/Shanghai", "2026-11-05 10:30"), ("utc", "UTC", "2026-11-05 02:30")):
        p = Page(browser, recordings / folder / "calls" / page_name("rec-1"))
        assert p.page.locator("#time-zone").get_attribute("data-tz") == zone
        assert f"时间均为 {zone}" in p.page.inner_text("#time-zone")
        assert shown in p.page.inner_text("#call-meta")
        p.check_clean()
        p.page.close()


def _search_count(p) -> int:
    return int(re.search(r"找到 (\d+) 条联络", p.page.inner_text("#s-count")).group(1))


def test_search_finds_a_phrase_and_filters_by_agent(report, browser):
    p = Page(browser, report / "search.html")
    data = json.loads(p.page.inner_text("#voc-data"))
    phrase = "年费"

    def expect(agent=None):
        return sum(1 for c in data["contacts"] if any(phrase in u[2] for u in c["u"])
                   and (agent is None or c["a"] == agent))

    assert _search_count(p) == len(data["contacts"])               # no words: every contact
    p.page.fill("#q", phrase)
    p.page.press("#q", "Enter")
    want = expect()
    assert 0 < want < len(data["contacts"]) and _search_count(p) == want
    agent = max({c["a"] for c in data["contacts"]}, key=lambda a: (expect(a), a))
    p.page.select_option("#s-agent", agent)
    assert 0 < expect(agent) < want and _search_count(p) == expect(agent)
    assert p.page.locator("#hits li").count() == expect(agent)
    assert p.page.locator("#hits mark.search").first.inner_text() == phrase
    p.shot("search", full=True)
    first = p.page.locator("#hits a.hit-link").first
    href = first.get_attribute("href")
    first.click()
    p.page.wait_for_load_state("load")
    assert "?q=" in p.page.url and p.page.url.endswith(href.split("#")[-1])
    assert p.page.locator("#transcript mark.search").first.inner_text() == phrase
    assert agent in p.page.inner_text("#call-meta")
    p.check_clean()
    p.page.close()


def test_kpi_card_lists_the_contacts_it_counts(report, browser):
    p = Page(browser, report / "index.html")
    card = p.page.locator("#kpi-range .card a", has_text="高风险")
    n = int(card.locator(".v").inner_text())
    card.click()
    p.page.wait_for_load_state("load")
    p.page.wait_for_timeout(300)
    assert p.page.url.split("#")[0].endswith("/search.html")
    assert p.page.locator("#s-level").input_value() == "high"
    assert _search_count(p) == n > 0
    p.page.close()


def test_agent_page_figures_match_the_scorecard(report, browser):
    p = Page(browser, report / "qa.html")
    row = p.page.locator("#agents-table tbody tr").first
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    agent = row.get_attribute("data-agent")
    p.page.select_option("#agent-filter", agent)                    # the findings list by agent
    shown = p.page.locator("#findings-table tbody tr:visible")
    assert shown.count() > 0 and set(shown.locator("td:nth-child(6)").all_inner_texts()) == {agent}
    row.locator("a.agent-link").click()
    p.page.wait_for_load_state("load")
    assert agent in p.page.inner_text("#agent-title")
    card = {k: p.page.locator(f"#agent-card [data-k={k}]").inner_text().strip()
            for k in ("contacts", "mean_score", "min_score", "findings", "findings_per_contact")}
    assert [card["contacts"], card["mean_score"], card["min_score"], card["findings"],
            card["findings_per_contact"]] == [cells[2], cells[3], cells[4], cells[5], cells[6]]
    points = p.page.locator("#agent-trend circle.pt")          # the trend: one point a day, no plotly
    assert points.count() > 0 and p.charts() == {}
    means = [float(points.nth(k).get_attribute("data-mean")) for k in range(points.count())]
    assert min(means) >= float(cells[4]) and max(means) <= 100
    worst = p.page.locator("#agent-worst tbody tr").first.locator("td").first.inner_text()
    assert float(worst) == float(cells[4])                          # the worst call is the minimum
    p.check_clean()
    p.shot("agent", full=True)
    p.page.close()


def test_empty_chart_says_no_data(report, browser):
    p = Page(browser, report / "index.html")
    p.page.fill("#f-from", "2026-11-09")                 # a range with no day in it
    p.page.fill("#f-to", "2026-11-02")
    p.page.dispatch_event("#f-to", "change")
    assert p.page.inner_text("#kpi-range .card .v").strip() == "0"
    assert "无数据" in p.page.inner_text("#ch-risk") and "无数据" in p.page.inner_text("#ch-volume")
    p.page.click("#f-reset")
    assert "无数据" not in p.page.inner_text("#ch-volume")
    assert p.charts()["ch-volume"] > 0
    p.check_clean()
    p.page.close()
