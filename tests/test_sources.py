"""voc.sources: tables of texts and transcripts JSONL -> Transcript records, on real files."""

from __future__ import annotations

import codecs
import csv
import io
import json
import time
from datetime import datetime

import pytest
from conftest import SHARED

from voc.errors import ConfigError, InputError
from voc.schema import Transcript, Utterance, write_transcripts
from voc.sources import RowError, detect_encoding, detect_format, parse_time, read_all, read_records, role_of, row_id

TEXT = SHARED / "text"
ROWS = [
    {"工单号": "T001", "产品": "信用卡", "坐席工号": "A12", "时间": "2024-03-01 09:15:00",
     "内容": "信用卡年费乱收费，我要向银保监会投诉"},
    {"工单号": "T002", "产品": "借记卡", "坐席工号": "A07", "时间": "2024/3/1 10:02",
     "内容": "卡被盗刷了五千元，客服一直推脱"},
    {"工单号": "T003", "产品": "理财", "坐席工号": "A12", "时间": "2024年3月2日",
     "内容": "理财经理说保本，结果亏了，要求退款"},
]


def write_csv(path, rows, encoding="utf-8", delimiter=",", header=True):
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    if header:
        w.writerow(list(rows[0]))
    for r in rows:
        w.writerow(list(r.values()) if isinstance(r, dict) else r)
    path.write_bytes(codecs.encode(buf.getvalue(), encoding))
    return path


def write_xlsx(path, rows, sheet_title=None, extra_sheet=False):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    if extra_sheet:
        ws.title = "说明"
        ws.append(["本表为投诉导出"])
        ws = wb.create_sheet(sheet_title or "数据")
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def texts(records):
    return [t.text for t in records if isinstance(t, Transcript)]


@pytest.mark.parametrize("encoding, detected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                                ("gb18030", "gb18030"), ("gbk", "gb18030"),
                                                ("utf-16", "utf-16")])
def test_csv_encodings(tmp_path, encoding, detected):
    path = write_csv(tmp_path / f"complaints_{encoding}.csv", ROWS, encoding)
    assert detect_encoding(path) == detected
    recs = read_records(path, text_col="内容", id_col="工单号", time_col="时间")
    good = list(recs)
    assert recs.encoding == detected and recs.format == "csv" and recs.header
    assert recs.columns == ["工单号", "产品", "坐席工号", "时间", "内容"]
    assert [t.id for t in good] == ["T001", "T002", "T003"]
    assert texts(good) == [r["内容"] for r in ROWS]
    t = good[0]
    assert t.channel == "text" and t.source == str(path) and t.duration_s is None
    assert t.utterances == [Utterance(None, None, "text", "customer", ROWS[0]["内容"])]
    assert t.meta == {"产品": "信用卡", "坐席工号": "A12", "time": "2024-03-01T09:15:00",
                      "source_row": 2}
    assert [g.meta["time"] for g in good[1:]] == ["2024-03-01T10:02:00", "2024-03-02"]
    json.loads(t.to_json())  # meta stays JSON


def test_tsv_jsonl_xlsx_give_the_same_records(tmp_path):
    tsv = write_csv(tmp_path / "c.tsv", ROWS, delimiter="\t")
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS), "utf-8")
    xlsx = write_xlsx(tmp_path / "c.xlsx", [list(ROWS[0])] + [list(r.values()) for r in ROWS],
                      extra_sheet=True)
    kw = dict(text_col="内容", id_col="工单号")
    assert detect_format(tsv) == "tsv" and detect_format(jsonl) == "jsonl"
    assert detect_format(xlsx) == "xlsx"
    by_fmt = {}
    for path, extra in ((tsv, {}), (jsonl, {}), (xlsx, {"sheet": "数据"}), (xlsx, {"sheet": 1})):
        good, bad = read_all(path, **kw, **extra)
        assert bad == []
        by_fmt[path.suffix] = [(t.id, t.text, t.meta["产品"], t.meta["source_row"]) for t in good]
    assert by_fmt[".tsv"] == by_fmt[".xlsx"]
    assert [r[:3] for r in by_fmt[".jsonl"]] == [r[:3] for r in by_fmt[".tsv"]]
    assert [r[3] for r in by_fmt[".jsonl"]] == [1, 2, 3]  # JSONL rows are lines
    with pytest.raises(InputError, match="no sheet 'Sheet9': the sheets are 说明 or 数据"):
        read_records(xlsx, sheet="Sheet9", **kw)


