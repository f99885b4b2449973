"""A tiny generated data mirror: the registered files the docs use, under their mirror paths.

The genes are the ones the docs name (STAT1, JAK2, KLF1, HSPA5, CD14, LYZ, …), the GO terms the
ones the docs query (erythrocyte differentiation GO:0030218, immune response GO:0006955, …), so
every documented command and query has something to find. Everything is seeded and small: the
whole data path of the README runs in seconds.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import json
import pickle
import zipfile
from collections.abc import Callable
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from priorgraph.ingest import sources

GENES = [
    "STAT1", "STAT2", "IRF1", "JAK2", "IFNGR1", "HSPA5", "KLF1", "GATA1",
    "TP53", "CD14", "LYZ", "CD86", "MAP2K6", "TGFBR2", "MAPK1", "SET",
]  # fmt: skip

# id: (name, namespace, parent)
TERMS = {
    "GO:0008150": ("biological_process", "biological_process", None),
    "GO:0002376": ("immune system process", "biological_process", "GO:0008150"),
    "GO:0006955": ("immune response", "biological_process", "GO:0002376"),
    "GO:0060333": ("interferon-gamma-mediated signaling pathway", "biological_process",
                   "GO:0006955"),
    "GO:0030154": ("cell differentiation", "biological_process", "GO:0008150"),
    "GO:0030099": ("myeloid cell differentiation", "biological_process", "GO:0030154"),
    "GO:0030218": ("erythrocyte differentiation", "biological_process", "GO:0030099"),
    "GO:0006357": ("regulation of transcription by RNA polymerase II", "biological_process",
                   "GO:0008150"),
    "GO:0003674": ("molecular_function", "molecular_function", None),
    "GO:0003700": ("DNA-binding transcription factor activity", "molecular_function",
                   "GO:0003674"),
    "GO:0005515": ("protein binding", "molecular_function", "GO:0003674"),
    "GO:0004713": ("protein tyrosine kinase activity", "molecular_function", "GO:0003674"),
    "GO:0005575": ("cellular_component", "cellular_component", None),
    "GO:0005634": ("nucleus", "cellular_component", "GO:0005575"),
    "GO:0005737": ("cytoplasm", "cellular_component", "GO:0005575"),
}  # fmt: skip

_INTERFERON = ["GO:0060333", "GO:0006955", "GO:0005515", "GO:0005737"]
_TF = ["GO:0003700", "GO:0005634", "GO:0006357", "GO:0005515"]
_ERYTHROID = ["GO:0030218", "GO:0030099", *_TF]
_MYELOID = ["GO:0006955", "GO:0002376", "GO:0005737"]
_KINASE = ["GO:0004713", "GO:0005515", "GO:0005737"]
ANNOTATIONS = {
    "STAT1": _INTERFERON + _TF[:3], "STAT2": _INTERFERON + _TF[:3], "IRF1": _INTERFERON + _TF[:3],
    "JAK2": [*_INTERFERON, "GO:0004713"], "IFNGR1": _INTERFERON,
    "KLF1": _ERYTHROID, "GATA1": _ERYTHROID, "TP53": _TF,
    "HSPA5": ["GO:0005515", "GO:0005737"], "CD14": _MYELOID, "LYZ": _MYELOID, "CD86": _MYELOID,
    "MAP2K6": _KINASE, "TGFBR2": _KINASE, "MAPK1": _KINASE, "SET": ["GO:0005634", "GO:0005515"],
}  # fmt: skip

GENE_LIST = ["STAT1", "STAT2", "IRF1", "JAK2", "KLF1", "GATA1", "TP53", "HSPA5"]  # genes.txt

# Perturb-seq: control and eight knock-outs; a knock-out silences its target and JAK2, IFNGR1
# and STAT1 also halve the interferon genes below them.
TARGETS = ["JAK2", "STAT1", "IRF1", "IFNGR1", "STAT2", "CD86", "KLF1", "TP53"]
DOWNSTREAM = {"JAK2": ["STAT1", "IRF1"], "IFNGR1": ["STAT1", "IRF1"], "STAT1": ["IRF1"]}

CHROM_SIZE = 3_000_000
GENE_START, GENE_STEP, GENE_LENGTH = 1_000_000, 40_000, 8_000


def obo() -> bytes:
    stanzas = ["format-version: 1.2\nontology: go\n"]
    for term, (name, namespace, parent) in TERMS.items():
        is_a = f"is_a: {parent} ! {TERMS[parent][0]}\n" if parent else ""
        stanzas.append(f"[Term]\nid: {term}\nname: {name}\nnamespace: {namespace}\n{is_a}")
    return "\n".join(stanzas).encode()


def gene2go() -> bytes:
    rows = [f"{gene}\t{term}" for gene, terms in ANNOTATIONS.items() for term in terms]
    return ("gene\tgo_id\n" + "\n".join(rows) + "\n").encode()


def papalexi(path: Path) -> None:
    """Raw counts, ``obs.condition`` in GEARS form (``ctrl``, ``JAK2+ctrl``, …)."""
    rng = np.random.default_rng(0)
    base = 20.0 + 4.0 * np.arange(len(GENES))
    blocks, labels = [], []
    for label in ["ctrl", *(f"{t}+ctrl" for t in TARGETS)]:
        rate = base.copy()
        target = label.split("+")[0]
        if target in GENES:
            rate[GENES.index(target)] *= 0.05
            for gene in DOWNSTREAM.get(target, []):
                rate[GENES.index(gene)] *= 0.5
        n = 60 if label == "ctrl" else 20
        blocks.append(rng.poisson(rate, size=(n, len(GENES))))
        labels += [label] * n
    write_cells(path, blocks, labels)


def write_cells(path: Path, blocks: list[np.ndarray], labels: list[str]) -> None:
    """An h5ad of the stacked cell blocks over :data:`GENES`, labelled in ``obs.condition``."""
    adata = ad.AnnData(
        X=np.vstack(blocks).astype(np.float32),
        obs=pd.DataFrame({"condition": labels}, index=[f"c{i}" for i in range(len(labels))]),
        var=pd.DataFrame(index=GENES),
    )
    adata.write_h5ad(path)


def pbmc(path: Path) -> None:
    """scanpy's pbmc68k_reduced in small: ``obs.bulk_labels``, log-normalised ``.raw``, scaled X;
    two programmes of co-expressed genes (a latent factor each) so co-expression finds edges."""
    rng = np.random.default_rng(2)
    labels = ["Dendritic", "CD14+ Monocyte", "CD34+", "CD4+/CD25 T Reg"] * 15
    factors = rng.normal(size=(len(labels), 2))
    loadings = np.zeros((2, len(GENES)))
    loadings[0, : len(GENES) // 2] = 1.0
    loadings[1, len(GENES) // 2 :] = 1.0
    counts = rng.poisson(np.exp(1.5 + 0.8 * factors @ loadings))
    logged = np.log1p(counts / counts.sum(axis=1, keepdims=True) * 1e4).astype(np.float32)
    obs = pd.DataFrame({"bulk_labels": labels}, index=[f"cell{i}" for i in range(len(labels))])
    raw = ad.AnnData(X=logged, obs=obs, var=pd.DataFrame(index=GENES))
    adata = raw.copy()
    adata.X = (logged - logged.mean(axis=0)) / (logged.std(axis=0) + 1e-6)
    adata.raw = raw
    adata.write_h5ad(path)


NORMAN = ["KLF1", "MAP2K6", "MAPK1", "TGFBR2", "SET", "KLF1+MAP2K6", "MAPK1+TGFBR2", "SET+KLF1",
          "KLF1+TGFBR2", "MAP2K6+SET", "MAPK1+SET"]  # fmt: skip


def norman(path: Path) -> None:
    """Norman 2019 in perturbench's labels: ``control``, ``A``, ``A+B``; X log-normalised, no
    counts layer. A double's effect is the sum of its singles'."""
    rng = np.random.default_rng(3)
    base = 3.0 + 0.1 * np.arange(len(GENES))
    blocks, labels = [], []
    for label in ["control", *NORMAN]:
        mean = base.copy()
        for target in label.split("+") if label != "control" else []:
            i = GENES.index(target)
            mean[i] += 1.5
            mean[(i + 3) % len(GENES)] -= 0.5
        n = 40 if label == "control" else 15
        blocks.append(np.clip(rng.normal(mean, 0.3, size=(n, len(GENES))), 0, None))
        labels += [label] * n
    write_cells(path, blocks, labels)


def _gene_start(i: int) -> int:
    return GENE_START + i * GENE_STEP


def genes_bed() -> bytes:
    rows = [
        f"chr1\t{_gene_start(i)}\t{_gene_start(i) + GENE_LENGTH}\t{gene}\tENSG{i:011d}\t+\t"
        "protein_coding"
        for i, gene in enumerate(GENES)
    ]
    return ("\n".join(rows) + "\n").encode()


def peaks_bed() -> bytes:
    """Two peaks per gene (promoter and gene body), and one on a contig hg38 lacks."""
    rows = []
    for i in range(len(GENES)):
        start = _gene_start(i)
        rows += [f"chr1\t{start - 1_000}\t{start - 500}", f"chr1\t{start + 3_000}\t{start + 3_400}"]
    rows.append("chrUn_KI270742v1\t100\t600")
    return ("\n".join(rows) + "\n").encode()


def gz_chain(shift: int) -> bytes:
    """A gzipped UCSC chain: chr1 onto chr1 of the other assembly, ``shift`` bases on."""
    header = f"chain 1000 chr1 {CHROM_SIZE} + 0 {CHROM_SIZE - shift} chr1 {CHROM_SIZE} + {shift} "
    return gzip.compress(f"{header}{CHROM_SIZE} 1\n{CHROM_SIZE - shift}\n\n".encode())


def chain() -> bytes:
    """hg38 chr1 onto hg19 chr1, shifted by 1 kb."""
    return gz_chain(1_000)


def genept() -> bytes:
    """GenePT-style CSV (an unnamed index column, one column per dimension), 8 dimensions;
    ``ctrl`` and a gene the graph lacks are skipped by ``--skip-unknown``."""
    rng = np.random.default_rng(1)
    names = ["ctrl", *GENES, "NOTAGENE1"]
    x = rng.normal(size=(len(names), 8))
    x[0] = 0.0
    x[names.index("CD14")] = x[names.index("KLF1")] + 0.1  # KLF1's nearest, no GO term shared
    frame = pd.DataFrame(x, index=names)
    return gzip.compress(frame.to_csv().encode())


MACAQUE_SHIFT = 2_000  # hg38 chr1 -> rheMac10 chr1 in the user's chain file


def ensembl_table(prefix: str, shift: int) -> bytes:
    """An annotables-style Ensembl gene table (``chr`` without prefix, 1-based, strand ±1)."""
    head = "ensgene\tentrez\tsymbol\tchr\tstart\tend\tstrand\tbiotype\tdescription"
    rows = [
        f"{prefix}{i:011d}\t\t{gene}\t1\t{_gene_start(i) + shift + 1}\t"
        f"{_gene_start(i) + shift + GENE_LENGTH}\t1\tprotein_coding\t{gene} protein"
        for i, gene in enumerate(GENES)
    ]
    return ("\n".join([head, *rows]) + "\n").encode()


def homologene() -> bytes:
    rows = [f"{i + 1}\t{gene}\t{i + 1}\t{gene}\t{700_000 + i}" for i, gene in enumerate(GENES)]
    head = "HID\thuman_symbol\thuman_entrez\tmacaque_symbol\tmacaque_entrez"
    return ("\n".join([head, *rows]) + "\n").encode()


def summaries() -> bytes:
    """NCBI-style gene summaries, GenePT's input."""
    return json.dumps({g: f"Gene Symbol {g} This gene encodes {g}." for g in GENES}).encode()


