"""Benchmark `voc inspect`: 10,000 generated dialogues, and the default rules on real chats.

    .venv/bin/python scripts/bench_inspect.py [--n 10000] [--repeat 3] [--jddc PATH] [--samples 3]
    .venv/bin/python scripts/bench_inspect.py --rates-only      # per-rule hit rates, demo vs JDDC

1. Speed and memory. The demo generator writes N dialogues (calls with timing, chats and
   tickets) to a transcripts.jsonl once; then three kinds of fresh process run on it, alternating,
   `--repeat` times (medians reported):
   - bare:    read the transcripts and run one regular expression over every utterance;
   - library: read the transcripts and inspect each with the default rule set;
   - cli:     `voc inspect FILE --out findings.jsonl --workspace W` (also writes DuckDB).
   Each process reports its wall time, the time after loading, and its peak RSS.
2. Real chats. The default rules over the JDDC customer-service dialogues (e-commerce, agent
   and customer turns, no timing): hit rate per rule, and `--samples` hits per rule to read.
3. Per rule, its hit rate on the demo set (`voc demo generate`: 200 contacts, seed 7) beside
   JDDC's, coverage (已质检 / 部分质检 / 未质检) of both, and on the demo set the contacts with a
   veto finding that pass (must be 0) and with a high/critical finding that pass.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from shared_data import TEXT  # noqa: E402 - ../shared/data, found as the tests find it

JDDC = TEXT / "jddc_chat.txt"

CHILD = r"""
import json, re, resource, sys, time
t0 = time.perf_counter()
mode, path, work = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == "cli":
    from voc.cli import app
    try:
        app(["inspect", path, "--out", work + "/findings.jsonl", "--workspace", work + "/ws"],
            standalone_mode=False)
    except SystemExit:
        pass
    loaded = t0
else:
    from voc.schema import read_transcripts
    ts = read_transcripts(path)
    loaded = time.perf_counter()
    if mode == "bare":
        pat = re.compile("投诉|您好")
        n = sum(1 for t in ts for u in t.utterances if pat.search(u.text))
    else:
        from voc.inspect import Inspector, load_rules
        ins = Inspector(load_rules())
        n = sum(len(ins.inspect(t).findings) for t in ts)
