"""The demo set: scripted Chinese bank contact-centre calls and text contacts, written by us.

`generate()` turns the dialogue material in voc/data/demo/dialogues.yaml into Transcripts in the
exchange format (DESIGN.md): virtual phone calls with timing and per-utterance features as the
transcriber produces them, plus chat logs and tickets without timing. Scenarios range from
routine enquiries to regulator complaints, abusive collection and mis-selling, handled by good
or bad agents; some customers read out card, ID or phone numbers so redaction has work to do.
The same seed always gives the same records. `meta["truth"]` records what each script
contains (risk level, QA issues, PII kinds, longest silence) to check later stages against.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from voc.paths import resource
from voc.schema import Transcript, Utterance, join_text, write_transcripts

DIALOGUES = resource("demo", "dialogues.yaml")
LEVELS = ("none", "low", "medium", "high")
ROUTINE_SHARE = 0.4
CHAT_SHARE, TICKET_SHARE = 0.12, 0.08
CST = timezone(timedelta(hours=8))
VIRTUAL_NOTE = "虚拟录音：演示用脚本对话，没有对应的音频文件"

_ALT = re.compile(r"\(([^()]*)\)")
_SLOT = re.compile(r"\{(\w+)\}")
_NON_SPEECH = re.compile(r"[\W_]+")
_SPOKEN = dict(zip("0123456789X", "零幺二三四五六七八九叉"))
_TRAD = str.maketrans(
    "银账单额还费这个们说话请问号码钱户时间发后会对没过为么开关办给让认识证询务应该电动题样车长门见边业两买亏产优体余险诉吗帮谢处经现记录实谁网点营贷征风资级评组统"
    "讲陈临调据况报够刘张赵杨吴郑许韩冯邓罗东专约预线总欢兴乐节续设满减转拨热诈骗导误销购书亲儿孙听种难爷岁签",
    "銀帳單額還費這個們說話請問號碼錢戶時間發後會對沒過為麼開關辦給讓認識證詢務應該電動題樣車長門見邊業兩買虧產優體餘險訴嗎幫謝處經現記錄實誰網點營貸徵風資級評組統"
    "講陳臨調據況報夠劉張趙楊吳鄭許韓馮鄧羅東專約預線總歡興樂節續設滿減轉撥熱詐騙導誤銷購書親兒孫聽種難爺歲簽")
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in
                            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})
_ZH_NUM_SLOTS = {"amount", "small_amount", "annual_fee", "debt", "partial", "balance", "bill",
                 "limit"}
_FILLERS = ("嗯，", "那个，", "呃，", "就是，", "哎，")
_REGIONS = ("110105", "310115", "440305", "330106", "510104", "420106", "320102", "370202",
            "610113", "500103")
_DEBIT_BINS = ("622202", "621700", "622848", "623668", "621483")
_CREDIT_BINS = ("625965", "622588", "436742", "518710", "524047")


@lru_cache(maxsize=4)
def load_dialogues(path: str | Path = DIALOGUES) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def scenario_names() -> list[str]:
    return list(load_dialogues()["scenarios"])


def generate(n_calls: int = 200, seed: int = 7, start_date: str = "2026-11-01",
             days: int = 14) -> list[Transcript]:
    """`n_calls` demo records (about 20 % chat/ticket text contacts), the same for a seed."""
    if n_calls < 0 or days < 1:
        raise ValueError(f"need n_calls >= 0 and days >= 1, got {n_calls} and {days}")
    data = load_dialogues()
    rng = random.Random(f"voc-demo:{seed}")
    plan = _plan(data, n_calls, rng)
    first = datetime.fromisoformat(start_date).replace(tzinfo=CST)
    hours = list(range(8, 22))
    weights = [3, 6, 8, 8, 5, 6, 8, 8, 7, 6, 5, 4, 3, 2]
    times = sorted(first + timedelta(days=rng.randrange(days),
                                     hours=rng.choices(hours, weights)[0],
                                     seconds=rng.randrange(3600)) for _ in plan)
    out, n_audio = [], 0
    for i, ((name, channel), when) in enumerate(zip(plan, times), 1):
        if channel == "call":
            n_audio += 1
        r = random.Random(f"voc-demo:{seed}:{i}:{name}")
        out.append(_Call(data, r, name, channel, when).build(seed, i, n_audio))
    return out


def write(out_dir: Path, n_calls: int = 200, seed: int = 7) -> Path:
    """Write out_dir/transcripts.jsonl (all records) and out_dir/contacts.csv (text contacts)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = generate(n_calls, seed)
    path = out_dir / "transcripts.jsonl"
    write_transcripts(path, records)
    from voc.files import open_staged

    with open_staged(out_dir / "contacts.csv", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "channel", "text", "created_at", "product_line"])
        for t in records:
            if t.channel != "call":
                w.writerow([t.id, t.channel, t.text, t.meta["started_at"], t.meta["product_line"]])
    return path


