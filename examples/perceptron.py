"""The single-layer perceptron: two linearly separable clusters, red around (-2, -2) and blue around (2, 2).

As in the "deep learning from scratch" series: softmax(x W + b) with W started at [[1, -1], [1, -1]] and b at 0,
trained by gradient descent on the summed cross-entropy with learning rate 0.01.

    python examples/perceptron.py          # writes out/perceptron/decision_boundary.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import graphflow as gf
from graphflow.data import one_hot
from graphflow.datasets import xor
from graphflow.viz import plots


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=100, help="gradient descent steps (default 100)")
    parser.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    parser.add_argument("--seed", type=int, default=xor.DEFAULT_SEED, help="seed for the clusters")
    parser.add_argument("--out", type=Path, default=Path("out/perceptron"), help="folder for the plot")
    parser.add_argument("--show", action="store_true", help="open the plot in a window instead of saving it")
    args = parser.parse_args(argv)

    points, labels = xor.separable(seed=args.seed)
    with gf.Graph().as_default():
        X = gf.placeholder(gf.float64, [None, 2], name="X")
        c = gf.placeholder(gf.float64, [None, 2], name="c")
        W = gf.Variable(np.array([[1.0, -1.0], [1.0, -1.0]]), name="W")
        b = gf.Variable(np.zeros(2), name="b")
        logits = gf.matmul(X, W) + b
        p = gf.nn.softmax(logits)
        J = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=logits))
        accuracy = gf.reduce_mean(gf.cast(gf.equal(gf.argmax(p, 1), gf.argmax(c, 1)), gf.float64))
        train = gf.train.GradientDescentOptimizer(args.lr).minimize(J)
        feed = {X: points, c: one_hot(labels, 2, np.float64)}
        with gf.Session() as sess:
            for step in range(args.steps):
                if step % 10 == 0:
                    print(f"step {step:4d}  loss {sess.run(J, feed):9.4f}")
                sess.run(train, feed)
            loss, acc = sess.run([J, accuracy], feed)
            path = plots.decision_boundary(
                lambda grid: sess.run(p, {X: grid}),
                points,
                labels,
                path=None if args.show else args.out / "decision_boundary.png",
                title="perceptron: a straight boundary",
            )
    print(f"perceptron: {args.steps} steps, final loss {loss:.4f}, training accuracy {acc:.1%}; plot {path}")
    return {"loss": float(loss), "accuracy": float(acc)}


if __name__ == "__main__":
    main(sys.argv[1:])
