"""Issue 12 item 6: the commands of README.md and docs/*.md run as written and do what they say.

One graph serves the whole module. The blocks of :data:`BLOCKS` run top to bottom, each line as
bash reads it (:func:`doc_commands.bash_argv`), in one fresh working directory, against the
tests' throw-away Neo4j (``NEO4J_*``): the README's data path (source file → ingest → graph →
export → model → write-back) and "Using it" blocks, then docs/peaks.md, genept.md, go.md,
queries.md, musegnn.md and perturbseq.md. ``PRIORGRAPH_DATA_DIR`` is a tiny generated mirror at
``../shared/data`` (:mod:`tiny_mirror`: the registered names the docs use, their checksums
dropped); the files a command takes from the user's directory (``genes.txt``,
``macaque_peaks.bed``, …) are written there first. Every line exits 0, every documented
``priorgraph query NAME -p …`` returns at least one row, what the docs show a command printing or
writing is checked, and the ``python`` blocks of docs/exports.md and docs/queries.md load what
the commands wrote. The one change to a line: ``RUN_ID``, the docs' placeholder, becomes the id
of the run that ``train`` or ``baseline`` wrote last.

Not run (``test_doc_commands.py`` checks that they parse): ``server start/stop/status`` and
``browser`` (a provisioned local Neo4j, not the test server); docs/genept.md's OpenAI call
(``OPENAI_API_KEY=… priorgraph embed …``: a key and the network); docs/perturbseq.md's benchmark
of every model on five folds (``--protocol doubles``: about 50 s even on tiny data; its
three-model ``unseen-singles`` line runs); docs/models.md's simulator block (150 genes, 30
singles and 50 doubles drawn from a real-size GO graph); docs/architecture.md's server and
Docker lines; the ``python`` fragments of docs/genept.md, models.md and perturbseq.md (they
use a ``graph`` and results of earlier code the page does not show).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import doc_commands  # tests/docs/conftest.py
import pytest
import tiny_mirror
from click.testing import CliRunner, Result

from priorgraph.kg.connection import Graph

NOT_RUN = (  # argv prefixes (docstring)
    ["server"], ["browser"], ["embed", "genept.summaries.207", "--out"],
    ["benchmark", "norman2019", "--protocol", "doubles"],
)  # fmt: skip
BLOCKS = [  # (document, a command of the block), in the order they run
    ("README.md", "priorgraph ingest go"),
    ("README.md", "source .venv/bin/activate"),
    ("docs/peaks.md", "priorgraph peaks genes ensembl.genes.human.109"),
    ("docs/peaks.md", "priorgraph query peaks_conserved_for_gene"),
    ("docs/genept.md", "priorgraph ingest genept genept.ada002.adamson86"),
    ("docs/go.md", "priorgraph ingest go --obo go-basic.obo"),
    ("docs/go.md", "priorgraph query go_shared_terms"),
    ("docs/queries.md", "priorgraph query go_neighbours"),
    ("docs/queries.md", "priorgraph effects --gene IRF1"),
    ("docs/musegnn.md", "priorgraph ingest coexpression"),
    ("docs/perturbseq.md", "priorgraph ingest perturbseq perturb.papalexi2021"),
]

PYTHON_DOCS = ["docs/exports.md", "docs/queries.md"]  # their ```python blocks run too

pytestmark = pytest.mark.slow


def block(doc: str, command: str) -> list[doc_commands.DocLine]:
    """The ``bash`` block of ``doc`` holding a line that starts with ``command``."""
    blocks = doc_commands.bash_lines(doc_commands.ROOT / doc)
    return next(b for b in blocks if any(line.text.startswith(command) for line in b))


def written_run(result: Result) -> str:
    """The id of the run a ``train`` or ``baseline`` command wrote (``run ID: …`` on stderr)."""
    return result.stderr.split("run ")[1].split(":")[0]


class DocRun:
    """Runs doc lines in-process, in order, and keeps each line's results."""

    def __init__(self, cwd: Path) -> None:
        self.cwd, self.run_id, self.runner = cwd, "", CliRunner()
        self.results: dict[doc_commands.DocLine, list[Result]] = {}
        self.rows: dict[doc_commands.DocLine, list[dict]] = {}  # named queries, as JSON
        self.python: dict = {}  # the namespace of the docs' python blocks

    def invoke(self, argv: list[str]) -> Result:
        from priorgraph.cli import main

        return self.runner.invoke(main, argv, catch_exceptions=False)

    def run(self, lines: list[doc_commands.DocLine]) -> None:
        for line in filter(doc_commands.runs_priorgraph, lines):
            for argv in doc_commands.bash_argv(line, cwd=self.cwd):
                if any(argv[: len(prefix)] == prefix for prefix in NOT_RUN):
                    continue
                argv = [self.run_id if word == "RUN_ID" else word for word in argv]
                result = self.invoke(argv)
                assert result.exit_code == 0, f"{line.where}: `{line.text}`:\n{result.output}"
                if argv[0] in ("train", "baseline") and "--no-write" not in argv:
                    self.run_id = written_run(result)
                self.results.setdefault(line, []).append(result)

    def line(self, doc: str, start: str) -> doc_commands.DocLine:
        """The one line of ``doc`` that ran and starts with ``start``."""
        (line,) = [ln for ln in self.results if ln.doc == doc and ln.text.startswith(start)]
        return line

    def output(self, doc: str, start: str) -> str:
        """The output of the one line of ``doc`` starting with ``start``."""
        return "".join(result.output for result in self.results[self.line(doc, start)])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("docs")


