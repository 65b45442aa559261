"""The examples every `--help` ends with, in one place (attached to the commands in
voc/cli/__init__.py). Keys are command paths; each value is one or two command lines."""

from __future__ import annotations

EXAMPLES: dict[str, list[str]] = {
    "": ["voc demo generate --out demo -w ws && voc run demo/transcripts.jsonl -w ws",
         "voc report -w ws --out dash"],
    "transcribe": ["voc transcribe calls/ --out transcripts.jsonl -w ws",
                   "voc transcribe call.wav --speakers 2 --json"],
    "analyze": ["voc analyze transcripts.jsonl --out analysis.jsonl -w ws",
                "voc analyze chats.csv --text-col 内容 --id-col 会话ID --json"],
    "inspect": ["voc inspect transcripts.jsonl --out findings.jsonl -w ws",
                "voc inspect transcripts.jsonl --rules my_rules.yaml --json"],
    "run": ["voc run /data/calls/2026-11-05 -w ws", "voc run inbox/ -w ws --json"],
    "train": ["voc train sentiment -i reviews.csv --text-col 1 --label-col 0 -o models/s",
              "voc train category -i complaints.csv --text-col 0 --label-col 1 -o models/c"],
    "report": ["voc report -w ws --out dash --since 2026-11-01",
               "voc report -w ws --out dash --with-audio"],
    "export": ["voc export -w ws --out audit --format xlsx",
               "voc export -w ws --out audit --since 2026-11-01 --min-risk medium"],
    "models": ["voc models list", "voc models verify --json"],
    "models list": ["voc models list", "voc models list --json | jq .name"],
    "models fetch": ["voc models fetch whisper-base", "voc models fetch paraformer-zh --force"],
    "models verify": ["voc models verify", "voc models verify whisper-base --json"],
    "models path": ["voc models path whisper-base"],
    "config": ["voc config show", "voc config show --json | grep report."],
    "config show": ["voc config show", "VOC_REPORT_TIMEZONE=UTC voc config show --json"],
    "demo": ["voc demo generate --out demo -w ws"],
    "demo generate": ["voc demo generate --out demo -n 500 -w ws",
                      "voc demo generate --out demo --no-store"],
    "review": ["voc review list -w ws --state open", "voc review confirm 3fa2c1 --by qa_wang -w ws"],
    "review list": ["voc review list -w ws --state open --agent A1005",
                    "voc review list -w ws --severity critical --since 2026-11-01 --json"],
    "review show": ["voc review show 3fa2c1 -w ws", "voc review show 3fa2c1 -w ws --json"],
    "review confirm": ["voc review confirm 3fa2c1 9b07aa --by qa_wang -w ws"],
    "review dismiss": ["voc review dismiss 3fa2c1 --reason 录音不清 --by qa_wang -w ws"],
    "review appeal": ["voc review appeal 3fa2c1 --reason 已按流程核实 --by A1005 -w ws"],
    "review resolve": ["voc review resolve 3fa2c1 --outcome overturned --reason 申诉成立 -w ws"],
    "review history": ["voc review history -w ws --since 2026-11-01",
                       "voc review history -w ws --out audit/review.csv"],
    "review scorecard": ["voc review scorecard -w ws", "voc review scorecard -w ws --by team --json"],
    "topics": ["voc topics fit transcripts.jsonl --out topics -w ws",
               "voc topics assign new.jsonl --out topics/new -w ws"],
    "topics fit": ["voc topics fit transcripts.jsonl --out topics -w ws",
                   "voc topics fit complaints.csv --text-col 内容 --out topics --json"],
    "topics assign": ["voc topics assign new.jsonl --out topics/new -w ws",
                      "voc topics assign chats.csv --text-col 内容 --out topics/chats --json"],
}


def epilog(path: str) -> str | None:
    """The examples of a command as help text (rich shows paragraphs as lines)."""
    lines = EXAMPLES.get(path)
    if not lines:
        return None
    return "\n\n".join(["Examples:", *("  " + x for x in lines)])