def _plan(data: dict, n: int, rng: random.Random) -> list[tuple[str, str]]:
    """Scenario and channel per record: 40 % routine, scenarios in turn by weight, shuffled."""
    scenarios = data["scenarios"]
    routine = [k for k, v in scenarios.items() if v["kind"] == "routine"]
    problem = [k for k, v in scenarios.items() if v["kind"] != "routine"]
    problem += [k for k in problem for _ in range(scenarios[k].get("weight", 1) - 1)]
    n_routine = round(n * ROUTINE_SHARE)
    names = ([routine[i % len(routine)] for i in range(n_routine)]
             + [problem[i % len(problem)] for i in range(n - n_routine)])
    rng.shuffle(names)
    plan = []
    for name in names:
        x, sc = rng.random(), scenarios[name]
        channel = "chat" if x < CHAT_SHARE else "ticket" if x < CHAT_SHARE + TICKET_SHARE else "call"
        if channel == "chat" and not _inbound_variants(sc):
            channel = "call"
        if channel == "ticket" and not sc.get("ticket"):
            channel = "call"
        plan.append((name, channel))
    return plan


def _variants(sc: dict) -> list[dict]:
    return [v if isinstance(v, dict) else {"turns": v} for v in sc["variants"]]


def _inbound_variants(sc: dict) -> list[dict]:
    return [v for v in _variants(sc) if v.get("greet", sc.get("greet", "inbound")) == "inbound"]