def test_xlsx_cells_keep_types_and_dates(tmp_path):
    rows = [["id", "text", "amount", "when"],
            [1001, "年费怎么又扣了", 300.0, datetime(2024, 5, 6, 8, 30)],
            [1002, "  ", 0, datetime(2024, 5, 6, 9, 0)],
            [1003, "分期手续费太高", 12.5, "not a time"],
            [1004, "谢谢处理", 1, datetime(2024, 5, 7)]]
    path = write_xlsx(tmp_path / "x.xlsx", rows)
    good, bad = read_all(path, text_col="text", id_col="id", time_col="when")
    assert [t.id for t in good] == ["1001", "1004"]
    assert good[0].meta == {"amount": 300, "time": "2024-05-06T08:30:00", "source_row": 2}
    assert [(e.row, e.reason) for e in bad] == [
        (3, "empty text in column 'text'"), (4, "bad time 'not a time' in column 'when'")]


def test_headerless_celine(tmp_path):
    lines = (TEXT / "celine_train.csv").read_bytes().splitlines(keepends=True)
    path = tmp_path / "celine50.csv"
    path.write_bytes(b"".join(lines[:50]))
    expected = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    recs = read_records(path, text_col=0)
    good = list(recs)
    assert recs.header is False and recs.columns == ["0", "1"] and recs.errors == 0
    assert texts(good) == [r[0].strip() for r in expected]  # quoted multi-line complaints too
    assert {t.meta["1"] for t in good} <= set("012345")
    assert good[0].meta["source_row"] == 1
    # the same file as strings from a CLI, or header=False said explicitly
    assert texts(read_records(path, text_col="0", header=False)) == texts(good)
    # a name cannot be found in a file without a header: the error says what to do
    with pytest.raises(InputError, match="no text column 'text'.*0-based numbers"):
        read_records(path, text_col="text", header=False)


def test_jddc_chat_sessions(tmp_path):
    lines = (TEXT / "jddc_chat.txt").read_text("utf-8").splitlines(keepends=True)[:30]
    path = tmp_path / "jddc30.txt"
    path.write_text("".join(lines), "utf-8")
    assert detect_format(path) == "tsv"
    raw = [line.rstrip("\n").split("\t") for line in lines]
    recs = read_records(path, text_col=6, group_col=0, role_col=2)
    sessions = list(recs)
    assert recs.header is False and recs.errors == 0
    assert [s.id for s in sessions] == list(dict.fromkeys(r[0] for r in raw))
    first = sessions[0]
    mine = [r for r in raw if r[0] == first.id]
    assert first.channel == "chat" and len(first.utterances) == len(mine)
    assert [u.text for u in first.utterances] == [r[6].strip() for r in mine]
    assert [u.role for u in first.utterances] == [
        "agent" if r[2] == "1" else "customer" for r in mine]
    assert first.utterances[0].role == "customer" and first.utterances[1].role == "agent"
    assert first.text == "".join(r[6].strip() for r in mine)
    assert first.meta["1"] == mine[0][1]  # user id: the same on every row -> one value
    assert first.meta["source_rows"] == list(range(1, len(mine) + 1))
    assert all(u.start is None for s in sessions for u in s.utterances)
    assert sum(len(s.utterances) for s in sessions) == 30


def test_grouped_rows_interleaved_with_times_and_roles(tmp_path):
    rows = [["session", "speaker", "sent_at", "msg", "agent_id"],
            ["S1", "客户", "2024-03-01 09:00:00", "我的信用卡被冻结了", "A1"],
            ["S2", "用户", "2024-03-01 09:00:05", "请问分期怎么办理", "A2"],
            ["S1", "客服", "2024-03-01 09:00:30", "您好，请提供卡号后四位", "A1"],
            ["S1", "客户", "2024-03-01 09:01:10", "1234，快点处理", "A1"],
            ["S2", "坐席", "2024-03-01 09:00:20", "您好，可以在手机银行办理", "A9"],
            ["S2", "机器人", "2024-03-01 09:00:25", "", "A2"]]
    path = write_csv(tmp_path / "chat.csv", rows[1:], header=False)
    path.write_text(",".join(rows[0]) + "\n" + path.read_text("utf-8"), "utf-8")
    good, bad = read_all(path, text_col="msg", group_col="session", role_col="speaker",
                         time_col="sent_at")
    assert [(e.row, e.reason) for e in bad] == [(7, "empty text in column 'msg'")]
    s1, s2 = good
    assert (s1.id, s2.id) == ("S1", "S2")
    assert [(u.role, u.speaker, u.start) for u in s1.utterances] == [
        ("customer", "客户", 0.0), ("agent", "客服", 30.0), ("customer", "客户", 70.0)]
    assert s1.duration_s == 70.0 and s1.meta["time"] == "2024-03-01T09:00:00"
    assert s1.meta["agent_id"] == "A1" and s2.meta["agent_id"] == ["A2", "A9"]
    assert s2.meta["source_rows"] == [3, 6]
    with pytest.raises(ConfigError):
        read_records(path, text_col="msg", group_col="session", id_col="agent_id")


