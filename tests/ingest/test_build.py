"""``priorgraph build``: a plan built offline gives the graph the online ingest gives."""

import functools
import os
import shlex
import subprocess

import pytest
import tomllib

from priorgraph.core.datafiles import read_h5ad
from priorgraph.core.errors import PlanFileError
from priorgraph.ingest import build as bulk_build
from priorgraph.ingest import (
    coexpression,
    genept,
    genes,
    go,
    liftover,
    links,
    peaks,
    perturbseq,
    splits,
)
from priorgraph.ingest.gene_resolution import GeneResolver, ReferenceTables
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.sources import LocalInput
from priorgraph.kg import bulk_import
from priorgraph.kg.bulk_import import Expected, VerificationError
from priorgraph.kg.server import JVM_FLAGS, java_executable, provision

from ..docs.doc_commands import ROOT, fenced
from .test_go import OBO, gaf_line

# Properties that hold the time of the write: the only ones allowed to differ.
VOLATILE = {"loaded_at", "switched_at", "built_at"}

GAF = "\n".join([
    "!gaf-version: 2.2",
    gaf_line("TP53", "GO:0000003"),
    gaf_line("TP53", "GO:0000004"),
    gaf_line("MDM2", "GO:0000003"),
    gaf_line("MDM2", "GO:0000002"),
    gaf_line("CDKN1A", "GO:0000004"),
    gaf_line("CDKN1A", "GO:0000005"),  # obsolete, replaced_by GO:0000003
    gaf_line("BAX", "GO:0000002", qualifier="NOT|involved_in"),
    gaf_line("ATM", "GO:0000002"),
    gaf_line("ATM", "GO:0000004"),
]) + "\n"  # fmt: skip

PLAN = """
[[go]]
obo = "tiny.obo"
annotations = "tiny.gaf"
kind = "gaf"
propagate = true

[[go_graph]]
name = "gears"
k = 2
threshold = 0.0

[[genes]]                     # replaced by the next entry's loci (same assembly)
annotation = "old_genes.bed"
assembly = "hg38"

[[genes]]
annotation = "genes.bed"
assembly = "hg38"

[[genes]]
annotation = "macaque_genes.bed"
assembly = "rheMac10"

[[orthologs]]
table = "orthologs.tsv"

[[peaks]]
bed = "peaks.bed"
assembly = "hg38"

[[peaks]]                     # narrowPeak: its numbers are properties too
bed = "peaks.narrowPeak"
assembly = "hg19"

[[liftover]]                  # conserved flags, before the links that boost them
bed = "peaks.narrowPeak"
assembly = "hg19"
chain = "hg19ToHg38.over.chain"
target = "peaks.bed"
target_assembly = "hg38"

[[links]]
assembly = "hg38"
window = 50_000
conserved_boost = 2.0

[[import_links]]
table = "abc.tsv"
assembly = "hg38"
method = "abc"

[[perturbseq]]                # genes G0…G11 are new: the data set adds them
file = "screen.h5ad"
dataset = "screen"
store = "datasets"
top_de = 3

[[split]]                     # the split's files, and its training cells' co-expression
dataset = "screen"
name = "held_out"
kind = "custom"
test = ["G0+G1"]
val = ["G2+G3"]
k = 3
threshold = 0.1
store = "datasets"

[[coexpression]]
file = "screen.h5ad"
dataset = "atlas"
obs_key = "condition"
obs_value = ["ctrl", "G0+ctrl"]
n_top_genes = 10
k = 3
threshold = 0.1

[[genept]]                    # a vector property and its vector index
file = "genept.csv"
model = "tiny-text"

[[links]]
assembly = "hg38"
region = "promoter"
window = 10_000
promoter_len = 1_000
"""

