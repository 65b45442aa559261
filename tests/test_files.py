"""Files written whole or not at all (voc.files)."""

from __future__ import annotations

import pytest

from voc.files import open_staged, staged, write_text


def test_in_place_only_when_done(tmp_path):
    out = tmp_path / "a.jsonl"
    out.write_text("old\n")
    with open_staged(out) as f:
        f.write("new\n")
        assert out.read_text() == "old\n"                  # readers still see the old file
        assert (tmp_path / "a.jsonl.partial").exists()
    assert out.read_text() == "new\n" and not (tmp_path / "a.jsonl.partial").exists()


def test_an_error_leaves_the_old_file_or_keeps_what_was_finished(tmp_path):
    out = tmp_path / "a.jsonl"
    write_text(out, "old\n")
    with pytest.raises(KeyboardInterrupt), open_staged(out) as f:
        f.write("half\n")
        raise KeyboardInterrupt
    assert out.read_text() == "old\n" and list(tmp_path.iterdir()) == [out]
    with pytest.raises(KeyboardInterrupt), open_staged(out, keep_on_error=True) as f:
        f.write("finished\n")
        raise KeyboardInterrupt
    assert out.read_text() == "finished\n" and list(tmp_path.iterdir()) == [out]


def test_staged_path_for_libraries_that_write_themselves(tmp_path):
    out = tmp_path / "book.bin"
    with staged(out) as tmp:
        tmp.write_bytes(b"xlsx")
    assert out.read_bytes() == b"xlsx"
