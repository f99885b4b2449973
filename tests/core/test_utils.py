import gzip
import io
import sys
import time

import numpy as np
import scipy.sparse as sp

from priorgraph.core.utils import dense, open_text, progress, progress_step


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
