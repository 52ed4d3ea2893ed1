"""Train a small MLP, export it to ONNX, run it in onnxruntime, and print both outputs side by side.

The network classifies the red/blue XOR clusters with a relu layer, batch normalisation and dropout, all driven by a
`training` flag (`placeholder_with_default(False)`): training feeds True; the export leaves it out, so the model
holds the inference form (moving statistics, no dropout). Needs the onnx extra: `pip install graphflow[onnx]`.

    python examples/export_onnx.py                      # writes out/onnx/xor_mlp.onnx (open it in Netron)
    python examples/export_onnx.py --out /tmp/models --steps 500
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnxruntime

import graphflow as gf
from graphflow import onnx as gf_onnx
from graphflow.datasets import xor


def build(seed: int) -> dict[str, gf.Node]:
    gf.set_random_seed(seed)
    x = gf.placeholder(gf.float32, [None, 2], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    training = gf.placeholder_with_default(False, [], name="training")
    h = gf.layers.dense(x, 16, activation=gf.nn.relu, name="hidden")
    h = gf.layers.batch_normalization(h, training=training, name="batch_norm")
    h = gf.layers.dropout(h, rate=0.2, training=training)
    logits = gf.layers.dense(h, 2, name="logits")
    probabilities = gf.nn.softmax(logits, name="probabilities")
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
    with gf.control_dependencies(gf.get_collection(gf.GraphKeys.UPDATE_OPS)):  # the moving statistics
        train = gf.train.AdamOptimizer(0.02).minimize(loss)
    return {
        "x": x,
        "labels": labels,
        "training": training,
        "probabilities": probabilities,
        "loss": loss,
        "train": train,
    }


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--seed", type=int, default=xor.DEFAULT_SEED, help="seed for the data and the weights")
    parser.add_argument("--out", type=Path, default=Path("out/onnx"), help="folder for the model")
    args = parser.parse_args(argv)
    points, labels = xor.xor(seed=args.seed)
    points = points.astype(np.float32)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "xor_mlp.onnx"

    with gf.Graph().as_default():
        net = build(args.seed)
        with gf.Session() as sess:
            for _ in range(args.steps):
                sess.run(net["train"], {net["x"]: points, net["labels"]: labels, net["training"]: True})
            gf_onnx.export(sess, [net["x"]], [net["probabilities"]], path=path)
            ours = sess.run(net["probabilities"], {net["x"]: points})  # training left at False

    runtime = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (theirs,) = runtime.run(None, {"x": points})
    print(f"exported to {path}; P(blue) for the first points:")
    print("  point              graphflow    onnxruntime")
    for p, a, b in zip(points[:6], ours[:6, 1], theirs[:6, 1], strict=True):
        print(f"  ({p[0]:5.2f}, {p[1]:5.2f})     {a:.6f}     {b:.6f}")
    difference = float(np.abs(ours - theirs).max())
    accuracy = float(np.mean(theirs.argmax(1) == labels))
    print(f"largest difference over {len(points)} points: {difference:.1e}; onnxruntime's accuracy {accuracy:.0%}")
    return {"max_difference": difference, "accuracy": accuracy, "path": str(path)}


if __name__ == "__main__":
    main(sys.argv[1:])
