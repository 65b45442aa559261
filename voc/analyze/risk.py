"""Complaint risk: rule signals from voc/data/risk.yaml, combined as noisy-OR, with reasons.

A signal looks at the utterances of one role (customer, agent or any) for keywords and regexes,
at a transcript meta field, at SenseVoice emotion labels, or at per-utterance sentiment
(a value below a floor, or a drop from the start of the call to its end). Each signal counts
once per contact, with its strongest hit; the score is the noisy-OR of the fired weights,
`1 - prod(1 - w)`, and the level comes from the thresholds in the file. Every fired signal
gives one short Chinese reason that quotes the utterance (cut to ~40 characters around the
hit) and its time as mm:ss when the contact has times.

Decisions (also written in voc/data/risk.yaml):
- Negation: for `negatable` signals a hit preceded in the same clause by a cue (不是要, 不用,
  不想, ...) or directly by 不/没 is multiplied by `negation.factor` (default 0: dropped), so
  "我不是要投诉" adds nothing while "不给我解决我就投诉" still counts.
- Unknown roles (mono guesses, text contacts) count as `unknown_role` (default customer): they
  feed customer and any signals, never agent signals.
- QA red lines feed risk: a signal with `qa_rule: <id>` fires when that rule of the default QA
  rule set (voc/data/rules/, e.g. guaranteed_return, fraud_assist, suitability) finds something
  on the contact, and its reason quotes the finding's evidence. The QA rules in turn can anchor on
  risk signals (`risk:` conditions); those see the risk rules without the qa_rule signals.
- A learned model (`voc.analyze.risk_model`, `voc train risk`) joins by `learned.blend`: max
  (default; the model can raise a score but never hide rule evidence) or mean. Reasons always
  come from the rules; when the model decides the score a reason "模型判断投诉概率 0.82" is added.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from voc.errors import ConfigError, choices, display_path
from voc.paths import resource
from voc.schema import Risk, Transcript, Utterance, mmss

if TYPE_CHECKING:
    from voc.analyze.risk_model import RiskModel

DEFAULT_RULES = resource("risk.yaml")
SIGNAL_ROLES = ("customer", "agent", "any")
UNKNOWN_ROLES = ("customer", "agent", "ignore")
BLENDS = ("max", "mean")
PLACEHOLDERS = ("text", "time", "detail", "match", "name")
EXCERPT_CHARS = 40
_TOP_KEYS = ("version", "levels", "unknown_role", "negation", "signals", "learned")
_SIGNAL_KEYS = ("id", "name", "weight", "role", "keywords", "patterns", "exclude", "negatable",
                "position", "meta", "emotion", "sentiment_below", "sentiment_drop", "window",
                "dialogue_only", "reason", "qa_rule")
_TRIGGERS = ("keywords", "patterns", "meta", "emotion", "sentiment_below", "sentiment_drop", "qa_rule")
_BREAKS = re.compile(r"[，。！？；：、,.!?;:…\s就]")
_FULLWIDTH = {c: c - 0xFEE0 for c in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                                      *range(0xFF41, 0xFF5B)]}
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
_LONG_DIGITS = re.compile(r"\d{11,}")
_ALNUM_RUN = re.compile(r"[0-9A-Za-z]+")


@dataclass
class Signal:
    id: str
    name: str
    weight: float
    role: str
    reason: str
    regex: re.Pattern | None = None
    exclude: list[re.Pattern] = field(default_factory=list)
    negatable: bool = False
    position: tuple[str, int] | None = None          # ("last", 2) / ("first", 3)
    meta: str | None = None
    emotion: frozenset[str] = frozenset()
    sentiment_below: float | None = None
    sentiment_drop: float | None = None
    window: int = 2
    dialogue_only: bool = False
    qa_rule: str | None = None                       # a QA rule id (voc/data/rules/)


@dataclass
class Negation:
    window: int = 4
    factor: float = 0.0
    cue_re: re.Pattern | None = None
    adjacent_re: re.Pattern | None = None

    def negated(self, clause_before: str) -> bool:
        # the clause before the hit; a run of digits/letters (12378, APP) counts as one character
        clause = _ALNUM_RUN.sub("0", _BREAKS.split(clause_before)[-1])
        return bool((self.cue_re and self.cue_re.search(clause))
                    or (self.adjacent_re and self.adjacent_re.search(clause)))


@dataclass
class RiskRules:
    signals: list[Signal]
    medium: float = 0.35
    high: float = 0.7
    unknown_role: str = "customer"
    negation: Negation = field(default_factory=Negation)
    blend: str = "max"
    path: str = ""

    def level(self, score: float) -> str:
        return "high" if score >= self.high else "medium" if score >= self.medium else "low"

    def without_qa(self) -> "RiskRules":
        """The same rules without the qa_rule signals (what QA `risk:` conditions look at)."""
        if not any(s.qa_rule for s in self.signals):
            return self
        from dataclasses import replace

        return replace(self, signals=[s for s in self.signals if not s.qa_rule])


# -- loading and validation ----------------------------------------------------------------

def load_rules(path: str | Path | None = None) -> RiskRules:
    """Read and check a rules file; every problem is a one-line ConfigError naming the file."""
    path = Path(path) if path else DEFAULT_RULES
    where = display_path(path)
    try:
        with open(path, encoding="utf-8-sig") as f:
            data = yaml.safe_load(f)
    except OSError as e:
        raise ConfigError(f"{where}: cannot read risk rules ({e.strerror or e})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with levels and signals")
    _keys(data, _TOP_KEYS, where, "unknown top-level key")
    if data.get("version", 1) != 1:
        raise ConfigError(f"{where}: version must be 1, got {data['version']!r}")
    rules = RiskRules(signals=[], path=where)
    levels = data.get("levels")
    if not isinstance(levels, dict):
        raise ConfigError(f"{where}: missing levels (a mapping with medium and high thresholds)")
    _keys(levels, ("medium", "high"), where, "levels: unknown key")
    for k in ("medium", "high"):
        if k not in levels:
            raise ConfigError(f"{where}: levels: missing {k}")
        setattr(rules, k, _number(levels[k], f"{where}: levels: {k}", 0, 1, low_open=True))
    if rules.medium >= rules.high:
        raise ConfigError(f"{where}: levels: medium must be below high, got {rules.medium} and {rules.high}")
    rules.unknown_role = data.get("unknown_role", "customer")
    if rules.unknown_role not in UNKNOWN_ROLES:
        raise ConfigError(f"{where}: unknown_role must be {choices(UNKNOWN_ROLES)}, got {rules.unknown_role!r}")
    rules.negation = _negation(data.get("negation") or {}, where)
    learned = data.get("learned") or {}
    if not isinstance(learned, dict):
        raise ConfigError(f"{where}: learned must be a mapping with blend")
    _keys(learned, ("blend",), where, "learned: unknown key")
    rules.blend = learned.get("blend", "max")
    if rules.blend not in BLENDS:
        raise ConfigError(f"{where}: learned: blend must be {choices(BLENDS)}, got {rules.blend!r}")
    signals = data.get("signals")
    if not isinstance(signals, list) or not signals:
        raise ConfigError(f"{where}: signals must be a non-empty list")
    seen: dict[str, int] = {}
    for i, raw in enumerate(signals, 1):
        s = _signal(raw, i, where)
        if s.id in seen:
            raise ConfigError(f"{where}: signal '{s.id}': duplicate id (also signal #{seen[s.id]})")
        seen[s.id] = i
        rules.signals.append(s)
    return rules


def _keys(d: dict, valid, where: str, what: str) -> None:
    for k in d:
        if k not in valid:
            near = difflib.get_close_matches(str(k), valid, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            raise ConfigError(f"{where}: {what} '{k}'{hint}; valid: {choices(valid)}")


def _number(v, what: str, lo: float, hi: float, low_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or math.isnan(v):
        raise ConfigError(f"{what} must be a number between {lo:g} and {hi:g}, got {v!r}")
    if v < lo or v > hi or (low_open and v == lo):
        raise ConfigError(f"{what} must be between {lo:g} and {hi:g}, got {v!r}")
    return float(v)


def _strings(v, what: str) -> list[str]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not all(isinstance(x, (str, int)) and str(x) for x in v):
        raise ConfigError(f"{what} must be a list of non-empty strings, got {v!r}")
    return [str(x) for x in v]


def _compile(parts: list[str], what: str) -> re.Pattern:
    for p in parts:
        try:
            re.compile(p)
        except re.error as e:
            raise ConfigError(f"{what}: bad regex {p!r}: {e}") from None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def _negation(d, where: str) -> Negation:
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: negation must be a mapping with window, factor, cues, adjacent")
    _keys(d, ("window", "factor", "cues", "adjacent"), where, "negation: unknown key")
    window = d.get("window", 4)
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise ConfigError(f"{where}: negation: window must be a whole number >= 0, got {window!r}")
    n = Negation(window=window, factor=_number(d.get("factor", 0.0), f"{where}: negation: factor", 0, 1))
    cues = _strings(d.get("cues", []), f"{where}: negation: cues")
    if cues:
        cue = _compile(cues, f"{where}: negation: cues")
        n.cue_re = re.compile(f"(?:{cue.pattern}).{{0,{window}}}$")
    adjacent = _strings(d.get("adjacent", []), f"{where}: negation: adjacent")
    if adjacent:
        n.adjacent_re = re.compile("(?:" + "|".join(re.escape(a) for a in adjacent) + ")$")
    return n


def _signal(raw, i: int, where: str) -> Signal:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: signal #{i}: must be a mapping with id, name, weight, role and reason")
    sid = raw.get("id")
    if sid is None:
        raise ConfigError(f"{where}: signal #{i}: missing field 'id'")
    if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", sid):
        raise ConfigError(f"{where}: signal #{i}: id must be letters, digits and _, got {sid!r}")
    at = f"{where}: signal '{sid}'"
    _keys(raw, _SIGNAL_KEYS, at, "unknown key")
    for k in ("name", "weight", "role", "reason"):
        if raw.get(k) is None:
            raise ConfigError(f"{at}: missing field '{k}'")
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        raise ConfigError(f"{at}: name must be a non-empty string, got {raw['name']!r}")
    if raw["role"] not in SIGNAL_ROLES:
        raise ConfigError(f"{at}: role must be {choices(SIGNAL_ROLES)}, got {raw['role']!r}")
    s = Signal(id=sid, name=raw["name"], weight=_number(raw["weight"], f"{at}: weight", 0, 1),
               role=raw["role"], reason=_template(raw["reason"], at))
    if not any(raw.get(k) is not None for k in _TRIGGERS):
        raise ConfigError(f"{at}: nothing to match; give {choices(_TRIGGERS)}")
    parts = [re.escape(k) for k in _strings(raw.get("keywords") or [], f"{at}: keywords")]
    patterns = _strings(raw.get("patterns") or [], f"{at}: patterns")
    _compile(patterns, f"{at}: patterns")
    if parts or patterns:
        s.regex = _compile(parts + patterns, f"{at}: patterns")
    for p in _strings(raw.get("exclude") or [], f"{at}: exclude"):
        s.exclude.append(_compile([p], f"{at}: exclude"))
    for k in ("negatable", "dialogue_only"):
        v = raw.get(k, False)
        if not isinstance(v, bool):
            raise ConfigError(f"{at}: {k} must be true or false, got {v!r}")
        setattr(s, k, v)
    pos = raw.get("position")
    if pos is not None:
        ok = (isinstance(pos, dict) and len(pos) == 1 and next(iter(pos)) in ("last", "first")
              and isinstance(next(iter(pos.values())), int) and not isinstance(next(iter(pos.values())), bool)
              and next(iter(pos.values())) >= 1)
        if not ok:
            raise ConfigError(f"{at}: position must be {{last: N}} or {{first: N}} with N >= 1, got {pos!r}")
        s.position = next(iter(pos.items()))
    if raw.get("qa_rule") is not None:
        known = _qa_rule_ids()
        if raw["qa_rule"] not in known:
            raise ConfigError(f"{at}: qa_rule: unknown QA rule {raw['qa_rule']!r}; valid: {choices(known)}")
        s.qa_rule = raw["qa_rule"]
    if raw.get("meta") is not None:
        if not isinstance(raw["meta"], str) or not raw["meta"]:
            raise ConfigError(f"{at}: meta must be a field name, got {raw['meta']!r}")
        s.meta = raw["meta"]
    if raw.get("emotion") is not None:
        s.emotion = frozenset(_emotion(e) for e in _strings(raw["emotion"], f"{at}: emotion"))
    if raw.get("sentiment_below") is not None:
        s.sentiment_below = _number(raw["sentiment_below"], f"{at}: sentiment_below", 0, 1, low_open=True)
    if raw.get("sentiment_drop") is not None:
        s.sentiment_drop = _number(raw["sentiment_drop"], f"{at}: sentiment_drop", 0, 1, low_open=True)
    if raw.get("window") is not None:
        w = raw["window"]
        if s.sentiment_drop is None:
            raise ConfigError(f"{at}: window only applies with sentiment_drop")
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise ConfigError(f"{at}: window must be a whole number >= 1, got {w!r}")
        s.window = w
    return s


def _template(t, at: str) -> str:
    if not isinstance(t, str) or not t.strip():
        raise ConfigError(f"{at}: reason must be a non-empty string, got {t!r}")
    try:
        names = [f for _, f, spec, conv in string.Formatter().parse(t) if f is not None]
    except ValueError as e:
        raise ConfigError(f"{at}: reason is not a valid template ({e}); write literal braces as {{{{ }}}}") from None
    for name in names:
        if name not in PLACEHOLDERS:
            valid = choices("{" + p + "}" for p in PLACEHOLDERS)
            raise ConfigError(f"{at}: reason uses unknown placeholder {{{name}}}; valid: {valid}")
    return t


@functools.lru_cache(maxsize=1)
def signal_ids(path: str | Path = DEFAULT_RULES) -> tuple[str, ...]:
    """The ids of a risk file's signals, read without checking the file (for QA `risk:` rules)."""
    with open(path, encoding="utf-8-sig") as f:
        data = yaml.safe_load(f) or {}
    return tuple(str(x.get("id")) for x in data.get("signals") or [] if isinstance(x, dict))