@pytest.fixture(scope="module")
def docs(neo4j_settings, clean_graph, workdir) -> DocRun:
    """Every block of :data:`BLOCKS`, run once on one graph."""
    cwd, mirror = workdir / "work", workdir / "shared" / "data"  # ../shared/data, as the docs
    cwd.mkdir()
    tiny_mirror.write_mirror(mirror)
    tiny_mirror.user_files(cwd)
    with Graph(neo4j_settings) as graph:
        clean_graph(graph)
    run = DocRun(cwd)
    with pytest.MonkeyPatch.context() as env:
        for name, value in {
            "NEO4J_URI": neo4j_settings.uri, "NEO4J_USER": neo4j_settings.user,
            "NEO4J_PASSWORD": neo4j_settings.password, "PRIORGRAPH_HOME": str(workdir / "home"),
            "PRIORGRAPH_DATA_DIR": str(mirror), "PRIORGRAPH_GENE_REFERENCE": "none",
        }.items():  # fmt: skip
            env.setenv(name, value)
        tiny_mirror.unpin(env)
        env.chdir(cwd)
        for doc, command in BLOCKS:
            run.run(block(doc, command))
        run.rows = {  # every documented named query again, as JSON
            line: json.loads(run.invoke([*argv, "--format", "json"]).output)
            for line in run.results
            if line.text.startswith("priorgraph query ")
            for argv in doc_commands.bash_argv(line, cwd=cwd)
            if len(argv) > 1  # `priorgraph query` alone lists the queries
        }
        (train,) = run.results[run.line("README.md", "priorgraph train")]
        run.python = {"run_dir": train.stderr.split("files in ")[1].split()[0]}
        for doc in PYTHON_DOCS:
            for start, code in doc_commands.fenced(doc_commands.ROOT / doc, "python"):
                exec(compile("\n".join(code), f"{doc}:{start}", "exec"), run.python)
    return run


def test_every_command_of_the_blocks_ran(docs):
    lines = [line for doc, command in BLOCKS for line in block(doc, command)]
    commands = {line: line.text.split("#")[0].strip() for line in lines}
    skipped = [text for line, text in commands.items() if text and line not in docs.results]
    assert skipped == [
        "source .venv/bin/activate", "priorgraph server start", "priorgraph browser",
        "priorgraph server status", "priorgraph server stop",
        "export PRIORGRAPH_DATA_DIR=../shared/data",  # set already
        "OPENAI_API_KEY=… priorgraph embed genept.summaries.207 --out genept207.npz --store",
        "priorgraph server start", "priorgraph benchmark norman2019 --protocol doubles --folds 5 "
        "--seed 0",
    ]  # fmt: skip
    assert len(docs.results) == len([t for t in commands.values() if t]) - len(skipped) >= 45


