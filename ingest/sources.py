"""Registry of the public files ingest jobs read: official location, checksum, cached download.

``fetch(name)`` returns a local path for a registered source, looking in this order:

1. the mirror directory ``PRIORGRAPH_DATA_DIR`` (on the project's machines, ``../shared/data``),
   under the entry's ``mirror`` path;
2. the download cache ``$PRIORGRAPH_HOME/downloads``;
3. the official URL, downloaded with a progress bar into the cache.

Every file is checked against its sha256. Entries whose upstream file moves with each release
(``sha256=None``: "current" GO, Ensembl GTF) are pinned on first download: the checksum is
recorded in ``downloads/checksums.json`` and later fetches must match it (trust on first use).
A download that turns out to be an HTML page (an error or login page served with status 200, as
GEARS users met with pickled 403 pages) is rejected, never cached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from priorgraph.core.config import data_dir, home_dir
from priorgraph.core.errors import SourceError
from priorgraph.core.utils import progress as progress_bar
from priorgraph.kg.writer import Provenance

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Source:
    """One public file. ``mirror`` is its path inside a mirror directory."""

    name: str
    description: str
    version: str
    mirror: str
    url: str | None = None
    sha256: str | None = None
    origin: str | None = None  # for derived files: what they were converted from

    @property
    def filename(self) -> str:
        return Path(self.mirror).name


_ENSEMBL = "https://ftp.ensembl.org/pub/release-109"
_UCSC = "https://hgdownload.soe.ucsc.edu/goldenPath"

REGISTRY: dict[str, Source] = {
    s.name: s
    for s in (
        # --- Gene Ontology (official, moving "current" release: pinned on first download) ---
        Source(
            "go.basic.obo",
            "GO ontology, go-basic (is_a + part_of, acyclic)",
            "current",
            "go/go-basic.obo",
            url="https://purl.obolibrary.org/obo/go/go-basic.obo",
        ),
        Source(
            "go.gaf.human",
            "GO annotations of human genes (GAF 2.2, GO Consortium)",
            "current",
            "go/goa_human.gaf.gz",
            url="https://current.geneontology.org/annotations/goa_human.gaf.gz",
        ),
        Source(
            "gears.gene2go",
            "GEARS gene2go pickle (symbol -> set of GO ids), Harvard Dataverse",
            "gears-2022",
            "go/gene2go_all.pkl",
            url="https://dataverse.harvard.edu/api/access/datafile/6153417",
        ),
        # --- development mirror files (../shared/data), byte-exact or derived copies ---
        Source(
            "go.gene2go.human.2024",
            "human gene symbol -> GO id table, 252,037 pairs",
            "2024-02-20",
            "go/human_gene2go_2024-02-20.tsv",
            sha256="dc78a8f14fa24b7a70f8ce48cd509defd82357f475ad8824925a11897558e0d3",
            origin="GO Consortium human GAF 2024-02-20 via cran/ontologySimilarity",
        ),
        Source(
            "go.terms.2024",
            "GO terms (id, name, namespace, obsolete)",
            "2024-02",
            "go/go_terms_2024-02.tsv",
            sha256="1a387cff2bf8730778ee93fbbe564c8781abf0cba784e9f008a6af95378ce3b8",
            origin="go-basic 2024-02 via cran/ontologyIndex",
        ),
        Source(
            "go.is_a.2024",
            "GO is_a edges (child, parent)",
            "2024-02",
            "go/go_is_a_edges_2024-02.tsv",
            sha256="5464aeccd250ca284a4b4bb5f7eac3349f80360acce1e8b27ed9c8a3d897ff4a",
            origin="go-basic 2024-02 via cran/ontologyIndex",
        ),
        Source(
            "go.basic.2024.isa_only",
            "go-basic 2024-02 written back as OBO (is_a only)",
            "2024-02",
            "go/go_basic_2024-02_isa_only.obo",
            sha256="86b8a979944b936e95d9953fa6b5ca27df9b02a50fad24378dbf56513179a1fc",
            origin="go-basic 2024-02 via cran/ontologyIndex",
        ),
        Source(
            "go.slim.generic",
            "GO slim generic OBO (has part_of)",
            "goatools-c5fedea2",
            "go/goslim_generic.obo",
            sha256="5b6425771858549928685f0965a4f75f04ee279c61a58483c5069cac45ec842d",
            origin="tanghaibao/goatools tests/data/goslim_generic.obo",
        ),
        # --- genome annotation and liftOver ---
        Source(
            "ensembl.gtf.human.109",
            "Ensembl 109 GRCh38 gene annotation (GTF)",
            "109",
            "genome/Homo_sapiens.GRCh38.109.gtf.gz",
            url=f"{_ENSEMBL}/gtf/homo_sapiens/Homo_sapiens.GRCh38.109.gtf.gz",
        ),
        Source(
            "ensembl.genes.human.109",
            "Ensembl 109 GRCh38 genes as BED",
            "109",
            "genome/hg38_genes_ensembl109.bed",
            sha256="0dcc25f16ed28b6af2da04489e3062537f60b9d362393a78b218f80055c5454d",
            origin="stephenturner/annotables grch38 (Ensembl 109)",
        ),
        Source(
            "ensembl.tss.human.109",
            "Ensembl 109 GRCh38 TSSs as BED",
            "109",
            "genome/hg38_tss_ensembl109.bed",
            sha256="31cc6d2d768836db7ae6ef5f74cac64e7d0e06bc79ea1653ec7b544e5016ac62",
            origin="stephenturner/annotables grch38 (Ensembl 109)",
        ),
        Source(
            "ensembl.table.human.109",
            "Ensembl 109 GRCh38 gene table with descriptions",
            "109",
            "genome/grch38_genes_ensembl109.tsv",
            sha256="8af200ab96f19c25712b4c77e2f468116c3fb9f49d9d074b5ff5bfc4eeacb5cc",
            origin="stephenturner/annotables grch38 (Ensembl 109)",
        ),
        Source(
            "ensembl.table.macaque.109",
            "Ensembl 109 rhesus macaque gene table",
            "109",
            "genome/mmul_genes_ensembl109.tsv",
            sha256="c6f5e4c5704d4d320fbc2497920e5255a46da6dd5e5a361e2dca926df7a8769c",
            origin="stephenturner/annotables mmul801",
        ),
        Source(
            "ensembl.previous_symbols.human",
            "previous -> current human gene symbols (Ensembl 82-109 renames), with Ensembl ids",
            "82-109",
            "genome/human_previous_symbols_ensembl.tsv",
            sha256="03b59a0662262f67e4607c98632d8ce28ae75f5dcd0f5304e144f4d34dec30f5",
            origin="stephenturner/annotables grch38 at six commits (Ensembl 82 to 109)",
        ),
        Source(
            "hgnc.symbol_map.2022-04",
            "HGNC symbol -> approved symbol map (approved, previous, alias symbols)",
            "2022-04-04",
            "genome/hgnc_symbol_map_hgnchelper_2022-04.tsv",
            sha256="9429873d0db909b5d19dda0d68ee867c93caf59d2d8035859fb88c023d3c3d91",
            origin="waldronlab/HGNChelper hgnc.table.rda",
        ),
        Source(
            "homologene.human_macaque",
            "human-macaque ortholog pairs (HomoloGene 68)",
            "68",
            "genome/human_macaque_orthologs_homologene.tsv",
            sha256="67c403d54bb5cb5ae170b06e74bf7ab1c6acf6d032cd10c0a41d8a0dfd712408",
            origin="oganm/homologene",
        ),
        Source(
            "ucsc.chain.hg38_hg19",
            "UCSC liftOver chain hg38 -> hg19",
            "2013",
            "genome/hg38ToHg19.over.chain.gz",
            url=f"{_UCSC}/hg38/liftOver/hg38ToHg19.over.chain.gz",
            sha256="3a055f690fbddadea2c4cc624f09dc3519f9001ebab2223a25bf377b1a4564b9",
        ),
        Source(
            "ucsc.chain.hg38_rheMac10",
            "UCSC liftOver chain hg38 -> rheMac10",
            "current",
            "genome/hg38ToRheMac10.over.chain.gz",
            url=f"{_UCSC}/hg38/liftOver/hg38ToRheMac10.over.chain.gz",
        ),
        # --- peaks, embeddings, perturbation data ---
        Source(
            "peaks.pbmc10k_multiome",
            "10x Multiome PBMC 10k ATAC peaks (GRCh38)",
            "cellranger-arc-2",
            "peaks/pbmc10k_multiome_atac_peaks_hg38.bed",
            sha256="a326cc4ab1b78e1231f113b5eff6fac80817cfdeed5340f1c14f20438c6e1e96",
            origin="omicscodeathon/cellitac data/Study2",
        ),
        Source(
            "genept.summaries.207",
            "NCBI-style summaries of 207 perturbed genes",
            "scouter-misc",
            "genept/gene_summaries_207.json",
            sha256="981d0b5ad9b7ea9635b4330f10aeddcc0c64d3115f9e976159660e86d80f4529",
            origin="PancakeZoy/scouter_misc GeneSummary.json",
        ),
        Source(
            "genept.ada002.adamson86",
            "GenePT-style ada-002 embeddings of 86 genes",
            "scouter-misc",
            "genept/genept_ada002_adamson86.csv.gz",
            sha256="11bda4e729ff732962a46c474d54fceaa6ab58080e0c99b1f508e30039259af8",
            origin="PancakeZoy/scouter_misc Embedding_small.csv.gz",
        ),
        Source(
            "genept.embeddings.v2",
            "GenePT gene embeddings (Chen & Zou), Zenodo",
            "v2",
            "genept/GenePT_emebdding_v2.zip",
            url="https://zenodo.org/records/10833191/files/GenePT_emebdding_v2.zip",
        ),
        Source(
            "perturb.papalexi2021",
            "Papalexi 2021 THP-1 CRISPR-KO Perturb-seq (counts)",
            "sceptredata",
            "perturb/papalexi2021_thp1_ko.h5ad",
            sha256="5fcbf6ce46996853c0fe68edc6465dac8a2c34c570e82b4fac4e46c12e632238",
            origin="Katsevich-Lab/sceptredata lowmoi_example_data.rda",
        ),
        Source(
            "perturb.norman2019.subset",
            "Norman 2019 K562 CRISPRa: 3,375 cells x 500 HVGs, 18 singles, 15 doubles "
            "(perturbench labels, log-normalised)",
            "perturbench-d357dfae",
            "perturb/norman2019_k562_crispra_perturbench_subset.h5ad",
            sha256="25f31166eceb151cd8935703e80e1db1e3e2d043c95f1ba368a4e933fe2e131f",
            origin="altoslabs/perturbench devel.h5ad, norman19 rows",
        ),
        Source(
            "perturb.norman2019.gi",
            "Norman 2019 GI scores in GEARS format",
            "scouter-misc",
            "perturb/norman2019_gi/gi_scores_gears_format.csv",
            sha256="82f406b5652206e964f4a695d09ac918d1298380fc0199d5f98a705516b26f29",
            origin="PancakeZoy/scouter_misc GI_scores_truth.csv",
        ),
        Source(
            "scrna.pbmc68k_reduced",
            "scanpy pbmc68k_reduced (700 cells, 10 labels)",
            "scanpy",
            "scrna/pbmc68k_reduced.h5ad",
            sha256="863e19914ab2d4ba97edc9623ac3a343c0461f1e40b121bfb5fa92638b22e9bd",
            origin="scverse/scanpy datasets",
        ),
    )
}


@dataclass(frozen=True)
class LocalInput:
    """A file argument made local: its path and, for a registered source, the registry entry."""

    path: Path
    source: Source | None = None

    def provenance(self) -> Provenance:
        """The registered name and version, or ``file:<name>`` and the file's sha256 prefix."""
        if self.source is not None:
            return Provenance(self.source.name, self.source.version)
        return Provenance(f"file:{self.path.name}", sha256sum(self.path)[:12])