OLD_GENE_BED = (
    "chr17\t7660000\t7680000\tTP53\tENSG00000141510\t-\tprotein_coding\n"
    "chr1\t100\t900\tGONE\tENSG00000000001\t+\tlncRNA\n"
)
GENE_BED = (
    "chr17\t7661778\t7687538\tTP53\tENSG00000141510\t-\tprotein_coding\n"
    "chr12\t68808176\t68850686\tMDM2\tENSG00000135679\t+\tprotein_coding\n"
    "chr6\t36676459\t36687339\tCDKN1A\tENSG00000124762\t+\tprotein_coding\n"
    "chr1\t1000\t5000\tNEWGENE\tENSG00000999999\t+\tlncRNA\n"
    "chrUn_KI270742v1\t10\t100\tCONTIG\tENSG00000999998\t+\tlncRNA\n"
)
MACAQUE_GENE_BED = "chr7\t5\t900\tTP53\tENSMMUG00000001\t+\tprotein_coding\n"
ORTHOLOGS = (
    "HID\thuman_symbol\thuman_entrez\tmacaque_symbol\tmacaque_entrez\n"
    "460\tTP53\t7157\tTP53\t716170\n"
    "1\tMDM2\t4193\tMDM2\t1\n"  # no macaque MDM2 in the plan: missing
)
# hg19 chr1 [0, 10 kb) is hg38 chr1 [1900, 11900) (invented; real chromosome sizes)
CHAIN = "chain 1000 chr1 249250621 + 0 10000 chr1 248956422 + 1900 11900 1\n10000\n\n"
LINK_TABLE = (
    "peak\tgene\tscore\n"
    "chr17:7687000-7687600\tTP53\t0.8\n"
    "chr12:68800000-68800400\tMDM2\t-0.4\n"
    "chr1:2000-2600\tNEWGENE\t0.2\n"
)
GENEPT = "TP53,0.1,0.2,-0.3,0.7\nMDM2,1e-3,2.5,0.3,-0.25\nG0,0.333,0.1,0.2,0.3\n"
NARROW_PEAK = (
    "chr1\t100\t600\tp1\t500\t.\t5.5\t3.2\t2.1\t250\n"
    "chr1\t900\t1300\tp2\t10\t.\t1.0\t0.5\t0.1\t100\n"
)
PEAK_BED = (
    "chr1\t2000\t2600\n1\t5000\t5600\nchr1\t300000\t300100\n"
    "chr12\t68800000\t68800400\nchr17\t7687000\t7687600\nchr17\t7700000\t7700500\n"
)


def dump(graph) -> tuple[list, list]:
    """Every node (labels, properties) and relationship (type, end keys, properties), sorted,
    times of writing left out."""
    nodes = graph.read("MATCH (n) RETURN labels(n) AS labels, properties(n) AS props")
    rels = graph.read(
        "MATCH (a)-[r]->(b) RETURN type(r) AS type, a.id AS a, b.id AS b, properties(r) AS props"
    )

    def clean(props):
        return sorted((k, repr(v)) for k, v in props.items() if k not in VOLATILE)

    return (
        sorted((sorted(n["labels"]), clean(n["props"])) for n in nodes),
        sorted((r["type"], r["a"], r["b"], clean(r["props"])) for r in rels),
    )


def schema_of(graph) -> list:
    return sorted(
        (r["name"], r["type"], r["state"]) for r in graph.read(
            "SHOW INDEXES YIELD name, type, state WHERE type <> 'LOOKUP' RETURN name, type, state"
        )
    )  # fmt: skip


def write_plan(directory):
    """The plan and its inputs, in ``directory``."""
    for name, text in (("tiny.obo", OBO), ("tiny.gaf", GAF), ("old_genes.bed", OLD_GENE_BED),
                       ("genes.bed", GENE_BED), ("macaque_genes.bed", MACAQUE_GENE_BED),
                       ("orthologs.tsv", ORTHOLOGS), ("peaks.bed", PEAK_BED),
                       ("peaks.narrowPeak", NARROW_PEAK), ("hg19ToHg38.over.chain", CHAIN),
                       ("abc.tsv", LINK_TABLE), ("genept.csv", GENEPT),
                       ("plan.toml", PLAN)):  # fmt: skip
        (directory / name).write_text(text)
    perturbseq.synthetic_perturbseq(seed=0).write_h5ad(directory / "screen.h5ad")


@pytest.fixture
def plan(tmp_path):
    write_plan(tmp_path)
    return bulk_build.BuildPlan.read(tmp_path / "plan.toml")


