"""The multi-layer perceptron that solves XOR: two red clusters at (0, 0) and (1, 1), two blue at (0, 1) and (1, 0).

A 2-2-2 network (sigmoid hidden layer, softmax output) trained by gradient descent on the cross-entropy summed over
the points, learning rate 0.03, as in the "deep learning from scratch" series. Prints progress, the final loss and
accuracy, and saves a decision-boundary plot.

    python examples/xor.py                 # writes out/xor/decision_boundary.png
    python examples/xor.py --show          # opens the plot in a window instead
    python examples/xor.py --logdir out/logs/xor   # also writes TensorBoard summaries: tensorboard --logdir out/logs
    python examples/xor.py --lr 100 --debug-nans  # a learning rate too large: the script says what went wrong
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


def build(seed: int) -> dict[str, gf.Node]:
    """The series' network, with its weights drawn from `seed` (not from numpy's global random state)."""
    rng = np.random.default_rng(seed)
    X = gf.placeholder(gf.float64, [None, 2], name="X")
    c = gf.placeholder(gf.float64, [None, 2], name="c")
    with gf.name_scope("hidden"):
        W_hidden = gf.Variable(rng.standard_normal((2, 2)), name="W")
        b_hidden = gf.Variable(rng.standard_normal(2), name="b")
        p_hidden = gf.sigmoid(gf.matmul(X, W_hidden) + b_hidden)
    with gf.name_scope("output"):
        W_output = gf.Variable(rng.standard_normal((2, 2)), name="W")
        b_output = gf.Variable(rng.standard_normal(2), name="b")
        logits = gf.matmul(p_hidden, W_output) + b_output
        p_output = gf.nn.softmax(logits)
    # The series writes J = -sum(c * log(p_output)); the fused op computes the same value without log(0).
    J = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=logits), name="J")
    accuracy = gf.reduce_mean(gf.cast(gf.equal(gf.argmax(p_output, 1), gf.argmax(c, 1)), gf.float64))
    return {"X": X, "c": c, "p_output": p_output, "J": J, "accuracy": accuracy}


def diagnose(losses: dict[int, float], lr: float) -> str | None:
    """A hint when training went wrong: the loss (by step) is NaN or infinite, or stopped moving well above zero."""
    steps = sorted(losses)
    last = losses[steps[-1]]
    if not np.isfinite(last):
        return (
            f"hint: the loss is {last}. A learning rate too large ({lr}) is the usual cause; rerun with --debug-nans "
            "(gf.Session(debug_nans=True)) to stop at the first op whose output holds NaN or Inf, named."
        )
    since = next(s for s in steps if abs(losses[s] - last) <= 1e-6 * abs(last))
    if last > 1.0 and steps[-1] - since >= 300:
        return (
            f"hint: the loss has stayed at {last:.4g} since step {since}: the weights are stuck. With a learning rate "
            f"this large ({lr}) the first steps push the sigmoids into saturation, where their gradients vanish; try "
            "a smaller --lr (the default is 0.03). --debug-nans (gf.Session(debug_nans=True)) stops at the first op "
            "whose output holds NaN or Inf."
        )
    return None


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000, help="gradient descent steps (default 1000)")
    parser.add_argument("--lr", type=float, default=0.03, help="learning rate (default 0.03)")
    parser.add_argument("--seed", type=int, default=xor.DEFAULT_SEED, help="seed for the data and the weights")
    parser.add_argument("--out", type=Path, default=Path("out/xor"), help="folder for the plot")
    parser.add_argument("--show", action="store_true", help="open the plot in a window instead of saving it")
    parser.add_argument("--quiet", action="store_true", help="print only the final line")
    parser.add_argument("--logdir", type=Path, help="write loss, accuracy and weight summaries and the graph here")
    parser.add_argument("--debug-nans", action="store_true", help="stop at the first op that makes a NaN or Inf")
    args = parser.parse_args(argv)

    points, labels = xor.xor(seed=args.seed)
    with gf.Graph().as_default():
        net = build(args.seed)
        train = gf.train.GradientDescentOptimizer(args.lr).minimize(net["J"])
        feed = {net["X"]: points, net["c"]: one_hot(labels, 2, np.float64)}
        writer = None
        if args.logdir is not None:
            gf.summary.scalar("loss", net["J"])
            gf.summary.scalar("accuracy", net["accuracy"])
            with gf.name_scope("weights"):  # a summary named as its variable would be tagged "hidden/W_1"
                for var in gf.trainable_variables():
                    gf.summary.histogram(var.op_name, var)
            summaries = gf.summary.merge_all()
            writer = gf.summary.FileWriter(args.logdir, gf.get_default_graph())
        losses: dict[int, float] = {}
        with gf.Session(debug_nans=args.debug_nans) as sess:
            for step in range(args.steps + 1):
                if step % 100 == 0:
                    loss, acc = sess.run([net["J"], net["accuracy"]], feed)
                    losses[step] = float(loss)
                    if not args.quiet:
                        print(f"step {step:5d}  loss {loss:9.4f}  accuracy {acc:6.1%}")
                if writer is not None and step % 10 == 0:
                    writer.add_summary(sess.run(summaries, feed), step)
                if step < args.steps:
                    sess.run(train, feed)
            if writer is not None:
                writer.close()
            loss, acc = sess.run([net["J"], net["accuracy"]], feed)
            path = plots.decision_boundary(
                lambda grid: sess.run(net["p_output"], {net["X"]: grid}),
                points,
                labels,
                path=None if args.show else args.out / "decision_boundary.png",
                title="XOR: decision boundary of the 2-2-2 network",
            )
    where = "shown in a window" if path is None else f"saved to {path}"
    print(f"xor: {args.steps} steps, final loss {loss:.4f}, training accuracy {acc:.1%}; decision boundary {where}")
    hint = diagnose(losses, args.lr)
    if hint:
        print(hint)
    return {"loss": float(loss), "accuracy": float(acc)}


if __name__ == "__main__":
    main(sys.argv[1:])