def resolve(arg: str | Path, *, progress: bool = True) -> LocalInput:
    """A path or the name of a registered source, as the CLI's file arguments take them.

    An existing file is used as it is; otherwise a registered name is fetched (mirror, cache
    or download, see :func:`fetch`). Anything else is a :class:`SourceError`.
    """
    path = Path(arg)
    if path.is_file():
        return LocalInput(path)
    if str(arg) in REGISTRY:
        return LocalInput(fetch(str(arg), progress=progress), get(str(arg)))
    raise SourceError(
        f"{arg}: neither a file nor a registered source (see `priorgraph sources list`)"
    )


def sha256sum(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cache_dir() -> Path:
    return home_dir() / "downloads"


def _pins_file() -> Path:
    return cache_dir() / "checksums.json"


def _pins() -> dict[str, str]:
    try:
        return json.loads(_pins_file().read_text())
    except FileNotFoundError:
        return {}


def expected_sha256(source: Source) -> str | None:
    """The registered checksum, or the one pinned at first download for moving releases."""
    return source.sha256 or _pins().get(source.name)


def get(name: str) -> Source:
    try:
        return REGISTRY[name]
    except KeyError:
        raise SourceError(
            f"unknown source {name!r}; known: {', '.join(sorted(REGISTRY))}"
        ) from None


def _verify(source: Source, path: Path) -> Path:
    expected = expected_sha256(source)
    if expected is not None:
        actual = sha256sum(path)
        if actual != expected:
            raise SourceError(
                f"checksum mismatch for {source.name} at {path}: expected sha256 {expected}, "
                f"got {actual} (a truncated or different file; delete it to download again)"
            )
    return path


def looks_like_html(path: Path) -> bool:
    """True for an HTML page (error, login or redirect page) where a data file was expected."""
    with open(path, "rb") as handle:
        head = handle.read(1024).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:256]


