"""Find and redact customer data in Chinese text: cards, ID numbers, phones, e-mail addresses,
and (by context, in `voc.text.pii_context`) names, home addresses, WeChat/QQ ids and plates.

Regular expressions find candidate digit runs; check functions decide what a run is:
- `card`: 16-19 digits (15 for American Express 34/37) with a card-network first digit
  (3, 4, 5, 6, 9 or 2221-2720) and a valid Luhn digit; grouped by spaces or dashes or not.
- `id`: 18-character resident ID: a province code, a real date of birth not in the future and
  the ISO 7064 MOD 11-2 check character (X or x for 10).
- `mobile`: 1[3-9] + 9 digits, optionally after +86 / 86 / 0086, spaces or dashes allowed.
- `landline`: 0 + area code (010, 02x or a 3-digit code) + a 7-8 digit local number starting
  with 2-9, optionally with brackets, a dash or spaces. 400/800 and 95xxx/12xxx hotlines never
  match: bank and regulator numbers are not customer data.
- `email`: addresses, also with spoken digits before the @, and spoken ones: lihua96 at qq dot
  com, lihua96艾特一六三点com.
- `number`: digits read out in Chinese (零〇○洞一幺二两三…九, 叉 for X, mixed with Arabic
  digits, spaces or commas) are converted and put through the same checks. A run of at least
  11 spoken digits (3+ different ones) that passes none of them is still redacted: one misheard
  digit breaks a Luhn or ID check or turns 13x into 12x, and must not leak the rest of a card
  or phone number. This is stricter than a ">= 15 digits" rule on purpose: 11-14 read-out
  digits failing every check are almost always a phone or account number with a recognition
  error. With `asr=True` (call transcripts) the same holds for Arabic runs written as one
  number (contiguous, 3-4-4, 4-4-4-4), since ASR writes numbers in either form.

ASCII commas join spoken digits like Chinese ones (一,八,六,六,幺…), never Arabic digits (12,345).

Never redacted: amounts (3000元, 12,345.67, and 11-digit ones: 余额16234746553元, ¥13812345678),
business lines (客服/热线/传真/订房/网点 … 0311-86911999), dates and times, 尾号/工号 and other short
numbers, hotlines, partially masked numbers (6222***1234, already redacted at the source),
digits inside alphanumeric codes (CH0001234…), and numbers labelled as order, waybill,
transaction, contract, policy or invoice numbers (订单号…, 流水号…) unless they are ID numbers.
Typed Arabic 16-19 digit numbers failing Luhn are left alone (order numbers look like that).
An 18-digit number that fails the ID check but passes Luhn is a card, unless it follows
身份证/证件 and has a province code and a 19xx/20xx year (then it is a mistyped ID, kept).
Brackets join digits only around an area code or +86: 1799（1999-200） is not a phone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from voc.schema import Transcript
from voc.text.pii_context import find_context

TAGS = {"card": "银行卡", "id": "身份证", "mobile": "手机号", "landline": "电话",
        "email": "邮箱", "number": "号码", "name": "姓名", "address": "地址", "wechat": "微信号",
        "qq": "QQ号", "plate": "车牌号"}
_DIGIT_KINDS = {"card", "id", "mobile", "landline", "number"}
GENERIC_MIN = 11  # read-out digits failing every check, redacted as `number` from this length

_ZH_DIGITS = "零〇○洞一幺二两三四五六七八九"
# one character for one character, so offsets in the scan copy are offsets in the text
_FULL = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz@.+-_%"
_SCAN = str.maketrans({
    **{chr(ord(c) + 0xFEE0): c for c in _FULL},
    "\u3000": " ", "（": "(", "）": ")", "叉": "X", "×": "X",
    **dict(zip(_ZH_DIGITS, "000011223456789")),
})
_IS_ZH = re.compile(f"[{_ZH_DIGITS}叉]")

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
                    r"\.[A-Za-z]{2,}", re.ASCII)
# spoken: lihua96 at qq dot com, lihua96艾特一六三点com (scan copy: spoken digits are digits)
_SPOKEN_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*(?: ?(?:艾特|爱特|@) ?| (?:at|AT) )"
    r"(?:[A-Za-z0-9-]+|扣扣)(?:(?: ?(?:点|\.) ?| (?:dot|DOT) )[A-Za-z0-9-]+)*"
    r"(?: ?(?:点|\.) ?| (?:dot|DOT) )(?:com|cn|net|org|edu|gov|cc|io|co|me|info|biz|COM|CN|NET|ORG)"
    r"(?![A-Za-z0-9])", re.ASCII)
_ZH_COMMA = re.compile(r"(?<=[零〇○洞一幺二两三四五六七八九叉]) ?,(?= ?[零〇○洞一幺二两三四五六七八九叉])")
# an amount: 余额16234746553元, ¥13812345678
_AMOUNT_AFTER = re.compile(r"\s*(?:元|块|圆|万|亿|角|美元|美金|港币|港元|欧元|日元|英镑|人民币|RMB|rmb)")
_AMOUNT_BEFORE = re.compile(r"(?:[¥￥$]|RMB|rmb|余额|金额|欠款|本金|利息|总额|共计|合计|总计)"
                            r"(?:是|为|有|还有|剩|剩下)?[\s:：]*$")
# a business line: 客服热线010-88210766, 订房电话：0311-86911999, 传真至：010-59222799
_BUSINESS_LINE = re.compile(r"(?:客服|热线|传真|订房|订餐|售后|总机|前台|网点|营业厅|支行|分行|酒店|宾馆)"
                            r"[^，。！？0-9]{0,4}$")
_TIGHT = r"(?: {1,2}| ?[-–—] ?|\) ?| ?\()"
_LOOSE = r"(?:[，、。]{1,2} ?)"
_RUN = re.compile(rf"(?<![0-9])(?:\(\+?|\+ ?)?[0-9](?:(?:{_TIGHT}|{_LOOSE})?[0-9]){{9,}}"
                  rf"(?: ?[Xx])?")
_GROUP = re.compile(r"[0-9]+")
_PIECE_END = re.compile(rf"[0-9０-９{_ZH_DIGITS}Xx叉×A-Za-z]")
_MOBILE = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")
_LABEL = re.compile(r"(?:单号|订单|订单编号|流水号|交易号|合同号|合同编号|受理号|凭证号|发票号|发票号码|发票代码|"
                    r"税号|序列号|批次号|SN)[\s:：#]*(?:是|为)?[\s:：]*$", re.IGNORECASE)
_ID_LABEL = re.compile(r"(?:身份证|证件|身份)[^，。！？0-9]{0,6}$")
_PROVINCES = {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36",
              "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62",
              "63", "64", "65", "71", "81", "82", "83"}
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


@dataclass
class PiiMatch:
    kind: str  # a key of TAGS
    start: int
    end: int
    text: str

    @property
    def tag(self) -> str:
        return TAGS[self.kind]


# -- checks ---------------------------------------------------------------------------------

def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = (ord(ch) - 48) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def card_ok(digits: str) -> bool:
    n = len(digits)
    if not digits.isdigit():
        return False
    if n == 15:
        network = digits[:2] in ("34", "37")
    else:
        network = 16 <= n <= 19 and (digits[0] in "34569" or 2221 <= int(digits[:4]) <= 2720)
    return network and luhn_ok(digits)


def _mistyped_id(scan: str, start: int, end: int) -> bool:
    """An 18-digit "card" with a province code and a 19xx/20xx year after 身份证: an ID with a typo."""
    value = re.sub(r"[^0-9]", "", scan[start:end])
    return (len(value) == 18 and value[:2] in _PROVINCES and value[6:8] in ("19", "20")
            and bool(_ID_LABEL.search(scan, max(0, start - 12), start)))


def id_ok(value: str) -> bool:
    if len(value) != 18 or not value[:17].isdigit() or value[:2] not in _PROVINCES:
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1900 or born > date.today():
        return False
    total = sum((ord(c) - 48) * w for c, w in zip(value, _ID_WEIGHTS))
    return "10X98765432"[total % 11] == value[17].upper()


def mobile_ok(digits: str) -> bool:
    return bool(_MOBILE.fullmatch(digits))


def landline_ok(digits: str) -> bool:
    if len(digits) < 10 or digits[0] != "0" or not digits.isdigit():
        return False
    if digits[1] == "1":
        area = 3 if digits[2] == "0" else 0
    else:
        area = 3 if digits[1] == "2" else 4
    local = digits[area:]
    return area > 0 and 7 <= len(local) <= 8 and local[0] in "23456789"


def classify(value: str) -> str | None:
    """What a digit string (spoken digits already converted) is, or None."""
    if value[-1:] in "Xx":
        return "id" if id_ok(value) else None
    if len(value) == 18 and id_ok(value):
        return "id"
    if card_ok(value):
        return "card"
    if mobile_ok(value):
        return "mobile"
    if landline_ok(value):
        return "landline"
    return None


# -- runs of digits -------------------------------------------------------------------------

@dataclass
class _Unit:
    """Digit groups joined by spaces or dashes: written as one number."""

    start: int
    end: int
    digits: str
    spoken: bool
    groups: list  # (start, end, digits, spoken) for each group


def _units(text: str, scan: str, m: re.Match) -> list[list[_Unit]]:
    """Split one run into segments (no joins across them) of units (joinable by commas)."""
    groups = []
    for g in _GROUP.finditer(scan, m.start(), m.end()):
        groups.append([g.start(), g.end(), g.group(), bool(_IS_ZH.search(text, g.start(), g.end()))])
    tail = scan[m.end() - 1]
    if tail in "Xx":
        groups[-1][1] = m.end()
        groups[-1][2] += "X"
    if m.start() < groups[0][0]:  # +86, 0086 or a bracket belongs to the number
        groups[0][0] = m.start()
    segments, units = [], []
    unit = [groups[0]]
    for prev, g in zip(groups, groups[1:]):
        sep = scan[prev[1]:g[0]]
        apart = len(prev[2]) < 2 or len(g[2].rstrip("X")) < 3  # 2021-02-09, 1 3 4 5: lists
        if apart and len(prev[2]) == 4 and sum(len(u[2]) for u in unit) >= 16:
            apart = False  # 6222 0212 3456 7890 12: the last group of a long card
        if ")" in sep and not (prev[2][0] == "0" or prev[2] == "86") or \
                "(" in sep and g[2][0] != "0":
            apart = True  # brackets only around an area code or +86, not 1799（1999-200）
        if apart and not (prev[3] or g[3]):  # spoken digits are never a list
            units.append(unit)
            segments.append(units)
            units, unit = [], [g]
        elif any(c in sep for c in "，、。"):
            units.append(unit)
            unit = [g]
        else:
            unit.append(g)
    units.append(unit)
    segments.append(units)
    return [[_Unit(u[0][0], u[-1][1], "".join(g[2] for g in u), any(g[3] for g in u),
                   [tuple(g) for g in u]) for u in seg] for seg in segments]


def _scan(units: list[_Unit], asr: bool) -> list[tuple[int, int, str]]:
    """Numbers in a list of units: the longest valid window first, then the rest either side."""
    if not units:
        return []
    best = None
    for i in range(len(units)):
        value = ""
        for j in range(i, len(units)):
            value += units[j].digits
            if len(value) > 19:
                break
            if "X" in value[:-1]:
                break
            kind = classify(value)
            if kind and (best is None or len(value) > best[3]):
                best = (i, j, kind, len(value))
    if best:
        i, j, kind, _ = best
        return _scan(units[:i], asr) + [(units[i].start, units[j].end, kind)] + _scan(units[j + 1:], asr)

    out = []
    for u in units:  # typed text: a valid number inside a longer space-separated run
        if len(u.groups) > 1 and not u.spoken and not asr:
            out += _scan([_Unit(s, e, d, z, [(s, e, d, z)]) for s, e, d, z in u.groups], asr)
    block: list[_Unit] = []
    for u in units + [None]:
        joinable = (u is not None and block and u.spoken and block[-1].spoken
                    and len(block[-1].digits) >= 3 and len(u.digits) >= 3)
        if joinable:
            block.append(u)
            continue
        if block and (any(b.spoken for b in block) or asr and _number_like(block[0])):
            digits = "".join(b.digits for b in block)
            if len(digits.rstrip("X")) >= GENERIC_MIN and len(set(digits)) >= 3:  # not 666666666666
                out.append((block[0].start, block[-1].end, "number"))
        block = [u] if u is not None else []
    return out


def _number_like(u: _Unit) -> bool:
    """Arabic digits written as one number: contiguous, 3-4-4 or 4-4-4-4-3, not 170 180 190 200."""
    sizes = [len(g[2]) for g in u.groups]
    return all(n >= 4 for n in sizes[1:-1]) and (len(sizes) == 1 or sizes[-1] >= 4 or len(sizes) >= 5)


def find_pii(text: str, asr: bool = False) -> list[PiiMatch]:
    """Customer data in `text`, sorted and non-overlapping.

    `asr=True` for speech transcripts: a long Arabic digit run failing every check is then
    redacted as `number` too (typed text keeps its order numbers).
    """
    if not text:
        return []
    scan = text.translate(_SCAN)
    if "," in text:  # 一,八,六,六: ASCII commas between spoken digits join like Chinese ones
        spots = [(m.start(), m.end()) for m in _ZH_COMMA.finditer(text)]
        if spots:
            chars = list(scan)
            for s, e in spots:  # "幺 ," becomes "幺， " (same length, so offsets hold)
                chars[s:e] = "，" + " " * (e - s - 1)
            scan = "".join(chars)
    found: list[tuple[int, int, str]] = []
    if "@" in scan:
        found += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(scan)]
    if "艾特" in scan or "爱特" in scan or " at " in scan or " AT " in scan or "@" in scan:
        found += [(m.start(), m.end(), "email") for m in _SPOKEN_EMAIL.finditer(scan)]
    for m in _RUN.finditer(scan):
        s, e = m.start(), m.end()
        if (s > 1 and scan[s - 1] == "." and scan[s - 2].isdigit()) or \
                (scan[e:e + 1] == "." and scan[e + 1:e + 2].isdigit()) or \
                (s and (scan[s - 1].isascii() and scan[s - 1].isalpha() or scan[s - 1] == "_")
                 and text[s].isascii()):
            continue  # a decimal amount, or typed digits inside a code (CH0001234…, ID_123…)
        for units in _units(text, scan, m):
            for start, end, kind in _scan(units, asr):
                if kind != "id" and _LABEL.search(scan, max(0, start - 12), start):
                    continue
                if kind == "card" and _mistyped_id(scan, start, end):
                    continue
                if kind != "id" and (_AMOUNT_AFTER.match(scan, end)
                                     or _AMOUNT_BEFORE.search(scan, max(0, start - 8), start)):
                    continue  # 余额16234746553元: an amount
                if kind == "landline" and _BUSINESS_LINE.search(scan, max(0, start - 10), start):
                    continue  # a business's line, not a customer's
                found.append((start, end, kind))
    found += find_context(text, scan)
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out, last = [], -1
    for start, end, kind in found:
        if start >= last:
            out.append(PiiMatch(kind, start, end, text[start:end]))
            last = end
    return out


def _tag(match: PiiMatch, keep_last: int, scan: str | None = None) -> str:
    if keep_last <= 0 or match.kind not in _DIGIT_KINDS:
        return f"[{match.tag}]"
    digits = re.sub(r"[^0-9X]", "", (scan or match.text.translate(_SCAN)))
    return f"[{match.tag}尾号{digits[-keep_last:]}]"


def redact(text: str, keep_last: int = 0, asr: bool = False) -> tuple[str, list[PiiMatch]]:
    """Text with each match replaced by its tag ([银行卡], [身份证], [手机号], [电话], [邮箱],
    [号码]); `keep_last=4` keeps the last digits as banks print them ([银行卡尾号1234])."""
    matches = find_pii(text, asr=asr)
    if not matches:
        return text, matches
    parts, pos = [], 0
    for m in matches:
        parts += [text[pos:m.start], _tag(m, keep_last)]
        pos = m.end
    parts.append(text[pos:])
    return "".join(parts), matches


_NAME_NUMBER = re.compile(r"(?<![0-9])[0-9]{7,19}[Xx]?(?![0-9])")


def redact_name(name: str, keep_last: int = 0) -> str:
    """A file name or path as shown to people: recordings are often named after the caller
    (0001_13812345678_20261101.wav). Each digit string of the name is taken alone (a name has
    no spaces inside a number) and replaced only when it passes a check (mobile, card, ID,
    landline); dates, times and serial numbers stay."""
    def sub(m: re.Match) -> str:
        kind = classify(m.group())
        return _tag(PiiMatch(kind, m.start(), m.end(), m.group()), keep_last) if kind else m.group()

    return _NAME_NUMBER.sub(sub, name) if name else name


def redact_transcript(t: Transcript, keep_last: int = 0,
                      asr: bool | None = None) -> tuple[Transcript, dict[str, int]]:
    """A redacted copy of `t` and the number of matches of each kind.

    Each speaker's utterances are searched together, so a number read out over several
    ASR segments (幺三八。/ 幺二三四。/ 五六七八。) is found; each piece is replaced. Timing,
    roles and everything else are unchanged. `asr` defaults to True for calls and for
    utterances with timing.
    """
    if asr is None:
        asr = t.channel == "call" or any(u.start is not None for u in t.utterances)
    counts = dict.fromkeys(TAGS, 0)
    utterances = [replace(u, features=dict(u.features), events=list(u.events)) for u in t.utterances]
    by_speaker: dict[str, list[int]] = {}
    for i, u in enumerate(t.utterances):
        by_speaker.setdefault(u.speaker or u.role, []).append(i)
    edits: dict[int, list[tuple[int, int, str]]] = {}
    for idx in by_speaker.values():
        joined, offsets = "", []
        for i in idx:
            offsets.append(len(joined))
            joined += t.utterances[i].text + "，"
        for m in find_pii(joined, asr=asr):
            counts[m.kind] += 1
            pieces = []
            for i, off in zip(idx, offsets):
                s, e = max(m.start, off), min(m.end, off + len(t.utterances[i].text))
                while m.start < s < e and not _PIECE_END.match(joined[s]):
                    s += 1  # a number continued from an earlier utterance: keep its punctuation
                while s < e < m.end and not _PIECE_END.match(joined[e - 1]):
                    e -= 1
                if s < e:
                    pieces.append((i, s - off, e - off))
            for n, (i, s, e) in enumerate(pieces):
                tag = _tag(m, keep_last) if n == len(pieces) - 1 else f"[{m.tag}]"
                edits.setdefault(i, []).append((s, e, tag))
    for i, spans in edits.items():
        text = utterances[i].text
        for s, e, tag in sorted(spans, reverse=True):
            text = text[:s] + tag + text[e:]
        utterances[i].text = text

    if t.utterances and t.text == "".join(u.text for u in t.utterances):
        text = "".join(u.text for u in utterances)
    else:
        text, matches = redact(t.text, keep_last=keep_last, asr=asr)
        if not t.utterances:
            for m in matches:
                counts[m.kind] += 1
    out = replace(t, meta=dict(t.meta), utterances=utterances, text=text)
    return out, counts