@functools.lru_cache(maxsize=1)
def default_rules() -> RiskRules:
    return load_rules(DEFAULT_RULES)


# -- scoring -------------------------------------------------------------------------------

def normalise(text: str) -> str:
    """What the patterns see: full-width letters/digits to ASCII, Simplified characters."""
    text = _CJK_SPACE.sub("", text.translate(_FULLWIDTH))
    try:
        from voc.text.zh import to_simplified
    except ImportError:  # opencc missing: match as written
        return text
    return to_simplified(text)


def score(t: Transcript, utterance_positive: list[float | None] | None = None,
          rules: RiskRules | None = None, learned: "RiskModel | None" = None) -> Risk:
    """Complaint risk of one contact. `utterance_positive`: positive-sentiment probability per
    utterance (same order as t.utterances; None, or None entries, when unknown)."""
    rules = rules or default_rules()
    hits = signal_hits(t, utterance_positive, rules)
    rule_score = 1.0 - math.prod(1.0 - h["weight"] for h in hits)
    reasons = [h.pop("reason") for h in hits]
    final = rule_score
    if learned is not None:
        p = learned.probability(t, hits, rules)
        final = max(rule_score, p) if rules.blend == "max" else (rule_score + p) / 2
        hits.append({"id": "learned", "name": "模型判断", "weight": round(p, 4), "utterance": None,
                     "start": None, "text": None, "match": None, "detail": f"投诉概率 {p:.2f}"})
        if p > rule_score:
            reasons.append(f"模型判断投诉概率 {p:.2f}")
    final = round(min(max(final, 0.0), 1.0), 4)
    return Risk(score=final, level=rules.level(final), reasons=reasons, signals=hits)


