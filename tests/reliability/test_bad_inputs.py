"""Issue 15, "errors that lose the file": every bad input ends in one line naming file, line
(where there is one) and problem, exit code 1, no traceback.

Text readers (all through ``priorgraph.core.utils.open_text``) are tried with bytes that are
not UTF-8 and with a truncated gzip; binary readers with truncated, HTML and foreign files.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from priorgraph.ingest.perturbseq import synthetic_perturbseq

GAF_LINE = "\t".join(["UniProtKB", "P1", "KLF1", "", "GO:0000001", "PMID:1", "IDA", "", "P",
                      "", "", "protein", "taxon:9606", "20240101", "GO", "", ""])  # fmt: skip

FILE, OBO, OUT = "{file}", "{obo}", "{out}"  # filled in by command()
# reader → (file name, a valid line, the command that reads the file)
TEXT_READERS = {
    "GO ontology": ("go.obo", "format-version: 1.2", ["ingest", "go", "--obo", FILE]),
    "GO table": ("ann.tsv", "KLF1\tGO:0000001", ["ingest", "go", "--obo", OBO, "--table", FILE]),
    "GAF": ("goa.gaf", GAF_LINE, ["ingest", "go", "--obo", OBO, "--gaf", FILE]),
    "peaks": ("peaks.bed", "chr1\t100\t200", ["peaks", "load", FILE, "-a", "hg38"]),
    "gene coordinates": ("genes.bed", "chr1\t100\t200\tKLF1\tENSG1\t+\tprotein_coding",
                         ["peaks", "genes", FILE, "-a", "hg38"]),
    "peak-gene links": ("links.tsv", "peak\tgene\tscore",
                        ["peaks", "import-links", FILE, "-a", "hg38", "--method", "abc"]),
    "GenePT table": ("emb.csv", "KLF1,0.1,0.2",
                     ["ingest", "genept", FILE, "--model", "m", "--reference", "none"]),
    "gene summaries": ("summaries.tsv", "symbol\tdescription", ["embed", FILE, "--dry-run"]),
    "GO graph gene list": ("genes.txt", "KLF1", ["go-graph", "build", "--genes", FILE]),
    "export gene list": ("genes.txt", "KLF1",
                         ["export", "go-graph", "--genes", FILE, "--out", OUT]),
    "feature id list": ("ids.txt", "KLF1", ["export", "gene-features", "--ids", FILE, "--out",
                                            OUT]),
}  # fmt: skip


def command(reader: str, path: Path, obo: Path) -> list[str]:
    """The reader's command line for ``path`` (the output, if any, beside it)."""
    places = {FILE: str(path), OBO: str(obo), OUT: str(path.parent / "out.npz")}
    return [places.get(arg, arg) for arg in TEXT_READERS[reader][2]]


@pytest.mark.parametrize("reader", sorted(TEXT_READERS))
def test_bytes_that_are_not_utf8(cli, tmp_path, tiny_obo, one_line_error, reader):
    name, line, _ = TEXT_READERS[reader]
    path = tmp_path / name
    path.write_bytes(line.encode() + b"\nKLF1 caf\xe9 au lait\n" + line.encode() + b"\n")
    result = cli(*command(reader, path, tiny_obo))
    one_line_error(result, f"{path}:2: not UTF-8 text: byte 0xe9 (byte 9 of the line)")


