"""Customer data found by context: names, home addresses, WeChat/QQ ids and licence plates.

Used by `voc.text.pii.find_pii`; each finder takes the text and its scan copy (same length,
full-width folded, spoken digits as Arabic digits) and returns (start, end, kind) spans.

- `name`: a common surname (百家姓, single or compound) after a cue (我叫, 名字叫, 姓名：, 户名,
  持卡人, 联系人, 收件人 …) or before a title (先生, 女士, 小姐, 经理, 老师 …). jieba's posseg
  person-name tag (`nr`) says how long the name is, and alone confirms weak cues (我是, 本人,
  客户 + a name ending the clause); it only runs on a short window at a cue, cached. The
  title stays: 王先生 becomes [姓名]先生, so a QA reader still sees how the agent addressed
  the customer; 先生/女士 alone and 客户经理 are never touched. A clause of its own that jieba
  does not know as a common word, said right before an ID, card or phone number, is a name too
  (陈娟，后四位是8624: how customers answer the verification question).
- `address`: a street and house number (桂林路23号) near a home cue (地址是, 住在, 家住, 寄到 …)
  or with a flat, building or room number (3栋2单元501室); an estate with a flat number
  (阳光小区3栋2单元501); a village after its town (李楼乡王庄村3组); with the district, town,
  road and unit parts. The leading province and city stay (河南省商丘市[地址]): a city alone
  is not a home address, so 收货地址是杭州 or 我是福建泉州的 keep their place names. Street
  numbers of hotels, shops and branches (…号工商银行, 位于…, no home cue) stay.
- `wechat`: an id after 微信/微信号/vx/wx (6-20 letters, digits, _ or -, starting with a letter;
  not 公众号); `qq`: 5-11 digits after QQ/QQ号/扣扣 (spoken digits too). A firm's account
  (在线客服（QQ800002945）, 关注微信号：…专属客服) stays.
- `plate`: province abbreviation + letter + 5 serial characters (at least 3 digits, no I/O),
  or 6 for new-energy plates, or 4 + 挂/学/警/港/澳.
"""

from __future__ import annotations

import re
from functools import lru_cache

SURNAMES_1 = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范廖石金贾夏付韦邹熊孟秦阎薛侯雷白龙段郝孔邵史毛常万顾赖武"
    "康贺严尹钱施牛洪龚汤陶黎温莫易樊乔文安殷颜庄章鲁倪庞邢俞翟蓝聂齐向申葛柴伍覃骆关焦柳欧"
    "祝纪尚毕耿芦左季管符辛苗詹曲靳祁路涂兰甘裴梅童翁霍游阮尤岳柯牟滕谷舒卜成饶宁凌盛单冉鲍"
    "包屈房喻解蒲卫简时连车项闵邬吉党阳司费蒙席晏隋古强穆姬宫景米麦谈柏瞿艾沙鄢桂窦郁缪畅巩"
    "卓褚栾戚冷宗全邱方傅萧于")
