import json

import numpy as np
import pytest

from priorgraph.core.errors import PerturbSeqError, SplitFileError, UsageError
from priorgraph.core.pseudobulk import Pseudobulk
from priorgraph.core.splits import Split


def split() -> Split:
    return Split("s1", "toy", "double", 1, train=["A+ctrl", "ctrl"], val=["A+B"],
                 test=["B+C"], subgroups={"double": ["B+C"]})  # fmt: skip


def test_split_assignment_and_json_round_trip(tmp_path):
    s = split()
    assert s.assignment() == {"A+ctrl": "train", "ctrl": "train", "A+B": "val", "B+C": "test"}
    assert s.subgroup_of() == {"B+C": "double"}
    path = s.save(tmp_path)
    assert json.loads(path.read_text())["name"] == "s1" and Split.load(path) == s
    s.save(tmp_path)  # the same split again: fine
    with pytest.raises(SplitFileError, match="a different split named 's1' exists"):
        Split("s1", "toy", "double", 2, train=[], val=[], test=[]).save(tmp_path)
    with pytest.raises(SplitFileError, match=r"nope.json: no such split"):
        Split.load(tmp_path / "nope.json")


def pseudobulk() -> Pseudobulk:
    means = np.array([[1.0, 0.0], [2.0, 3.0]])
    return Pseudobulk(
        dataset="toy", genes=["G0", "G1"], conditions=["A+ctrl", "A+B"],
        targets=[("A",), ("A", "B")], means=means, n_cells=np.array([5, 6]),
        control_mean=np.array([1.0, 1.0]), perturbed_mean=means.mean(0), n_control=7,
        de_order=np.array([[1, 0], [1, 0]]), de_scores=np.ones((2, 2)), rest_scores=np.ones((2, 2)),
        non_zero=means != 0, non_dropout=means != 0, normalisation="log_normalised",
        variances=np.array([[0.5, 1.0], [2.0, 4.0]]), control_variance=np.array([1.4, 0.7]),
    )  # fmt: skip


def test_pseudobulk_round_trip_and_clear_errors(tmp_path):
    pb = pseudobulk()
    assert pb.deltas.tolist() == [[0.0, -1.0], [1.0, 2.0]]
    assert pb.de_rank().tolist() == [[2, 1], [2, 1]]
    assert pb.mean_variances.tolist() == [[0.1, 0.2], [2.0 / 6, 4.0 / 6]]
    assert pb.control_mean_variance.tolist() == pytest.approx([0.2, 0.1])
    digest = pb.save(tmp_path / "pb.npz")
    again = Pseudobulk.load(tmp_path / "pb.npz", digest)
    assert again.targets == pb.targets and again.content_hash() == digest
    with pytest.raises(UsageError, match="toy has no condition 'Z\\+ctrl'"):
        pb.row("Z+ctrl")
    with pytest.raises(PerturbSeqError, match="no pseudobulk file"):
        Pseudobulk.load(tmp_path / "missing.npz")
    with pytest.raises(PerturbSeqError, match="does not match its recorded hash"):
        Pseudobulk.load(tmp_path / "pb.npz", "0" * 64)
