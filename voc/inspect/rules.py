"""Read and check quality-inspection rule files (YAML); the format is in docs/inspect.md.

`load_rules(path)` takes a file or a folder (every *.yaml / *.yml inside, in name order) and
returns a RuleSet. Every problem is one ConfigError line naming the file, the rule id, the
condition and what is wrong, e.g.

    voc/data/rules/service.yaml: rule 'greeting': condition 1 (greeted): unknown key 'keyword'; valid: ...
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from voc.errors import ConfigError, choices, display_path
from voc.inspect import expr
from voc.inspect.model import (
    CATEGORIES,
    KINDS,
    MATCHES,
    POSITIONS,
    RELATIONS,
    ROLES,
    SEVERITIES,
    TIMING_KINDS,
    UNKNOWN_ROLES,
    Anchor,
    Condition,
    Rule,
    RuleSet,
)
from voc.paths import resource
from voc.text.normalize import normalize

DEFAULT_RULES = resource("rules")
_TOP_KEYS = ("version", "unknown_role", "rules")
_RULE_KEYS = ("id", "name", "category", "severity", "deduct", "message", "conditions", "when",
              "enabled", "description", "veto", "core")
_COND_KEYS = ("id", "label", "role", "position", "anchor", "min_hits", "match", "threshold", "exclude",
              "min_chars", "not_script") + KINDS
_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_TIMING_KEYS = {"silence": ("over",), "overtalk": ("over",), "response_delay": ("over",),
                "speech_rate": ("above", "below", "min_chars"), "duration": ("over", "under")}


def load_rules(path: str | Path | None = None) -> RuleSet:
    """A rule file, or a folder of them (default: the packaged voc/data/rules/)."""
    path = Path(path) if path else DEFAULT_RULES
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise ConfigError(f"{display_path(path)}: no rule files (*.yaml) in this folder")
    elif path.exists():
        files = [path]
    else:
        raise ConfigError(f"{display_path(path)}: no such rule file or folder")
    rs = RuleSet(rules=[], paths=[display_path(f) for f in files])
    digest = hashlib.sha256()
    seen: dict[str, str] = {}
    unknown_roles = set()
    for f in files:
        raw = f.read_bytes()
        digest.update(f.name.encode() + b"\0" + raw + b"\0")
        unknown_role, rules = _load_file(f, raw)
        unknown_roles.add(unknown_role)
        for r in rules:
            if r.id in seen:
                raise ConfigError(f"{r.source}: rule '{r.id}': duplicate id (also in {seen[r.id]})")
            seen[r.id] = r.source
            rs.rules.append(r)
    if len(unknown_roles) > 1:
        raise ConfigError(f"{display_path(path)}: rule files disagree on unknown_role "
                          f"({choices(sorted(unknown_roles))}); set the same value in each")
    rs.unknown_role = unknown_roles.pop()
    rs.digest = digest.hexdigest()
    return rs


def _load_file(path: Path, raw: bytes) -> tuple[str, list[Rule]]:
    where = display_path(path)
    try:
        data = yaml.safe_load(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: not UTF-8 text") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {getattr(e, 'problem', None) or e}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping with version and rules")
    _keys(data, _TOP_KEYS, where, "unknown top-level key")
    if data.get("version", 1) != 1:
        raise ConfigError(f"{where}: version must be 1, got {data['version']!r}")
    unknown_role = data.get("unknown_role", "ignore")
    if unknown_role not in UNKNOWN_ROLES:
        raise ConfigError(f"{where}: unknown_role must be {choices(UNKNOWN_ROLES)}, got {unknown_role!r}")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        raise ConfigError(f"{where}: rules must be a non-empty list")
    out = []
    for i, raw_rule in enumerate(rules, 1):
        r = _rule(raw_rule, i, where)
        if r is not None:
            out.append(r)
    return unknown_role, out


def _keys(d: dict, valid, at: str, what: str) -> None:
    for k in d:
        if k not in valid:
            raise ConfigError(f"{at}: {what} {k!r}; valid: {choices(valid)}")


def _rule(raw, i: int, where: str) -> Rule | None:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: rule #{i}: must be a mapping with id, name, category, "
                          f"severity, deduct, message and conditions")
    rid = raw.get("id")
    if rid is None:
        raise ConfigError(f"{where}: rule #{i}: missing field 'id'")
    if not isinstance(rid, str) or not _ID.fullmatch(rid):
        raise ConfigError(f"{where}: rule #{i}: id must be letters, digits and _, got {rid!r}")
    at = f"{where}: rule '{rid}'"
    _keys(raw, _RULE_KEYS, at, "unknown key")
    for k in ("name", "category", "severity", "deduct", "message", "conditions"):
        if raw.get(k) is None:
            raise ConfigError(f"{at}: missing field '{k}'")
    flags = {}
    for k, default in (("enabled", True), ("veto", False), ("core", False)):
        flags[k] = raw.get(k, default)
        if not isinstance(flags[k], bool):
            raise ConfigError(f"{at}: {k} must be true or false, got {flags[k]!r}")
    enabled = flags["enabled"]
    for k in ("name", "message"):
        if not isinstance(raw[k], str) or not raw[k].strip():
            raise ConfigError(f"{at}: {k} must be a non-empty string, got {raw[k]!r}")
    if raw["category"] not in CATEGORIES:
        raise ConfigError(f"{at}: category must be {choices(CATEGORIES)}, got {raw['category']!r}")
    if raw["severity"] not in SEVERITIES:
        raise ConfigError(f"{at}: severity must be {choices(SEVERITIES)}, got {raw['severity']!r}")
    deduct = raw["deduct"]
    if isinstance(deduct, bool) or not isinstance(deduct, (int, float)) or not 0 <= deduct <= 100:
        raise ConfigError(f"{at}: deduct must be a number from 0 to 100, got {deduct!r}")
    conds = raw["conditions"]
    if not isinstance(conds, list) or not conds:
        raise ConfigError(f"{at}: conditions must be a non-empty list")
    parsed: dict[str, Condition] = {}
    for n, c in enumerate(conds, 1):
        cond = _condition(c, n, at)
        if cond.id in parsed:
            raise ConfigError(f"{at}: condition {n}: duplicate condition id {cond.id!r}")
        parsed[cond.id] = cond
    ids = list(parsed)
    try:
        when = expr.parse(raw["when"], ids) if raw.get("when") is not None else \
            ("and", [("var", c) for c in ids]) if len(ids) > 1 else ("var", ids[0])
    except expr.ExprError as e:
        raise ConfigError(f"{at}: when: {e}") from None
    used = expr.variables(when)
    for n, c in enumerate(parsed.values(), 1):
        label = f"{at}: condition {n} ({c.id})"
        for a in c.anchors:
            ref = a.condition
            if isinstance(ref, int) or str(ref).isdigit():
                k = int(ref)
                if not 1 <= k <= len(ids):
                    raise ConfigError(f"{label}: anchor: condition {k} does not exist")
                a.condition = ids[k - 1]
            elif ref not in parsed:
                raise ConfigError(f"{label}: anchor: unknown condition {ref!r}; "
                                  f"conditions: {', '.join(ids)}")
            if a.condition == c.id:
                raise ConfigError(f"{label}: anchor: a condition cannot anchor to itself")
            target = parsed[a.condition]
            if target.kind in ("meta", "duration"):
                raise ConfigError(f"{label}: anchor: condition {target.id} ({target.kind}) has "
                                  f"no position in the call to anchor to")
            used.add(a.condition)
    for n, c in enumerate(parsed.values(), 1):
        loop = _loop(c.id, parsed, [c.id])
        if loop:
            raise ConfigError(f"{at}: condition {n} ({c.id}): anchors form a loop ({' -> '.join(loop)})")
        if c.id not in used:
            raise ConfigError(f"{at}: condition {n} ({c.id}): not used in when or by an anchor")
    if not enabled:
        return None
    return Rule(id=rid, name=raw["name"].strip(), category=raw["category"],
                severity=raw["severity"], deduct=float(deduct), message=raw["message"].strip(),
                conditions=parsed, when=when, source=where,
                description=str(raw.get("description") or "").strip(), veto=flags["veto"],
                core=flags["core"])


def _loop(cid: str, parsed: dict[str, Condition], path: list[str]) -> list[str] | None:
    for a in parsed[cid].anchors:
        nxt = a.condition
        if nxt in path:
            return path + [nxt]
        found = _loop(nxt, parsed, path + [nxt])
        if found:
            return found
    return None


def _condition(raw, n: int, at: str) -> Condition:
    if not isinstance(raw, dict):
        raise ConfigError(f"{at}: condition {n}: must be a mapping, e.g. "
                          f"{{role: agent, keywords: [您好]}}")
    cid = raw.get("id", f"c{n}")
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        raise ConfigError(f"{at}: condition {n}: id must be letters, digits and _, got {cid!r}")
    label = f"{at}: condition {n}" + (f" ({cid})" if "id" in raw else "")
    _keys(raw, _COND_KEYS, label, "unknown key")
    kinds = [k for k in KINDS if k in raw]
    if len(kinds) != 1:
        what = "nothing to check" if not kinds else f"more than one check ({', '.join(kinds)})"
        raise ConfigError(f"{label}: {what}; give exactly one of {choices(KINDS)}")
    kind = kinds[0]
    c = Condition(id=cid, kind=kind)
    c.label = raw.get("label", "")
    if not isinstance(c.label, str):
        raise ConfigError(f"{label}: label must be a string, got {c.label!r}")
    c.role = raw.get("role", "any")
    if c.role not in ROLES:
        raise ConfigError(f"{label}: role must be {choices(ROLES)}, got {c.role!r}")
    if kind in ("meta", "duration", "risk"):
        for k in ("role", "position", "min_hits") + (("anchor",) if kind != "risk" else ()):
            if k in raw:
                raise ConfigError(f"{label}: {k} does not apply to a {kind} condition")
    if "position" in raw:
        c.position = _position(raw["position"], label)
    if "anchor" in raw:
        anchors = raw["anchor"] if isinstance(raw["anchor"], list) else [raw["anchor"]]
        if not anchors:
            raise ConfigError(f"{label}: anchor must be a mapping or a non-empty list of them")
        c.anchors = [_anchor(a, label) for a in anchors]
    if "min_hits" in raw:
        c.min_hits = _int(raw["min_hits"], f"{label}: min_hits", 1)
    text_only = ("match", "threshold", "exclude", "not_script")
    for k in text_only:
        if k in raw and kind not in ("keywords", "regex", "similar", "semantic"):
            raise ConfigError(f"{label}: {k} applies to keywords, regex, similar or semantic, not {kind}")
    if "not_script" in raw:
        if not isinstance(raw["not_script"], bool):
            raise ConfigError(f"{label}: not_script must be true or false, got {raw['not_script']!r}")
        c.not_script = raw["not_script"]
    if "min_chars" in raw and kind != "speech_rate":
        raise ConfigError(f"{label}: min_chars applies to speech_rate only")
    if kind == "keywords":
        _keywords(c, raw, label)
    elif kind == "regex":
        if "match" in raw:
            raise ConfigError(f"{label}: match applies to keywords only; regex hits when any pattern matches")
        c.patterns = _strings(raw["regex"], f"{label}: regex")
        c.regex = _compile(c.patterns, f"{label}: regex")
    elif kind == "similar":
        if "match" in raw:
            raise ConfigError(f"{label}: match applies to keywords only; similar hits on any phrase")
        c.phrases = [_compact(normalize(p)) for p in _strings(raw["similar"], f"{label}: similar")]
        if not all(c.phrases):
            raise ConfigError(f"{label}: similar: a phrase has no characters to compare")
        c.threshold = _number(raw.get("threshold", 85), f"{label}: threshold", 50, 100)
    elif kind == "semantic":
        if "match" in raw:
            raise ConfigError(f"{label}: match applies to keywords only; semantic hits on any example")
        c.examples = [normalize(p).strip() for p in _strings(raw["semantic"], f"{label}: semantic")]
        if "threshold" not in raw:
            raise ConfigError(f"{label}: semantic needs threshold (cosine similarity, e.g. 0.88)")
        c.threshold = _number(raw["threshold"], f"{label}: threshold", 0, 1, low_open=True)
    elif kind == "risk":
        c.signals = _strings(raw["risk"], f"{label}: risk")
        from voc.analyze.risk import signal_ids

        known = list(signal_ids())
        for sid in c.signals:
            if sid not in known:
                raise ConfigError(f"{label}: risk: unknown risk signal {sid!r}; valid: {choices(known)}")
    elif kind in TIMING_KINDS:
        _timing(c, raw, label)
    else:
        _meta(c, raw["meta"], label)
    if "exclude" in raw:
        c.exclude = _compile(_strings(raw["exclude"], f"{label}: exclude"), f"{label}: exclude")
    if c.match in ("none", "all", "at_least") and c.min_hits != 1:
        raise ConfigError(f"{label}: min_hits applies to match any only")
    return c


def _keywords(c: Condition, raw: dict, label: str) -> None:
    c.keywords = [normalize(k).lower() for k in _strings(raw["keywords"], f"{label}: keywords")]
    if not all(c.keywords):
        raise ConfigError(f"{label}: keywords: a keyword is empty after normalisation")
    m = raw.get("match", "any")
    if isinstance(m, dict):
        if list(m) != ["at_least"]:
            raise ConfigError(f"{label}: match must be {choices(MATCHES[:3])} or {{at_least: N}}, got {m!r}")
        c.match, c.at_least = "at_least", _int(m["at_least"], f"{label}: match: at_least", 1)
        if c.at_least > len(c.keywords):
            raise ConfigError(f"{label}: match: at_least {c.at_least} but only "
                              f"{len(c.keywords)} keywords")
    elif m in ("any", "all", "none"):
        c.match = m
    else:
        raise ConfigError(f"{label}: match must be {choices(MATCHES[:3])} or {{at_least: N}}, got {m!r}")
    # longest first, so 产品有风险 wins over 有风险 at the same place
    c.keyword_re = re.compile("|".join(re.escape(k) for k in sorted(c.keywords, key=len, reverse=True)),
                              re.IGNORECASE)


def _timing(c: Condition, raw: dict, label: str) -> None:
    v = raw[c.kind]
    keys = _TIMING_KEYS[c.kind]
    if not isinstance(v, dict) or not v:
        raise ConfigError(f"{label}: {c.kind} must be a mapping with {choices(keys)}, got {v!r}")
    _keys(v, keys, f"{label}: {c.kind}", "unknown key")
    if c.kind == "speech_rate":
        c.over = _number(v["above"], f"{label}: speech_rate: above", 0) if "above" in v else None
        c.under = _number(v["below"], f"{label}: speech_rate: below", 0) if "below" in v else None
        c.min_chars = _int(v.get("min_chars", 8), f"{label}: speech_rate: min_chars", 1)
        if c.over is None and c.under is None:
            raise ConfigError(f"{label}: speech_rate needs above and/or below (characters per minute)")
        if c.over is not None and c.under is not None and c.under >= c.over:
            raise ConfigError(f"{label}: speech_rate: below ({c.under:g}) must be less than above ({c.over:g})")
    elif c.kind == "duration":
        c.over = _number(v["over"], f"{label}: duration: over", 0) if "over" in v else None
        c.under = _number(v["under"], f"{label}: duration: under", 0) if "under" in v else None
    else:
        if "over" not in v:
            raise ConfigError(f"{label}: {c.kind} needs over (seconds)")
        c.over = _number(v["over"], f"{label}: {c.kind}: over", 0)


def _meta(c: Condition, v, label: str) -> None:
    if not isinstance(v, dict) or not v:
        raise ConfigError(f"{label}: meta must be a mapping of field to value(s), "
                          f"e.g. {{product_line: [理财, 基金]}}, got {v!r}")
    for k, vals in v.items():
        if not isinstance(k, str) or not k:
            raise ConfigError(f"{label}: meta: field names must be strings, got {k!r}")
        vals = vals if isinstance(vals, list) else [vals]
        if not vals or not all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in vals):
            raise ConfigError(f"{label}: meta: {k} must be a value or a list of values, got {v[k]!r}")
        c.meta[k] = tuple(str(x) for x in vals)


def _position(v, label: str) -> tuple[str, float]:
    ok = isinstance(v, dict) and len(v) == 1 and next(iter(v)) in POSITIONS
    if ok:
        kind, n = next(iter(v.items()))
        if kind in ("first", "last"):
            return kind, _int(n, f"{label}: position: {kind}", 1)
        return kind, _number(n, f"{label}: position: {kind}", 0, low_open=True)
    raise ConfigError(f"{label}: position must be one of {{first: N}}, {{last: N}} (utterances) "
                      f"or {{first_s: T}}, {{last_s: T}} (seconds), got {v!r}")


def _anchor(v, label: str) -> Anchor:
    if not isinstance(v, dict):
        raise ConfigError(f"{label}: anchor must be a mapping with condition, relation and "
                          f"optionally within (utterances) or within_s (seconds), got {v!r}")
    _keys(v, ("condition", "relation", "within", "within_s"), f"{label}: anchor", "unknown key")
    for k in ("condition", "relation"):
        if k not in v:
            raise ConfigError(f"{label}: anchor: missing {k}")
    if v["relation"] not in RELATIONS:
        raise ConfigError(f"{label}: anchor: relation must be {choices(RELATIONS)}, got {v['relation']!r}")
    if "within" in v and "within_s" in v:
        raise ConfigError(f"{label}: anchor: give within (utterances) or within_s (seconds), not both")
    ref = v["condition"]
    if isinstance(ref, bool) or not isinstance(ref, (str, int)):
        raise ConfigError(f"{label}: anchor: condition must be a condition id or number, got {ref!r}")
    return Anchor(condition=ref, relation=v["relation"],
                  within=_int(v["within"], f"{label}: anchor: within", 0) if "within" in v else None,
                  within_s=_number(v["within_s"], f"{label}: anchor: within_s", 0)
                  if "within_s" in v else None)


def _strings(v, what: str) -> list[str]:
    if isinstance(v, str):
        v = [v]
    if not isinstance(v, list) or not v or not all(isinstance(x, (str, int)) and not isinstance(x, bool)
                                                    and str(x) for x in v):
        raise ConfigError(f"{what} must be a string or a non-empty list of strings, got {v!r}")
    return [str(x) for x in v]


def _compile(parts: list[str], what: str) -> re.Pattern:
    for p in parts:
        try:
            re.compile(p)
        except re.error as e:
            raise ConfigError(f"{what}: bad regular expression {p!r}: {e}") from None
    return re.compile("|".join(f"(?:{p})" for p in parts), re.IGNORECASE)


def _number(v, what: str, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ConfigError(f"{what} must be a number, got {v!r}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ConfigError(f"{what} must be {'above' if low_open else 'at least'} {low:g}, got {v!r}")
    if high is not None and v > high:
        raise ConfigError(f"{what} must be at most {high:g}, got {v!r}")
    return float(v)


def _int(v, what: str, low: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ConfigError(f"{what} must be a whole number >= {low}, got {v!r}")
    return v


_PUNCT = re.compile(r"[\W_]+")


def _compact(text: str) -> str:
    """What fuzzy matching compares: no punctuation, spaces or symbols, lower case."""
    return _PUNCT.sub("", text).lower()
