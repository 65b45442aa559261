"""The demo set generator: determinism, exchange-format validity, timing, coverage and PII."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter
from datetime import date, datetime

import pytest

from voc import demo
from voc.schema import ROLES, Transcript, read_transcripts

SPEAKER = {"agent": "ch0", "customer": "ch1"}


@pytest.fixture(scope="module")
def records() -> list[Transcript]:
    return demo.generate(200, seed=7)


def calls(records):
    return [t for t in records if t.channel == "call"]


# -- independent checks of the numbers the generator inserts --------------------------------

def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def resident_id_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    weights = [2 ** (17 - i) % 11 for i in range(17)]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(number, weights)) % 11]
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return number[17] == check


_CN_DIGITS = str.maketrans("零〇幺一二三四五六七八九叉", "001123456789X")


def digit_runs(text: str) -> list[str]:
    """Long numbers in a text, after full-width forms and spoken digits (幺三八…) are undone."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"[零〇幺一二三四五六七八九叉]{7,}", lambda m: m.group().translate(_CN_DIGITS), text)
    return re.findall(r"(?<![0-9])[0-9]{11,19}X?(?![0-9])", text)


def test_cn_digit_table():
    assert "幺三八零零一二三四五六".translate(_CN_DIGITS) == "13800123456"


# -- determinism and the exchange format ----------------------------------------------------

def test_same_seed_same_json():
    a = [t.to_json() for t in demo.generate(40, seed=3)]
    b = [t.to_json() for t in demo.generate(40, seed=3)]
    assert a == b


def test_different_seeds_differ():
    a = demo.generate(40, seed=1)
    b = demo.generate(40, seed=2)
    assert [t.id for t in a] != [t.id for t in b]
    assert [t.text for t in a] != [t.text for t in b]


def test_round_trip(records):
    for t in records:
        line = t.to_json()
        back = Transcript.from_json(line)
        assert back.to_json() == line
        assert back.text == "".join(u.text for u in back.utterances)


def test_ids_unique_and_sha256(records):
    ids = [t.id for t in records]
    assert len(set(ids)) == len(ids) == 200
    assert all(re.fullmatch(r"[0-9a-f]{64}", i) for i in ids)


def test_roles_and_speakers(records):
    for t in records:
        assert t.utterances
        for u in t.utterances:
            assert u.role in ROLES and u.role != "unknown"
            assert u.speaker == SPEAKER[u.role]
            assert u.text.strip()
        if t.channel != "ticket":
            assert t.utterances[0].role == "agent"
            assert {u.role for u in t.utterances} == {"agent", "customer"}


def test_meta(records):
    n_audio = 0
    for t in records:
        m = t.meta
        assert m["demo"] is True
        assert re.fullmatch(r"A10(0[1-9]|1[0-2])", m["agent_id"])
        assert m["team"] in {"信用卡一组", "信用卡二组", "理财组", "贷后组", "综合服务组"}
        assert m["product_line"] in {"信用卡", "借记卡", "理财", "基金", "保险", "贷款"}
        assert m["scenario"] in demo.scenario_names()
        started = datetime.fromisoformat(m["started_at"])
        assert datetime(2026, 11, 1).date() <= started.date() <= datetime(2026, 11, 14).date()
        assert 8 <= started.hour < 22
        if t.channel == "call":
            n_audio += 1
            assert t.source == f"demo/call_{n_audio:04d}.wav"
            assert m["virtual_source"] is True and m["note"]
        else:
            assert t.source == "demo/contacts.csv"
    assert [t.meta["started_at"] for t in records] == sorted(t.meta["started_at"] for t in records)


# -- timing ---------------------------------------------------------------------------------

def test_call_times_consistent(records):
    for t in calls(records):
        last_end = {}
        prev_start = 0.0
        for u in t.utterances:
            assert u.start is not None and u.end is not None
            assert 0 <= u.start < u.end
            assert u.start >= last_end.get(u.speaker, 0.0)       # non-decreasing per channel
            assert u.start >= prev_start
            last_end[u.speaker], prev_start = u.end, u.start
        assert t.duration_s >= max(u.end for u in t.utterances)


def test_call_features(records):
    rates = []
    for t in calls(records):
        for u in t.utterances:
            assert set(u.features) == {"speech_rate_cpm", "rms_db"}
            assert -60 < u.features["rms_db"] < 0
            chars = len(re.sub(r"[\W_]+", "", u.text))
            assert u.features["speech_rate_cpm"] == pytest.approx(chars / (u.end - u.start) * 60, abs=0.11)
            if chars >= 10:
                rates.append(u.features["speech_rate_cpm"])
    assert 200 <= sum(rates) / len(rates) <= 300
    assert max(rates) < 330


def test_dead_air_and_overlaps_in_some_calls(records):
    cs = calls(records)
    dead = [t for t in cs if t.meta["truth"]["max_silence_s"] > 10]
    overlap = [t for t in cs if t.meta["truth"]["overlap"]]
    assert 0 < len(dead) < len(cs) / 2 and 0 < len(overlap) < len(cs) / 4
    for t in dead:
        gaps, end = [], 0.0
        for u in t.utterances:
            gaps.append(u.start - end)
            end = max(end, u.end)
        assert max(gaps) > 10
    for t in overlap:
        us = t.utterances
        assert any(b.start < a.end for a, b in zip(us, us[1:]))