class _Call:
    """One record being scripted: slot values, the lines said so far, and what they show."""

    def __init__(self, data: dict, rng: random.Random, name: str, channel: str, when: datetime):
        self.d, self.r, self.name, self.channel, self.when = data, rng, name, channel, when
        sc = self.sc = data["scenarios"][name]
        self.v = rng.choice(_inbound_variants(sc) if channel == "chat" else _variants(sc))
        self.greet = self.v.get("greet", sc.get("greet", "inbound"))
        self.product = self.v.get("product") or rng.choice(sc["products"])
        team = sc.get("team") or rng.choice(data["teams"][self.product])
        self.agent = rng.choice([a for a in data["agents"] if a["team"] == team])
        self.quality = "bad" if rng.random() < sc.get("bad_rate", self.agent["bad_rate"]) else "good"
        self.omit = {k for k, p in (("no_greeting", .35), ("no_job_id", .5),
                                    ("no_verification", .4), ("no_closing", .5))
                     if self.quality == "bad" and rng.random() < p}
        iw = sc.get("intensity", {"low": .45, "medium": .35, "high": .2})
        self.intensity = rng.choices(list(iw), list(iw.values()))[0] if sc["kind"] != "routine" else "none"
        self.risk = sc.get("risk", "none")
        self.elderly = bool(sc.get("elderly"))
        self.male = rng.random() < .5
        self.spoken = channel == "call" and (self.elderly or rng.random() < .35)
        self.zh_num = channel == "call" and rng.random() < .2
        self.issues: set[str] = set()
        self.pii: set[str] = set()
        self.heated = False
        self.vals: dict[str, Any] = {}
        self.lines: list[list] = []          # [role, text, silence before or None]
        self.gap: float | None = None
        self.prefix = ""

    # -- text ------------------------------------------------------------------------------
    def pool(self, name: str) -> list:
        p = self.d["phrases"]
        return p.get(f"{self.channel}_{name}") or p[name]

    def block(self, name: str) -> None:
        b = self.d["blocks"]
        self.run(self.r.choice(b.get(f"{self.channel}_{name}") or b[name]))

    def fill(self, text: str) -> str:
        if text.startswith("@"):
            text = self.r.choice(self.pool(text[1:]))
        text = _ALT.sub(lambda m: self.r.choice(m.group(1).split("|")), text)
        return _SLOT.sub(lambda m: self.slot(m.group(1)), text)

    def slot(self, name: str) -> str:
        v = self.value(name)
        if name in ("card", "id", "phone"):
            self.pii.add(name)
            if self.spoken and (name == "phone" or self.r.random() < .15):
                return "".join(_SPOKEN[c] for c in v)
        if name in _ZH_NUM_SLOTS and self.zh_num:
            return _zh_int(int(v))
        return str(v)

    def value(self, name: str) -> Any:
        if name not in self.vals:
            slots, numbers = self.d["slots"], self.d["numbers"]
            if name in _DERIVED:
                self.vals[name] = _DERIVED[name](self)
            elif name in slots:
                self.vals[name] = self.r.choice(slots[name])
            elif name in numbers:
                lo, hi, step = numbers[name]
                self.vals[name] = self.r.randrange(lo, hi + 1, step)
            else:
                raise KeyError(f"scenario {self.name}: unknown slot {{{name}}}")
        return self.vals[name]

    def day(self, lo: int, hi: int) -> str:
        d = self.when.date() + timedelta(days=self.r.randint(lo, hi))
        return f"{d.month}月{d.day}{self.r.choice('号日')}"

    def say(self, who: str, text: str | list) -> None:
        text = self.fill(self.r.choice(text) if isinstance(text, list) else text)
        role = "agent" if who == "a" else "customer"
        if role == "agent":
            text, self.prefix = self.prefix + text, ""
        elif self.channel != "call":
            text = text.removeprefix("喂？喂？").removeprefix("喂，")
        elif self.r.random() < .12 and text[0] not in "喂嗯哎呃那啊":
            text = self.r.choice(_FILLERS) + text
        self.lines.append([role, text, self.gap])
        self.gap = None

    def raise_risk(self, level: str) -> None:
        self.risk = max(self.risk, level, key=LEVELS.index)

    # -- script ----------------------------------------------------------------------------
    def run(self, turns: list) -> None:
        for t in turns or []:
            key, val = (t, None) if isinstance(t, str) else next(iter(t.items()))
            if key in ("a", "c") or (key in ("a?", "c?") and self.r.random() < .5):
                self.say(key[0], val)
            elif key in ("good", "bad"):
                if key == self.quality:
                    self.run(val)
            elif key == "pick":
                self.run(self.r.choice(val))
            elif key == "maybe":
                if self.r.random() < .5:
                    self.run(val)
            elif key == "issue":
                self.issues.add(val)
            elif key == "risk":
                self.raise_risk(val)
            elif key == "pii":
                self.say("c", f"@pii_{val}" if self.r.random() < .6 else f"@pii_{val}_alt")
            elif key == "verify":
                if "no_verification" in self.omit:
                    self.issues.add("no_verification")
                else:
                    self.block("verify_inbound" if self.greet == "inbound" else "verify_outbound")
            elif key == "wait":
                self.wait()
            elif key == "threat":
                if self.intensity != "none":
                    self.block(f"threat_{self.intensity}_{self.quality}")
                    self.raise_risk(self.intensity)
                    self.heated = self.heated or self.intensity != "low"
            elif key not in ("a?", "c?"):
                raise ValueError(f"scenario {self.name}: unknown turn {key!r}")

    def wait(self) -> None:
        """The agent looks something up: announced and thanked by a good agent, dead air if bad."""
        if self.quality == "good":
            self.say("a", "@hold")
            self.prefix = self.fill("@hold_back")
            if self.channel == "call":
                self.gap = self.r.uniform(3, 9) if self.r.random() < .85 else self.r.uniform(10.5, 40)
        elif self.channel == "call":
            self.gap = self.r.uniform(2, 6)
            if self.r.random() < .7:
                self.gap = self.r.uniform(10.5, 35)
                self.issues.add("silence_without_notice")

    def script(self) -> None:
        if self.channel == "ticket":
            text = self.fill(self.r.choice(self.sc["ticket"]))
            if self.intensity in ("medium", "high"):
                text += self.fill(f"@ticket_threat_{self.intensity}")
                self.raise_risk(self.intensity)
            self.raise_risk(self.sc.get("ticket_risk", "none"))
            self.lines.append(["customer", text, None])
            return
        style = "good"
        if "no_greeting" in self.omit:
            style = "rude"
            self.issues.update(("no_greeting", "no_job_id"))
        elif "no_job_id" in self.omit:
            style = "nojob"
            self.issues.add("no_job_id")
        self.say("a", f"@{self.greet}_{style}")
        self.run(self.v["turns"])
        if self.quality == "bad" and ("no_closing" in self.omit or not self.issues):
            self.issues.add("no_closing")
            self.block("close_bad")
        else:
            self.block("close_good_heated" if self.heated else "close_good")

    # -- records ---------------------------------------------------------------------------
    def build(self, seed: int, index: int, n_audio: int) -> Transcript:
        self.script()
        form = self.r.choices(["simplified", "traditional", "fullwidth"], [90, 5, 5])[0]
        if form == "traditional" and self.channel != "call":
            form = "simplified"
        for ln in self.lines:
            ln[1] = ln[1].translate(_TRAD if form == "traditional" else
                                    _FULLWIDTH if form == "fullwidth" else {})
        utts, truth = self.timeline()
        text = join_text(utts)
        call = self.channel == "call"
        meta = {"agent_id": self.agent["id"], "agent_name": self.agent["name"],
                "team": self.agent["team"], "product_line": self.product,
                "started_at": self.when.isoformat(), "scenario": self.name,
                "scenario_zh": self.sc["zh"],
                "direction": "inbound" if self.greet == "inbound" else "outbound", "demo": True}
        if call:
            meta.update(virtual_source=True, note=VIRTUAL_NOTE)
        meta["truth"] = {"kind": self.sc["kind"], "risk": self.risk,
                         "agent": None if self.channel == "ticket" else self.quality,
                         "issues": sorted(self.issues), "pii": sorted(self.pii),
                         "text_form": form, **truth}
        digest = hashlib.sha256(f"voc-demo|{seed}|{index}|{self.name}|{text}".encode()).hexdigest()
        last = max((u.end for u in utts), default=0.0) if call else 0.0
        return Transcript(id=digest,
                          source=f"demo/call_{n_audio:04d}.wav" if call else "demo/contacts.csv",
                          channel=self.channel,
                          duration_s=round(last + self.r.uniform(.4, 2.0), 2) if call else None,
                          meta=meta, utterances=utts, text=text)

    def timeline(self) -> tuple[list[Utterance], dict]:
        """Utterances with times from a per-speaker speech rate, gaps, dead air and overlaps."""
        spk = {"agent": "ch0", "customer": "ch1"}
        if self.channel != "call":
            return [Utterance(None, None, spk[role], role, text) for role, text, _ in self.lines], {}
        r = self.r
        rate = {"agent": r.uniform(235, 280),
                "customer": r.uniform(175, 210) if self.elderly else r.uniform(205, 280)}
        if self.heated:
            rate["customer"] = min(rate["customer"] + 15, 300)
        level = {"agent": r.uniform(-24, -17), "customer": r.uniform(-32, -19)}
        if len(self.lines) > 4 and r.random() < .06:            # unexplained dead air
            self.lines[r.randrange(2, len(self.lines))][2] = r.uniform(10.5, 25)
        overlap_p = .3 if (self.heated or self.quality == "bad") and r.random() < .25 else 0.0
        out: list[Utterance] = []
        last_end = {"agent": 0.0, "customer": 0.0}
        t_end, max_silence, overlapped = 0.0, 0.0, False
        for role, text, gap in self.lines:
            dur = max(0.6, len(_NON_SPEECH.sub("", text)) / (rate[role] * r.uniform(.93, 1.07)) * 60)
            if not out:
                start = r.uniform(.3, 1.5)
            else:
                start = t_end + (gap if gap is not None else r.uniform(.25, 1.1))
                prev = out[-1]
                if gap is None and prev.role != role and r.random() < overlap_p:
                    start = prev.end - r.uniform(.3, min(1.5, .4 * (prev.end - prev.start)))
            start = max(start, last_end[role] + .05)
            max_silence = max(max_silence, start - t_end) if out else 0.0
            overlapped = overlapped or start < t_end
            s, e = round(start, 2), round(start + dur, 2)
            db = level[role] + r.gauss(0, 1.2) + (5 if role == "customer" and "！" in text else 0)
            feats = {"speech_rate_cpm": round(len(_NON_SPEECH.sub("", text)) / (e - s) * 60, 1),
                     "rms_db": round(min(db, -6.0), 1)}
            out.append(Utterance(s, e, spk[role], role, text, features=feats))
            last_end[role] = start + dur
            t_end = max(t_end, start + dur)
        return out, {"max_silence_s": round(max_silence, 1), "overlap": overlapped}


