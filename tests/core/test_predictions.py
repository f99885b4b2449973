import json

import numpy as np
import pytest

from priorgraph.core.errors import PredictionFileError
from priorgraph.core.predictions import MANIFEST, PredictionMatrix, chunk_shape, stale_folders

CONDITIONS = ["A+ctrl", "B+ctrl", "A+B"]
GENES = [f"human:G{i}" for i in range(5)]


def write(directory, delta=None, sd=None) -> PredictionMatrix:
    delta = np.arange(15, dtype=np.float32).reshape(3, 5) if delta is None else delta
    return PredictionMatrix.write(directory, conditions=CONDITIONS, genes=GENES, delta=delta,
                                  sd=sd, attributes={"run": "r1"})  # fmt: skip


def test_chunks_hold_every_row_and_about_a_megabyte():
    assert chunk_shape(10_000, 8_000) == (10_000, 26)
    assert chunk_shape(25, 299) == (25, 299)
    assert chunk_shape(100_000, 10) == (16_384, 10)


def test_a_written_matrix_reads_back_by_gene_and_by_condition(tmp_path):
    sd = np.full((3, 5), 0.5, dtype=np.float32)
    matrix = write(tmp_path, sd=sd)
    assert matrix.path.parent == tmp_path and matrix.path.name.startswith("predictions-")
    opened = PredictionMatrix.open(matrix.path, sha256=matrix.sha256)
    assert opened.shape == (3, 5) and opened.has_sd and opened.attributes == {"run": "r1"}
    delta, spread = opened.gene("human:G2")
    assert delta.tolist() == [2.0, 7.0, 12.0] and spread.tolist() == [0.5] * 3
    assert opened.condition("B+ctrl")[0].tolist() == [5.0, 6.0, 7.0, 8.0, 9.0]
    with pytest.raises(KeyError):
        opened.gene("human:NOPE")
    # the same content again reuses the folder; other content gets its own
    assert write(tmp_path, sd=sd).path == matrix.path
    other = write(tmp_path, delta=np.zeros((3, 5), dtype=np.float32))
    assert other.path != matrix.path and not other.has_sd
    assert other.gene("human:G0")[0].tolist() == [0.0] * 3  # chunks of fill values: no files
    assert stale_folders(tmp_path, keep=other.path) == [matrix.path]


def test_a_changed_or_swapped_file_is_refused(tmp_path):
    matrix = write(tmp_path)
    with pytest.raises(PredictionFileError, match="does not match the run's recorded sha256"):
        PredictionMatrix.open(matrix.path, sha256="0" * 64)
    chunk = next(p for p in (matrix.path / "delta").rglob("*") if p.is_file() and "c" in p.parts)
    chunk.write_bytes(chunk.read_bytes()[:-1])
    opened = PredictionMatrix.open(matrix.path, sha256=matrix.sha256)  # the manifest is intact
    with pytest.raises(PredictionFileError, match="does not match the manifest's sha256"):
        opened.gene("human:G0")
    chunk.unlink()
    with pytest.raises(PredictionFileError, match="is missing"):
        opened.gene("human:G0")
    manifest = json.loads((matrix.path / MANIFEST).read_text())
    assert manifest["content_hash"] == matrix.content_hash
    assert "delta/zarr.json" in manifest["files"]
    with pytest.raises(PredictionFileError, match="manifest.json missing"):
        PredictionMatrix.open(tmp_path / "nothing")


def test_shapes_must_match_the_labels(tmp_path):
    with pytest.raises(ValueError, match=r"delta has shape \(2, 5\), labels say \(3, 5\)"):
        write(tmp_path, delta=np.zeros((2, 5), dtype=np.float32))
    assert not any(tmp_path.iterdir())
