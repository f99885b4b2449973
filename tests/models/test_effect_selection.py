import numpy as np
import pytest

from priorgraph.models.effect_selection import EffectSelection, select_effects, sort_keys


def brute_force(delta: np.ndarray, selection: EffectSelection):
    """Ranks by stable argsort per row and column, and the union of the three rules."""
    magnitude = np.abs(delta.astype(np.float32))
    n_rows, n_cols = magnitude.shape
    rank = np.empty((n_rows, n_cols), dtype=int)
    for i in range(n_rows):
        rank[i, np.argsort(-magnitude[i], kind="stable")] = np.arange(1, n_cols + 1)
    col_rank = np.empty((n_rows, n_cols), dtype=int)
    for j in range(n_cols):
        col_rank[np.argsort(-magnitude[:, j], kind="stable"), j] = np.arange(1, n_rows + 1)
    keep = (rank <= selection.top_per_perturbation) | (col_rank <= selection.top_per_gene)
    if selection.threshold is not None:
        keep |= magnitude >= selection.threshold
    rows, cols = np.nonzero(keep)
    return rows, cols, rank[rows, cols]


def test_sort_keys_order_by_magnitude_then_earlier_position():
    keys = sort_keys(np.array([[0.5, 2.0, 0.5, 0.0]], dtype=np.float32), axis=1)[0]
    assert np.argsort(-keys.astype(np.float64)).tolist() == [1, 0, 2, 3]
    assert len(set(keys.tolist())) == 4


def test_a_hand_made_matrix():
    delta = np.array([[0.1, -2.0, 0.5, 0.0], [0.3, 0.3, -0.3, 1.5]])
    rows, cols, ranks = select_effects(delta, EffectSelection(1, 1, 1.0))
    # row 0: top 1 = col 1; row 1: top 1 = col 3; per column: col 0 -> row 1, col 1 -> row 0,
    # col 2 -> row 0 (0.5 > 0.3), col 3 -> row 1; |delta| >= 1: (0, 1), (1, 3)
    assert list(zip(rows.tolist(), cols.tolist(), ranks.tolist(), strict=True)) == [
        (0, 1, 1), (0, 2, 2), (1, 0, 2), (1, 3, 1),
    ]  # fmt: skip


@pytest.mark.parametrize("seed", range(20))
def test_the_same_as_ranking_every_row_and_column_with_ties(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 30, size=2))
    delta = rng.normal(0, 1, shape).round(1)  # rounding makes many ties
    selection = EffectSelection(int(rng.integers(0, 5)), int(rng.integers(0, 5)),
                                [None, 0.5, 1.5][seed % 3])  # fmt: skip
    got = select_effects(delta, selection)
    for a, b in zip(got, brute_force(delta, selection), strict=True):
        assert a.tolist() == b.tolist()


def test_selection_rules_are_checked():
    with pytest.raises(ValueError, match=">= 0"):
        EffectSelection(top_per_perturbation=-1)
    with pytest.raises(ValueError, match="threshold must be > 0"):
        EffectSelection(threshold=0)
    rows, cols, ranks = select_effects(np.ones((3, 4)), EffectSelection(0, 0, None))
    assert rows.size == cols.size == ranks.size == 0
