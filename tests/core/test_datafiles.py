import collections
import os
import pickle
import zipfile

import anndata
import numpy as np
import pytest

from priorgraph.core.datafiles import load_npz, load_pickle, looks_like_html, read_h5ad
from priorgraph.core.errors import GOFileError, InputError


class RunsCode:
    """What a hostile pickle holds: unpickling it would call os.system."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def unpickle(path, error=InputError):
    with open(path, "rb") as handle:
        return load_pickle(handle, path=path, error=error)


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_plain_data_pickles_load_in_every_protocol(tmp_path, protocol):
    data = {
        "KLF1": {"GO:0000001", "GO:0000002"},
        "vec": np.array([1.5, 2.5], dtype=np.float32),
        "scalar": np.float64(3.0),
        "names": np.array(["a", "bc"]),
        "nested": collections.OrderedDict(a=[1, (2, 3)], b=frozenset({4})),
        "factory": collections.defaultdict(list, {"x": [1]}),
        "bytes": b"\x00\x01",
    }
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(data, protocol=protocol))
    loaded = unpickle(path)
    assert loaded["KLF1"] == {"GO:0000001", "GO:0000002"}
    assert loaded["vec"].dtype == np.float32 and loaded["vec"].tolist() == [1.5, 2.5]
    assert loaded["scalar"] == 3.0 and loaded["names"].tolist() == ["a", "bc"]
    assert loaded["nested"] == {"a": [1, (2, 3)], "b": frozenset({4})}
    assert loaded["factory"]["x"] == [1] and loaded["bytes"] == b"\x00\x01"


def test_a_pickle_that_would_run_code_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    path = tmp_path / "gene2go.pkl"
    path.write_bytes(pickle.dumps({"KLF1": RunsCode(marker)}))
    with pytest.raises(GOFileError) as caught:
        unpickle(path, GOFileError)
    message = str(caught.value)
    assert message.startswith(f"{path}: refused: the pickle would call ")
    assert "system" in message and "\n" not in message
    assert not marker.exists()


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"<!DOCTYPE html><html><body>403 Forbidden</body></html>", "an HTML page, not a pickle"),
        (pickle.dumps({"A": list(range(100))})[:40], "not a readable pickle (UnpicklingError"),
        (b"\x00\x01garbage", "not a readable pickle"),
    ],
)
def test_broken_pickles_are_one_line_errors(tmp_path, content, problem):
    path = tmp_path / "x.pkl"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        unpickle(path)
    assert str(caught.value).startswith(f"{path}: {problem}") and "\n" not in str(caught.value)


def test_html_is_recognised_after_a_byte_order_mark_or_blank_lines():
    assert looks_like_html(b"\xef\xbb\xbf\n  <!doctype html>")
    assert looks_like_html(b"<?xml version='1.0'?>")
    assert not looks_like_html(b"PK\x03\x04") and not looks_like_html(b"")


def test_npz_arrays_are_read_eagerly(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(3), names=np.array(["a", "b"]))
    arrays = load_npz(path)
    assert arrays["x"].tolist() == [0, 1, 2] and arrays["names"].tolist() == ["a", "b"]


def test_broken_npz_files_are_one_line_errors(tmp_path):
    good = tmp_path / "good.npz"
    np.savez_compressed(good, x=np.arange(10_000))
    cases = {
        "truncated.npz": (good.read_bytes()[:500], "truncated NPZ archive"),
        "page.npz": (b"<html>404</html>", "an HTML page, not an NPZ archive"),
        "text.npz": (b"genes,embeddings\n", "not an NPZ archive"),
    }
    objects = tmp_path / "objects.npz"
    np.savez(objects, x=np.array([{"a": 1}], dtype=object))
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    bad_member = tmp_path / "bad_member.npz"
    with zipfile.ZipFile(bad_member, "w") as archive:
        archive.writestr("x.npy", b"\x93NUMPY garbage")
    expected = {name: problem for name, (_, problem) in cases.items()}
    expected |= {
        "objects.npz": "holds arrays of Python objects (pickles), which are refused",
        "bad_member.npz": "corrupt NPZ archive",
        "missing.npz": "no such file",
    }
    for name, problem in expected.items():
        with pytest.raises(InputError) as caught:
            load_npz(tmp_path / name)
        assert str(caught.value).startswith(f"{tmp_path / name}: {problem}"), str(caught.value)
        assert "\n" not in str(caught.value)


def test_h5ad_files_read_and_broken_ones_are_one_line_errors(tmp_path):
    good = tmp_path / "good.h5ad"
    anndata.AnnData(np.ones((20, 5), dtype=np.float32)).write_h5ad(good)
    assert read_h5ad(good).shape == (20, 5)
    backed = read_h5ad(good, backed=True)
    assert backed.isbacked and backed.n_vars == 5
    backed.file.close()
    content = good.read_bytes()
    cases = {
        "truncated.h5ad": (content[: len(content) // 2], "truncated h5ad file (copy it again)"),
        "page.h5ad": (b"<!DOCTYPE html>\n<html>", "an HTML page, not an h5ad file"),
        "text.h5ad": (b"cell,gene\n", "not an h5ad file: no HDF5 signature"),
    }
    for name, (data, problem) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(GOFileError) as caught:
            read_h5ad(tmp_path / name, error=GOFileError)
        assert str(caught.value).startswith(f"{tmp_path / name}: {problem}")
        assert "\n" not in str(caught.value)