def signal_hits(t: Transcript, utterance_positive: list[float | None] | None,
                rules: RiskRules, norm: list[str] | None = None) -> list[dict[str, Any]]:
    """Each fired signal once, with its strongest hit, strongest first; each carries its reason.
    `norm`: the utterance texts already normalised (QA passes its own, which also simplifies)."""
    utts = t.utterances or ([Utterance(None, None, "", "unknown", t.text)] if t.text else [])
    if utterance_positive is not None and len(utterance_positive) != len(utts):
        raise ValueError(f"utterance_positive has {len(utterance_positive)} values for "
                         f"{len(utts)} utterances in {t.id}")
    if norm is None or len(norm) != len(utts):
        norm = [normalise(u.text) for u in utts]
    qa = _qa_findings(t, tuple(s.qa_rule for s in rules.signals if s.qa_rule))
    roles = [u.role if u.role != "unknown" else
             (None if rules.unknown_role == "ignore" else rules.unknown_role) for u in utts]
    out = []
    for s in rules.signals:
        if s.dialogue_only and len(utts) < 2:
            continue
        idx = [i for i, r in enumerate(roles) if s.role == "any" or r == s.role]
        if s.position:
            kind, n = s.position
            idx = idx[-n:] if kind == "last" else idx[:n]
        best = None
        if s.qa_rule:
            best = _qa_hit(s, qa.get(s.qa_rule), utts)
        for h in _signal_candidates(s, t, utts, norm, idx, utterance_positive, rules):
            if h["weight"] > 0 and (best is None or h["weight"] > best["weight"]):
                best = h
        if best is not None:
            out.append((s, best))
    out.sort(key=lambda sh: -sh[1]["weight"])
    quoted: set[int] = set()  # each utterance is quoted once, by the strongest reason citing it
    for s, h in out:
        h["reason"] = _reason(s, h, utts, quote=h["utterance"] not in quoted)
        if h["utterance"] is not None:
            quoted.add(h["utterance"])
    return [h for _, h in out]


