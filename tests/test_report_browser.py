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
                                         ("topics.html", 2), ("runs.html", 0), ("call", 0)])
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