# -- derived slots -------------------------------------------------------------------------

def _luhn_digit(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str(-total % 10)


def _card(c: _Call) -> str:
    credit = c.product == "信用卡"
    body = c.r.choice(_CREDIT_BINS if credit else _DEBIT_BINS)
    body += "".join(c.r.choice("0123456789") for _ in range((16 if credit else 19) - 7))
    return body + _luhn_digit(body)


def _resident_id(c: _Call) -> str:
    age = c.r.randint(66, 84) if c.elderly else c.r.randint(22, 62)
    born = date(c.when.year - age, 1, 1) + timedelta(days=c.r.randrange(365))
    body = (c.r.choice(_REGIONS) + born.strftime("%Y%m%d") + f"{c.r.randrange(100):02d}"
            + str(c.r.choice("13579" if c.male else "02468")))
    total = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return body + "10X98765432"[total % 11]


def _money(x: float) -> str:
    return f"{x:.2f}".removesuffix(".00")


def _fee(c: _Call, i: int) -> str:
    return c.value("fee_item").split("|")[i]


_DERIVED = {
    "bank": lambda c: c.d["bank"],
    "agent": lambda c: c.agent["name"],
    "job_id": lambda c: c.agent["id"][1:],
    "full_name": lambda c: c.value("surname") + c.r.choice(c.d["slots"]["given_m" if c.male else "given_f"]),
    "sir": lambda c: "先生" if c.male else "女士",
    "elder": lambda c: "大爷" if c.male else "阿姨",
    "card": _card,
    "card_tail": lambda c: c.value("card")[-4:],
    "id": _resident_id,
    "id_tail": lambda c: c.value("id")[-4:],
    "phone": lambda c: "1" + c.r.choice("3456789") + c.r.choice("0123456789")
                       + "".join(c.r.choice("0123456789") for _ in range(8)),
    "min_pay": lambda c: _money(c.value("bill") / 10),
    "temp_limit": lambda c: c.value("limit") * c.r.choice((12, 13, 15)) // 10000 * 1000,
    "due_day": lambda c: (c.value("bill_day") + 19) % 28 + 1,
    "new_bill_day": lambda c: (c.value("salary_day") - 19) % 28 + 1,
    "date": lambda c: c.day(-40, -1),
    "date2": lambda c: c.day(30, 180),
    "due_date": lambda c: c.day(3, 20),
    "inst_fee_month": lambda c: _money(c.value("inst_principal") * float(c.value("inst_rate")) / 100),
    "inst_fee_total": lambda c: _money(c.value("inst_principal") * float(c.value("inst_rate")) / 100
                                       * int(c.value("inst_n"))),
    "inst_apr": lambda c: format(float(c.value("inst_rate")) * 24 * int(c.value("inst_n"))
                                 / (int(c.value("inst_n")) + 1), ".1f"),
    "partial": lambda c: max(500, c.value("debt") // 500 * 100),
    "fee_name": lambda c: _fee(c, 0),
    "fee_amt": lambda c: _fee(c, 1),
    "fee_cycle": lambda c: _fee(c, 2),
}


def _zh_int(n: int) -> str:
    """1280 -> 一千二百八十, 10010 -> 一万零一十 (n < 10^8), as ASR writes spoken amounts."""
    digits = "零一二三四五六七八九"

    def four(x: int) -> str:
        s, zero = "", False
        for p, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = x // p % 10
            if d:
                s += ("零" if zero and s else "") + digits[d] + unit
                zero = False
            else:
                zero = True
        return s

    if n == 0:
        return "零"
    wan, rest = divmod(n, 10000)
    s = four(wan) + "万" if wan else ""
    if rest:
        s += ("零" if wan and rest < 1000 else "") + four(rest)
    return s[1:] if s.startswith("一十") else s