@functools.lru_cache(maxsize=1)
def _qa_rule_set():
    """The default QA rule set, read once per process (qa_rule signals name its rules)."""
    from voc.inspect import load_rules as load_qa_rules

    return load_qa_rules()


def _qa_rule_ids() -> tuple[str, ...]:
    return tuple(r.id for r in _qa_rule_set().rules)


@functools.lru_cache(maxsize=4)
def _qa_inspector(rule_ids: tuple[str, ...]):
    import dataclasses

    from voc.inspect import Inspector

    rs = _qa_rule_set()
    return Inspector(dataclasses.replace(rs, rules=[r for r in rs.rules if r.id in rule_ids]), redact=False)


def _qa_findings(t: Transcript, rule_ids: tuple[str, ...]) -> dict:
    """rule id -> Finding of the QA red lines that qa_rule signals name."""
    if not rule_ids:
        return {}
    return {f.rule: f for f in _qa_inspector(rule_ids).inspect(t).findings}


def _qa_hit(s: Signal, finding, utts) -> dict[str, Any] | None:
    """A QA finding as the signal's hit: its first quoted utterance."""
    if finding is None:
        return None
    ev = next((e for e in finding.evidence if e.get("utterance") is not None), None)
    i = ev["utterance"] if ev else None
    return _hit(s, s.weight, i, utts, text=utts[i].text if i is not None else None,
                match=ev.get("match") if ev else None, detail=f"质检红线：{finding.name}")


