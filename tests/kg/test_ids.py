import pytest

from priorgraph.core.errors import UsageError
from priorgraph.kg import ids


def test_gene_symbol_inverts_gene_id():
    assert ids.gene_symbol(ids.gene_id("KLF1")) == "KLF1"
    assert ids.gene_symbol(ids.gene_id("H2-K1", "mouse")) == "H2-K1"
    for bad in ("KLF1", ":KLF1", "human:"):
        with pytest.raises(UsageError, match="not a gene id"):
            ids.gene_symbol(bad)