def gaf() -> bytes:
    """GAF 2.2 lines (17 columns) of :data:`ANNOTATIONS`, gzipped."""
    rows = ["!gaf-version: 2.2"]
    aspect = {"biological_process": "P", "molecular_function": "F", "cellular_component": "C"}
    for i, (gene, terms) in enumerate(ANNOTATIONS.items()):
        for term in terms:
            cols = ["UniProtKB", f"P{i:05d}", gene, "", term, "PMID:1", "IDA", "",
                    aspect[TERMS[term][1]], gene, "", "protein", "taxon:9606", "20240220",
                    "UniProt", "", ""]  # fmt: skip
            rows.append("\t".join(cols))
    return gzip.compress(("\n".join(rows) + "\n").encode())


def _bytes(make: Callable[[], bytes]) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(make())


# the registered sources the docs read, each with the function writing its tiny stand-in
USED: dict[str, Callable[[Path], None]] = {
    "go.basic.2024.isa_only": _bytes(obo),
    "go.gene2go.human.2024": _bytes(gene2go),
    "perturb.papalexi2021": papalexi,
    "ensembl.genes.human.109": _bytes(genes_bed),
    "peaks.pbmc10k_multiome": _bytes(peaks_bed),
    "ucsc.chain.hg38_hg19": _bytes(chain),
    "genept.ada002.adamson86": _bytes(genept),
    "ensembl.table.human.109": _bytes(lambda: ensembl_table("ENSG", 0)),
    "ensembl.table.macaque.109": _bytes(lambda: ensembl_table("ENSMMUG", MACAQUE_SHIFT)),
    "homologene.human_macaque": _bytes(homologene),
    "genept.summaries.207": _bytes(summaries),
    "scrna.pbmc68k_reduced": pbmc,
    "perturb.norman2019.subset": norman,
}