def _hit(s: Signal, weight: float, i: int | None, utts, text=None, match=None, detail=None,
         span=None) -> dict[str, Any]:
    u = utts[i] if i is not None else None
    return {"id": s.id, "name": s.name, "weight": round(weight, 4), "utterance": i,
            "start": u.start if u else None, "text": text, "match": match, "detail": detail,
            "_span": span}


def _signal_candidates(s: Signal, t, utts, norm, idx, pos, rules):
    if s.meta is not None and _truthy(t.meta.get(s.meta)):
        yield _hit(s, s.weight, None, utts, detail=f"{s.meta}={t.meta[s.meta]}")
    if s.regex is not None:
        for i in idx:
            for m in s.regex.finditer(norm[i]):
                a, b = m.span()
                if any(x.start() < b and a < x.end() for ex in s.exclude for x in ex.finditer(norm[i])):
                    continue
                h = _hit(s, s.weight, i, utts, text=utts[i].text, match=m.group(), span=(a, b))
                if s.negatable and rules.negation.negated(norm[i][:a]):
                    h["weight"] = round(s.weight * rules.negation.factor, 4)
                    h["negated"] = True
                yield h
    for i in idx:
        if s.emotion and _emotion(utts[i].emotion or "") in s.emotion:
            yield _hit(s, s.weight, i, utts, text=utts[i].text, detail=f"语音情绪 {_emotion(utts[i].emotion)}")
    if pos is None:
        return
    vals = [(i, pos[i]) for i in idx if pos[i] is not None]
    if s.sentiment_below is not None:
        low = [(v, i) for i, v in vals if v < s.sentiment_below]
        if low:
            v, i = min(low)
            yield _hit(s, s.weight, i, utts, text=utts[i].text, detail=f"正面概率 {v:.2f}")
    if s.sentiment_drop is not None and len(vals) >= 2 * s.window:
        first, last = vals[:s.window], vals[-s.window:]
        a = sum(v for _, v in first) / s.window
        b = sum(v for _, v in last) / s.window
        if a - b >= s.sentiment_drop:
            i = min(last, key=lambda iv: iv[1])[0]
            yield _hit(s, s.weight, i, utts, text=utts[i].text, detail=f"正面概率 {a:.2f}→{b:.2f}")


