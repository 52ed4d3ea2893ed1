"""Multi-layer perceptrons on MNIST, trained through graphflow's graph, with progress bars and pictures.

Two presets:

* `modern` (default): a ReLU hidden layer of 512 units (He initialisation), softmax cross-entropy, Adam (learning
  rate 1e-3, times 0.85 after each epoch), shuffled minibatches of 128, float32, 10 epochs.
* `tutorial`: the numpy tutorial's 784-50-10 network (sigmoid hidden and output layers, squared error against one-hot
  labels, full-batch gradient descent over all 60,000 images, learning rate 0.5, float64), reproducing
  `examples/tutorial_numpy.py` exactly.

    python examples/mnist_mlp.py                         # modern preset, 10 epochs
    python examples/mnist_mlp.py --preset tutorial       # 1000 full-batch iterations
    python examples/mnist_mlp.py --restore out/mnist/model.ckpt-4690   # evaluate a saved model
    python examples/mnist_mlp.py --export model.onnx     # also export it to ONNX and check it in onnxruntime

Pictures (loss and accuracy curves, test predictions, confusion matrix, first-layer weights) and the checkpoint go
to `--out` (default out/mnist); `--show` opens the pictures in windows as well.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

import graphflow as gf
from graphflow.data import batches
from graphflow.datasets import mnist
from graphflow.viz import plots

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tutorial_numpy  # the tutorial's initial weights live next to this script

PRESETS = {
    "modern": {
        "hidden": [512],
        "lr": 1e-3,
        "lr_decay": 0.85,
        "batch_size": 128,
        "epochs": 10,
        "optimizer": "adam",
        "dtype": "float32",
    },
    "tutorial": {
        "hidden": [50],
        "lr": 0.5,
        "lr_decay": 1.0,
        "batch_size": 0,
        "epochs": 1000,
        "optimizer": "sgd",
        "dtype": "float64",
    },
}
OPTIMIZERS = {
    "adam": gf.train.AdamOptimizer,
    "sgd": gf.train.GradientDescentOptimizer,
    "momentum": lambda lr: gf.train.MomentumOptimizer(lr, 0.9),
    "rmsprop": gf.train.RMSPropOptimizer,
    "adagrad": gf.train.AdagradOptimizer,
}


def build_modern(hidden: list[int], dtype: str, seed: int) -> dict[str, gf.Node]:
    """ReLU layers (He initialisation) and a linear output layer; the loss is the mean softmax cross-entropy."""
    gf.set_random_seed(seed)
    x = gf.placeholder(dtype, [None, 784], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    h = x
    for units in hidden:
        h = gf.layers.dense(h, units, activation=gf.nn.relu, kernel_initializer=gf.initializers.he_normal())
    logits = gf.layers.dense(h, 10)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
    prediction = gf.argmax(logits, 1, name="prediction")
    accuracy = gf.reduce_mean(gf.cast(gf.equal(prediction, labels), dtype), name="accuracy")
    probabilities = gf.nn.softmax(logits, name="probabilities")
    return {"x": x, "labels": labels, "loss": loss, "objective": loss, "prediction": prediction, "accuracy": accuracy,
            "probabilities": probabilities}  # fmt: skip


def build_tutorial(dtype: str = "float64") -> dict[str, gf.Node]:
    """The tutorial's equations as a graph: sigmoid(sigmoid(x W_hᵀ + b_h) W_outᵀ + b_out) against one-hot targets."""
    params = tutorial_numpy.init_params(dtype=np.dtype(dtype).type)
    x = gf.placeholder(dtype, [None, 784], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    with gf.name_scope("hidden"):
        W_h = gf.Variable(params["W_h"], name="W")
        b_h = gf.Variable(params["b_h"], name="b")
        a_h = gf.sigmoid(gf.matmul(x, W_h, transpose_b=True) + b_h)
    with gf.name_scope("output"):
        W_out = gf.Variable(params["W_out"], name="W")
        b_out = gf.Variable(params["b_out"], name="b")
        a_out = gf.sigmoid(gf.matmul(a_h, W_out, transpose_b=True) + b_out)
    error = gf.square(gf.one_hot(labels, 10, dtype=dtype) - a_out)
    # The tutorial descends the squared error summed over classes and averaged over images, but prints the mean.
    objective = gf.reduce_mean(gf.reduce_sum(error, axis=1), name="objective")
    loss = gf.reduce_mean(error, name="loss")
    prediction = gf.argmax(a_out, 1, name="prediction")
    accuracy = gf.reduce_mean(gf.cast(gf.equal(prediction, labels), dtype), name="accuracy")
    return {
        "x": x,
        "labels": labels,
        "loss": loss,
        "objective": objective,
        "prediction": prediction,
        "accuracy": accuracy,
        "probabilities": a_out,  # the sigmoid outputs, one per class
        "kernel": W_h,
    }


def evaluate(sess: gf.Session, net: dict, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    loss, acc = sess.run([net["loss"], net["accuracy"]], {net["x"]: x, net["labels"]: y})
    return float(loss), float(acc)


def first_kernel(net: dict) -> gf.Variable:
    """The first layer's weights as (784, units), whichever preset built them."""
    if "kernel" in net:
        return net["kernel"]
    return next(v for v in gf.trainable_variables() if v.op.name.endswith("kernel"))


def progress(iterable=None, *, quiet: bool, **options) -> tqdm:
    """A tqdm.auto bar in a terminal or a notebook. Elsewhere (a log file, CI) no bar, whose redrawn lines would
    fill the log: the lines `report` writes once per epoch say the same."""
    interactive = sys.stderr.isatty() or "ipykernel" in sys.modules
    return tqdm(iterable, disable=quiet or not interactive, **options)


def report(line: str, quiet: bool) -> None:
    if not quiet:
        tqdm.write(line)


def train_minibatches(sess, net, train_op, data, args, history) -> int:
    (x_train, y_train), (x_test, y_test) = data
    steps = 0
    for epoch in range(1, args.epochs + 1):
        seen, loss_sum, acc_sum = 0, 0.0, 0.0
        batch_iter = batches(x_train, y_train, batch_size=args.batch_size, shuffle=True, seed=args.seed + epoch)
        total = -(-len(x_train) // args.batch_size)
        with progress(
            batch_iter, total=total, desc=f"epoch {epoch}/{args.epochs}", quiet=args.quiet, leave=False, unit="batch"
        ) as bar:
            lr = args.lr * args.lr_decay ** (epoch - 1)
            for xb, yb in bar:
                feed = {net["x"]: xb, net["labels"]: yb, net["learning_rate"]: lr}
                _, loss, acc = sess.run([train_op, net["loss"], net["accuracy"]], feed)
                n = len(xb)
                seen, loss_sum, acc_sum, steps = seen + n, loss_sum + loss * n, acc_sum + acc * n, steps + 1
                if steps % 20 == 0:
                    bar.set_postfix(loss=f"{loss_sum / seen:.4f}", acc=f"{acc_sum / seen:.2%}")
        test_loss, test_acc = evaluate(sess, net, x_test, y_test)
        for key, value in (
            ("train_loss", loss_sum / seen),
            ("test_loss", test_loss),
            ("train_accuracy", acc_sum / seen),
            ("test_accuracy", test_acc),
        ):
            history[key].append(value)
        report(
            f"epoch {epoch:3d}  train loss {loss_sum / seen:.4f}  acc {acc_sum / seen:.2%}  "
            f"test loss {test_loss:.4f}  acc {test_acc:.2%}",
            args.quiet,
        )
    return steps


def train_full_batch(sess, net, train_op, data, args, history) -> int:
    (x_train, y_train), (x_test, y_test) = data
    feed = {net["x"]: x_train, net["labels"]: y_train, net["learning_rate"]: args.lr}
    # Every few iterations, so the curves show the fast early climb. A sample is the state before that many
    # iterations: the training figures come with the step (computed before its update), the test set's just before.
    every = max(1, min(10, args.epochs // 20))

    def record(done: int, train: tuple[float, float], test: tuple[float, float]) -> None:
        for key, value in zip(("train_loss", "test_loss", "train_accuracy", "test_accuracy"),
                              (train[0], test[0], train[1], test[1]), strict=True):  # fmt: skip
            history[key].append(value)
        history["iteration"].append(done)
        bar.set_postfix(loss=f"{train[0]:.5f}", test_acc=f"{test[1]:.2%}")
        if bar.disable and done % 100 == 0:
            report(f"iteration {done:5d}  train loss {train[0]:.5f}  test acc {test[1]:.2%}", args.quiet)

    with progress(total=args.epochs, desc="iterations", quiet=args.quiet, unit="it") as bar:
        for done in range(args.epochs):
            if done % every:
                sess.run(train_op, feed)
            else:
                test = evaluate(sess, net, x_test, y_test)
                _, *train = sess.run([train_op, net["loss"], net["accuracy"]], feed)
                record(done, train, test)
            bar.update(1)
        record(args.epochs, evaluate(sess, net, x_train, y_train), evaluate(sess, net, x_test, y_test))
    return args.epochs


def export_onnx(sess: gf.Session, net: dict, path: Path, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, float]:
    """Exports the network (images in; probabilities and predicted digits out) and runs the test set through it in
    onnxruntime: its accuracy, and its largest difference from graphflow's probabilities."""
    import onnxruntime

    from graphflow import onnx as gf_onnx

    gf_onnx.export(sess, [net["x"]], [net["probabilities"], net["prediction"]], path=path)
    runtime = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    probabilities, prediction = runtime.run(None, {net["x"].op.name: x_test})
    ours = sess.run(net["probabilities"], {net["x"]: x_test})
    return {
        "onnx_test_accuracy": float(np.mean(prediction == y_test)),
        "onnx_max_difference": float(np.abs(probabilities - ours).max()),
    }


def shown_predictions(x: np.ndarray, y: np.ndarray, predictions: np.ndarray, count: int = 32) -> tuple:
    """Up to `count` test images for the grid: the first mistakes (what a learner wants to see), then correct ones."""
    wrong = np.flatnonzero(predictions != y)[: count * 3 // 4]
    right = np.flatnonzero(predictions == y)[: count - len(wrong)]
    chosen = np.concatenate([wrong, right])
    return x[chosen], y[chosen], predictions[chosen]


def save_pictures(sess, net, x_test, y_test, history, x_axis, out: Path | None, xlabel: str) -> list[Path]:
    predictions = sess.run(net["prediction"], {net["x"]: x_test})
    kernel = sess.run(first_kernel(net))
    if kernel.shape[0] != 784:  # the tutorial stores (units, 784)
        kernel = kernel.T
    name = (lambda f: None) if out is None else (lambda f: out / f)
    written = [
        plots.training_curves(history, x_axis, name("curves.png"), xlabel=xlabel) if x_axis else None,
        plots.image_grid(*shown_predictions(x_test, y_test, predictions), name("predictions.png")),
        plots.confusion_matrix(y_test, predictions, name("confusion.png")),
        plots.weight_tiles(kernel, name("weights.png")),
    ]
    return [p for p in written if p is not None]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--preset", choices=PRESETS, default="modern")
    parser.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes (modern preset)")
    parser.add_argument("--lr", type=float, help="learning rate")
    parser.add_argument("--lr-decay", type=float, help="learning rate factor per epoch (modern preset: 0.85)")
    parser.add_argument("--batch-size", type=int, help="minibatch size (modern preset)")
    parser.add_argument("--epochs", type=int, help="epochs (modern) or full-batch iterations (tutorial)")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer (default: the preset's)")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and shuffling (modern preset)")
    parser.add_argument("--train-subset", type=int, default=0, help="train on the first N images only (0: all)")
    parser.add_argument("--out", type=Path, default=Path("out/mnist"), help="folder for pictures and checkpoint")
    parser.add_argument("--restore", help="evaluate this checkpoint instead of training")
    parser.add_argument("--export", type=Path, help="also export the model to this ONNX file, checked in onnxruntime")
    parser.add_argument("--show", action="store_true", help="also open the pictures in windows")
    parser.add_argument("--quiet", action="store_true", help="no progress bars or per-epoch lines")
    args = parser.parse_args(argv)
    for key, value in PRESETS[args.preset].items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> dict[str, float]:
    args = parse_args(argv)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if args.train_subset:
        x_train, y_train = x_train[: args.train_subset], y_train[: args.train_subset]
    x_train = mnist.preprocess(x_train, y_train, dtype=args.dtype)[0]
    x_test = mnist.preprocess(x_test, y_test, dtype=args.dtype)[0]
    y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    data = ((x_train, y_train), (x_test, y_test))
    args.out.mkdir(parents=True, exist_ok=True)

    with gf.Graph().as_default():
        net = (
            build_tutorial(args.dtype)
            if args.preset == "tutorial"
            else build_modern(args.hidden, args.dtype, args.seed)
        )
        global_step = gf.train.get_or_create_global_step()
        net["learning_rate"] = gf.placeholder(args.dtype, [], name="learning_rate")
        optimizer = OPTIMIZERS[args.optimizer](net["learning_rate"])
        train_op = optimizer.minimize(net["objective"], global_step=global_step)
        saver = gf.train.Saver()
        history: dict[str, list[float]] = {"train_loss": [], "test_loss": [], "train_accuracy": [], "test_accuracy": []}
        x_axis: list[int] = []
        with gf.Session() as sess:
            if args.restore:
                saver.restore(sess, args.restore)
                steps, checkpoint = int(sess.run(global_step)), args.restore
            else:
                if args.preset == "tutorial":
                    history["iteration"] = []
                    train_full_batch(sess, net, train_op, data, args, history)
                    x_axis = history.pop("iteration")
                else:
                    train_minibatches(sess, net, train_op, data, args, history)
                    x_axis = list(range(1, args.epochs + 1))
                steps = int(sess.run(global_step))
                checkpoint = saver.save(sess, str(args.out / "model.ckpt"), global_step=steps)
            train_loss, train_acc = evaluate(sess, net, x_train, y_train)
            test_loss, test_acc = evaluate(sess, net, x_test, y_test)
            wall = time.perf_counter() - start
            exported = export_onnx(sess, net, args.export, x_test, y_test) if args.export else {}
            xlabel = "iteration" if args.preset == "tutorial" else "epoch"
            pictures = save_pictures(sess, net, x_test, y_test, history, x_axis, args.out, xlabel)
            if args.show:
                save_pictures(sess, net, x_test, y_test, history, x_axis, None, xlabel)
    unit = "iterations" if args.preset == "tutorial" else "epochs"
    what = f"restored {checkpoint}" if args.restore else f"{args.epochs} {unit}, {steps} steps"
    print(
        f"mnist {args.preset}: {what}; train accuracy {train_acc:.2%}, test accuracy {test_acc:.2%}, "
        f"test loss {test_loss:.4f}; wall time {wall:.1f} s; checkpoint {checkpoint}; "
        f"{len(pictures)} pictures in {args.out}"
    )
    if exported:
        print(
            f"exported to {args.export}: onnxruntime's test accuracy {exported['onnx_test_accuracy']:.2%}, its "
            f"probabilities within {exported['onnx_max_difference']:.1e} of graphflow's"
        )
    return {
        "train_accuracy": train_acc,
        "test_accuracy": test_acc,
        "test_loss": test_loss,
        "train_loss": train_loss,
        "wall_time": wall,
        "steps": steps,
        "checkpoint": checkpoint,
        "pictures": [str(p) for p in pictures],
        **exported,
    }


if __name__ == "__main__":
    main(sys.argv[1:])
