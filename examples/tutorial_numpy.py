"""The MNIST tutorial's network written directly in numpy: the reference graphflow must reproduce.

784-50-10, sigmoid hidden and sigmoid output layers, trained by full-batch gradient descent on the squared error
against one-hot labels. Weights are drawn from normal(0, 0.1) with `np.random.RandomState(123)`, hidden weights
(50, 784) first, then output weights (10, 50); biases start at zero. The gradient is that of the squared error summed
over the 10 classes and averaged over the images, D2 = -2 (y - p) / N * p (1 - p), while the loss printed is the mean
over images and classes.

    python examples/tutorial_numpy.py --iterations 100
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from graphflow.datasets import mnist

LEARNING_RATE = 0.5
SEED = 123


def init_params(seed: int = SEED, dtype: type = np.float64) -> dict[str, np.ndarray]:
    """The tutorial's initial weights, drawn in its order."""
    rng = np.random.RandomState(seed)
    W_h = rng.normal(0.0, 0.1, (50, 784))
    W_out = rng.normal(0.0, 0.1, (10, 50))
    params = {"W_h": W_h, "b_h": np.zeros(50), "W_out": W_out, "b_out": np.zeros(10)}
    return {k: v.astype(dtype) for k, v in params.items()}


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def forward(params: dict[str, np.ndarray], X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a_h = sigmoid(X @ params["W_h"].T + params["b_h"])
    a_out = sigmoid(a_h @ params["W_out"].T + params["b_out"])
    return a_h, a_out


def step(params: dict[str, np.ndarray], X: np.ndarray, Y: np.ndarray, lr: float = LEARNING_RATE) -> float:
    """One full-batch gradient descent step, in place. Returns the loss before the step (mean over all entries)."""
    a_h, a_out = forward(params, X)
    D2 = -2.0 * (Y - a_out) / len(X) * a_out * (1.0 - a_out)
    D1 = (D2 @ params["W_out"]) * a_h * (1.0 - a_h)
    params["W_out"] -= lr * (D2.T @ a_h)
    params["b_out"] -= lr * D2.sum(axis=0)
    params["W_h"] -= lr * (D1.T @ X)
    params["b_h"] -= lr * D1.sum(axis=0)
    return float(np.mean((Y - a_out) ** 2))


def accuracy(params: dict[str, np.ndarray], X: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(forward(params, X)[1].argmax(axis=1) == labels))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description="The MNIST tutorial's numpy network (reference for graphflow)")
    parser.add_argument("--iterations", type=int, default=1000)
    args = parser.parse_args(argv)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    X, Y = mnist.preprocess(x_train, y_train, dtype=np.float64)
    X_test, _ = mnist.preprocess(x_test, y_test, dtype=np.float64)
    params = init_params()
    start = time.perf_counter()
    for i in range(1, args.iterations + 1):
        loss = step(params, X, Y)
        if i % 100 == 0 or i == args.iterations:
            print(f"iteration {i:5d}  loss {loss:.5f}  test accuracy {accuracy(params, X_test, y_test):.2%}")
    result = {"train_accuracy": accuracy(params, X, y_train), "test_accuracy": accuracy(params, X_test, y_test)}
    print(
        f"numpy tutorial: {args.iterations} iterations, train {result['train_accuracy']:.2%}, "
        f"test {result['test_accuracy']:.2%}, {time.perf_counter() - start:.1f} s"
    )
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
