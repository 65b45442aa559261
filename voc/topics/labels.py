"""Topic labels in the bank's words.

A topic whose keywords point to a taxonomy category is named for it, plus 2-3 distinguishing
keywords: "催收投诉｜暴力催收·家人". Any other topic is named by a short phrase of its most
representative customer utterance (the clause that carries most of its keywords), not by a
keyword list. Keywords that are amounts and units (块钱, 3期), function words or fillers never
head a label (`LABEL_HEAD_STOP`, checked by the tests on every label).
"""

from __future__ import annotations

import re

# words that never head a label or count as a distinguishing keyword: numbers with units,
# pronouns, function words, fillers and the verbs every complaint uses
LABEL_HEAD_STOP = frozenset("""
块钱 块 元 万 万元 千 百 毛 分钱 期 次 天 号 月 年 个 笔 张 点 岁
我 你 他 她 它 我们 你们 他们 咱们 自己 人家 本人 对方
的 了 吗 呢 吧 啊 呀 哦 嗯 呃 额 哈 嘛 啦 诶 哎 唉
这 那 这个 那个 这些 那些 这样 那样 这么 那么 哪个 什么 怎么 怎么样 为什么 为啥 多少
就是 就 还是 还 也 都 又 再 才 很 太 非常 特别 真的 一直 已经 马上 现在 刚才 然后 所以
但是 可是 不过 而且 因为 如果 虽然 或者 和 跟 与 及 把 被 给 让 对 从 在 到 向 为
是 有 没 没有 不 不是 会 能 要 想 说 问 看 知道 觉得 可以 应该 需要 一下 一个 一些
好 好的 对的 行 嗯嗯 谢谢 您好 你好 喂 请问 麻烦 客服 您 不好意思
""".split())
_NUMERIC = re.compile(r"^[\d.,%〇零一二三四五六七八九十百千万两几]+[多余]?[块元万千百期次天号月年个笔张点岁]*"
                      r"[多余]?钱?$|^[块元][^\u4e00-\u9fff]*.?$")
_CLAUSE = re.compile(r"[^，。！？；,!?;：:、\s]+")
PHRASE_CHARS = 12


def good_word(w: str) -> bool:
    """A word that may head a label or stand among its keywords."""
    return len(w) >= 2 and w not in LABEL_HEAD_STOP and not _NUMERIC.match(w)


def distinguishing(keywords: list[str], n: int, category: str = "") -> list[str]:
    """The first `n` keywords that may stand in a label and do not repeat the category name."""
    return [w for w in keywords if good_word(w) and w not in category][:n]


def phrase(texts: list[str], keywords: list[str], max_chars: int = PHRASE_CHARS) -> str:
    """A short phrase of the representative texts: in the clause that carries most of the
    topic's keywords, the words from its first keyword to its last (at most `max_chars`
    characters, at least 4), so fillers, pronouns and names around them stay out; "" when no
    clause carries two keywords."""
    from voc.text.normalize import tokenize

    kw = [w for w in keywords[:10] if good_word(w)]
    best, best_score = "", 0.0
    for rank, t in enumerate(texts):
        for c in _CLAUSE.findall(t):
            words = tokenize(c, stopwords=False)
            at = [i for i, w in enumerate(words) if w in kw]
            if not at:
                continue
            first = at[0]
            last = max((i for i in at if len("".join(words[first:i + 1])) <= max_chars), default=first)
            span = words[first:last + 1]
            while len("".join(span)) < 4 and last + 1 < len(words) and \
                    len("".join(span)) + len(words[last + 1]) <= max_chars:
                last += 1
                span = words[first:last + 1]
            hits = len({w for w in span if w in kw})
            text = "".join(span)
            if hits < 2 or len(text) < 4 or not good_word(span[0]):
                continue
            score = hits - 0.3 * rank  # more keywords, a more representative text
            if score > best_score:
                best, best_score = text, score
    return best


def topic_label(category: str | None, keywords: list[str], representative: list[str],
                topic: int) -> str:
    """The label of one topic (see the module docstring)."""
    if category:
        extra = distinguishing(keywords, 3, category)
        return category + ("｜" + "·".join(extra[:3]) if extra else "")
    p = phrase(representative, keywords)
    if p:
        return p
    words = distinguishing(keywords, 3)
    return "·".join(words) if words else f"话题{topic}"


def label_head(label: str) -> str:
    """The first word of a label (what the stop-list test checks)."""
    head = re.split(r"[｜·#：:]", label, maxsplit=1)[0]
    return head