def online(graph, tmp_path) -> None:
    """The same inputs through the online ingest jobs."""
    go.ingest_go(graph, obo=tmp_path / "tiny.obo", annotations=tmp_path / "tiny.gaf",
                 kind="gaf", propagate=True, progress=False)  # fmt: skip
    build_go_graph(graph, GOGraphSpec("gears", k=2, threshold=0.0), progress=False)

    def resolver(species="human"):
        return GeneResolver.load(graph, species=species, tables=ReferenceTables())

    for name, assembly in (("old_genes.bed", "hg38"), ("genes.bed", "hg38"),
                           ("macaque_genes.bed", "rheMac10")):  # fmt: skip
        given = LocalInput(tmp_path / name)  # as `peaks genes FILE --assembly ASSEMBLY`
        gene_set = genes.read_genes(given.path, assembly)
        gene_set = genes.resolve_genes(gene_set, resolver(gene_set.species))
        genes.write_genes(graph, gene_set, given.provenance(), progress=False)
    given = LocalInput(tmp_path / "orthologs.tsv")  # as `peaks orthologs orthologs.tsv`
    pairs = genes.check_orthologs(
        graph, genes.read_orthologs(given.path),
        resolvers={s: resolver(s) for s in ("human", "macaque")},
    )  # fmt: skip
    genes.write_orthologs(graph, pairs, given.provenance(), progress=False)
    for name, assembly in (("peaks.bed", "hg38"), ("peaks.narrowPeak", "hg19")):
        given = LocalInput(tmp_path / name)  # as `peaks load NAME --assembly ASSEMBLY`
        peaks.write_peaks(graph, peaks.read_peaks(given.path, assembly), given.provenance(),
                          progress=False)  # fmt: skip
    # as `liftover peaks.narrowPeak -a hg19 --chain … --target peaks.bed --target-assembly hg38`
    given = LocalInput(tmp_path / "hg19ToHg38.over.chain")
    chain = liftover.load_chain(given.path)
    lift = liftover.lift_peaks(peaks.read_peaks(tmp_path / "peaks.narrowPeak", "hg19"), chain,
                               target_assembly="hg38", progress=False)  # fmt: skip
    pairs = liftover.consensus(lift, peaks.read_peaks(tmp_path / "peaks.bed", "hg38"))
    liftover.write_consensus(graph, pairs, chain, given.provenance(), progress=False)
    for options in ({"window": 50_000, "region": "combined", "conserved_boost": 2.0},
                    {"window": 10_000, "region": "promoter", "promoter_len": 1_000}):  # fmt: skip
        peak_df, gene_df = links.graph_features(graph, "hg38")  # as `peaks links`
        found = links.window_links(peak_df, gene_df, **options)
        method = links.window_method(options["region"], options["window"])
        links.write_links(graph, found, links.window_provenance(method, "hg38"),
                          assembly="hg38", progress=False)  # fmt: skip
    given = LocalInput(tmp_path / "abc.tsv")  # as `peaks import-links abc.tsv --method abc`
    table = links.read_link_table(given.path, "hg38", "abc")
    checked = links.check_endpoints(graph, table, resolver=resolver())
    links.write_links(graph, checked.links, given.provenance(), assembly="hg38", atomic=True,
                      progress=False)  # fmt: skip
    config = perturbseq.PerturbSeqConfig(dataset="screen", n_top_de=3)  # as `ingest perturbseq`
    perturbseq.ingest(graph, tmp_path / "screen.h5ad", config, store=tmp_path / "datasets",
                      genes=resolver(), progress=False)  # fmt: skip
    record = perturbseq.load_dataset("screen", tmp_path / "datasets")  # as `split create`
    made = splits.make_split("custom", "held_out", record, 1, test=["G0+G1"], val=["G2+G3"])
    made.save(splits.splits_dir("screen", tmp_path / "datasets"))
    edges = splits.build_coexpression(record, made, k=3, threshold=0.1)
    splits.write_coexpression(graph, record, made, edges, progress=False)
    adata = read_h5ad(tmp_path / "screen.h5ad")  # as `ingest coexpression screen.h5ad`
    cells = coexpression.select_cells(adata, "condition", ["ctrl", "G0+ctrl"])
    coexpression.resolve_var_names(adata, resolver(), what="screen.h5ad")
    edges = coexpression.dataset_edges(adata, cells=cells, n_top_genes=10, k=3, threshold=0.1)
    coexpression.write_dataset_coexpression(graph, "atlas", edges, version="screen.h5ad")
    given = LocalInput(tmp_path / "genept.csv")  # as `ingest genept genept.csv --model …`
    table = genept.load_file(given.path, None, model="tiny-text", genes=resolver())
    genept.store(graph, table, given.provenance(), progress=False)


