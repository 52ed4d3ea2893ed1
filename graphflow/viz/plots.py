"""Training pictures for the examples: decision boundaries, loss and accuracy curves, image grids, confusion matrices
and weight tiles. matplotlib is imported inside each function, so importing this module is cheap.

Every function draws into a new figure and either saves it (`path`, PNG or SVG by extension, rendered by Agg without
pyplot, so it needs no display and leaves the process's backend alone) or shows it with pyplot (`path=None`), and
returns the path written, if any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphflow.viz.drawing import _new_figure

RED_BLUE = ("red", "blue")


def _subplots(path: Path | str | None, rows: int, columns: int, figsize: tuple[float, float]) -> tuple[Any, Any]:
    """A new figure with a grid of axes: a pyplot figure to show (`path=None`), else an Agg figure to save."""
    fig = _new_figure(figsize, dpi=100, show=path is None)
    return fig, fig.subplots(rows, columns)


def _finish(fig: Any, path: Path | str | None) -> Path | None:
    fig.tight_layout()
    if path is None:
        import matplotlib.pyplot as plt

        plt.show()
        plt.close(fig)
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    return path


def decision_boundary(
    predict: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    labels: np.ndarray,
    path: Path | str | None = None,
    title: str = "decision boundary",
    margin: float = 0.75,
) -> Path | None:
    """Colours the plane by `predict(grid)[:, 1]` (the probability of class 1, blue) and draws the points on top.

    Args:
        predict: maps an (n, 2) array of points to (n, 2) class probabilities.
        points: (n, 2) training points; labels: (n,) with 0 for red and 1 for blue.
    """
    lo, hi = points.min(axis=0) - margin, points.max(axis=0) + margin
    xs, ys = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
    p_blue = predict(np.column_stack([xs.ravel(), ys.ravel()]))[:, 1].reshape(xs.shape)
    fig, ax = _subplots(path, 1, 1, figsize=(6.2, 5.6))
    ax.contourf(xs, ys, p_blue, levels=np.linspace(0, 1, 11), cmap="RdBu", alpha=0.35)
    ax.contour(xs, ys, p_blue, levels=[0.5], colors="k", linewidths=1)
    for label, colour in enumerate(RED_BLUE):
        chosen = labels == label
        ax.scatter(points[chosen, 0], points[chosen, 1], c=colour, edgecolors="k", linewidths=0.5, s=30)
    ax.set(title=title, xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal")
    _boundary_key(fig, ax)
    return _finish(fig, path)


def _boundary_key(fig: Any, ax: Any) -> None:
    """What the colours mean: the classes' markers, the boundary line and the shading's probability scale."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], marker="o", linestyle="", markerfacecolor=c, markeredgecolor="k", label=f"class {i} ({c})")
        for i, c in enumerate(RED_BLUE)
    ]
    handles.append(Line2D([], [], color="k", linewidth=1, label="boundary: P(blue) = 0.5"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    shading = ScalarMappable(Normalize(0, 1), cmap="RdBu")
    fig.colorbar(shading, ax=ax, alpha=0.35, fraction=0.046, pad=0.04, label="P(blue), the network's output")


def training_curves(
    history: Mapping[str, Sequence[float]], x: Sequence[float], path: Path | str | None = None, xlabel: str = "epoch"
) -> Path | None:
    """Two panels as in the MNIST tutorial: loss (left) and accuracy (right), train and test where present.

    Args:
        history: series such as "train_loss", "test_loss", "train_accuracy", "test_accuracy".
        x: the x value (epoch or iteration) of each entry.
    """
    fig, (loss_ax, acc_ax) = _subplots(path, 1, 2, figsize=(10, 4))
    for key, values in history.items():
        ax = loss_ax if key.endswith("loss") else acc_ax
        final = f" ({values[-1]:.2%})" if key.endswith("accuracy") and len(values) else ""
        ax.plot(x[: len(values)], values, label=key.replace("_", " ") + final, marker="." if len(values) < 30 else None)
    loss_ax.set(title="loss", xlabel=xlabel)
    acc_ax.set(title="accuracy", xlabel=xlabel, ylim=accuracy_limits(v for k, v in history.items() if "accuracy" in k))
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(fig, path)


def accuracy_limits(series: Iterable[Sequence[float]]) -> tuple[float, float]:
    """The accuracy axis zoomed onto the last three quarters of training, where the curves differ by a few
    percent; the steep start leaves the frame."""
    tails = [np.asarray(v, float)[len(v) // 4 :] for v in series if len(v)]
    if not tails:
        return 0.0, 1.0
    lo, hi = min(t.min() for t in tails), max(t.max() for t in tails)
    pad = max((hi - lo) * 0.15, 0.005)
    return max(0.0, lo - pad), min(1.0, hi + pad)


def image_grid(
    images: np.ndarray, labels: np.ndarray, predictions: np.ndarray, path: Path | str | None = None, columns: int = 8
) -> Path | None:
    """Images (n, 28, 28) titled "true → predicted"; mistakes in red."""
    rows = int(np.ceil(len(images) / columns))
    fig, axes = _subplots(path, rows, columns, figsize=(1.4 * columns, 1.6 * rows))
    for ax, image, label, guess in zip(np.ravel(axes), images, labels, predictions, strict=False):
        ax.imshow(image.reshape(28, 28), cmap="gray_r")
        ax.set_title(f"{label} → {guess}", color="black" if label == guess else "red", fontsize=9)
    for ax in np.ravel(axes):
        ax.axis("off")
    return _finish(fig, path)


def confusion_matrix(
    labels: np.ndarray, predictions: np.ndarray, path: Path | str | None = None, classes: int = 10
) -> Path | None:
    """Counts of (true, predicted) pairs, with the counts written in the cells."""
    counts = np.zeros((classes, classes), np.int64)
    np.add.at(counts, (labels, predictions), 1)
    fig, ax = _subplots(path, 1, 1, figsize=(6.5, 5.5))
    image = ax.imshow(counts, cmap="Blues")
    fig.colorbar(image, ax=ax)
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, str(n), ha="center", va="center", fontsize=7, color="white" if n > counts.max() / 2 else "black")
    ax.set(title="confusion matrix", xlabel="predicted", ylabel="true", xticks=range(classes), yticks=range(classes))
    return _finish(fig, path)


def weight_tiles(
    kernel: np.ndarray, path: Path | str | None = None, columns: int = 10, limit: int = 100
) -> Path | None:
    """The first layer's weights (784, units) shown as one 28x28 tile per hidden unit (at most `limit`)."""
    units = min(kernel.shape[1], limit)
    rows = int(np.ceil(units / columns))
    fig, axes = _subplots(path, rows, columns, figsize=(columns, rows))
    scale = np.abs(kernel[:, :units]).max()
    for k, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if k < units:
            ax.imshow(kernel[:, k].reshape(28, 28), cmap="RdBu", vmin=-scale, vmax=scale)
    fig.suptitle(f"first-layer weights ({units} units; red negative, blue positive)")
    return _finish(fig, path)
