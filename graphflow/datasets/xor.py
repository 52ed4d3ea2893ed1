"""The red/blue point clusters of the perceptron and multi-layer perceptron examples, generated from a seed.

`xor()` makes the classic problem no single-layer perceptron solves: red clusters at (0, 0) and (1, 1), blue clusters
at (0, 1) and (1, 0). `separable()` makes two clusters a line can split. Labels are 0 for red and 1 for blue.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["BLUE", "DEFAULT_SEED", "RED", "clusters", "in_own_quadrant", "separable", "xor"]

RED, BLUE = 0, 1

# With a standard deviation of 0.2 most seeds throw a point across the middle into its neighbour's quadrant, where no
# sensible boundary classifies it. This seed keeps every point in its own quadrant, and the examples' 2-2-2 network
# started from the same seed separates all of them within the series' 1000 steps (tests/test_examples.py checks it).
DEFAULT_SEED = 38


def clusters(
    centers: Sequence[tuple[float, float]],
    labels: Sequence[int],
    n_per_cluster: int,
    std: float,
    seed: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters of 2-D points: `n_per_cluster` around each center, with the matching label.

    Args:
        centers: (x, y) of each cluster's center.
        labels: each cluster's integer label (`RED` 0 or `BLUE` 1 in this module's sets).
        n_per_cluster: points per cluster, at least 1.
        std: the standard deviation of each coordinate around its center.
        seed: the seed of the numpy generator; None for fresh entropy.

    Raises:
        ValueError: `centers` and `labels` differ in length, or `n_per_cluster` < 1.

    Returns:
        points of shape (len(centers) * n_per_cluster, 2), float64, and integer labels of shape (len(points),).
    """
    if len(centers) != len(labels):
        raise ValueError(f"got {len(centers)} centers but {len(labels)} labels")
    if n_per_cluster < 1:
        raise ValueError(f"n_per_cluster must be at least 1, got {n_per_cluster}")
    rng = np.random.default_rng(seed)
    points = [std * rng.standard_normal((n_per_cluster, 2)) + np.asarray(center, float) for center in centers]
    return np.concatenate(points), np.repeat(np.asarray(labels, np.int64), n_per_cluster)


def xor(n_per_cluster: int = 25, std: float = 0.2, seed: int | None = DEFAULT_SEED) -> tuple[np.ndarray, np.ndarray]:
    """Red clusters at (0, 0) and (1, 1), blue at (0, 1) and (1, 0): 100 points by default.

    Args:
        n_per_cluster: points per cluster.
        std: the standard deviation of each coordinate around its center.
        seed: the seed of the numpy generator (`DEFAULT_SEED`, the tutorial's); None for fresh entropy.

    Returns:
        points of shape (4 * n_per_cluster, 2) and their labels, as from `clusters`.

    Examples:
        >>> points, labels = gf.datasets.xor.xor()
        >>> points.shape, labels[:2]
        ((100, 2), array([0, 0]))
    """
    return clusters([(0, 0), (1, 1), (0, 1), (1, 0)], [RED, RED, BLUE, BLUE], n_per_cluster, std, seed)


def separable(
    n_per_cluster: int = 50, std: float = 1.0, seed: int | None = DEFAULT_SEED
) -> tuple[np.ndarray, np.ndarray]:
    """A red cluster at (-2, -2) and a blue one at (2, 2): linearly separable, for the single-layer perceptron.

    Args:
        n_per_cluster: points per cluster.
        std: the standard deviation of each coordinate around its center.
        seed: the seed of the numpy generator (`DEFAULT_SEED`, the tutorial's); None for fresh entropy.

    Returns:
        points of shape (2 * n_per_cluster, 2) and their labels, as from `clusters`.

    Examples:
        >>> points, labels = gf.datasets.xor.separable()
        >>> points.shape, labels[:2]
        ((100, 2), array([0, 0]))
    """
    return clusters([(-2, -2), (2, 2)], [RED, BLUE], n_per_cluster, std, seed)


def in_own_quadrant(points: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """For XOR data: whether each point lies on its label's side of the lines x = 0.5 and y = 0.5.

    Args:
        points: shape (n, 2).
        labels: shape (n,), `RED` or `BLUE`.

    Returns:
        A bool array of shape (n,).
    """
    blue_side = (points[:, 0] > 0.5) != (points[:, 1] > 0.5)
    return blue_side == (labels == BLUE)


def __dir__() -> list[str]:
    return list(__all__)  # dir() and tab completion show the public API, not this module's imports