def local_copy(source: Source) -> Path | None:
    """Where a source is already on this machine, not yet verified: the mirror
    (``PRIORGRAPH_DATA_DIR``) first, then the download cache; None when it is in neither."""
    mirror = data_dir()
    for folder in (mirror, cache_dir()):
        if folder is not None and (folder / source.mirror).is_file():
            return folder / source.mirror
    return None


def fetch(name: str, *, progress: bool = True, timeout: float = 60.0) -> Path:
    """Local path of a registered source (mirror, cache or download), checksum-verified."""
    source = get(name)
    found = local_copy(source)
    if found is not None:
        return _verify(source, found)
    mirror = data_dir()
    cached = cache_dir() / source.mirror
    if source.url is None:
        where = f"{mirror / source.mirror}" if mirror else "PRIORGRAPH_DATA_DIR (not set)"
        raise SourceError(
            f"{source.name} has no public download location (it is derived from {source.origin}); "
            f"expected it in the mirror directory: {where}"
        )
    return _download(source, cached, progress=progress, timeout=timeout)


def _download(source: Source, target: Path, *, progress: bool, timeout: float) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    request = urllib.request.Request(source.url, headers={"User-Agent": "priorgraph"})
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{source.filename}.")
    tmp = Path(tmp_name)
    try:
        with (
            urllib.request.urlopen(request, timeout=timeout) as response,
            os.fdopen(fd, "wb") as out,
        ):
            content_type = response.headers.get("Content-Type", "")
            total = int(response.headers.get("Content-Length") or 0) or None
            logger.info("downloading %s from %s", source.name, source.url)
            with progress_bar(total=total, desc=source.name, enabled=progress, unit="B") as bar:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
        if "text/html" in content_type or looks_like_html(tmp):
            raise SourceError(
                f"{source.url} returned an HTML page instead of {source.filename} "
                "(an error, login or rate-limit page); nothing was cached"
            )
        _verify(source, tmp)
        if expected_sha256(source) is None:  # moving release: pin what we got
            pins = _pins()
            pins[source.name] = sha256sum(tmp)
            _pins_file().write_text(json.dumps(pins, indent=2, sort_keys=True))
        shutil.move(tmp, target)
        return target
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise SourceError(
            f"could not download {source.name} from {source.url}: {err}. Without network access, "
            f"put the file at <mirror>/{source.mirror} and set PRIORGRAPH_DATA_DIR=<mirror>"
        ) from err
    finally:
        tmp.unlink(missing_ok=True)
