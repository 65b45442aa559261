"""Evaluate rules on one contact: conditions -> hits -> three-valued rule result -> findings.

A condition looks at the utterances of its role (unknown roles count as `RuleSet.unknown_role`,
by default only for role `any`), narrowed by `position`, and yields hits (utterances, gaps,
overlaps). An `anchor` keeps the hits that stand before/after/around a hit of another condition
(or, with not_*, those that do not). The condition is then True, False or None:

- None (not applicable) when the contact has no utterances of the role, when a timing condition
  or a position in seconds meets a contact without timing (chats, tickets), or when its anchor
  is not applicable; the rule is then not applicable unless the other conditions decide it;
- True/False from the hits: at least `min_hits` (match any, regex, similar, semantic, risk,
  timing); every keyword (all); N distinct keywords (at_least); no hit (none).

`semantic` conditions compare utterance vectors (voc.embedding, e5-small) with the rule's example
sentences: the examples are embedded once per Inspector, and only the utterances the condition's
role and position let through are embedded (a rule set without semantic rules never loads the
embedder). `risk` conditions are the hits of risk signals (voc/data/risk.yaml, voc.analyze.risk)
on the contact, so a QA rule can anchor on a suspected fraud or a vulnerable customer.

Coverage: a contact on which every core rule (`core: true`; without any, every rule without a
timing check) applied is fully inspected (已质检); some: 部分质检; none: 未质检 and no score.
A finding of a `veto` rule (一票否决) fails the contact whatever its score.

A rule that evaluates True gives one finding per contact with the evidence of the conditions
that made it true: hits (utterance index, time span, matched text) of present conditions, and
for absent ones (`!greeted`) what was expected and where it was looked for. The finding id is
derived from the transcript id, the rule id and the evidence utterances, so re-inspecting the
same transcript gives the same ids (and keeps their review history).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from voc.inspect import expr, timing
from voc.inspect.model import TEXT_KINDS, TIMING_KINDS, Anchor, CallResult, Condition, Finding, Hit, Rule, RuleSet
from voc.inspect.rules import _compact
from voc.inspect.scoring import agent_regex, call_time, resolve_people, score_of
from voc.schema import Transcript, Utterance
from voc.text.normalize import normalize

EXCERPT = 60
MAX_EVIDENCE = 5                    # hits shown per condition
_ROLE_ZH = {"agent": "坐席", "customer": "客户", "any": "任何一方"}
_LONG_DIGITS = re.compile(r"\d{11,}")


@dataclass
class Res:
    value: bool | None
    hits: list[Hit] = field(default_factory=list)
    scope: list[int] = field(default_factory=list)
    note: str = ""


class Call:
    """A contact prepared once for all rules: normalised texts, role indexes, timing facts."""

    def __init__(self, t: Transcript, unknown_role: str, agent_id: str | None, team: str | None):
        self.t = t
        self.utts: list[Utterance] = t.utterances or (
            [Utterance(None, None, "", "unknown", t.text)] if t.text else [])
        self.norm = [normalize(u.text) for u in self.utts]
        roles = [u.role if u.role != "unknown" else unknown_role for u in self.utts]
        self.by_role = {"any": list(range(len(self.utts))),
                        "agent": [i for i, r in enumerate(roles) if r == "agent"],
                        "customer": [i for i, r in enumerate(roles) if r == "customer"]}
        self.agent_id, self.team = agent_id, team
        self.times = timing.has_times(self.utts)
        self.spans = timing.has_spans(self.utts)
        self._cache: dict[str, object] = {}
        self.inspector = None

    def lazy(self, name: str, fn):
        if name not in self._cache:
            self._cache[name] = fn(self.utts)
        return self._cache[name]

    def compact(self, i: int) -> str:
        key = f"compact{i}"
        if key not in self._cache:
            self._cache[key] = _compact(self.norm[i])
        return self._cache[key]

    def duration(self) -> float | None:
        return timing.duration(self.t)


class Inspector:
    """Inspect contacts with a RuleSet. `agent_pattern`: regex on `source` giving the agent id
    (group `agent` or the first group; optional group `team`) when meta has no agent_id.
    `redact`: mask card/ID/phone numbers in evidence excerpts."""

    def __init__(self, rules: RuleSet, agent_pattern: str | None = None, redact: bool = True,
                 models_root=None):
        self.rules = rules
        self.agent_re = agent_regex(agent_pattern)
        self.redact = redact
        self.models_root = models_root          # for semantic conditions (voc.embedding)
        self._examples: dict[int, object] = {}  # id(condition) -> example vectors
        core = [r.id for r in rules.rules if r.core]
        self.core = set(core or [r.id for r in rules.rules
                                 if not any(c.kind in TIMING_KINDS for c in r.conditions.values())])

    def embedder(self):
        from voc.embedding import embedder

        if self.models_root is None:
            from voc.config import load_settings
            from voc.paths import models_dir

            self.models_root = models_dir(load_settings())
        return embedder(self.models_root)

    def example_vectors(self, c: Condition):
        if id(c) not in self._examples:
            self._examples[id(c)] = self.embedder().passages(c.examples)
        return self._examples[id(c)]

    def inspect(self, t: Transcript) -> CallResult:
        agent_id, team = resolve_people(t, self.agent_re)
        call = Call(t, self.rules.unknown_role, agent_id, team)
        call.inspector = self
        findings, na, applied = [], {}, []
        for rule in self.rules.rules:
            results: dict[str, Res] = {}

            def res(cid: str, rule=rule, results=results) -> Res:
                if cid not in results:
                    results[cid] = _condition(rule.conditions[cid], call, res)
                return results[cid]

            v = expr.evaluate(rule.when, lambda cid: res(cid).value)
            if v is None:
                na[rule.id] = next((f"{cid}: {r.note}" for cid, r in results.items()
                                    if r.value is None and r.note), "not applicable")
                continue
            applied.append(rule.id)
            if v:
                findings.append(self._finding(rule, call, res))
        coverage, note = _coverage(self.core, applied, na)
        roles = t.meta.get("roles") if isinstance(t.meta.get("roles"), str) else None
        if roles == "guess":
            for f in findings:
                f.evidence.append({"detail": "角色为按话术推测（单声道录音），请复核说话人"})
        return CallResult(id=t.id, source=t.source, channel=t.channel, agent_id=agent_id,
                          team=team, call_at=call_time(t),
                          score=score_of(findings) if coverage != "none" else None,
                          findings=findings, not_applicable=na, rules=applied,
                          coverage=coverage, coverage_note=note, roles=roles)

    def _finding(self, rule: Rule, call: Call, res) -> Finding:
        evidence, key = [], set()
        seen = set()
        for cid, present in expr.explain(rule.when, lambda c: res(c).value):
            if (cid, present) in seen:
                continue
            seen.add((cid, present))
            r = res(cid)
            if present:
                for h in r.hits[:MAX_EVIDENCE]:
                    evidence.append(self._evidence(h, call))
                    if h.utterance is not None:
                        key.add(h.utterance)
                if len(r.hits) > MAX_EVIDENCE:
                    evidence.append({"condition": cid, "detail": f"另有 {len(r.hits) - MAX_EVIDENCE} 处"})
            else:
                evidence.append(self._missing(rule.conditions[cid], r, call))
        digest = hashlib.sha256(f"{call.t.id}\0{rule.id}\0{','.join(map(str, sorted(key))) or '-'}"
                                .encode()).hexdigest()[:16]
        return Finding(id=digest, rule=rule.id, name=rule.name, category=rule.category,
                       severity=rule.severity, deduct=rule.deduct, message=rule.message,
                       evidence=evidence, veto=rule.veto)

    def _evidence(self, h: Hit, call: Call) -> dict:
        d = h.to_dict()
        asr = call.t.channel == "call"            # spoken numbers: redact as for ASR output
        if h.utterance is not None:
            d["text"] = self._excerpt(call.norm[h.utterance], h.match, asr)
        if "match" in d:
            d["match"] = self._clean(d["match"], asr)
        return d

    def _missing(self, c: Condition, r: Res, call: Call) -> dict:
        d = {"condition": c.id, "missing": c.describe()}
        if r.scope:
            first, last = call.utts[r.scope[0]], call.utts[r.scope[-1]]
            d.update(utterances=[r.scope[0], r.scope[-1]])
            if first.start is not None:
                d.update(start=first.start, end=last.end)
        return d

    def _excerpt(self, text: str, match: str | None, asr: bool) -> str:
        text = self._clean(text, asr)                  # the whole utterance first: no half numbers
        if len(text) > EXCERPT:
            at = max(0, text.find(match.split("、")[0])) if match else 0
            a = max(0, min(at - EXCERPT // 3, len(text) - EXCERPT))
            text = ("…" if a else "") + text[a:a + EXCERPT] + ("…" if a + EXCERPT < len(text) else "")
        return text

    def _clean(self, text: str, asr: bool) -> str:
        if not self.redact:
            return text
        from voc.text.pii import redact

        text = redact(text, asr=asr)[0]
        return _LONG_DIGITS.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), text)


def _coverage(core: set[str], applied: list[str], na: dict[str, str]) -> tuple[str, str]:
    """full / partial / none, and why core rules could not apply."""
    missing = [r for r in na if r in core]
    if not missing:
        return "full", ""
    reasons = sorted({na[r].split(": ", 1)[-1] for r in missing})
    note = f"{len(missing)} 条核心规则不适用（{'；'.join(reasons)}）：{'、'.join(missing)}"
    return ("partial" if any(r in core for r in applied) else "none"), note


# -- conditions ----------------------------------------------------------------------------

def _condition(c: Condition, call: Call, res) -> Res:
    if c.kind == "meta":
        return _meta(c, call)
    if c.kind == "risk":
        return _risk(c, call, res)
    if c.kind == "duration":
        d = call.duration()
        if d is None:
            return Res(None, note="通话时长未知（无时间信息）")
        hit = (c.over is not None and d > c.over) or (c.under is not None and d < c.under)
        return Res(hit, [Hit(c.id, detail=f"通话时长 {d:.0f} 秒")] if hit else [])
    idx = call.by_role[c.role]
    if not idx:
        return Res(None, note=f"没有{_ROLE_ZH[c.role]}的话语")
    scope = idx
    if c.position:
        kind, n = c.position
        if kind == "first":
            scope = idx[:int(n)]
        elif kind == "last":
            scope = idx[-int(n):]
        elif not call.times:
            return Res(None, note="按秒限定位置，但没有时间信息")
        elif kind == "first_s":
            scope = [i for i in idx if call.utts[i].start < n]
        else:
            end = call.duration() or 0.0
            scope = [i for i in idx if (call.utts[i].end or call.utts[i].start) > end - n]
    if c.kind in TEXT_KINDS:
        hits = _text_hits(c, call, scope)
    else:
        hits = _timing_hits(c, call, scope)
        if hits is None:
            return Res(None, scope=scope, note="没有时间信息（文字联系），不适用")
    for a in c.anchors:
        if not hits and c.match != "none":
            break                          # nothing to anchor: the anchor need not be evaluated
        hits = _anchored(a, hits, call, res)
        if hits is None:
            return Res(None, scope=scope, note=f"锚定的条件 {a.condition} 不适用")
    if c.kind == "keywords" and c.match in ("all", "at_least"):
        found = {k for h in hits for k in h.match.lower().split("、")}
        need = len(c.keywords) if c.match == "all" else c.at_least
        return Res(len(found) >= need, hits, scope)
    if c.kind == "keywords" and c.match == "none":
        return Res(not hits, hits, scope)
    return Res(len(hits) >= c.min_hits, hits, scope)


def _hit(c: Condition, call: Call, i: int, **kw) -> Hit:
    u = call.utts[i]
    return Hit(c.id, utterance=i, start=u.start, end=u.end, role=u.role, **kw)


def _text_hits(c: Condition, call: Call, scope: list[int]) -> list[Hit]:
    if c.not_script:
        scope = [i for i in scope if not _stock_line(call.norm[i])]
    if c.kind == "semantic":
        return _semantic_hits(c, call, scope)
    hits = []
    for i in scope:
        text = call.norm[i]
        if c.kind == "similar":
            if c.exclude is not None and c.exclude.search(text):
                continue
            h = _similar(c, call.compact(i))
            if h:
                hits.append(_hit(c, call, i, match=h[0], detail=f"相似度 {h[1]:.0f}"))
            continue
        pattern = c.keyword_re if c.kind == "keywords" else c.regex
        found = []
        for m in pattern.finditer(text):
            if c.exclude is not None and any(x.start() < m.end() and m.start() < x.end()
                                             for x in c.exclude.finditer(text)):
                continue
            if m.group() and m.group() not in found:
                found.append(m.group())
        if c.kind == "keywords" and c.match in ("all", "at_least"):
            low = text.lower()
            found = [k for k in c.keywords if k in low and _kept(c, low, k)]
        if found:
            hits.append(_hit(c, call, i, match="、".join(found)))
    return hits


STOCK_SHARE = 0.5
STOCK_CLOSING_CHARS = 24
_CLOSING = re.compile(r"感谢|再见|拜拜|祝您|祝你|还有(其他|什么|别的)|评价")


def _stock_line(text: str) -> bool:
    """A stock script line: at least half of its characters are agent script phrases
    (voc/text/script.py), or a short line (≤ 24 characters) with a closing phrase in it
    ("好的，再次向您致歉，我们会尽快处理，感谢您的来电，再见。")."""
    from voc.text.script import script_hits, script_share

    core = re.sub(r"[\W_]+", "", text)
    if not core:
        return False
    if script_share(core) >= STOCK_SHARE:
        return True
    return len(core) <= STOCK_CLOSING_CHARS and any(_CLOSING.search(h) for h in script_hits(core))


def _semantic_hits(c: Condition, call: Call, scope: list[int]) -> list[Hit]:
    """Utterances whose cosine similarity to an example is at least the threshold; the best
    example is the match. Only the utterances in scope (role, position, exclude) are embedded."""
    keep = [i for i in scope if call.norm[i].strip()
            and not (c.exclude is not None and c.exclude.search(call.norm[i]))]
    if not keep:
        return []
    ins = call.inspector
    ex = ins.example_vectors(c)
    X = ins.embedder().passages([call.norm[i] for i in keep])
    sims = X @ ex.T
    hits = []
    for row, i in zip(sims, keep):
        j = int(row.argmax())
        if row[j] >= c.threshold:
            hits.append(_hit(c, call, i, match=c.examples[j], detail=f"语义相似度 {row[j]:.2f}"))
    return hits


def _risk_rules(signals: tuple[str, ...]):
    from voc.analyze import risk

    key = ("risk", signals)
    if key not in _RISK_RULES:
        rules = risk.default_rules().without_qa()
        _RISK_RULES[key] = dataclasses.replace(rules, signals=[s for s in rules.signals if s.id in signals])
    return _RISK_RULES[key]


_RISK_RULES: dict = {}


def _risk(c: Condition, call: Call, res) -> Res:
    """Hits of the named risk signals (voc.analyze.risk, default risk rules)."""
    from voc.analyze import risk

    signals = tuple(c.signals)
    found = call.lazy(f"risk:{','.join(signals)}",
                      lambda utts: risk.signal_hits(call.t, None, _risk_rules(signals), norm=call.norm))
    hits = []
    for h in found:
        if h.get("negated"):
            continue
        i = h["utterance"]
        hits.append(Hit(c.id, utterance=i, start=h["start"],
                        end=call.utts[i].end if i is not None else None,
                        role=call.utts[i].role if i is not None else None,
                        match=h.get("match"), detail=f"风险信号：{h['name']}"))
    for a in c.anchors:
        if not hits:
            break
        hits = _anchored(a, hits, call, res)
        if hits is None:
            return Res(None, note=f"锚定的条件 {a.condition} 不适用")
    return Res(len(hits) >= 1, hits)


def _kept(c: Condition, low: str, k: str) -> bool:
    """A keyword occurrence that no exclude pattern overlaps."""
    if c.exclude is None:
        return True
    spans = [(x.start(), x.end()) for x in c.exclude.finditer(low)]
    start = low.find(k)
    while start >= 0:
        if not any(a < start + len(k) and start < b for a, b in spans):
            return True
        start = low.find(k, start + 1)
    return False


def _similar(c: Condition, text: str) -> tuple[str, float] | None:
    best = None
    for p in c.phrases:
        if len(text) >= len(p):
            al = fuzz.partial_ratio_alignment(p, text, score_cutoff=c.threshold)
            if al and (best is None or al.score > best[1]):
                best = (text[al.dest_start:al.dest_end], al.score)
        else:  # a short utterance must not match a long phrase by being part of it
            s = fuzz.ratio(p, text, score_cutoff=c.threshold)
            if s and (best is None or s > best[1]):
                best = (text, s)
    return best


def _timing_hits(c: Condition, call: Call, scope: list[int]) -> list[Hit] | None:
    inside = set(scope)
    if c.kind == "response_delay":
        if not call.times:
            return None
        return [_span_hit(c, call, i, a, b, f"响应 {b - a:.1f} 秒")
                for i, a, b in call.lazy("delays", timing.delays)
                if i in inside and b - a > c.over]
    if not call.spans:
        return None
    if c.kind == "silence":
        return [_span_hit(c, call, i, a, b, f"静音 {b - a:.1f} 秒")
                for i, a, b in call.lazy("silences", timing.silences)
                if i in inside and b - a > c.over]
    if c.kind == "overtalk":
        return [_span_hit(c, call, i, a, b, f"抢话/重叠 {b - a:.1f} 秒")
                for i, a, b in call.lazy("overlaps", timing.overlaps)
                if i in inside and b - a > c.over]
    hits = []                      # speech_rate
    for i in scope:
        u = call.utts[i]
        if timing.chars(u.text) < c.min_chars:
            continue
        rate = timing.speech_rate(u)
        if rate is not None and ((c.over is not None and rate > c.over)
                                 or (c.under is not None and rate < c.under)):
            hits.append(_hit(c, call, i, detail=f"语速 {rate:.0f} 字/分钟"))
    return hits


def _span_hit(c: Condition, call: Call, i: int, a: float, b: float, detail: str) -> Hit:
    return Hit(c.id, utterance=i, start=round(a, 2), end=round(b, 2), role=call.utts[i].role,
               detail=detail)


def _anchored(a: Anchor, hits: list[Hit], call: Call, res) -> list[Hit] | None:
    other = res(a.condition)
    if other.value is None:
        return None
    if a.within_s is not None and not call.times:
        return None
    rel = a.relation.removeprefix("not_")
    keep = a.relation == rel

    def related(h: Hit, x: Hit) -> bool:
        if a.within_s is not None:
            h_end = h.end if h.end is not None else h.start
            x_end = x.end if x.end is not None else x.start
            if rel == "before":
                return h.start < x.start and x.start - h_end <= a.within_s
            if rel == "after":
                return x.start < h.start and h.start - x_end <= a.within_s
            return max(x.start - h_end, h.start - x_end) <= a.within_s
        d = h.utterance - x.utterance
        lim = a.within if a.within is not None else len(call.utts)
        if rel == "before":
            return 0 < -d <= lim
        if rel == "after":
            return 0 < d <= lim
        return abs(d) <= lim

    return [h for h in hits if h.utterance is not None or a.within_s is not None
            if any(related(h, x) for x in other.hits
                   if (x.utterance if a.within_s is None else x.start) is not None) == keep]


def _meta(c: Condition, call: Call) -> Res:
    details = []
    for name, accepted in c.meta.items():
        v = {"channel": call.t.channel, "agent": call.agent_id, "team": call.team}.get(name, call.t.meta.get(name))
        values = [str(x) for x in v] if isinstance(v, list) else [] if v is None else [str(v)]
        if not any(x in accepted for x in values):
            return Res(False)
        details.append(f"{name}={'、'.join(values)}")
    return Res(True, [Hit(c.id, detail="；".join(details))])