def _emotion(label: str) -> str:
    """SenseVoice writes <|ANGRY|>; transcripts carry "angry"."""
    return re.sub(r"[^a-z]", "", label.lower())


def _truthy(v) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return v > 0
    if isinstance(v, str):
        return v.strip().lower() not in ("", "0", "false", "no", "n", "否", "none", "null")
    return bool(v)


def excerpt(text: str, span: tuple[int, int] | None = None, n: int = EXCERPT_CHARS) -> str:
    """The utterance, or n characters around the hit with … where cut; long digit runs masked."""
    text = text.strip()
    if len(text) > n:
        a = 0 if span is None else max(0, min(span[0] - n // 3, len(text) - n))
        text = ("…" if a else "") + text[a:a + n] + ("…" if a + n < len(text) else "")
    return _LONG_DIGITS.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), text)


def _reason(s: Signal, h: dict, utts, quote: bool = True) -> str:
    span = h.pop("_span")
    i = h["utterance"]
    text = None
    if h["text"] is not None:
        raw = utts[i].text
        shown = raw if len(normalise(raw)) == len(raw) else normalise(raw)
        text = excerpt(shown, span)
        h["text"] = text
    values = {"text": text if quote else None,
              "time": mmss(h["start"]) if h["start"] is not None and quote else None,
              "detail": h["detail"], "match": h["match"], "name": s.name}
    tpl = s.reason
    if text is None and quote and values["detail"] and "{detail}" not in tpl:
        # no utterance (a meta field): cite the field instead, in round brackets, not as a quote
        tpl = re.sub(r"[：:]?\s*「\{text\}」", "（{detail}）", tpl).replace("{text}", "{detail}")
    for k, v in values.items():
        if v is None:
            tpl = re.sub(r"[：:]?\s*[「（(【\[“\"]?\{" + k + r"\}[」）)】\]”\"]?", "", tpl)
    out = tpl.format(**{k: v for k, v in values.items() if v is not None}).strip()
    return out + "（否定表述，权重已降低）" if h.get("negated") else out