def test_bad_rows_reported_and_skipped(tmp_path):
    good_bytes = "ticket,product,text,time\r\n".encode("gb18030")
    body = [("A1", "信用卡", "年费被扣了两次", "2024-01-05 10:00"),
            ("A2", "借记卡", "", "2024-01-05 10:01"),  # empty text
            ("A3", "理财", "收益和宣传不一样", "yesterday"),  # bad time
            ("A1", "信用卡", "重复的工单号", "2024-01-05 10:03"),  # duplicate id
            ("A5", "信用卡"),  # short row
            ("A6", "房贷", "提前还款违约金太高", "2024-01-05 10:05")]
    for r in body:
        good_bytes += ",".join(r).encode("gb18030") + b"\r\n"
    good_bytes += "A7,信用卡,".encode("gb18030") + b"\xff\xfe\xff" + ",2024-01-05 10:06\r\n".encode()
    good_bytes += ",".join(("A8", "信用卡", "催收电话打到我单位", "2024-01-05 10:07", "x")).encode(
        "gb18030") + b"\r\n"
    good_bytes += ",".join(("A9", "信用卡", "最后一条正常", "2024-01-05 10:08")).encode(
        "gb18030") + b"\r\n"
    path = tmp_path / "bank_export.csv"
    path.write_bytes(good_bytes)
    recs = read_records(path, text_col="text", id_col="ticket", time_col="time")
    out = list(recs)
    assert recs.encoding == "gb18030"
    assert [t.id for t in out if isinstance(t, Transcript)] == ["A1", "A6", "A9"]
    errors = [(e.row, e.reason) for e in out if isinstance(e, RowError)]
    assert errors == [
        (3, "empty text in column 'text'"),
        (4, "bad time 'yesterday' in column 'time'"),
        (5, "duplicate id 'A1' (first in row 2)"),
        (6, "no value for the text column 'text' (the row is short)"),
        (8, "undecodable bytes (the file is read as GB18030)"),
        (9, "5 cells but the header has 4 (a delimiter inside an unquoted text?)"),
    ]
    assert recs.transcripts == 3 and recs.errors == 6
    assert str(out[1]) == f"{path}: row 3: empty text in column 'text'"


def test_damaged_utf8_row_is_isolated(tmp_path):
    path = tmp_path / "u.csv"
    path.write_bytes("text\n第一条投诉\n".encode() + b"\xe4\xb8 broken\n" + "第三条\n".encode())
    good, bad = read_all(path)  # no text_col: the column named "text"
    assert detect_encoding(path) == "utf-8"
    assert texts(good) == ["第一条投诉", "第三条"]
    assert [(e.row, e.reason) for e in bad] == [(3, "undecodable bytes (the file is read as UTF-8)")]


def test_file_level_errors(tmp_path):
    path = write_csv(tmp_path / "c.csv", ROWS)
    with pytest.raises(InputError) as e:
        read_records(path, text_col="正文")
    msg = str(e.value)
    assert "no text column '正文'" in msg and "工单号, 产品, 坐席工号, 时间 or 内容" in msg
    with pytest.raises(InputError, match="no id column 'ticket'"):
        read_records(path, text_col="内容", id_col="ticket")
    with pytest.raises(InputError, match="no text column 9: the file has 5 columns"):
        read_records(path, text_col=9)
    with pytest.raises(InputError, match="which column holds the text"):
        read_records(write_csv(tmp_path / "n.csv", [{"工单号": "T1", "描述": "你好"}]))
    odd = tmp_path / "c.docx"
    odd.write_bytes(b"PK")
    with pytest.raises(InputError, match=r"unsupported file type '\.docx': use .*\.csv.*\.xlsx"):
        read_records(odd, text_col="x")
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="empty file"):
        read_records(empty, text_col="x")
    with pytest.raises(InputError, match="no such file"):
        read_records(tmp_path / "missing.csv", text_col="x")
    fake = tmp_path / "fake.xlsx"
    fake.write_text("not a workbook")
    with pytest.raises(InputError, match="not a readable .xlsx"):
        read_records(fake, text_col="x")
    jl = tmp_path / "j.jsonl"
    jl.write_text('{"body": "你好"}\n', "utf-8")
    with pytest.raises(InputError, match="no text column 'text'; the columns are body"):
        read_records(jl, text_col="text")


def test_ids_stable_across_reads_and_distinct_for_repeats(tmp_path):
    rows = [{"text": "好的"}, {"text": "好的"}, {"text": "我要投诉"}]
    a = write_csv(tmp_path / "chat.csv", rows)
    ids1 = [t.id for t in read_records(a, text_col="text")]
    ids2 = [t.id for t in read_records(str(a), text_col="text")]
    assert ids1 == ids2 and len(set(ids1)) == 3
    assert ids1[0] == row_id(a, 2, "好的") and len(ids1[0]) == 64
    # the same file read from elsewhere gives the same ids
    other = tmp_path / "copy"
    other.mkdir()
    b = write_csv(other / "chat.csv", rows)
    assert [t.id for t in read_records(b, text_col="text")] == ids1