end = time.perf_counter()
print(json.dumps({"wall": end - t0, "work": end - loaded,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_child(mode: str, path: Path, work: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(work)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def speed(n: int, repeat: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from voc import demo
    from voc.schema import write_transcripts

    tmp = Path(tempfile.mkdtemp(prefix="bench_inspect_"))
    t0 = time.perf_counter()
    ts = demo.generate(n, seed=2026)
    path = tmp / "transcripts.jsonl"
    write_transcripts(path, ts)
    gen = time.perf_counter() - t0
    utts = sum(len(t.utterances) for t in ts)
    channels = {c: sum(1 for t in ts if t.channel == c) for c in ("call", "chat", "ticket")}
    del ts
    runs: dict[str, list[dict]] = {"bare": [], "library": [], "cli": []}
    for i in range(repeat):
        for mode in runs:
            work = tmp / f"{mode}{i}"
            work.mkdir()
            runs[mode].append(run_child(mode, path, work))
    med = {m: {k: round(statistics.median(r[k] for r in rs), 2) for k in ("wall", "work", "peak_mb")}
           for m, rs in runs.items()}
    return {"dialogues": n, "utterances": utts, "channels": channels, "generate_s": round(gen, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1), "repeat": repeat, "median": med,
            "ratio_wall_library_bare": round(med["library"]["wall"] / med["bare"]["wall"], 2),
            "ratio_wall_cli_bare": round(med["cli"]["wall"] / med["bare"]["wall"], 2),
            "dialogues_per_s_library": round(n / med["library"]["work"]),
            "cpus": os.cpu_count()}


def jddc(path: Path, samples: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from voc.inspect import Inspector, hit_rates, load_rules
    from voc.sources import RowError, read_records

    ts = [r for r in read_records(path, text_col=6, group_col=0, role_col=2) if not isinstance(r, RowError)]
    rules = load_rules()
    ins = Inspector(rules)
    t0 = time.perf_counter()
    results = [ins.inspect(t) for t in ts]
    secs = time.perf_counter() - t0
    rows = hit_rates([r.to_dict() for r in results], rules.rules)
    shown: dict[str, list] = {}
    for r in results:
        for f in r.findings:
            if len(shown.setdefault(f.rule, [])) < samples:
                shown[f.rule].append({"id": r.id[:12], "evidence": f.evidence[:2]})
    return {"sessions": len(ts), "utterances": sum(len(t.utterances) for t in ts),
            "seconds": round(secs, 2), "rules": rows, "samples": shown, "coverage": _coverage(results)}


def demo_rates(n: int = 200, seed: int = 7) -> dict:
    sys.path.insert(0, str(ROOT))
    from voc import demo
    from voc.inspect import Inspector, hit_rates, load_rules

    rules = load_rules()
    ins = Inspector(rules)
    results = [ins.inspect(t) for t in demo.generate(n, seed=seed)]
    return {"contacts": n, "seed": seed, "rules": hit_rates([r.to_dict() for r in results], rules.rules),
            "coverage": _coverage(results),
            "vetoed": sum(bool(r.vetoed) for r in results),
            "vetoed_passing": sum(bool(r.vetoed) and bool(r.passed(80)) for r in results),
            "high_passing": sum(any(f.severity in ("high", "critical") for f in r.findings)
                                and bool(r.passed(80)) for r in results),
            "high": sum(any(f.severity in ("high", "critical") for f in r.findings) for r in results)}


NEW_RULES = ("violent_collection", "fraud_assist", "account_change_unverified", "suitability",
             "complaint_obstruction")


def rule_cost(n: int = 1000, rounds: int = 3) -> dict:
    """CPU seconds of Inspector.inspect over n demo dialogues: every default rule against the
    default set without the red lines added by issue 13, alternating in this process."""
    sys.path.insert(0, str(ROOT))
    from voc import demo
    from voc.inspect import Inspector, load_rules

    ts = demo.generate(n, seed=2026)
    without = load_rules()
    without.rules = [r for r in without.rules if r.id not in NEW_RULES]
    runs = {"all": Inspector(load_rules()), "without_new": Inspector(without)}
    for ins in runs.values():
        for t in ts[:50]:
            ins.inspect(t)                          # warm the caches (normalisation, script lines)
    out: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(rounds):
        for k, ins in runs.items():
            t0 = time.process_time()
            for t in ts:
                ins.inspect(t)
            out[k].append(round(time.process_time() - t0, 2))
    return {"dialogues": n, "cpu_s": out,
            "ratio": round(statistics.median(out["all"]) / statistics.median(out["without_new"]), 2)}


def _coverage(results) -> dict:
    return {c: sum(r.coverage == c for r in results) for c in ("full", "partial", "none")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--jddc", type=Path, default=JDDC)
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--json", type=Path, help="Also write all figures here.")
    ap.add_argument("--rates-only", action="store_true", help="Skip the speed runs.")
    a = ap.parse_args()
    s = None if a.rates_only else speed(a.n, a.repeat)
    if s:
        print(f"{s['dialogues']} dialogues ({s['channels']}), {s['utterances']} utterances, "
              f"{s['file_mb']} MB; generated in {s['generate_s']} s; {s['cpus']} CPUs; "
              f"medians of {s['repeat']} fresh processes each")
        print(f"{'mode':<8} {'wall s':>7} {'after load s':>13} {'peak MB':>8}")
        for m, v in s["median"].items():
            print(f"{m:<8} {v['wall']:>7} {v['work']:>13} {v['peak_mb']:>8}")
        print(f"wall ratio library/bare {s['ratio_wall_library_bare']}, cli/bare {s['ratio_wall_cli_bare']}; "
              f"{s['dialogues_per_s_library']} dialogues/s inspected (library, after load)")
    d = demo_rates()
    cost = rule_cost()
    print(f"CPU s over {cost['dialogues']} demo dialogues, alternating: all rules {cost['cpu_s']['all']}, "
          f"without the issue-13 red lines {cost['cpu_s']['without_new']}; median ratio {cost['ratio']}")
    j = jddc(a.jddc, a.samples) if a.jddc.exists() else None
    print(f"\nper rule: demo set ({d['contacts']} contacts, seed {d['seed']}) vs JDDC"
          f" ({j['sessions'] if j else 0} sessions); rate = hits / contacts the rule applied to")
    print(f"{'rule':<26} {'demo hits':>9} {'applied':>8} {'rate':>7}   {'JDDC hits':>9} {'applied':>8} {'rate':>7}")
    jr = {r["rule"]: r for r in (j["rules"] if j else [])}
    for r in d["rules"]:
        x = jr.get(r["rule"], {"hits": 0, "applied": 0, "rate": None})
        fmt = lambda v: "-" if v is None else f"{v:.1%}"  # noqa: E731
        print(f"{r['rule']:<26} {r['hits']:>9} {r['applied']:>8} {fmt(r['rate']):>7}   "
              f"{x['hits']:>9} {x['applied']:>8} {fmt(x['rate']):>7}")
    print(f"coverage demo {d['coverage']}, JDDC {j['coverage'] if j else '-'}; demo: {d['vetoed']} contacts "
          f"with a veto finding, {d['vetoed_passing']} of them pass; {d['high']} with a high/critical "
          f"finding, {d['high_passing']} of them pass")
    if j:
        print(f"\nJDDC: {j['sessions']} sessions, {j['utterances']} utterances, inspected in {j['seconds']} s")
        print(f"{'rule':<24} {'hits':>5} {'applied':>8} {'rate':>7} {'n/a':>5}")
        for r in j["rules"]:
            rate = "-" if r["rate"] is None else f"{r['rate']:.1%}"
            print(f"{r['rule']:<24} {r['hits']:>5} {r['applied']:>8} {rate:>7} {r['not_applicable']:>5}")
        for rule, xs in j["samples"].items():
            print(f"\n-- {rule}")
            for x in xs:
                print("  ", x["id"], json.dumps(x["evidence"], ensure_ascii=False)[:240])
    if a.json:
        figures = {"speed": s, "demo": d, "rule_cost": cost, "jddc": j}
        a.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
