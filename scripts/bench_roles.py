#!/usr/bin/env python
"""Who is the agent, from what each speaker says: voc.roles.roles_for_speakers on real dialogues.

A diarized mono call gives voc two anonymous speakers; their roles come from what each says
(script lines, 工号, greetings, verification: `voc.roles`). No shared audio holds a script line,
so this scores that decision on real customer-service dialogues no one here wrote, each turned
into two anonymous speakers:
- JDDC (../shared/data/text/jddc_chat.txt): 994 JD customer-service chat sessions;
- STC-3 (stc3_dev.json): 1,200 Weibo helpdesk dialogues.

Which speaker comes first is drawn at random (seed 0), so the tie-break "the first speaker is the
agent" scores 50 % and only the words count. Reported: sessions whose agent is found, overall and
on the sessions where the agent says a script line (`voc.text.script.script_hits`: the case the
issue names), and how many were ties.

    .venv/bin/python scripts/bench_roles.py [--out roles.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from voc.roles import roles_for_speakers, speaker_score  # noqa: E402
from voc.schema import Utterance  # noqa: E402
from voc.text.script import script_hits  # noqa: E402

TEXT = ROOT.parent / "shared" / "data" / "text"


def jddc() -> list[list[tuple[str, str]]]:
    """Sessions as [(role, text)], role agent or customer."""
    sessions: dict[str, list] = defaultdict(list)
    with open(TEXT / "jddc_chat.txt", encoding="utf-8") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 7:
                sessions[row[0]].append(("agent" if row[2] == "1" else "customer", row[6]))
    return list(sessions.values())


def stc3() -> list[list[tuple[str, str]]]:
    data = json.loads((TEXT / "stc3_dev.json").read_text(encoding="utf-8"))
    return [[("agent" if t["sender"] == "helpdesk" else "customer", "".join(t["utterances"])) for t in d["turns"]]
            for d in data]


def score(sessions: list[list[tuple[str, str]]], rng: random.Random) -> dict:
    n = right = ties = scripted = scripted_right = 0
    for turns in sessions:
        if {r for r, _ in turns} != {"agent", "customer"}:
            continue
        first = rng.choice(["agent", "customer"])  # which one is spk0, the first to speak
        names = {first: "spk0", ("customer" if first == "agent" else "agent"): "spk1"}
        lead = next(i for i, (r, _) in enumerate(turns) if r == first)  # spk0's first turn opens
        order = [lead] + [i for i in range(len(turns)) if i != lead]
        utts = [Utterance(start=float(k), end=float(k) + 1, speaker=names[turns[i][0]], role="unknown",
                          text=turns[i][1]) for k, i in enumerate(order)]
        got = roles_for_speakers(utts)
        said = {r: "".join(t for rr, t in turns if rr == r) for r in ("agent", "customer")}
        n += 1
        ok = got.get(names["agent"]) == "agent"
        right += ok
        ties += speaker_score(said["agent"]) == speaker_score(said["customer"])
        if script_hits(said["agent"]):
            scripted += 1
            scripted_right += ok
    return {"sessions": n, "agent_found": round(right / n, 3), "ties": ties,
            "sessions_where_the_agent_says_a_script_line": scripted,
            "agent_found_there": round(scripted_right / max(1, scripted), 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args()
    rng = random.Random(0)
    res = {"jddc": score(jddc(), rng), "stc3": score(stc3(), rng)}
    out = json.dumps(res, ensure_ascii=False, indent=2)
    print(out)
    if a.out:
        a.out.write_text(out + "\n")


if __name__ == "__main__":
    main()