def test_a_plan_built_offline_is_the_graph_the_online_ingest_writes(
    graph, local_server, plan, tmp_path
):
    online(graph, tmp_path)
    want_nodes, want_rels = dump(graph)
    want_schema = schema_of(graph)
    assert any(t == "GO_SIMILAR" for t, *_ in want_rels)  # the plan exercises a versioned set
    assert any(labels == ["RelationshipSet"] for labels, _ in want_nodes)
    linked = {(a, b) for t, a, b, _ in want_rels if t == "LINKED_TO"}
    assert ("hg38:chr17:7687000-7687600", "human:TP53") in linked  # peaks, loci and links
    assert not any(b == "human:GONE" for t, _, b, _ in want_rels)  # loci replaced
    narrow = next(dict(props) for _, props in want_nodes if ("id", "'hg19:chr1:100-600'") in props)
    assert (narrow["score"], narrow["signal"], narrow["summit"]) == ("500", "5.5", "250")
    assert narrow["conserved"] == "True"  # liftOver consensus with hg38:chr1:2000-2600
    by_type = {t: {(a, b) for t2, a, b, _ in want_rels if t2 == t} for t, *_ in want_rels}
    assert by_type["ORTHOLOG_OF"] == {("human:TP53", "macaque:TP53")}
    assert by_type["LIFTS_TO"] == {("hg19:chr1:100-600", "hg38:chr1:2000-2600")}
    assert ("hg38:chr1:2000-2600", "human:NEWGENE") in by_type["LINKED_TO"]
    assert ("screen/G0+ctrl", "human:G0") in by_type["TARGETS"]
    assert len(by_type["OBSERVED_EFFECT"]) > 0
    coexpressed = graph.read("MATCH ()-[r:COEXPRESSED]->() RETURN DISTINCT r.split AS split")
    assert sorted(r["split"] for r in coexpressed) == ["all", "held_out"]
    tp53 = next(dict(props) for _, props in want_nodes if ("id", "'human:TP53'") in props)
    assert tp53["genept_model"] == "'tiny-text'"
    assert ("gene_genept", "VECTOR", "ONLINE") in want_schema

    report, _ = bulk_build.build(plan, tmp_path / "build", server=local_server)

    got_nodes, got_rels = dump(graph)
    assert got_nodes == want_nodes
    assert got_rels == want_rels
    assert schema_of(graph) == want_schema
    assert report.labels == {"GOTerm": 6, "Gene": 19, "Source": 14, "RelationshipSet": 6,
                             "GOGraph": 1, "GeneLocus": 5, "Peak": 8, "Dataset": 1,
                             "Perturbation": 8, "EmbeddingSet": 1}  # fmt: skip
    assert report.relationships == len(want_rels)
    assert not (tmp_path / "build" / "store" / "previous").exists()  # old store deleted

    # building the same plan again gives the same graph (idempotent)
    bulk_build.build(plan, tmp_path / "build", server=local_server)
    assert dump(graph) == (want_nodes, want_rels)


def test_a_store_that_fails_verification_is_rolled_back(graph, local_server, plan, tmp_path):
    graph.write("CREATE (:Gene {id: 'hs:OLD', symbol: 'OLD'})")
    bulk, _ = bulk_build.run_plan(plan)
    files = bulk.write(tmp_path / "csv")
    bulk_import.import_store(files, tmp_path / "store")
    wrong = Expected({**files.labels, "GOTerm": 99}, files.types, Expected.of(files).schema)

    with pytest.raises(VerificationError, match="GOTerm nodes: 6, built 99"):
        bulk_import.swap_store(local_server, tmp_path / "store", wrong)

    assert graph.read("MATCH (n) RETURN n.id AS id") == [{"id": "hs:OLD"}]
    assert (tmp_path / "store" / "failed" / "databases" / "neo4j").is_dir()


def test_the_import_check_refuses_a_store_unlike_the_build(plan, tmp_path):
    bulk, _ = bulk_build.run_plan(plan)
    files = bulk.write(tmp_path / "csv")
    files.labels["Gene"] = 20  # the build says 20 genes; the files hold 19
    with pytest.raises(VerificationError, match="Gene nodes: 19, built 20"):
        bulk_import.import_store(files, tmp_path / "store")


