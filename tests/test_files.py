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


# -- folders: a sibling folder, then one swap ----------------------------------------------------

def _write_output(folder, tag: str, pages=("index.html", "calls/a.html")):
    import json

    for p in pages:
        (folder / p).parent.mkdir(parents=True, exist_ok=True)
        (folder / p).write_text(tag)
    (folder / "manifest.json").write_text(json.dumps({"generator": "voc test", "tag": tag,
                                                      "pages": {p: p for p in pages}}))


def _ours(rel, manifest):
    return manifest is not None and rel in manifest["pages"]


def test_a_folder_is_swapped_in_whole(tmp_path):
    from voc.files import staged_dir

    out = tmp_path / "dash"
    with staged_dir(out, "voc test", _ours) as tmp:
        _write_output(tmp, "old")
        assert not out.exists()                       # nothing at the target while writing
    assert (out / "calls" / "a.html").read_text() == "old"
    with staged_dir(out, "voc test", _ours) as tmp:
        _write_output(tmp, "new", pages=("index.html",))
        assert (out / "index.html").read_text() == "old"   # readers still see the old output
    assert (out / "index.html").read_text() == "new"
    assert not (out / "calls").exists()              # the old output's page is gone with it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dash"]  # no sibling left


def test_a_failed_write_leaves_the_old_folder_and_no_sibling(tmp_path):
    from voc.files import staged_dir

    out = tmp_path / "dash"
    with staged_dir(out, "voc test") as tmp:
        _write_output(tmp, "old")
    with pytest.raises(KeyboardInterrupt), staged_dir(out, "voc test") as tmp:
        (tmp / "index.html").write_text("half")
        raise KeyboardInterrupt
    assert (out / "index.html").read_text() == "old" and (out / "calls" / "a.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dash"]


def test_leftovers_of_a_dead_writer_are_removed_by_the_next_start(tmp_path):
    import subprocess
    import sys

    from voc.files import staged_dir

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    left = tmp_path / f".dash.voc-staging-{int(dead.stdout)}-deadbeef"
    (left / "calls").mkdir(parents=True)
    (left / "index.html").write_text("half")
    alive = tmp_path / ".dash.voc-staging-1-cafe0000"  # pid 1 is alive: another writer's, kept
    alive.mkdir()
    with staged_dir(tmp_path / "dash", "voc test") as tmp:
        _write_output(tmp, "new")
    assert not left.exists() and alive.exists()


def test_files_that_are_not_the_old_output_are_carried_over(tmp_path):
    from voc.files import staged_dir

    out = tmp_path / "site"
    (out / "calls").mkdir(parents=True)
    (out / "calls" / "notes.html").write_text("my notes")   # no manifest: nothing is voc's
    (out / "index.html").write_text("my index")
    with staged_dir(out, "voc test", _ours) as tmp:
        _write_output(tmp, "old")
    assert (out / "calls" / "notes.html").read_text() == "my notes"
    assert (out / "index.html").read_text() == "old"        # written by the new output
    with staged_dir(out, "voc test", _ours) as tmp:
        _write_output(tmp, "new", pages=("index.html",))
    assert not (out / "calls" / "a.html").exists()          # the old output's, gone
    assert (out / "calls" / "notes.html").read_text() == "my notes"


def test_a_file_in_the_way_is_refused_not_swapped(tmp_path):
    from voc.errors import InputError
    from voc.files import staged_dir

    (tmp_path / "dash").write_text("a file")
    with pytest.raises(InputError, match="dash: not a folder"), staged_dir(tmp_path / "dash", "voc test"):
        pass
    assert (tmp_path / "dash").read_text() == "a file" and len(list(tmp_path.iterdir())) == 1