def test_text_contacts_have_no_timing(records):
    texts = [t for t in records if t.channel != "call"]
    assert {t.channel for t in texts} == {"chat", "ticket"}
    assert 0.1 <= len(texts) / len(records) <= 0.3
    for t in texts:
        assert t.duration_s is None
        for u in t.utterances:
            assert u.start is None and u.end is None and not u.features
    for t in (t for t in texts if t.channel == "ticket"):
        assert len(t.utterances) == 1 and t.utterances[0].role == "customer"


# -- content --------------------------------------------------------------------------------

def test_scenario_coverage_and_mix(records):
    counts = Counter(t.meta["scenario"] for t in records)
    assert set(counts) == set(demo.scenario_names())
    routine = sum(t.meta["truth"]["kind"] == "routine" for t in records)
    assert 0.35 <= routine / len(records) <= 0.45
    levels = Counter(t.meta["truth"]["risk"] for t in records)
    assert all(levels[k] > 0 for k in ("none", "low", "medium", "high"))
    for name in ("wealth_sale", "collection", "regulator_complaint"):
        handled = {t.meta["truth"]["agent"] for t in records if t.meta["scenario"] == name}
        assert {"good", "bad"} <= handled, name


def test_good_and_bad_agent_behaviour(records):
    issues = Counter(i for t in records for i in t.meta["truth"]["issues"])
    for issue in ("no_greeting", "no_job_id", "no_verification", "no_closing", "forbidden_promise",
                  "no_risk_disclosure", "abusive_collection", "dismissive", "silence_without_notice"):
        assert issues[issue] > 0, issue
    for t in records:
        truth, us = t.meta["truth"], t.utterances
        if t.channel == "ticket":
            continue
        job_id = t.meta["agent_id"][1:]
        greeting = unicodedata.normalize("NFKC", us[0].text)
        agent_text = "".join(u.text for u in us if u.role == "agent")
        if truth["agent"] == "good":
            assert truth["issues"] == []
            assert "您好" in greeting and job_id in greeting
            assert "还有其他可以帮您的吗" in agent_text or "還有其他可以幫您的嗎" in agent_text
        if "no_greeting" in truth["issues"]:
            assert "您好" not in greeting and job_id not in greeting
        if "no_closing" in truth["issues"]:
            assert "还有其他可以帮您的吗" not in agent_text
            assert "還有其他可以幫您的嗎" not in agent_text


def test_compliance_phrases_present(records):
    text = "".join(t.text for t in records)
    for phrase in ("理财非存款", "产品有风险", "投资须谨慎", "风险评估", "保本保收益", "稳赚不赔",
                   "工号", "核实", "逾期", "征信", "分期", "年费", "盗刷", "挂失"):
        assert phrase in text, phrase
    assert any(p in text for p in ("12378", "金融监管总局", "银保监会", "人民银行", "消协", "12315"))
    assert any(p in text for p in ("律师", "起诉", "曝光"))


def test_pii_is_valid(records):
    kinds = Counter()
    for t in records:
        runs = digit_runs(t.text)
        found = set()
        for r in runs:
            if len(r) == 11 and re.fullmatch(r"1[3-9]\d{9}", r):
                found.add("phone")
            elif len(r) == 18 and resident_id_ok(r):
                found.add("id")
            elif len(r) in (16, 19) and luhn_ok(r):
                found.add("card")
            else:
                pytest.fail(f"{t.source} {t.meta['scenario']}: invalid long number {r}")
        assert found == set(t.meta["truth"]["pii"]), (t.text, runs)
        kinds.update(found)
    assert all(kinds[k] >= 3 for k in ("card", "id", "phone"))
    spoken = [t for t in records if "phone" in t.meta["truth"]["pii"]
              and not re.search(r"1[3-9]\d{9}", unicodedata.normalize("NFKC", t.text))]
    assert spoken, "some phone numbers are read out in Chinese digits"


def test_text_forms(records):
    forms = Counter(t.meta["truth"]["text_form"] for t in records)
    assert forms["traditional"] > 0 and forms["fullwidth"] > 0
    assert forms["simplified"] > 0.8 * len(records)
    assert any(re.search(r"[A-Za-z]{2,}", t.text) for t in records)


def test_zh_numbers():
    assert demo._zh_int(1280) == "一千二百八十"
    assert demo._zh_int(10010) == "一万零一十"
    assert demo._zh_int(15) == "十五"
    assert demo._zh_int(43100) == "四万三千一百"
    assert demo._zh_int(3005) == "三千零五"


def test_bad_arguments():
    with pytest.raises(ValueError):
        demo.generate(10, days=0)


# -- files ----------------------------------------------------------------------------------

def test_write(tmp_path):
    path = demo.write(tmp_path / "demo", n_calls=60, seed=5)
    assert path == tmp_path / "demo" / "transcripts.jsonl"
    records = read_transcripts(path)
    assert [t.to_json() for t in records] == [t.to_json() for t in demo.generate(60, seed=5)]
    raw = (tmp_path / "demo" / "contacts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(tmp_path / "demo" / "contacts.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    texts = {t.id: t for t in records if t.channel != "call"}
    assert rows and list(rows[0]) == ["id", "channel", "text", "created_at", "product_line"]
    assert {r["id"] for r in rows} == set(texts)
    for r in rows:
        t = texts[r["id"]]
        assert (r["channel"], r["text"], r["created_at"], r["product_line"]) == \
            (t.channel, t.text, t.meta["started_at"], t.meta["product_line"])
    for line in path.read_text(encoding="utf-8").splitlines():
        json.loads(line)