def test_without_a_local_server_the_command_is_printed_and_runs(plan, tmp_path):
    report, files = bulk_build.build(plan, tmp_path / "build", server=None)
    command = report.command
    assert command.startswith("neo4j-admin database import full --nodes=Dataset=")
    assert command.endswith(" neo4j")
    assert "--relationships=ANNOTATED_WITH=" in command
    assert "$'--array-delimiter=\\x1f'" in command  # printable, copyable

    # neo4j-admin is org.neo4j.cli.AdminTool: the printed line runs, as printed, on its jars
    runtime = provision()
    home = tmp_path / "neo4j-home"
    (home / "conf").mkdir(parents=True)
    (home / "conf" / "neo4j.conf").write_text("")
    java = " ".join(shlex.quote(a) for a in [
        java_executable(), "-Xmx512m", *JVM_FLAGS, "-cp", str(runtime / "lib" / "*"),
        "org.neo4j.cli.AdminTool",
    ])  # fmt: skip
    done = subprocess.run(
        ["bash", "-c", f'neo4j-admin() {{ {java} "$@"; }}\n{command}'],
        env={**os.environ, "NEO4J_HOME": str(home), "NEO4J_CONF": str(home / "conf")},
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"{sum(files.labels.values())} nodes" in done.stdout
    assert f"{sum(files.types.values())} relationships" in done.stdout
    assert (home / "data" / "databases" / "neo4j").is_dir()


def test_plan_errors_name_the_plan_and_the_problem(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("[[peaks_typo]]\nbed = 'x'\n")
    with pytest.raises(PlanFileError, match=r"plan.toml: unknown step \[\[peaks_typo\]\]"):
        bulk_build.BuildPlan.read(path)
    path.write_text("[[go]]\nobo = 'missing.obo'\n")
    with pytest.raises(PlanFileError, match="missing.obo: no such file"):
        bulk_build.BuildPlan.read(path)
    path.write_text("[[peaks]]\nassembly = 'hg38'\n")
    with pytest.raises(PlanFileError, match=r"\[\[peaks\]\] #1: missing key\(s\) \['bed'\]"):
        bulk_build.BuildPlan.read(path)
    path.write_text("[[go]]\nobo_file = 'x'\n")
    with pytest.raises(PlanFileError, match=r"unknown key\(s\) \['obo_file'\]"):
        bulk_build.BuildPlan.read(path)


def test_links_need_the_plan_to_load_peaks_and_gene_loci_of_their_assembly(tmp_path):
    write_plan(tmp_path)
    (tmp_path / "plan.toml").write_text(PLAN.replace('assembly = "hg38"\nwindow = 50_000',
                                                     'assembly = "mm10"'))  # fmt: skip
    plan = bulk_build.BuildPlan.read(tmp_path / "plan.toml")
    problem = r"plan.toml: \[\[links\]\] #1: on mm10 the plan loads 0 peaks and 0 gene loci"
    with pytest.raises(PlanFileError, match=problem):
        bulk_build.run_plan(plan)


def test_a_bad_value_of_a_step_names_the_plan_and_the_entry(tmp_path):
    write_plan(tmp_path)
    (tmp_path / "plan.toml").write_text(PLAN.replace("propagate = true", 'unknown_genes = "keep"'))
    plan = bulk_build.BuildPlan.read(tmp_path / "plan.toml")
    resolver = functools.partial(GeneResolver.load, None, tables=ReferenceTables())
    with pytest.raises(PlanFileError, match=r"plan.toml: \[\[go\]\] #1: unknown_genes must be"):
        bulk_build.run_plan(plan, resolver=lambda species: resolver(species=species))


def test_build_features_are_what_the_links_job_reads_from_a_graph(graph, plan, tmp_path):
    online(graph, tmp_path)
    bulk, _ = bulk_build.run_plan(plan)
    for got, want in zip(bulk_build.assembly_features(bulk, "hg38"),
                         links.graph_features(graph, "hg38"), strict=True):  # fmt: skip
        assert got.to_dict("records") == want.to_dict("records")
        assert len(got) > 0


def test_the_documented_plan_has_every_step_in_run_order_and_only_known_keys():
    (plan_block,) = [lines for _, lines in fenced(ROOT / "docs" / "build.md", "toml")]
    documented = tomllib.loads("\n".join(plan_block))
    assert list(documented) == list(bulk_build.STEP_KEYS) == list(bulk_build.STEPS)
    for step, entries in documented.items():
        for entry in entries:
            assert (
                bulk_build.REQUIRED_KEYS.get(step, set())
                <= set(entry)
                <= bulk_build.STEP_KEYS[step]
            )