@pytest.mark.parametrize("reader", sorted(TEXT_READERS))
def test_a_truncated_gzip(cli, tmp_path, tiny_obo, one_line_error, reader):
    name, line, _ = TEXT_READERS[reader]
    path = tmp_path / f"{name}.gz"
    whole = gzip.compress(f"{line}\n".encode() * 40_000, mtime=0)
    path.write_bytes(whole[: len(whole) // 2])
    result = cli(*command(reader, path, tiny_obo))
    text = one_line_error(result, f"{path}:")
    assert "truncated gzip file: the compressed data ends after line" in text


def test_summaries_json_that_is_not_utf8_or_cut_short(cli, tmp_path, one_line_error):
    path = tmp_path / "summaries.json"
    path.write_bytes(b'{"KLF1": "a",\n "GATA1": "caf\xe9"}\n')
    one_line_error(cli("embed", path, "--dry-run"), f"{path}:2: not UTF-8 text")
    path.write_text('{"KLF1": "a",\n "GATA1": ')
    one_line_error(cli("embed", path, "--dry-run"), f"{path}:2: not valid JSON: Expecting value")


def test_graphml_that_is_not_graphml(cli, tmp_path, one_line_error):
    path = tmp_path / "guidance.graphml"
    path.write_text("<!DOCTYPE html>\n<html><body>502 Bad Gateway</body>\n")
    one_line_error(cli("guidance", "validate", path), f"{path}:3: not valid GraphML:")


def broken_h5ad(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Truncated, HTML and foreign files named ``.h5ad``, with the problem each must report."""
    good = tmp_path / "good.h5ad"
    synthetic_perturbseq(seed=1).write_h5ad(good)
    cases = {
        "truncated.h5ad": (good.read_bytes()[:4_000], "truncated h5ad file (copy it again)"),
        "page.h5ad": (b"<!DOCTYPE html>\n<html><body>Access denied</body></html>\n",
                      "an HTML page, not an h5ad file"),
        "table.h5ad": (b"cell,gene,count\n", "not an h5ad file: no HDF5 signature"),
    }  # fmt: skip
    out = {}
    for name, (content, problem) in cases.items():
        (tmp_path / name).write_bytes(content)
        out[name] = (tmp_path / name, problem)
    return out


def test_broken_h5ad_files(offline_cli, tmp_path, one_line_error):
    for path, problem in broken_h5ad(tmp_path).values():
        result = offline_cli("ingest", "perturbseq", path, "--dataset", "x", "--no-graph")
        one_line_error(result, f"{path}: {problem}")
        result = offline_cli("ingest", "coexpression", path, "--dataset", "x")
        one_line_error(result, f"{path}: {problem}")
    assert not (tmp_path / "home" / "perturbseq" / "x").exists()


def test_truncated_genept_npz(cli, tmp_path, one_line_error):
    path = tmp_path / "emb.npz"
    np.savez_compressed(path, genes=np.array(["KLF1"] * 2_000),
                        embeddings=np.random.default_rng(0).random((2_000, 64)))  # fmt: skip
    path.write_bytes(path.read_bytes()[:3_000])
    result = cli("ingest", "genept", path, "--model", "m", "--reference", "none")
    one_line_error(result, f"{path}: truncated NPZ archive")


def test_broken_files_of_an_ingested_data_set(offline_cli, tmp_path, one_line_error):
    """The stored pseudobulk (NPZ) and dataset.json, cut short; a features table not UTF-8."""
    h5ad = tmp_path / "toy.h5ad"
    synthetic_perturbseq(seed=2).write_h5ad(h5ad)
    assert (
        offline_cli("ingest", "perturbseq", h5ad, "--dataset", "toy", "--no-graph").exit_code == 0
    )
    made = offline_cli("split", "create", "toy", "d1", "--kind", "double", "--no-graph")
    assert made.exit_code == 0, made.output
    features = tmp_path / "features.tsv"
    features.write_bytes(b"gene\tf1\nG0\t0.5\nG\xe91\t0.25\n")
    result = offline_cli("baseline", "toy", "d1", "--model", "linear", "--features", features,
                         "--no-write")  # fmt: skip
    one_line_error(result, f"{features}:3: not UTF-8 text")
    store = tmp_path / "home" / "perturbseq" / "toy"
    pseudobulk = store / "pseudobulk.npz"
    pseudobulk.write_bytes(pseudobulk.read_bytes()[:1_000])
    result = offline_cli("split", "create", "toy", "d2", "--kind", "double", "--no-graph")
    one_line_error(result, f"{pseudobulk}: truncated NPZ archive")
    record = store / "dataset.json"
    record.write_text(record.read_text()[:100])
    result = offline_cli("split", "create", "toy", "d2", "--kind", "double", "--no-graph")
    one_line_error(result, f"{record}:")
    assert "not valid JSON" in result.stderr