def test_transcripts_jsonl_passthrough(tmp_path):
    t1 = Transcript(id="abc", source="calls/1.wav", channel="call", duration_s=5.0,
                    meta={"agent_id": "A1"},
                    utterances=[Utterance(0.0, 2.1, "ch0", "agent", "您好，请问有什么可以帮您"),
                                Utterance(2.5, 5.0, "ch1", "customer", "我的卡被盗刷了")])
    t2 = Transcript(id="def", source="calls/2.wav", channel="call", duration_s=1.0,
                    utterances=[Utterance(0.0, 1.0, "ch0", "unknown", "喂")])
    path = tmp_path / "transcripts.jsonl"
    write_transcripts(path, [t1, t2])
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"id": "bad", "utterances": [{"role": "boss", "text": "x"}]}\n')
        f.write("not json\n")
        f.write(t1.to_json() + "\n")
    assert detect_format(path) == "transcripts"
    recs = read_records(path)
    out = list(recs)
    assert recs.format == "transcripts"
    assert out[:2] == [t1, t2]
    assert [e.row for e in out[2:]] == [3, 4, 5]
    assert "not a transcript record" in out[2].reason and "duplicate id 'abc'" in out[4].reason


def test_helpers():
    assert role_of("客服") == role_of(1) == role_of("Agent") == "agent"
    assert role_of("客户") == role_of(0.0) == role_of("customer") == "customer"
    assert role_of("机器人") == "unknown"
    assert parse_time("20240301").isoformat() == "2024-03-01"
    assert parse_time("20240301101112").isoformat() == "2024-03-01T10:11:12"
    assert parse_time("2024-03-01T10:11:12+08:00").isoformat() == "2024-03-01T10:11:12+08:00"
    assert parse_time("2024年3月1日 10时05分").isoformat() == "2024-03-01T10:05:00"
    assert parse_time("1709258400").isoformat() == "2024-03-01T02:00:00+00:00"
    for bad in ("", "2024-13-01", "soon", "12345"):
        with pytest.raises(ValueError):
            parse_time(bad)


@pytest.mark.slow
def test_100k_rows_timing(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "product", "time", "text"])
        for i in range(100_000):
            w.writerow([f"C{i:06d}", "信用卡", f"2024-03-01 {i % 24:02d}:{i % 60:02d}:00",
                        f"第{i}位客户反映信用卡年费被重复扣收，要求退还并给出说明"])
    t0 = time.perf_counter()
    recs = read_records(path, text_col="text", id_col="id", time_col="time")
    n = sum(1 for _ in recs)
    dt = time.perf_counter() - t0
    print(f"\nread_records: 100,000 CSV rows in {dt:.2f} s ({n / dt:,.0f} rows/s)")
    assert n == 100_000 and recs.errors == 0


# -- broken rows are reported, never taken or dropped without a word --------------------------

def test_unclosed_quote_at_the_end_of_the_file_is_a_bad_row(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('id,text\n1,还好\n2,"我要投诉，你们\n3,这行被吞进了引号\n', encoding="utf-8")
    good, bad = read_all(path, text_col="text", id_col="id")
    assert [(t.id, t.text) for t in good] == [("1", "还好")]  # not row 2 with row 3 inside it
    assert [(e.row, e.reason) for e in bad] == [
        (3, "unclosed quote: a quoted cell opened on line 3 runs to the end of the file")]
    path.write_text('id,text\n1,"closed, fine"\n', encoding="utf-8")  # a closed quote is fine
    assert [t.text for t in read_all(path, text_col="text")[0]] == ["closed, fine"]


def test_a_row_of_delimiters_only_is_reported_and_a_blank_line_is_not(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,text\n1,还好\n,,\n\n2,不好\n", encoding="utf-8")
    good, bad = read_all(path, text_col="text", id_col="id")
    assert [t.id for t in good] == ["1", "2"]
    assert [(e.row, e.reason) for e in bad] == [(3, "empty row (only delimiters, no values)")]


def test_a_header_only_file_is_an_error(tmp_path):
    from typer.testing import CliRunner

    from voc.cli import app

    path = tmp_path / "t.csv"
    path.write_text("id,text\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"t.csv: only a header row \(id, text\), no data rows"):
        read_records(path, text_col="text")
    r = CliRunner().invoke(app, ["inspect", str(path), "--text-col", "text", "--no-store"])
    assert r.exit_code == 1 and "only a header row" in r.stderr and "mean score" not in r.output