def test_every_documented_named_query_returns_rows(docs):
    assert len(docs.rows) == 11
    empty = [line.where for line, rows in docs.rows.items() if not rows]
    assert empty == []


def test_go_ingest_graph_and_exports(docs, workdir):
    n_annotations = sum(len(terms) for terms in tiny_mirror.ANNOTATIONS.values())
    ingest = docs.output("README.md", "priorgraph ingest go")
    assert f"{len(tiny_mirror.ANNOTATIONS)} genes, {n_annotations} annotations" in ingest
    assert "gears_go" in docs.output("README.md", "priorgraph go-graph build")
    ids = (workdir / "work" / "go.pt.ids.tsv").read_text().splitlines()[1:]
    assert [row.split("\t")[2] for row in ids] == [f"human:{g}" for g in tiny_mirror.GENE_LIST]
    rows = (workdir / "work" / "go.csv").read_text().splitlines()
    assert len(rows) > len(tiny_mirror.GENE_LIST)  # every gene's self edge and GO neighbours


def test_perturbseq_training_and_effects(docs, workdir):
    assert "8 conditions" in docs.output("README.md", "priorgraph ingest perturbseq")
    (train,) = docs.results[docs.line("README.md", "priorgraph train")]
    adapert = written_run(train)
    assert adapert.startswith("adapert-papalexi2021-sim1-")
    top = docs.output("README.md", "priorgraph effects --gene STAT1 --top 20")
    assert "JAK2" in top and "0 rows" not in top
    every = docs.output("README.md", "priorgraph effects --gene STAT1 --run RUN_ID --all")
    assert adapert in every and "0 rows" not in every
    assert (workdir / "work" / "jak2.png").read_bytes()[:4] == b"\x89PNG"


def test_peaks_liftover_links_and_guidance(docs, workdir):
    assert f"hg38: {len(tiny_mirror.GENES)} gene loci" in docs.output(
        "README.md", "priorgraph peaks genes"
    )
    n_peaks = 2 * len(tiny_mirror.GENES)
    assert f"{n_peaks}" in docs.output("README.md", "priorgraph peaks load")
    assert f"mapped {n_peaks}" in docs.output("README.md", "priorgraph liftover")
    assert "window_combined_150kb" in docs.output("README.md", "priorgraph peaks links")
    graphml = workdir / "work" / "glue" / "guidance.graphml.gz"
    assert b"<graphml" in gzip.decompress(graphml.read_bytes())
    assert "LIFTS_TO" in docs.output("docs/peaks.md", "priorgraph liftover human_peaks.bed")
    validated = docs.output("docs/peaks.md", "priorgraph guidance validate")
    assert validated.startswith("valid: ")


def test_genept_and_similar_genes(docs):
    assert "NOTAGENE1" in docs.output("README.md", "priorgraph ingest genept")  # listed, skipped
    similar = docs.output("README.md", "priorgraph similar-genes HSPA5").splitlines()
    assert sum(any(gene in row for gene in tiny_mirror.GENES) for row in similar) == 10
    features = docs.output("docs/genept.md", "priorgraph export gene-features --kind")
    assert "wrote 8 × 8 genept features" in features
    plan = docs.output("docs/genept.md", "priorgraph embed genept.summ")
    assert f"{len(tiny_mirror.GENES)} texts, 0 cached" in plan
    assert "wrote 3 × 384 embeddings" in docs.output("docs/genept.md", "priorgraph embed ensembl")
    unrelated = docs.output("docs/genept.md", "priorgraph similar-genes KLF1 -k 10 --no-shared")
    assert "CD14" in unrelated  # KLF1's nearest gene; the GO roots --propagate adds come later
    cells = docs.output("docs/genept.md", "priorgraph embed-cells")
    assert "GenePT-w" in cells and "GenePT-s" in cells


