"""Ids from tables never silently replace another source's contacts: a table row whose id is a
stored call's, or two tables with the same ticket numbers, are reported and kept apart;
`--id-namespace` gives a table's ids a prefix, `--force` replaces."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from voc.cli import app
from voc.schema import Transcript, Utterance
from voc.sources import read_all
from voc.store import Workspace

runner = CliRunner()
SHA = "a" * 64

pytestmark = pytest.mark.usefixtures("clean_env")


def _t(tid: str, source: str, text: str, row: int | None = None) -> Transcript:
    meta = {"source_row": row} if row else {"agent_id": "A1"}
    return Transcript(id=tid, source=source, channel="text" if row else "call", duration_s=None,
                      meta=meta, utterances=[Utterance(None, None, "ch0", "customer", text)], text=text)


def test_a_table_row_never_replaces_a_call_with_its_id(tmp_path):
    with Workspace(tmp_path / "ws") as ws:
        ws.save_transcripts([_t(SHA, "calls/night/a.wav", "通话")])
        [c] = ws.save_transcripts([_t(SHA, "tickets.csv", "工单", row=2), _t("x1", "tickets.csv", "其他", row=3)])
        assert c["id"] == SHA and c["source"] == "tickets.csv: row 2"
        assert "already stored for a contact from calls/night/a.wav" in c["reason"] and "--force" in c["reason"]
        assert ws.transcript(SHA).text == "通话" and ws.has_transcript("x1")  # the rest stored
        # the same call from another folder is the same recording (its id is its bytes' sha256)
        assert ws.save_transcripts([_t(SHA, "copy/a.wav", "通话")]) == []
        assert ws.save_transcripts([_t(SHA, "tickets.csv", "工单", row=2)], force=True) == []
        assert ws.transcript(SHA).text == "工单"


def test_two_tables_with_the_same_ids_and_the_same_table_again(tmp_path):
    with Workspace(tmp_path / "ws") as ws:
        assert ws.save_transcripts([_t("1", "in/crm.csv", "一", row=2)]) == []
        assert ws.save_transcripts([_t("1", "other/crm.csv", "一改", row=2)]) == []  # the same file, moved
        [c] = ws.save_transcripts([_t("1", "in/chat.csv", "二", row=2)])
        assert c["source"] == "in/chat.csv: row 2" and ws.transcript("1").text == "一改"


def test_id_namespace_prefixes_table_ids(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("ticket,text\nT001,年费\nT002,挂失\n", encoding="utf-8")
    good, _ = read_all(p, text_col="text", id_col="ticket", id_namespace="crm")
    assert [(t.id, t.meta["source_id"]) for t in good] == [("crm:T001", "T001"), ("crm:T002", "T002")]
    good, _ = read_all(p, text_col="text", id_col="ticket")
    assert [t.id for t in good] == ["T001", "T002"]                    # as given without one


def test_analyze_reports_the_collision_and_namespace_or_force_resolve_it(tmp_path):
    ws = tmp_path / "ws"
    a, b = tmp_path / "complaints.csv", tmp_path / "chats.csv"
    a.write_text("id,text\n1,信用卡年费乱收费，我要投诉\n2,服务很好\n", encoding="utf-8")
    b.write_text("id,text\n1,在线客服一直不回复\n", encoding="utf-8")
    args = ["--text-col", "text", "--id-col", "id", "-w", str(ws)]
    assert runner.invoke(app, ["analyze", str(a), *args]).exit_code == 0
    r = runner.invoke(app, ["analyze", str(b), *args])
    assert r.exit_code == 1
    assert f"voc: {b}: row 2: id '1' is already stored for a contact from {a}" in r.stderr
    with Workspace(ws) as w:
        assert w.transcript("1").source == str(a) and len(w.analyses()) == 2
        [f] = w.failures()
        assert f["source"] == f"{b}: row 2"
    r = runner.invoke(app, ["analyze", str(b), *args, "--id-namespace", "chat"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["analyze", str(b), *args, "--force"])
    assert r.exit_code == 0, r.output
    with Workspace(ws) as w:
        assert {t.id: t.source for t in w.transcripts()} == {"1": str(b), "2": str(a), "chat:1": str(b)}
        assert len(w.analyses()) == 3


def test_inspect_of_a_table_never_replaces_a_calls_inspection(tmp_path):
    ws = tmp_path / "ws"
    calls = tmp_path / "calls.jsonl"
    from voc.schema import write_transcripts

    call = Transcript(id=SHA, source="night/a.wav", channel="call", duration_s=6.0, meta={},
                      utterances=[Utterance(0.0, 3.0, "ch0", "agent", "您好，工号1234为您服务"),
                                  Utterance(3.0, 6.0, "ch1", "customer", "我要查账单")])
    write_transcripts(calls, [call])
    assert runner.invoke(app, ["inspect", str(calls), "-w", str(ws)]).exit_code == 0
    table = tmp_path / "tickets.csv"
    table.write_text(f"id,text\n{SHA},我要投诉\nT2,账单不对\n", encoding="utf-8")
    r = runner.invoke(app, ["inspect", str(table), "--text-col", "text", "--id-col", "id", "-w", str(ws)])
    assert r.exit_code == 1
    assert f"voc: {table}: id '{SHA}' is already stored for a contact from night/a.wav" in r.stderr
    with Workspace(ws) as w:
        got = {i["transcript_id"]: i["source"] for i in w.inspections()}
    assert got == {SHA: "night/a.wav", "T2": str(table)}
    assert runner.invoke(app, ["inspect", str(calls), "-w", str(ws)]).exit_code == 0  # its own again
    r = runner.invoke(app, ["inspect", str(table), "--text-col", "text", "--id-col", "id", "-w", str(ws),
                            "--id-namespace", "tk"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["inspect", str(table), "--text-col", "text", "--id-col", "id", "-w", str(ws),
                            "--force"])
    assert r.exit_code == 0, r.output
    with Workspace(ws) as w:
        got = {i["transcript_id"]: i["source"] for i in w.inspections()}
    assert got == {SHA: str(table), "T2": str(table), f"tk:{SHA}": str(table), "tk:T2": str(table)}
