import pickle

import numpy as np
import pytest

from priorgraph.core.errors import EmbeddingFileError, UsageError
from priorgraph.ingest import genept
from priorgraph.ingest.gene_resolution import GeneResolver
from priorgraph.kg import cypher
from priorgraph.kg.writer import Provenance
from priorgraph.queries import features

PROV = Provenance("test.genept", "1")
KNOWN = {"KLF1", "GATA1", "TAL1", "CD3E"}


def write_csv(path, text):
    path.write_text(text)
    return path


def test_csv_with_pandas_header_reads_symbols_and_values(tmp_path):
    path = write_csv(tmp_path / "e.csv", ",0,1,2\nKLF1,1,0,0\nGATA1,0.5,0.5,0\n")
    table = genept.load_file(path, KNOWN, model="m")
    assert table.symbols == ["KLF1", "GATA1"]
    assert table.matrix.tolist() == [[1, 0, 0], [0.5, 0.5, 0]]
    assert table.dimension == 3 and table.model == "m"


def test_every_problem_is_reported_with_file_and_line(tmp_path):
    path = write_csv(tmp_path / "bad.csv", "gene,a,b,c\nKLF1,1,0,0\nGATA1,1,0\nTAL1,nan,1,1\n"
                     "CD3E,0,0,0\nKLF1,0,1,0\nNOPE,1,1,1\n")  # fmt: skip
    with pytest.raises(EmbeddingFileError) as err:
        genept.load_file(path, KNOWN, model="m")
    assert [str(p) for p in err.value.problems] == [
        f"{path}:3 (GATA1): dimension 2, expected 3",
        f"{path}:4 (TAL1): 1 non-finite value(s) (NaN/inf), first at column 1",
        f"{path}:5 (CD3E): zero vector (cosine similarity undefined)",
        f"{path}:6 (KLF1): duplicate symbol (first at {path}:2)",
        f"{path}:7 (NOPE): unknown gene symbol",
    ]
    assert "nothing written" in str(err.value)


def test_unknown_symbols_can_be_skipped_and_are_listed(tmp_path):
    path = write_csv(tmp_path / "e.csv", ",0,1\nctrl,0,0\nKLF1,1,0\nRETIRED1,0,1\n")
    table = genept.load_file(path, KNOWN, skip_unknown=True, model="m")
    assert table.symbols == ["KLF1"]
    assert [(p.subject, p.location) for p in table.unknown] == [
        ("ctrl", f"{path}:2"), ("RETIRED1", f"{path}:4"),
    ]  # fmt: skip


def test_pickle_dict_and_npz_are_read(tmp_path):
    pkl = tmp_path / "e.pickle"
    pkl.write_bytes(pickle.dumps({"KLF1": [1.0, 2.0], "GATA1": np.array([3.0, 4.0])}))
    table = genept.load_file(pkl, KNOWN, model="ada")
    assert table.symbols == ["KLF1", "GATA1"] and table.matrix.tolist() == [[1, 2], [3, 4]]
    npz = tmp_path / "e.npz"
    np.savez(npz, genes=np.array(["TAL1"]), embeddings=np.array([[0.0, 1.0]]), model="mini")
    assert genept.load_file(npz, KNOWN).model == "mini"


def test_pickle_that_runs_code_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"KLF1": Evil()}))
    with pytest.raises(EmbeddingFileError, match="refused: the pickle would call builtins.print"):
        genept.load_file(path, KNOWN)


@pytest.mark.slow
def test_real_adamson_matrix_validates_against_ensembl(shared_data, monkeypatch):
    monkeypatch.setenv("PRIORGRAPH_DATA_DIR", str(shared_data))
    genes = GeneResolver.load(None)  # the registered human tables, from the mirror
    path = shared_data / "genept/genept_ada002_adamson86.csv.gz"
    with pytest.raises(EmbeddingFileError, match="ctrl"):
        genept.load_file(path, None, model="text-embedding-ada-002", genes=genes)
    table = genept.load_file(
        path, None, skip_unknown=True, model="text-embedding-ada-002", genes=genes
    )
    # GEARS' control row; the 11 symbols renamed by HGNC since are resolved (AARS → AARS1, …)
    assert [p.subject for p in table.unknown] == ["ctrl"]
    assert table.names.renamed == {
        "AARS": "AARS1", "ATP5B": "ATP5F1B", "CARS": "CARS1", "DARS": "DARS1", "QARS": "QARS1",
        "HARS": "HARS1", "MARS": "MARS1", "SARS": "SARS1", "SRPR": "SRPRA", "TARS": "TARS1",
        "SLMO2": "PRELID3B",
    }  # fmt: skip
    assert table.matrix.shape == (86, 1536)
    assert np.allclose(np.linalg.norm(table.matrix, axis=1), 1.0, atol=1e-3)  # ada-002: unit


def small_table(vectors: dict[str, list[float]], model: str = "m") -> genept.EmbeddingTable:
    return genept.EmbeddingTable("t.csv", list(vectors), np.array(list(vectors.values()),
                                 dtype=np.float32), model)  # fmt: skip


VECTORS = {"KLF1": [1.0, 0.0, 0.0], "GATA1": [0.9, 0.1, 0.0], "TAL1": [0.6, 0.8, 0.0],
           "CD3E": [0.0, 0.0, 1.0]}  # fmt: skip


