"""The conformance corpus (tests/conformance/): public TF-1 scripts run under graphflow with only their imports changed.

Each covered script runs in its own process through tests/conformance/runner.py, shortened as corpus.SHORTEN declares
(one epoch, or a few hundred steps), and must end as it ends under TensorFlow 2.21's compat.v1 with the same
shortening: the thresholds below sit under the figures both frameworks reach (tests/conformance/README.md) and far
from what an untrained or broken model gives. The scripts draw unseeded weights and batches, so the figures vary
from run to run. Scripts outside graphflow's subset must stop with an error that names what is missing.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "conformance"))
import corpus
import runner

# script -> (check on the final figure, what TF 2.21 compat.v1 ended with in the shortened run)
ENDS = {
    "aymericdamien/helloworld": (lambda m: m == "Hello, TensorFlow!", "b'Hello, TensorFlow!'"),
    "aymericdamien/basic_operations": (lambda m: m == "[[12.]]", "[[12.]]"),
    "aymericdamien/linear_regression": (lambda m: float(m) < 0.2, "testing cost 0.0778"),
    "aymericdamien/nearest_neighbor": (lambda m: float(m) > 0.8, "accuracy 0.90 on 50 test images"),
    "aymericdamien/multigpu_basics": (lambda m: True, "ran"),
    "aymericdamien/logistic_regression": (lambda m: float(m) > 0.8, "accuracy 0.8562 after 1 epoch"),
    "aymericdamien/multilayer_perceptron": (lambda m: float(m) > 0.75, "accuracy 0.8645"),
    "aymericdamien/neural_network": (lambda m: float(m) > 0.8, "accuracy 0.9157"),
    "aymericdamien/MP_with_TB": (lambda m: float(m) > 0.7, "accuracy 0.7946"),
    "aymericdamien/autoencoder": (lambda m: float(m) < 0.26, "cost 0.1871"),
    "aymericdamien/autoencoder_raw": (lambda m: float(m) < 0.26, "cost 0.2038"),
    "aymericdamien/variational_autoencoder": (lambda m: float(m) < 300, "loss 171.4 after 1000 steps"),
    "aymericdamien/gan": (lambda m: float(m) > 0, "the same numpy error after 1000 steps"),
    "aymericdamien/save_restore_model": (lambda m: float(m) > 0.8, "accuracy 0.8922 after the restored epoch"),
    "aymericdamien/tensorboard_basic": (lambda m: float(m) > 0.8, "accuracy 0.85"),
    "aymericdamien/tensorboard_advanced": (lambda m: float(m) > 0.5, "accuracy 0.814 in the CI run (55 steps)"),
}
# Scripts that train, then stop in their own plotting code under both frameworks: numpy 2 removed the `newshape=`
# keyword their `np.reshape` calls pass.
STOP_AFTER_TRAINING = {"aymericdamien/gan": "newshape"}
FAST = {"aymericdamien/helloworld", "aymericdamien/basic_operations", "aymericdamien/linear_regression",
        "aymericdamien/nearest_neighbor", "aymericdamien/multigpu_basics"}  # fmt: skip

# What graphflow says for a script outside its subset: the missing API appears in the error.
STOPS = {
    "aymericdamien/kmeans": "graphflow.contrib",
    "aymericdamien/random_forest": "graphflow.contrib",
    "aymericdamien/gradient_boosted_decision_tree": "graphflow.contrib",
    "aymericdamien/word2vec": "urlretrieve",
    "aymericdamien/convolutional_network_raw": "conv2d",
    "aymericdamien/convolutional_network": "conv2d",
    "aymericdamien/recurrent_network": "graphflow.contrib",
    "aymericdamien/dynamic_rnn": "split",
    "aymericdamien/bidirectional_rnn": "SyntaxError",
    "aymericdamien/tensorflow_dataset_api": "contrib",
    "tf_tutorials/mnist_softmax_xla": "graphflow.python",
    "tf_tutorials/fully_connected_feed": "concat",
    "tf_tutorials/mnist_with_summaries": "image_summary",
    "tf_tutorials/mnist_softmax": "named arguments",  # TF-1.0 and later refuse its positional call too
}


def test_every_corpus_script_is_covered_or_listed_outside():
    assert set(ENDS) | set(STOPS) == set(corpus.SOURCES)
    assert not set(ENDS) & set(corpus.OUTSIDE)
    assert set(STOPS) == set(corpus.OUTSIDE)


def test_the_runner_changes_only_import_lines():
    for name in corpus.SOURCES:
        source = corpus.path(name).read_text()
        for framework in ("graphflow", "tensorflow"):
            changed = runner.rewrite(source, framework).splitlines()
            original = source.splitlines()
            assert len(changed) == len(original)
            for before, after in zip(original, changed, strict=True):
                assert before == after or ("import" in before and "tensorflow" in before), (name, before)


@pytest.mark.parametrize("name", sorted(FAST))
def test_script_ends_as_under_tensorflow(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(ENDS) - FAST))
def test_mnist_script_ends_as_under_tensorflow(name):
    _check(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(STOPS))
def test_script_outside_the_subset_names_what_is_missing(name):
    outcome = runner.run(name, "graphflow", timeout=300)
    assert not outcome.ok
    assert STOPS[name] in outcome.error, outcome.error


def _check(name: str) -> None:
    outcome = runner.run(name, "graphflow", ci=True, timeout=300)
    if name in STOP_AFTER_TRAINING:
        assert STOP_AFTER_TRAINING[name] in outcome.error and outcome.metric is not None, outcome.describe()
    else:
        assert outcome.ok, f"{name} {outcome.describe()}\n{outcome.output[-2000:]}"
    check, under_tensorflow = ENDS[name]
    assert check(outcome.metric), f"{name} ended with {outcome.metric}; under TensorFlow: {under_tensorflow}"
