import gzip
import io
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

from priorgraph.core.errors import InputError, SplitFileError
from priorgraph.core.utils import dense, open_text, progress, progress_step, read_json, read_words


def test_open_text_reads_plain_and_gzipped_files(tmp_path):
    (tmp_path / "a.txt").write_text("x\ty\n")
    with gzip.open(tmp_path / "a.txt.gz", "wt") as handle:
        handle.write("x\ty\n")
    for name in ("a.txt", "a.txt.gz"):
        with open_text(tmp_path / name) as handle:
            assert handle.read() == "x\ty\n"
    (tmp_path / "b.csv").write_bytes(b"a,b\r\n")
    with open_text(tmp_path / "b.csv", newline="") as handle:
        assert handle.read() == "a,b\r\n"  # csv's newline handling left to the csv module


def test_dense_accepts_sparse_and_dense_input():
    x = sp.csr_matrix([[0, 2], [1, 0]])
    assert dense(x).tolist() == [[0, 2], [1, 0]] and dense(x).dtype == np.float64
    assert dense(np.array([[1, 2]]), np.float32).dtype == np.float32


def test_progress_is_silent_unless_asked_and_on_a_terminal(capsys):
    with progress(total=3, desc="work", enabled=False) as bar:
        bar.update(3)
    assert list(progress(range(3), desc="work")) == [0, 1, 2]
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""  # pytest's stderr is not a terminal


def read_all(path):
    with open_text(path) as handle:
        return handle.read()


def test_open_text_names_file_and_line_of_bytes_that_are_not_utf8(tmp_path):
    path = tmp_path / "genes.tsv"
    path.write_bytes(b"KLF1\tGO:0000001\nCAF\xc9\tGO:0000002\n")
    with pytest.raises(InputError) as caught:
        read_all(path)
    assert str(caught.value) == (
        f"{path}:2: not UTF-8 text: byte 0xc9 (byte 4 of the line) cannot be decoded; "
        "save the file as UTF-8"
    )


def test_open_text_names_truncated_and_fake_gzip_files(tmp_path):
    full = tmp_path / "full.tsv.gz"
    with gzip.open(full, "wt") as handle:
        handle.writelines(f"gene{i}\tGO:{i:07d}\n" for i in range(50_000))
    cut = tmp_path / "cut.tsv.gz"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(InputError) as caught:
        read_all(cut)
    message = str(caught.value)
    assert message.startswith(f"{cut}:") and "truncated gzip file" in message
    line = int(message.split(":")[1])
    assert 1_000 < line < 50_000 and f"ends after line {line - 1:,}," in message
    fake = tmp_path / "plain.tsv.gz"
    fake.write_text("KLF1\tGO:0000001\n")
    with pytest.raises(InputError, match=r"plain.tsv.gz:1: not a gzip file"):
        read_all(fake)
    with pytest.raises(InputError, match=r"nothing.tsv: no such file"):
        read_all(tmp_path / "nothing.tsv")


def test_open_text_lets_errors_of_the_reader_itself_through(tmp_path):
    path = tmp_path / "ok.txt"
    path.write_text("fine\n")
    with pytest.raises(UnicodeDecodeError), open_text(path) as handle:
        handle.read()
        b"\xff".decode()  # a bug of the reader, not a problem of the file


def test_read_json_and_read_words(tmp_path):
    good = tmp_path / "a.json"
    good.write_text('{"KLF1": "text"}')
    assert read_json(good) == {"KLF1": "text"}
    cut = tmp_path / "cut.json"
    cut.write_text('{"KLF1": "text",\n "GATA1": ')
    with pytest.raises(SplitFileError, match=r"cut.json:2: not valid JSON: Expecting value"):
        read_json(cut, error=SplitFileError)
    words = tmp_path / "genes.txt"
    words.write_text("KLF1 GATA1\n\nTAL1\n")
    assert read_words(words) == ["KLF1", "GATA1", "TAL1"]


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so progress bars draw on it."""

    def isatty(self) -> bool:
        return True


def test_progress_step_shows_the_step_and_its_time_on_a_terminal_only(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_step("parsing GO", interval=0.05) as bar:
        time.sleep(0.2)  # the ticker redraws meanwhile: the step is visibly alive
        bar.set_postfix_str("3 files")
    drawn = terminal.getvalue()
    assert drawn.count("parsing GO: 00:00") >= 3 and "parsing GO: 00:00, 3 files" in drawn
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or file: nothing drawn
    with progress_step("parsing GO") as bar:
        assert bar.disable
    assert sys.stderr.getvalue() == ""