SURNAMES_2 = {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "令狐", "慕容", "公孙", "夏侯", "尉迟",
              "长孙", "宇文", "司徒", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台"}
_HAN = r"\u4e00-\u9fff"
_SUR = "|".join(sorted(SURNAMES_2)) + "|[" + "".join(sorted(SURNAMES_1)) + "]"

# -- names ----------------------------------------------------------------------------------

# strong cues: what follows is a name when it starts with a surname
_STRONG = (r"我叫|名字叫|名字是|叫做|姓名(?:是|为|叫)?|户名(?:是|为)?|持卡人(?:是|为|叫)?|联系人(?:是|为)?|"
           r"收件人(?:是|为)?|收货人(?:是|为)?|开户人(?:是|为)?|借款人(?:是|为)?|账户名(?:是|为)?")
_WEAK = r"我是|本人是|本人|客户是|客户"
_CUE = re.compile(rf"(?:(?P<strong>{_STRONG})|(?P<weak>{_WEAK}))[:：\s]*(?=(?:{_SUR}))")
_SURNAME_ONLY = re.compile(rf"(?:我|免贵|本人)姓(?P<s>{_SUR})(?![{_HAN}]?[{_HAN}]?(?:的|氏))")
_FUNCTION = ("p", "c", "u", "d", "r", "v", "m", "q", "f", "t", "y", "e", "o", "x")  # jieba flags no name has
# surnames that are more often a word of their own (于 at, 向 to, 任 serve as, 时 when, 全 all …):
# a name before a title only after punctuation or 是/找/的/位 …
_AMBIGUOUS = set("于向任时全关安成文方解谈费包常尚和从以与")
_BRANDS = {"康师傅"}  # brands jieba tags as a person
_AFTER_GAP = re.compile(r"^$|[，。！？、：:；\s（(“\"是找的位跟和给问叫请]")  # 于先生 after these is a name
_COMMON = 100  # jieba dictionary frequency from which an nr word is taken as a word
_NOT_NAMED = re.compile(r"(?:平台|软件|公司|产品|APP|app|网站|机构|银行)的?$")
_TITLES = ("先生", "女士", "小姐", "太太", "夫人", "老师", "师傅", "经理", "主管", "主任", "阿姨")
_TITLE = re.compile("|".join(_TITLES))
_PARTICLES = set("啊呀吧呢哈的了嘛哦呗啦哟")
_CLAUSE_END = re.compile(r"[，。！？、,.!?\s]|$|本人|啊|呀|吧|呢|哈")
# words ending in a surname character that come before a title
_NOT_BEFORE_TITLE = {"对方", "双方", "男方", "女方", "这位", "那位", "各位"}


@lru_cache(maxsize=4096)
def _posseg(window: str) -> tuple[tuple[str, str], ...]:
    """(word, jieba posseg tag) of a short window at a cue.

    jieba's cut (0.2 ms) and posseg's tag dictionary give the tags when the dictionary knows
    every word that starts with a surname; only a window with an unknown one (a name jieba's
    HMM found, or not) goes through jieba.posseg.cut, whose HMM tagging costs 1-10 ms."""
    jieba, tags = _jieba_tags()
    words = jieba.lcut(window)
    if any(w not in tags and 2 <= len(w) <= 3 and _surname_len(w, 0) for w in words):
        return posseg_cut(window)
    return tuple((w, tags.get(w, "x")) for w in words)


@lru_cache(maxsize=4096)
def posseg_cut(window: str) -> tuple[tuple[str, str], ...]:
    """jieba.posseg.cut of a window, as (word, tag) pairs."""
    _jieba_tags()
    import jieba.posseg as pseg

    return tuple((w.word, w.flag) for w in pseg.cut(window))


@lru_cache(maxsize=1)
def _jieba_tags():
    from voc.text.normalize import _jieba

    jieba = _jieba()  # the shared tokenizer, banking dictionary included
    import jieba.posseg as pseg

    pseg.dt.makesure_userdict_loaded()
    return jieba, pseg.dt.word_tag_tab


def _surname_len(text: str, i: int) -> int:
    if text[i:i + 2] in SURNAMES_2:
        return 2
    return 1 if text[i:i + 1] in SURNAMES_1 else 0


def _person(word: str, flag: str) -> bool:
    """jieba's person name, not a common word its dictionary also tags nr (许可, 胡子, 安逸)."""
    import jieba

    return flag.startswith("nr") and bool(_surname_len(word, 0)) and jieba.dt.FREQ.get(word, 0) < _COMMON


def name_like(word: str) -> bool:
    """A word that starts with a surname and is either unknown to jieba's dictionary (韩晓燕,
    李文博: what its HMM makes of a name) or a rare entry tagged as a person (欧阳明, 王先生; see
    `_person`). Keeps names out of topic keywords (voc.topics.embed)."""
    sur = _surname_len(word, 0)
    if not 2 <= len(word) <= 4 or not sur or (sur == 2 and len(word) < 3) or (sur == 1 and len(word) > 3):
        return False
    jieba, tags = _jieba_tags()
    return not jieba.dt.FREQ.get(word) or _person(word, tags.get(word, ""))


def _name_after(text: str, i: int, strong: bool) -> int:
    """End of a name starting at `i` (a surname), or `i` when there is none."""
    import jieba

    sur = _surname_len(text, i)
    if not sur:
        return i
    words = _posseg(text[i:i + 6])
    first, flag = words[0] if words else ("", "")
    end = i
    if _person(first, flag) and sur < len(first) <= sur + 2:
        end = i + len(first)
    elif strong and sur < len(first) <= sur + 2 and jieba.dt.FREQ.get(first, 0) == 0:
        end = i + len(first)  # a word jieba's dictionary does not have (程军/n): the name after 持卡人是
    elif strong and (first == text[i:i + sur] or flag.startswith("nr")):
        # jieba does not know the name (it cuts it into characters): one or two characters after
        # the surname, ending the clause; not 持卡人全额还款 (a word)
        run = re.match(rf"[{_HAN}]{{1,2}}(?![{_HAN}])", text[i + sur:i + sur + 3])
        if run:
            end = i + sur + len(run.group())
    if end > i and not strong and not _CLAUSE_END.match(text, end):
        return i  # 我是张家港的: a weak cue needs the name to end the clause
    if strong and end == i + sur + 1 and re.match(rf"[{_HAN}](?![{_HAN}])", text[end:end + 2]) \
            and text[end] not in _PARTICLES:
        end += 1  # 曹梓/涵，: jieba cut the third character of the name off
    return end


def _single(text: str, i: int) -> bool:
    """Whether jieba cuts text[i] as a word of its own (a surname, not the end of 客户 or 关于)."""
    base = max(0, i - 3)
    pos = base
    for w, _ in _posseg(text[base:i + 1]):
        if pos == i:
            return len(w) == 1
        pos += len(w)
    return False


# a name said for verification: a clause of its own right before an ID, card or phone number,
# as customers answer 请问您的姓名和身份证后四位 (…，李佳琪，身份证号是… / 陈娟，后四位是8624)
_VERIFY = re.compile(rf"(?:^|(?<=[，。！？、,.!?；;：:\s…]))(?P<n>(?:{_SUR})[{_HAN}]{{1,2}})"
                     r"(?=[，。、,.\s…]+(?:身份证|证件号|后四位|后4位|尾号|卡号|手机号|"
                     r"(?:[0-9]{4}|[0-9]{11}|[0-9]{15,19}|[0-9]{17}[Xx])(?![0-9.年月日号元块万%])))")
VERIFY_GATE = re.compile(r"身份证|证件号|后四位|后4位|尾号|卡号|手机号|[0-9]{4}")


def _verified_name(word: str) -> bool:
    """Whether a clause said before an ID or card number is a person's name: jieba does not know
    it as a common word (周一, 方便, 全部, 张家口 and 王府井 are words; 高宇航, 李明 and 陈娟 are
    not, or are rare entries tagged as a person)."""
    import jieba

    if word[0] in _AMBIGUOUS:
        return False  # 全还完，11781: surnames that are more often a word of their own
    cut = _posseg(word)
    if cut and cut[0][0] == word[:_surname_len(word, 0)]:
        return True  # jieba leaves the surname alone (周/国庆, 黄/宇航): a given name it reads as a word
    for w, flag in cut:
        if len(w) >= 2 and jieba.dt.FREQ.get(w, 0) >= _COMMON and not _person(w, flag):
            return False
        if len(w) >= 2 and flag.startswith(("ns", "nt", "nz")) and jieba.dt.FREQ.get(w, 0):
            return False
    return True


def find_names(text: str) -> list[tuple[int, int, str]]:
    import jieba

    out = []
    if VERIFY_GATE.search(text):
        out += [(m.start("n"), m.end("n"), "name") for m in _VERIFY.finditer(text)
                if _verified_name(m.group("n"))]
    for m in _CUE.finditer(text):
        start = m.end()
        if m.group("strong") and m.group("strong").startswith(("名字", "叫做")) and \
                _NOT_NAMED.search(text, max(0, m.start() - 5), m.start()):
            continue  # 平台名字叫安逸花: a product
        end = _name_after(text, start, strong=bool(m.group("strong")))
        if end > start:
            out.append((start, end, "name"))
    for m in _SURNAME_ONLY.finditer(text) if "姓" in text else ():
        out.append((m.start("s"), m.end("s"), "name"))
    for m in _TITLE.finditer(text):
        p = m.start()
        if p == 0 or text[p - 2:p] in _NOT_BEFORE_TITLE:
            continue
        if text[p - 2:p] in SURNAMES_2:
            out.append((p - 2, p, "name"))
            continue
        base = max(0, p - 4)
        tok, ts = "", base  # the jieba word that holds the character before the title
        for w, flag in _posseg(text[base:p + len(m.group())]):
            if ts <= p - 1 < ts + len(w):
                tok = (w, flag)
                break
            ts += len(w)
        if not tok:
            continue
        word, flag = tok
        if word in _BRANDS:
            continue
        if ts + len(word) == p and 2 <= len(word) <= 4 and _surname_len(word, 0) and \
                (_person(word, flag) or len(word) <= 3 and jieba.dt.FREQ.get(word, 0) < _COMMON
                 and flag.startswith("ns")):  # 邓洋女士: an unknown name jieba takes for a place
            out.append((ts, p, "name"))  # 王健女士, 陈小明先生
        elif _surname_len(text, p - 1) and (
                len(word) == 1 and (word not in _AMBIGUOUS or _AFTER_GAP.match(text[p - 2:p - 1]))
                or flag.startswith("nr") and ts == p - 1):
            out.append((p - 1, p, "name"))  # 王先生 (jieba: 王先生/nr), 朱女士 (朱/nr)
        elif ts + len(word) == p and len(word) <= 2 and ts >= 1 and not flag.startswith(_FUNCTION) \
                and (len(word) == 1 or jieba.dt.FREQ.get(word, 0) < _COMMON) \
                and _surname_len(text, ts - 1) == 1 and _single(text, ts - 1):
            out.append((ts - 1, p, "name"))  # 邓洋女士, 张秀英女士: jieba cuts the surname off an unknown name
    return out


# -- addresses ------------------------------------------------------------------------------

_NUM = r"[0-9十百零一二三四五六七八九两]{1,5}"
_HOME_UNIT = rf"(?:{_NUM}(?:号楼|栋|幢|座|单元|室|户|组)|[-－#]{_NUM}(?:室|号)?|(?<=[元栋幢座])[0-9]{{3,4}}(?![0-9]))"
_UNIT = rf"(?:{_HOME_UNIT}|{_NUM}(?:楼|层|号))"  # 3栋2单元501, 5楼, 12号
_ESTATE = r"(?:小区|花园|公寓|家园|新村|苑|宿舍|村)"
_ANCHOR = re.compile(
    rf"(?:(?:大道|大街|路|街|巷|胡同){_NUM}(?:号|弄)|弄{_NUM}号)(?:院)?(?:[{_HAN}]{{2,8}}?{_ESTATE})?"
    rf"(?P<unit>{_UNIT}*)"                                                          # 桂林路23号
    rf"|{_ESTATE}(?={_UNIT}*{_HOME_UNIT}){_UNIT}+"                                     # 阳光小区3栋2单元
    rf"|[镇乡](?P<village>[{_HAN}]{{1,6}}?村(?:{_NUM}组)?{_UNIT}*)")                    # 李楼乡王庄村
# a street and number alone is a home address only near a home cue (hotels, shops and
# branches have street numbers too); with a flat, building or room number it always is
_HOME_CUE = re.compile(r"地址|住址|住所|家住|住在|我家|家里|寄到|寄往|送到|收货|收件|居住|户籍|老家|现住|住的")
_LEFT_STOP = set("在住是到于的我家址为了从向往去寄送把被给就都也还")
_PROVINCES = ("北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|"
              "广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门")
_KEEP = re.compile(rf"(?:(?:{_PROVINCES})(?:省|市|自治区|壮族自治区|回族自治区|维吾尔自治区)?"
                   rf"|[{_HAN}]{{2,6}}?(?:省|自治区))?(?:[{_HAN}]{{2,4}}?市)?")
_BUSINESS = re.compile(rf"的?[{_HAN}]{{0,8}}?(?:银行|支行|分行|营业厅|网点|营业部|公司|门店|店|中心|派出所|法院|医院|"
                       rf"学校|办事处|工商局|政府|大厦|售后|维修|酒店|宾馆|饭店|餐厅|超市|商场)")
_AT_BUSINESS = re.compile(r"(?:位于|坐落于|坐落在|门店|网点|营业厅|支行|分行)[:：]?$")


_HOME_UNIT_RE = re.compile(_HOME_UNIT)


def find_addresses(text: str, scan: str) -> list[tuple[int, int, str]]:
    out = []
    for m in _ANCHOR.finditer(scan):
        anchor, end = (m.start("village") if m.group("village") else m.start()), m.end()
        start = anchor  # walk left over the street, estate or village name and the district
        while start > 0 and anchor - start < 16 and "\u4e00" <= text[start - 1] <= "\u9fff" \
                and text[start - 1] not in _LEFT_STOP:
            start -= 1
        keep = _KEEP.match(scan, start, anchor)  # the province and city stay
        if keep and keep.end() > start:
            start = keep.end()
        street = m.group("unit") is not None
        if street and not _HOME_UNIT_RE.search(m.group("unit")) and not (
                _HOME_CUE.search(text, max(0, start - 20), start) or _HOME_CUE.search(text, end, end + 10)):
            continue  # a street number alone, far from any home cue: a shop, a hotel, a branch
        if anchor - start < (2 if street else 1) or _BUSINESS.match(scan, end) \
                or _AT_BUSINESS.search(scan, max(0, start - 6), start):
            continue  # no street, estate or village name; or a business address
        out.append((start, end, "address"))
    return out


# -- WeChat, QQ, plates ---------------------------------------------------------------------

_WECHAT = re.compile(r"(?:微信号?|微信账号|微信ID|vx号?|wx号?|v信|weixin|wechat)(?:号码|号|id)?(?:是|为|:|：)?\s*"
                     r"(?P<id>wxid_[A-Za-z0-9_-]{4,}|[A-Za-z][A-Za-z0-9_-]{5,19})(?![A-Za-z0-9_-])", re.IGNORECASE)
_NOT_ID = {"wechat", "weixin", "iphone", "android", "online", "message"}
_QQ = re.compile(r"(?:qq|扣扣)(?:号码|号|账号)?(?:是|为|:|：)?\s*(?P<id>[1-9][0-9]{4,10})(?![0-9])", re.IGNORECASE)
_PLATE = re.compile(r"(?<![A-Za-z0-9])[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][·• ]?"
                    r"(?P<serial>[A-HJ-NP-Z0-9]{5,6}|[A-HJ-NP-Z0-9]{4}[挂学警港澳])(?![A-Za-z0-9])")


# a firm's account, not a customer's: 在线客服（QQ800002945）, 关注微信号：Joyu_lvmama, 7x24专属客服
_FIRM_BEFORE = re.compile(r"(?:在线|客服|官方|技术|关注|公众|我们这个|我们的)[^，。！？,.!?]{0,6}$")
_FIRM_AFTER = re.compile(r"[,，]?\s*(?:7[x×]24|24小时)?\s*专属客服|[）)】]{0,2}(?:客服|官方)")


def find_ids(text: str, scan: str) -> list[tuple[int, int, str]]:
    out = []
    for kind, rx in (("wechat", _WECHAT), ("qq", _QQ)):
        for m in rx.finditer(scan):
            if kind == "wechat" and m.group("id").lower() in _NOT_ID:
                continue
            if _FIRM_BEFORE.search(scan, max(0, m.start() - 10), m.start()) or _FIRM_AFTER.match(scan, m.end()):
                continue
            out.append((m.start("id"), m.end("id"), kind))
    for m in _PLATE.finditer(scan):
        serial = m.group("serial")
        if sum(c.isdigit() for c in serial) >= 3 and (len(serial) < 6 or serial[0] in "DF" or serial[-1] in "DF"):
            out.append((m.start(), m.end(), "plate"))
    return out


_NAME_GATE = re.compile("|".join(("叫", "姓", "名", "户名", "持卡人", "联系人", "收件人", "收货人", "开户人", "借款人",
                                    "我是", "本人", "客户") + _TITLES))
# gates that start with a character set: the regex engine then skips ahead in C
_ADDRESS_GATE = re.compile(r"[路街巷同弄道区园寓苑舍村镇乡](?:[0-9十百零一二三四五六七八九两]|[^，。！？]{0,5}村)")
_ID_GATE = re.compile(r"[微vVwWqQ扣](?:信|[xX]|eixin|e[cC]hat|[qQ]|扣)")
_PLATE_GATE = re.compile(r"[A-HJ-NP-Z][·• ]?[A-HJ-NP-Z0-9]{4}")


def find_context(text: str, scan: str) -> list[tuple[int, int, str]]:
    """Names, addresses, WeChat/QQ ids and plates; each finder runs only when a gate regex finds
    its cue words (this runs on every utterance of a nightly batch)."""
    out = []
    if _NAME_GATE.search(text) or VERIFY_GATE.search(text):
        out += find_names(text)
    if _ADDRESS_GATE.search(scan):
        out += find_addresses(text, scan)
    if _ID_GATE.search(scan) or _PLATE_GATE.search(scan):
        out += find_ids(text, scan)
    return out
