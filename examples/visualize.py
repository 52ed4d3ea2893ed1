"""Draws graphflow graphs: the XOR network forward, the same with its gradient graph, and an MNIST MLP by layers.

Builds the graphs only (no training, no data), so it runs in a second or two and needs no display:

    python examples/visualize.py                      # PNGs, GraphML and DOT in out/visualize/
    python examples/visualize.py --format svg         # SVG drawings instead
    python examples/visualize.py --docs               # the two README/docs images, palette-compressed, in docs/images/

Writes `xor_forward`, `xor_gradients` and `mnist_layers` drawings, and `xor.graphml` and `xor.dot` for other tools
(`dot -Tsvg out/visualize/xor.dot -o xor.svg` with Graphviz installed).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import graphflow as gf


def build_xor(graph: gf.Graph) -> dict[str, gf.Node]:
    """The 2-2-2 XOR network in `graph`, trained by gradient descent: x -> dense(sigmoid) -> dense -> softmax."""
    with graph.as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float32, [None, 2], name="x")
        labels = gf.placeholder(gf.float32, [None, 2], name="labels")  # one-hot
        hidden = gf.layers.dense(x, 2, activation=gf.nn.sigmoid)
        logits = gf.layers.dense(hidden, 2)
        probabilities = gf.nn.softmax(logits)
        loss = gf.losses.softmax_cross_entropy(labels, logits)
        train = gf.train.GradientDescentOptimizer(0.03).minimize(loss)
    return {"x": x, "labels": labels, "probabilities": probabilities, "loss": loss, "train": train}


def build_mnist(graph: gf.Graph) -> dict[str, gf.Node]:
    """A 784-256-10 ReLU MLP with softmax cross-entropy, trained by Adam."""
    with graph.as_default():
        gf.set_random_seed(0)
        x = gf.placeholder(gf.float32, [None, 784], name="x")
        labels = gf.placeholder(gf.float32, [None, 10], name="labels")
        hidden = gf.layers.dense(x, 256, activation=gf.nn.relu)
        logits = gf.layers.dense(hidden, 10)
        probabilities = gf.nn.softmax(logits)
        loss = gf.losses.softmax_cross_entropy(labels, logits)
        train = gf.train.AdamOptimizer(0.001).minimize(loss)
    return {"x": x, "labels": labels, "probabilities": probabilities, "loss": loss, "train": train}


def compress_png(path: Path, colors: int = 128) -> None:
    """Rewrites a PNG with a palette of `colors`: about a quarter of the size, for images kept in the repository."""
    from PIL import Image  # Pillow comes with matplotlib

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.FASTOCTREE)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default out/visualize)")
    parser.add_argument("--format", choices=("png", "svg"), default="png", help="drawing format (default png)")
    parser.add_argument(
        "--docs",
        action="store_true",
        help="write only xor_gradients.png and mnist_layers.png, palette-compressed (default folder docs/images)",
    )
    args = parser.parse_args(argv)
    out = args.out or Path("docs/images" if args.docs else "out/visualize")
    out.mkdir(parents=True, exist_ok=True)
    ext = "png" if args.docs else args.format

    xor_graph, mnist_graph = gf.Graph(), gf.Graph()
    build_xor(xor_graph)
    build_mnist(mnist_graph)

    written: list[Path] = []

    def draw(name: str, graph_or_fetches: object, **kwargs: object) -> None:
        path = out / f"{name}.{ext}"
        gf.viz.draw_graph(graph_or_fetches, path, **kwargs)
        if args.docs:
            compress_png(path)
        written.append(path)

    if not args.docs:
        # The forward graph: what a run of the loss and the predictions computes.
        draw("xor_forward", xor_graph, show_gradients=False, title="XOR network: forward graph")
    # Everything `minimize` added: the gradient walk (gradients/...) and the update ops (GradientDescent/...).
    # Top-down, because the backward pass makes the graph long.
    draw("xor_gradients", xor_graph, direction="TB", title="XOR network with its gradient graph (minimize)")
    draw("mnist_layers", mnist_graph, collapse_scopes=True, title="MNIST MLP 784-256-10 with Adam, by name scope")
    if not args.docs:
        for name, write in (("xor.graphml", gf.viz.write_graphml), ("xor.dot", gf.viz.write_dot)):
            write(xor_graph, out / name)
            written.append(out / name)
    for path in written:
        print(f"wrote {path}")
    return written


if __name__ == "__main__":
    main()
