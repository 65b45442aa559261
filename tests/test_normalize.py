"""Normalisation and jieba tokenisation with the banking dictionary."""

from __future__ import annotations

import subprocess
import sys

import pytest

from voc.text.normalize import BANKING_DICT, STOPWORDS, load_stopwords, normalize, read_user_dict, tokenize


@pytest.mark.parametrize("text, expected", [
    # full-width letters, digits and space become half-width; Chinese punctuation stays
    ("ＡＢＣ１２３　你好，ｉＰｈｏｎｅ！", "ABC123 你好，iPhone！"),
    ("年化利率３．３５％，（分１２期）", "年化利率3.35%，（分12期）"),
    ("邮箱ａｂｃ＠ｑｑ．ｃｏｍ", "邮箱abc@qq.com"),
    # Traditional to Simplified, also the phrase-only conversions
    ("我的信用卡帳單還沒有收到，請幫我查詢", "我的信用卡账单还没有收到，请帮我查询"),
    ("銀行說會盡快答覆", "银行说会尽快答复"),
    ("帐户到帐了，住在帐篷里", "账户到账了，住在帐篷里"),
    # whitespace and control characters
    ("  我想\t问一下\n\n年费  ", "我想 问一下 年费"),
    ("\u202d186 2052 3780\u202c该电话\u200b多次", "186 2052 3780该电话多次"),
    ("\ufeff您好\x00", "您好"),
    # fillers
    ("嗯嗯嗯", ""),
    ("嗯嗯，好的", "好的"),
    ("嗯，对，是我本人。", "嗯，对，是我本人。"),  # a lone 嗯 is an answer: kept
    ("嗯。", "嗯。"),
    ("呃，那个那个，我想问一下年费", "那个，我想问一下年费"),
    ("我想呃问一下", "我想问一下"),
    ("就是就是我这个卡被盗刷了", "就是我这个卡被盗刷了"),
    ("好啊啊啊，你们太过分了", "好啊，你们太过分了"),
    ("额额额，我的额度是多少", "我的额度是多少"),
    ("我想提高额度，额外的费用有吗", "我想提高额度，额外的费用有吗"),
    ("好的，嗯嗯嗯，那我等你们电话", "好的，那我等你们电话"),
    # already clean text is unchanged, including English
    ("Hello, world", "Hello, world"),
    ("", ""),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_is_idempotent():
    for text in ["嗯嗯，那个那个，我的信用卡帳單", "ＡＢＣ　１２３", "好啊啊啊。。"]:
        assert normalize(normalize(text)) == normalize(text)


@pytest.mark.parametrize("text, term", [
    ("你们凭什么扣我年费", "年费"),
    ("这个分期手续费也太高了", "分期手续费"),
    ("我去打了征信报告，上面有逾期", "征信报告"),
    ("我要打12378投诉你们", "12378"),
    ("我直接去金融监管总局投诉", "金融监管总局"),
    ("你这是暴力催收，我录音了", "暴力催收"),
    ("能不能给我申请停息挂账", "停息挂账"),
    ("我想办个性化分期", "个性化分期"),
    ("临时额度什么时候到期", "临时额度"),
    ("每个季度扣小额账户管理费", "小额账户管理费"),
    ("这个理财保本保收益吗", "保本保收益"),
    ("你们星河稳盈180天收益多少", "星河稳盈"),
])
def test_banking_terms_stay_whole(text, term):
    assert term in tokenize(text, stopwords=False)


def test_stopwords_and_punctuation_removed():
    words = tokenize("您好，请问有什么可以帮您？嗯，就是我这个信用卡的年费，能不能减免一下啊！")
    assert words == ["信用卡", "年费", "减免"]
    raw = tokenize("您好，请问有什么可以帮您？", stopwords=False)
    assert "您好" in raw and "请问" in raw
    assert "，" not in raw and "？" not in raw


def test_tokenize_drops_spaces_and_symbols():
    assert tokenize("年费 ~ ~ 200元 %%", stopwords=False) == ["年费", "200", "元"]
    assert tokenize("") == []


def test_lexicon_files():
    rows = read_user_dict(BANKING_DICT)
    words = [w for w, _, _ in rows]
    assert len(words) >= 300 and len(set(words)) == len(words)
    assert all(freq and freq > 0 and tag for _, freq, tag in rows)
    for term in ["信用卡", "联名卡", "社保卡", "滞纳金", "超限费", "免息期", "委外催收", "赎回", "调单",
                 "银保监会", "95588", "远程银行"]:
        assert term in words
    stop = load_stopwords(STOPWORDS)
    assert {"嗯", "那个", "就是", "然后", "您好", "请问", "谢谢", "好的", "可以", "一下", "这边", "的话"} <= stop
    assert "投诉" not in stop and not any(w.startswith("#") for w in stop)


def test_jieba_is_quiet():
    """Loading jieba and the dictionary prints nothing (no "Building prefix dict" on stderr)."""
    code = "from voc.text.normalize import tokenize; print(tokenize('信用卡年费'))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "['信用卡', '年费']"
    assert r.stderr == ""
