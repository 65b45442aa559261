"""Evaluation measures shared by tests and benchmark scripts."""

from __future__ import annotations

from voc.text.zh import strip_punct


def edit_distance(ref: str, hyp: str) -> int:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i]
        for j, h in enumerate(hyp, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h)))
        prev = cur
    return prev[-1]


def cer(refs: list[str], hyps: list[str]) -> float:
    """Character error rate over a corpus: punctuation and spaces removed, nothing else changed
    (a Traditional character where the reference has a Simplified one counts as an error)."""
    errors = total = 0
    for r, h in zip(refs, hyps, strict=True):
        r, h = strip_punct(r), strip_punct(h)
        errors += edit_distance(r, h)
        total += len(r)
    return errors / max(total, 1)