def test_store_creates_index_keeps_gene_provenance_and_is_idempotent(graph):
    graph.write("CREATE (:Gene {id: 'human:KLF1', symbol: 'KLF1', species: 'human', source: 'go'})")
    first = genept.store(graph, small_table(VECTORS), PROV, progress=False)
    assert (first.stored, first.genes_created, first.dimension) == (4, 3, 3)
    info = genept.index_info(graph, genept.get_kind("genept"))
    assert (info["state"], info["dimension"], info["similarity"]) == ("ONLINE", 3, "COSINE")
    second = genept.store(graph, small_table(VECTORS), PROV, progress=False)
    assert (second.stored, second.genes_created) == (4, 0)
    rows = graph.read("MATCH (g:Gene) RETURN g.symbol AS s, g.source AS src, g.genept AS v, "
                      "g.genept_model AS m, g.genept_source AS gs ORDER BY s")  # fmt: skip
    assert [(r["s"], r["src"], r["m"], r["gs"]) for r in rows] == [
        ("CD3E", "test.genept", "m", "test.genept"), ("GATA1", "test.genept", "m", "test.genept"),
        ("KLF1", "go", "m", "test.genept"), ("TAL1", "test.genept", "m", "test.genept"),
    ]  # fmt: skip
    assert rows[2]["v"] == [1.0, 0.0, 0.0]
    source = graph.read("MATCH (s:Source {id: 'test.genept'}) RETURN s.model AS m, s.genes AS n")
    assert source == [{"m": "m", "n": 4}]


def test_another_model_or_dimension_needs_replace(graph):
    genept.store(graph, small_table(VECTORS), PROV, progress=False)
    other = small_table({"KLF1": [1.0, 2.0]}, model="other")
    with pytest.raises(UsageError, match=r"another model: m \(3-d, 4 genes\)"):
        genept.store(graph, other, PROV, progress=False)
    result = genept.store(graph, other, PROV, replace=True, progress=False)
    assert result.stored == 1
    assert genept.index_info(graph, genept.get_kind("genept"))["dimension"] == 2
    assert genept.stored_models(graph, genept.get_kind("genept")) == [
        {"model": "other", "dimension": 2, "genes": 1}
    ]
    assert graph.read(
        "MATCH (g:Gene {symbol: 'TAL1'}) RETURN g.genept AS v, g.genept_model AS m"
    ) == [{"v": None, "m": None}]


def similar(graph, symbol: str) -> list[tuple[str, float]]:
    """What a reader sees: the nearest genes of ``symbol`` through the kind's current slot."""
    rows = cypher.run(graph, "genept_similar", gene_id=f"human:{symbol}", k=3, candidates=3,
                      **genept.get_kind("genept").params())  # fmt: skip
    return [(r["symbol"], r["cosine"]) for r in rows]


def test_replace_switches_readers_in_one_step_and_a_crash_keeps_the_old_vectors(graph, monkeypatch):
    spec = genept.get_kind("genept")
    genept.store(graph, small_table(VECTORS), PROV, progress=False)
    before = similar(graph, "KLF1")
    assert before[0][0] == "GATA1"
    other = small_table({"KLF1": [1.0, 0.0], "CD3E": [0.9, 0.1], "TAL1": [0.0, 1.0]}, "other")

    def crash(*args, **kwargs):
        raise RuntimeError("client killed before the switch")

    with monkeypatch.context() as patched:
        patched.setattr(genept.versions, "publish", crash)
        with pytest.raises(RuntimeError, match="killed"):
            genept.store(graph, other, PROV, replace=True, progress=False)
    # the new vectors are written and indexed in the other slot, readers still see the old
    assert graph.read("MATCH (g:Gene) WHERE g.genept_b IS NOT NULL RETURN count(g) AS n") == [
        {"n": 3}
    ]
    assert similar(graph, "KLF1") == before
    assert features.fetch_vectors(graph, ["human:KLF1"])["human:KLF1"].tolist() == [1, 0, 0]
    assert genept.stored_models(graph, spec) == [{"model": "m", "dimension": 3, "genes": 4}]
    result = genept.store(graph, other, PROV, replace=True, progress=False)  # the re-run
    assert (result.stored, result.index) == (3, "gene_genept_b")
    assert similar(graph, "KLF1")[0][0] == "CD3E"
    assert features.fetch_vectors(graph, ["human:KLF1"])["human:KLF1"].tolist() == [1, 0]
    assert graph.read("MATCH (g:Gene) WHERE g.genept IS NOT NULL RETURN count(g) AS n") == [
        {"n": 0}
    ]  # the old slot is cleared and its index dropped
    assert genept.index_info(graph, spec)["name"] == "gene_genept_b"
    assert graph.read("SHOW VECTOR INDEXES YIELD name RETURN collect(name) AS n") == [
        {"n": ["gene_genept_b"]}
    ]


def test_a_load_of_the_same_model_keeps_genes_the_file_does_not_name(graph):
    genept.store(graph, small_table(VECTORS), PROV, progress=False)
    result = genept.store(graph, small_table({"KLF1": [0.0, 1.0, 0.0]}), PROV, progress=False)
    assert result.stored == 4  # KLF1 from the file, three genes kept from the current slot
    vectors = features.fetch_vectors(graph, [f"human:{s}" for s in VECTORS])
    assert vectors["human:KLF1"].tolist() == [0, 1, 0]
    assert vectors["human:CD3E"].tolist() == [0, 0, 1]
    assert genept.stored_models(graph, genept.get_kind("genept")) == [
        {"model": "m", "dimension": 3, "genes": 4}
    ]
    genept.remove(graph, genept.get_kind("genept"))
    assert features.fetch_vectors(graph, ["human:KLF1"]) == {}
