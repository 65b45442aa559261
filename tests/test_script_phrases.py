"""The shared agent script-phrase list."""

import pytest

from voc.errors import ConfigError
from voc.text.script import is_script, script_hits, script_patterns, script_share


@pytest.mark.parametrize("line", [
    "您好，欢迎致电某某银行，我是客服小何，工号1234，请问有什么可以帮您？",
    "请您稍等，正在为您查询",
    "为了您的账户安全，需要核实一下您的身份",
    "请提供一下身份证后四位",
    "还有其他可以帮您的吗？祝您生活愉快，再见",
    "感谢您的耐心等待",
])
def test_script_lines_are_found(line):
    assert is_script(line) and script_hits(line)


@pytest.mark.parametrize("line", [
    "我的卡丢了，要挂失", "你们凭什么扣我年费", "我要投诉你们的催收", "请问网点几点关门", "我不想等了",
])
def test_customer_speech_is_not_script(line):
    assert not is_script(line)


def test_share_tells_a_pure_script_line_from_a_mixed_one():
    assert script_share("请您稍等") == 1.0
    assert 0 < script_share("请您稍等，我看一下您这笔年费为什么没有减免") < 0.3


def test_a_bad_pattern_names_file_and_line(tmp_path):
    f = tmp_path / "s.txt"
    f.write_text("# c\n您好\n(未闭合\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"s\.txt:3"):
        script_patterns(f)