def write_mirror(root: Path) -> None:
    """Write the tiny stand-ins of :data:`USED` under their mirror paths in ``root``."""
    for name, write in USED.items():
        path = root / sources.get(name).mirror
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)


def user_files(cwd: Path) -> None:
    """The files the docs' commands take from the user's working directory: a gene list, hg38
    peaks and their macaque counterparts with a chain between them, a Cicero link table and the
    feature names of a GLUE model."""
    (cwd / "genes.txt").write_text("\n".join(GENE_LIST) + "\n")
    human = [row for row in peaks_bed().decode().splitlines() if row.startswith("chr1\t")]
    (cwd / "human_peaks.bed").write_text("\n".join(human) + "\n")
    macaque = []
    for row in human:
        _, start, end = row.split("\t")
        macaque.append(f"chr1\t{int(start) + MACAQUE_SHIFT}\t{int(end) + MACAQUE_SHIFT}")
    (cwd / "macaque_peaks.bed").write_text("\n".join(macaque) + "\n")
    (cwd / "hg38ToRheMac10.over.chain.gz").write_bytes(gz_chain(MACAQUE_SHIFT))
    first = [row.split("\t") for row in human[:4]]
    links = [
        f"{c}:{s}-{e}\t{gene}\t0.8"
        for (c, s, e), gene in zip(first, ["STAT1", "STAT1", "STAT2", "NOTAGENE1"], strict=True)
    ]
    (cwd / "cicero_links.tsv").write_text("peak\tgene\tscore\n" + "\n".join(links) + "\n")
    features = [*GENES, *(f"{c}:{s}-{e}" for c, s, e in (r.split("\t") for r in human))]
    (cwd / "var_names.txt").write_text("\n".join(features) + "\n")
    # docs/go.md: the GO files of each format, and a perturbation AnnData for bioLORD
    (cwd / "go-basic.obo").write_bytes(obo())
    (cwd / "goa_human.gaf.gz").write_bytes(gaf())
    (cwd / "my.tsv").write_bytes(gene2go())
    gears = {gene: set(terms) for gene, terms in ANNOTATIONS.items()}
    (cwd / "gene2go_all.pkl").write_bytes(pickle.dumps(gears))
    papalexi(cwd / "norman.h5ad")
    # docs/perturbseq.md: gene features of the linear baseline
    features = pd.DataFrame(np.random.default_rng(4).normal(size=(len(GENES), 3)), index=GENES)
    features.to_csv(cwd / "go_vectors.tsv", sep="\t")
    # docs/genept.md: GenePT's Zenodo archive (a pickle in a zip), a gene list, cells with labels
    vectors = pd.read_csv(io.BytesIO(gzip.decompress(genept())), index_col=0)
    with zipfile.ZipFile(cwd / "GenePT_emebdding_v2.zip", "w") as archive:
        table = {gene: list(row) for gene, row in vectors.iloc[1:-1].iterrows()}
        archive.writestr("GenePT_emebdding_v2/GenePT_gene_embedding_ada_text.pickle",
                         pickle.dumps(table))  # fmt: skip
    (cwd / "my_genes.txt").write_text("KLF1\nGATA1\nTP53\n")
    # README: a build plan (against the tests' server, `build` writes the files and prints the
    # `neo4j-admin database import` command instead of importing)
    (cwd / "plan.toml").write_text(
        '[[go]]\nobo = "go.basic.2024.isa_only"\nannotations = "go.gene2go.human.2024"\n'
        'kind = "table"\n\n[[go_graph]]\nname = "gears"\n'
    )
    cells = ad.read_h5ad(cwd / "norman.h5ad")
    cells.obs["bulk_labels"] = np.where(cells.obs["condition"] == "ctrl", "monocyte", "T cell")
    cells.write_h5ad(cwd / "pbmc68k_reduced.h5ad")


def unpin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stand-ins are not the registered files: drop their checksums for this test."""
    for name in USED:
        source = sources.REGISTRY[name]
        monkeypatch.setitem(sources.REGISTRY, name, dataclasses.replace(source, sha256=None))
