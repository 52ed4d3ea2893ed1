"""The conformance corpus: public TF-1 scripts kept unmodified in scripts/, with where each came from and how a run
of it is shortened.

`SHORTEN` lists, per script, the regular-expression substitutions that shorten its step or epoch constants (applied
to every match in the script's text; each must match). `METRIC` is the regular expression whose last match in
the output is the figure the run ends with. `OUTSIDE` names the scripts outside graphflow's subset and the API they
need; their runs are still recorded, to show the error.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "scripts"

AYMERIC = "aymericdamien/TensorFlow-Examples"
TENSORFLOW = "tensorflow/tensorflow"
LICENCES = {AYMERIC: ("MIT", "licenses/aymericdamien-TensorFlow-Examples-LICENSE"),
            TENSORFLOW: ("Apache-2.0", "licenses/tensorflow-tensorflow-LICENSE")}  # fmt: skip

# name -> (repository, path in the repository, commit)
SOURCES = {
    "aymericdamien/helloworld": (AYMERIC, "tensorflow_v1/examples/1_Introduction/helloworld.py", "80662c5d81b75e0ac02403a273cd1a2b3c99e720"),
    "aymericdamien/basic_operations": (AYMERIC, "tensorflow_v1/examples/1_Introduction/basic_operations.py", "7c6ff6be59ed96cd7b8c6ec95650d565b0c69c1d"),
    "aymericdamien/linear_regression": (AYMERIC, "examples/2_BasicModels/linear_regression.py", "122bead569182ac3983988a6017908ea8aa7b312"),
    "aymericdamien/logistic_regression": (AYMERIC, "examples/2_BasicModels/logistic_regression.py", "2670df560e8e98bcfe93523ecb37a1fafe3538e5"),
    "aymericdamien/nearest_neighbor": (AYMERIC, "tensorflow_v1/examples/2_BasicModels/nearest_neighbor.py", "80662c5d81b75e0ac02403a273cd1a2b3c99e720"),
    "aymericdamien/kmeans": (AYMERIC, "tensorflow_v1/examples/2_BasicModels/kmeans.py", "c3b48f2a4feeb1e62215fb49b6738b8fdc7ca289"),
    "aymericdamien/random_forest": (AYMERIC, "examples/2_BasicModels/random_forest.py", "09a17aa9c19e680d6c5ca204b8397c58698aac64"),
    "aymericdamien/gradient_boosted_decision_tree": (AYMERIC, "tensorflow_v1/examples/2_BasicModels/gradient_boosted_decision_tree.py", "6ca90300eb4b9c7b3583bc08da7cd2e839af7293"),
    "aymericdamien/word2vec": (AYMERIC, "tensorflow_v1/examples/2_BasicModels/word2vec.py", "7c6ff6be59ed96cd7b8c6ec95650d565b0c69c1d"),
    "aymericdamien/multilayer_perceptron": (AYMERIC, "examples/3_NeuralNetworks/multilayer_perceptron.py", "90bb4de75322f8c01048dd98c7f194442051d257"),
    "aymericdamien/neural_network": (AYMERIC, "examples/3_NeuralNetworks/neural_network.py", "01c42eaeeba564b23988bdaca11b9f4805c91650"),
    "aymericdamien/MP_with_TB": (AYMERIC, "examples/3_NeuralNetworks/MP_with_TB.py", "d42a9819a5e76f875af85fd7eed65b4033a25225"),
    "aymericdamien/autoencoder": (AYMERIC, "examples/3_NeuralNetworks/autoencoder.py", "9f9371270df9c1167262be8e8dbc3e6889d6dca1"),
    "aymericdamien/autoencoder_raw": (AYMERIC, "examples/3_NeuralNetworks/autoencoder_raw.py", "91641eeb670dd454051b52dac7c3d45fc25ecefa"),
    "aymericdamien/variational_autoencoder": (AYMERIC, "examples/3_NeuralNetworks/variational_autoencoder.py", "91641eeb670dd454051b52dac7c3d45fc25ecefa"),
    "aymericdamien/gan": (AYMERIC, "tensorflow_v1/examples/3_NeuralNetworks/gan.py", "7c6ff6be59ed96cd7b8c6ec95650d565b0c69c1d"),
    "aymericdamien/convolutional_network_raw": (AYMERIC, "examples/3_NeuralNetworks/convolutional_network_raw.py", "01c42eaeeba564b23988bdaca11b9f4805c91650"),
    "aymericdamien/convolutional_network": (AYMERIC, "examples/3_NeuralNetworks/convolutional_network.py", "01c42eaeeba564b23988bdaca11b9f4805c91650"),
    "aymericdamien/recurrent_network": (AYMERIC, "tensorflow_v1/examples/3_NeuralNetworks/recurrent_network.py", "1cf9712f00789fb1c0bccac44f7bb9a6e0862dc7"),
    "aymericdamien/dynamic_rnn": (AYMERIC, "examples/3_NeuralNetworks/dynamic_rnn.py", "1a44c34fcb93ff154090ee2be0a26daebe42e368"),
    "aymericdamien/bidirectional_rnn": (AYMERIC, "examples/3_NeuralNetworks/bidirectional_rnn.py", "1f58605650f8bfd65adbc81d9279bc2fffa2da5c"),
    "aymericdamien/save_restore_model": (AYMERIC, "examples/4_Utils/save_restore_model.py", "ad217b429f752ca7debcabe71a9316c56d31ab6c"),
    "aymericdamien/tensorboard_basic": (AYMERIC, "examples/4_Utils/tensorboard_basic.py", "91641eeb670dd454051b52dac7c3d45fc25ecefa"),
    "aymericdamien/tensorboard_advanced": (AYMERIC, "examples/4_Utils/tensorboard_advanced.py", "90bb4de75322f8c01048dd98c7f194442051d257"),
    "aymericdamien/tensorflow_dataset_api": (AYMERIC, "examples/5_DataManagement/tensorflow_dataset_api.py", "23c027a8d9798b644c8e487592febadb8088c81c"),
    "aymericdamien/multigpu_basics": (AYMERIC, "examples/6_MultiGPU/multigpu_basics.py", "90bb4de75322f8c01048dd98c7f194442051d257"),
    "tf_tutorials/mnist_softmax": (TENSORFLOW, "tensorflow/examples/tutorials/mnist/mnist_softmax.py", "1d109e21ab2c2d0079b7aa058cd8fcc3c1e9d0f0"),
    "tf_tutorials/mnist_softmax_xla": (TENSORFLOW, "tensorflow/examples/tutorials/mnist/mnist_softmax_xla.py", "164165ebb4c73270b35af6e22a3e0f5eb54a8691"),
    "tf_tutorials/fully_connected_feed": (TENSORFLOW, "tensorflow/examples/tutorials/mnist/fully_connected_feed.py", "1d03228d52b11ff62c415117fd02376eed4370e0"),
    "tf_tutorials/mnist_with_summaries": (TENSORFLOW, "tensorflow/examples/tutorials/mnist/mnist_with_summaries.py", "b081f6e0ca3faabfbc3aef41f4ea76f9e7856509"),
}  # fmt: skip
# Modules the scripts import by a TF path; kept unmodified next to them, imported under their own name.
HELPERS = {
    "tf_tutorials/mnist": (TENSORFLOW, "tensorflow/examples/tutorials/mnist/mnist.py", "8048088bfb82846078f8023bc6199e6424926624"),
}  # fmt: skip

_EPOCHS = [(r"training_epochs = \d+", "training_epochs = 1")]
SHORTEN: dict[str, list[tuple[str, str]]] = {
    # linear_regression runs whole: 1000 epochs of 17 points take a second, and 50 leave the cost to the random start
    "aymericdamien/logistic_regression": _EPOCHS,
    "aymericdamien/multilayer_perceptron": _EPOCHS,
    "aymericdamien/neural_network": _EPOCHS,
    "aymericdamien/MP_with_TB": _EPOCHS,
    "aymericdamien/autoencoder": _EPOCHS,
    "aymericdamien/autoencoder_raw": _EPOCHS,
    "aymericdamien/tensorboard_basic": _EPOCHS,
    "aymericdamien/tensorboard_advanced": _EPOCHS,
    "aymericdamien/variational_autoencoder": [(r"num_steps = 30000", "num_steps = 1000")],
    "aymericdamien/gan": [(r"num_steps = 100000", "num_steps = 1000")],
    "aymericdamien/save_restore_model": [(r"range\(3\)", "range(1)"), (r"range\(7\)", "range(1)")],
    "aymericdamien/nearest_neighbor": [(r"next_batch\(200\)", "next_batch(50)")],
    # the only size constant shortened: ten products of 10000x10000 matrices take minutes on any CPU
    "aymericdamien/multigpu_basics": [(r"10000", "100")],
    "aymericdamien/convolutional_network_raw": [(r"training_iters = 200000", "training_iters = 2560")],
    "aymericdamien/convolutional_network": [(r"training_iters = 200000", "training_iters = 2560")],
    "aymericdamien/recurrent_network": [(r"training_steps = 10000", "training_steps = 200")],
    "aymericdamien/dynamic_rnn": [(r"training_iters = 1000000", "training_iters = 12800")],
    "aymericdamien/tensorflow_dataset_api": [(r"num_steps = 2000", "num_steps = 100")],
    "tf_tutorials/mnist_softmax": [(r"range\(1000\)", "range(300)")],
    "tf_tutorials/mnist_softmax_xla": [(r"train_loops = 1000", "train_loops = 300")],
    "tf_tutorials/fully_connected_feed": [(r"'max_steps', 2000", "'max_steps', 300")],
    "tf_tutorials/mnist_with_summaries": [(r"default=1000,", "default=200,")],
}

# The CI runs of tests/test_conformance.py shorten further where one epoch alone takes most of a minute: the advanced
# TensorBoard example writes eight histograms of up to 200,000 values at every step, so its CI run takes batches of
# 1000 (55 steps for its epoch) instead of 100.
CI_SHORTEN: dict[str, list[tuple[str, str]]] = {
    "aymericdamien/tensorboard_advanced": [(r"batch_size = 100\b", "batch_size = 1000")],
}

ACCURACY = r"(?i)accuracy[^0-9\n]*([0-9.]+)"
METRIC: dict[str, str] = {
    "aymericdamien/helloworld": r"(Hello, TensorFlow!)",
    "aymericdamien/basic_operations": r"(\[\[12\.\]\])",
    "aymericdamien/linear_regression": r"Testing cost= ([0-9.]+)",
    "aymericdamien/autoencoder": r"cost= ([0-9.]+)",
    "aymericdamien/autoencoder_raw": r"cost= ([0-9.]+)",
    "aymericdamien/variational_autoencoder": r"Loss: ([0-9.]+)",
    "aymericdamien/gan": r"Generator Loss: ([0-9.]+)",
    "aymericdamien/multigpu_basics": r"(Multi GPU computation time)",
    "tf_tutorials/mnist_softmax": r"^([0-9.]+)$",
    "tf_tutorials/mnist_softmax_xla": r"^([0-9.]+)$",
}

OUTSIDE = {
    "aymericdamien/kmeans": "tf.contrib.factorization.KMeans",
    "aymericdamien/random_forest": "tf.contrib.tensor_forest",
    "aymericdamien/gradient_boosted_decision_tree": "tf.contrib.boosted_trees (an estimator)",
    "aymericdamien/word2vec": "tf.nn.nce_loss; downloads text8 (Python 2's urllib.urlretrieve)",
    "aymericdamien/convolutional_network_raw": "tf.nn.conv2d, tf.nn.max_pool",
    "aymericdamien/convolutional_network": "tf.layers.conv2d, max_pooling2d, tf.contrib.layers",
    "aymericdamien/recurrent_network": "tf.contrib.rnn (BasicLSTMCell, static_rnn)",
    "aymericdamien/dynamic_rnn": "tf.nn.rnn_cell, tf.nn.rnn (TF-0.x RNN API)",
    "aymericdamien/bidirectional_rnn": "Python 2 print statements; tensorflow.models.rnn",
    "aymericdamien/tensorflow_dataset_api": "tf.contrib.data.Dataset, tf.layers.conv2d",
    "tf_tutorials/mnist_softmax_xla": "tensorflow.python.client.timeline, tf.ConfigProto's XLA options",
    "tf_tutorials/fully_connected_feed": "TF-0.x names removed in TF-1.0 (tf.merge_all_summaries, tf.concat(1, ...), "
    "tf.pack, tf.sparse_to_dense)",
    "tf_tutorials/mnist_with_summaries": "TF-0.x names removed in TF-1.0 (tf.image_summary, tf.scalar_summary, "
    "tf.train.SummaryWriter)",
    "tf_tutorials/mnist_softmax": "TF-0.x positional softmax_cross_entropy_with_logits(y, y_), refused since TF-1.0",
}


def path(name: str) -> Path:
    return SCRIPTS / f"{name}.py"