def test_perturbseq_doc_splits_models_benchmark_and_runs(docs, workdir):
    doc = "docs/perturbseq.md"
    norman = docs.output(doc, "priorgraph ingest perturbseq perturb.norman2019.subset")
    assert f"{len(tiny_mirror.NORMAN)} conditions" in norman
    assert "sim1" in docs.output(doc, "priorgraph split list papalexi2021")
    shown = docs.output(doc, "priorgraph split show papalexi2021 sim1")
    assert "0 rows" not in shown
    for model in ("graph_gp", "go_neighbour", "gears"):
        (result,) = docs.results[docs.line(doc, f"priorgraph train --model {model} ")]
        assert written_run(result).startswith(f"{model}-norman2019-mine-")
    benchmark = docs.output(doc, "priorgraph benchmark norman2019 --protocol unseen-singles")
    assert "graph_gp" in benchmark and "go_neighbour" in benchmark
    assert docs.run_id.startswith("linear-papalexi2021-sim1-")  # the last baseline written
    assert docs.run_id in docs.output(doc, "priorgraph runs list")
    top = docs.output(doc, "priorgraph effects --gene STAT1 --run RUN_ID --top 20")
    assert docs.run_id in top and "0 rows" not in top
    assert "predicted effects" in docs.output(doc, "priorgraph runs delete RUN_ID")


def test_musegnn_from_two_coexpression_graphs(docs, workdir):
    for dataset, folder in (("papalexi_thp1", "perturb"), ("pbmc_myeloid", "scrna")):
        command = f"priorgraph ingest coexpression ../shared/data/{folder}/"
        ingested = docs.output("docs/musegnn.md", command)
        assert f"{dataset}: " in ingested and f"{dataset}: 0 COEXPRESSED" not in ingested
    trained = docs.output("docs/musegnn.md", "priorgraph train-musegnn")
    assert "trained on 2 graph(s)" in trained and "stored " in trained
    assert (workdir / "work" / "runs" / "musegnn" / "musegnn.npz").is_file()
    similar = docs.output("docs/musegnn.md", "priorgraph similar-genes CD14 --kind musegnn")
    assert "0 rows" not in similar and "human:" in similar


def test_the_python_of_exports_and_queries_loads_what_the_commands_wrote(docs):
    namespace = docs.python
    assert namespace["go"].num_nodes == len(tiny_mirror.GENE_LIST)
    assert namespace["go"].node_ids[0] == f"human:{tiny_mirror.GENE_LIST[0]}"
    assert namespace["guidance"].meta["assembly"] == "hg38"
    assert len(namespace["graphs"]) == 2  # train-musegnn's two co-expression graphs
    assert namespace["features"].x.shape == (len(tiny_mirror.GENE_LIST), 8)
    assert namespace["state"]  # AdaPert's tensors
    assert [row["gene"] for row in namespace["rows"]] == ["human:GATA1"]


def test_go_formats_and_biolord(docs):
    n_annotations = sum(len(terms) for terms in tiny_mirror.ANNOTATIONS.values())
    for start in ("--obo go-basic.obo --gaf", "--gears-pickle", "--table my.tsv"):
        ingested = docs.output("docs/go.md", f"priorgraph ingest go {start}")
        assert f"{len(tiny_mirror.ANNOTATIONS)} genes, {n_annotations} annotations" in ingested, (
            start
        )
    assert "(+0 inferred)" not in docs.output("docs/go.md", "priorgraph ingest go --table my.tsv")
    assert "gears_go" in docs.output("docs/go.md", "priorgraph go-graph list")
    biolord = docs.output("docs/go.md", "priorgraph export biolord-go")
    assert "control + 8 single perturbations" in biolord


def test_the_graph_commands_read_what_the_data_path_wrote(docs):
    assert "go_neighbours" in docs.output("README.md", "priorgraph query ")
    assert "1" in docs.output("README.md", 'priorgraph cypher "RETURN 1 AS x"')
    tp53 = docs.output("README.md", 'priorgraph cypher "MATCH (g:Gene {symbol: \\$s})')
    assert "DNA-binding transcription factor activity" in tp53 and "nucleus" in tp53
    built = docs.output("README.md", "priorgraph build plan.toml")
    assert "neo4j-admin database import full" in built and "--nodes=" in built
    counts = json.loads(docs.output("README.md", "priorgraph stats --format json"))
    assert "Gene" in json.dumps(counts)
    assert "go.basic.2024.isa_only" in docs.output("README.md", "priorgraph sources list")
    klf1 = docs.output("docs/queries.md", "priorgraph cypher 'MATCH (g:Gene {symbol: $s})")
    assert "human:KLF1" in klf1
