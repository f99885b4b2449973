"""A small graph around STAT1 for the Python API, its docstring examples and docs/api.md.

Loaded through the library's own ingest and write-back functions: GO terms and annotations of
six genes and their GO graph ``gears_go``, GenePT-style 4-d embeddings (LYZ has none), two
genes with coordinates and two linked peaks on hg38, a Perturb-seq data set ``toy`` and the
predicted effects of run ``toy_run``. ``cells.h5ad`` is the AnnData the notebook walk-through
reads (its ``var_names`` are the six genes and one the graph does not know).
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

from priorgraph.ingest import genept
from priorgraph.ingest.genes import read_genes, write_genes
from priorgraph.ingest.go import ingest_go
from priorgraph.ingest.go_graph import GOGraphSpec, build_go_graph
from priorgraph.ingest.links import graph_features, window_links, write_links
from priorgraph.ingest.peaks import read_peaks, write_peaks
from priorgraph.ingest.perturbseq import PerturbSeqConfig, ingest
from priorgraph.kg.connection import Graph
from priorgraph.kg.writer import Provenance
from priorgraph.models.writeback import ModelRun, write_run

GENES = ["STAT1", "STAT2", "IRF1", "JAK2", "CD14", "LYZ"]
OBO = """format-version: 1.2
data-version: test

[Term]
id: GO:0008150
name: biological_process
namespace: biological_process

[Term]
id: GO:0003674
name: molecular_function
namespace: molecular_function

[Term]
id: GO:0019221
name: cytokine-mediated signaling pathway
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0060337
name: type I interferon-mediated signaling pathway
namespace: biological_process
is_a: GO:0019221

[Term]
id: GO:0042742
name: defense response to bacterium
namespace: biological_process
is_a: GO:0008150

[Term]
id: GO:0003700
name: DNA-binding transcription factor activity
namespace: molecular_function
is_a: GO:0003674

[Term]
id: GO:0004713
name: protein tyrosine kinase activity
namespace: molecular_function
is_a: GO:0003674
"""
ANNOTATIONS = {
    "STAT1": ["GO:0060337", "GO:0019221", "GO:0003700"],
    "STAT2": ["GO:0060337", "GO:0019221"],
    "IRF1": ["GO:0060337", "GO:0003700"],
    "JAK2": ["GO:0019221", "GO:0004713"],
    "CD14": ["GO:0042742"],
    "LYZ": ["GO:0042742"],
}
EMBEDDINGS = {  # LYZ has none
    "STAT1": [1.0, 0.0, 0.0, 0.5],
    "STAT2": [0.9, 0.1, 0.0, 0.4],
    "IRF1": [0.7, 0.3, 0.1, 0.2],
    "JAK2": [0.2, 0.9, 0.0, 0.1],
    "CD14": [0.0, 0.1, 1.0, 0.0],
}
GENE_BED = (  # hg38 (Ensembl 109), 0-based
    "chr2\t190968988\t191014250\tSTAT1\tENSG00000115415\t-\tprotein_coding\n"
    "chr5\t140631727\t140633701\tCD14\tENSG00000170458\t-\tprotein_coding\n"
)
PEAK_BED = "chr2\t191013900\t191014500\nchr5\t140633500\t140634000\nchr9\t100\t600\n"
# predicted deltas of run toy_run (genes in GENES order)
DELTAS = {
    "JAK2+ctrl": [-1.5, -0.6, -0.9, -0.1, 0.0, 0.05],
    "IRF1+ctrl": [-0.3, 0.0, -1.2, 0.0, 0.1, 0.0],
    "JAK2+IRF1": [-1.7, -0.5, -1.8, -0.1, 0.1, 0.0],
}
PROV = Provenance("test.api", "v1")


def perturbseq(seed: int = 0) -> ad.AnnData:
    """Poisson counts of the six genes: JAK2 knock-out lowers STAT1 and IRF1, IRF1's lowers
    IRF1; 40 control cells and 15 per perturbation."""
    rng = np.random.default_rng(seed)
    base = np.array([20.0, 10.0, 12.0, 8.0, 30.0, 40.0])
    factors = {"ctrl": {}, "JAK2+ctrl": {0: 0.3, 2: 0.5, 3: 0.05},
               "IRF1+ctrl": {2: 0.05}, "JAK2+IRF1": {0: 0.25, 2: 0.05, 3: 0.05}}  # fmt: skip
    blocks, labels = [], []
    for label, change in factors.items():
        rate = base.copy()
        for gene, factor in change.items():
            rate[gene] *= factor
        n = 40 if label == "ctrl" else 15
        blocks.append(rng.poisson(rate, size=(n, len(GENES))))
        labels += [label] * n
    return ad.AnnData(
        X=np.vstack(blocks).astype(np.float32),
        obs=pd.DataFrame({"condition": labels}, index=[f"cell{i}" for i in range(len(labels))]),
        var=pd.DataFrame(index=GENES),
    )


def cells() -> ad.AnnData:
    """The notebook's AnnData: 3 cells × the six genes and NOTAGENE (unknown to the graph)."""
    names = [*GENES, "NOTAGENE"]
    return ad.AnnData(X=np.ones((3, len(names)), dtype=np.float32),
                      var=pd.DataFrame(index=names))  # fmt: skip


def load(graph: Graph, folder: Path) -> None:
    """Load the whole small graph (``folder`` holds the input files and the data-set store)."""
    (folder / "go.obo").write_text(OBO)
    table = "".join(f"{g}\t{t}\n" for g, terms in ANNOTATIONS.items() for t in terms)
    (folder / "gene2go.tsv").write_text("gene\tgo_id\n" + table)
    ingest_go(graph, obo=folder / "go.obo", annotations=folder / "gene2go.tsv", kind="table",
              source="test.go", version="v1", progress=False)  # fmt: skip
    build_go_graph(graph, GOGraphSpec("gears_go"), progress=False)
    rows = "".join(f"{g},{','.join(map(str, v))}\n" for g, v in EMBEDDINGS.items())
    (folder / "genept.csv").write_text("gene,0,1,2,3\n" + rows)
    vectors = genept.load_file(folder / "genept.csv", None, model="test-embedding")
    genept.store(graph, vectors, PROV, progress=False)
    (folder / "genes.bed").write_text(GENE_BED)
    (folder / "peaks.bed").write_text(PEAK_BED)
    write_genes(graph, read_genes(folder / "genes.bed", "hg38"), PROV, progress=False)
    write_peaks(graph, read_peaks(folder / "peaks.bed", "hg38"), PROV, progress=False)
    write_links(
        graph, window_links(*graph_features(graph, "hg38")), PROV, assembly="hg38", progress=False
    )
    perturbseq().write_h5ad(folder / "toy.h5ad")
    ingest(graph, folder / "toy.h5ad", PerturbSeqConfig("toy"), store=folder, progress=False)
    run = ModelRun("toy_model", {}, "toy", "all", "h", id="toy_run")
    deltas = {c: np.array(d) for c, d in DELTAS.items()}
    write_run(graph, run, deltas, GENES, directory=folder / "runs" / run.id, progress=False)
