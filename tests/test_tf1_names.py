"""TF-1 names that public scripts use, each checked against what TensorFlow returns.

The expected figures were computed with TensorFlow 2.21's `compat.v1` (graph mode, `disable_v2_behavior()`) and are
hard-coded, so these tests do not need TensorFlow. Where graphflow differs on purpose (random streams, the version
string), the test says so.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import graphflow as tf
from graphflow.examples.tutorials.mnist import input_data

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def fresh_graph():
    with tf.Graph().as_default() as graph:
        yield graph


def run(fetches, feed_dict=None):
    with tf.Session() as sess:
        return sess.run(fetches, feed_dict)


def test_initialize_all_variables_initialises_like_global_variables_initializer():
    v = tf.Variable(3.0)
    with tf.Session() as sess:
        sess.run(v.assign(5.0))
        sess.run(tf.initialize_all_variables())
        assert sess.run(v) == 3.0


def test_gfile_manages_a_log_directory(tmp_path):
    logs = str(tmp_path / "logs" / "run")
    assert not tf.gfile.Exists(logs)
    tf.gfile.MakeDirs(logs)
    with tf.gfile.GFile(os.path.join(logs, "a.txt"), "w") as f:
        f.write("x")
    assert tf.gfile.Exists(logs) and tf.gfile.IsDirectory(logs)
    assert tf.gfile.ListDirectory(logs) == ["a.txt"]
    assert tf.gfile.Glob(os.path.join(logs, "*.txt")) == [os.path.join(logs, "a.txt")]
    tf.gfile.DeleteRecursively(str(tmp_path / "logs"))
    assert not tf.gfile.Exists(logs)
    with pytest.raises(FileNotFoundError):
        tf.gfile.DeleteRecursively(logs)


def test_div_and_the_to_casts():
    # TF 2.21 compat.v1: [0.25, 3, -4, [-3.5, 3.5]]; to_*: 3.0 float32, 2 and -2 int32, 5 int64, 1.0 float64
    values = run([tf.div(tf.constant(1.0), tf.constant(4.0)), tf.div(7, 2), tf.div(-7, 2),
                  tf.div(tf.constant([-7.0, 7.0]), 2.0)])  # fmt: skip
    assert values[0] == np.float32(0.25) and values[1] == 3 and values[2] == -4
    np.testing.assert_array_equal(values[3], [-3.5, 3.5])
    casts = [tf.to_float(3), tf.to_int32(2.7), tf.to_int32(-2.7), tf.to_int64(5.9), tf.to_double(1)]
    assert [c.dtype for c in casts] == [tf.float32, tf.int32, tf.int32, tf.int64, tf.float64]
    assert run(casts) == [3.0, 2, -2, 5, 1.0]


def test_random_ops_take_tensor_moments():
    a = tf.random_normal([20000, 3], stddev=1.0 / tf.sqrt(2.0), seed=1)
    u = tf.random_uniform([20000], maxval=tf.constant(4.0), seed=2)
    t = tf.truncated_normal([20000], mean=tf.constant(1.0), stddev=tf.constant(0.5), seed=3)
    assert a.shape == (20000, 3) and a.dtype == tf.float32
    values = run([a, u, t])
    # TF 2.21 draws another stream: its std of `a` was 0.7095; both estimate 1/sqrt(2) = 0.7071
    assert values[0].std() == pytest.approx(1 / np.sqrt(2), abs=0.01)
    assert values[1].min() >= 0 and values[1].max() < 4 and values[1].mean() == pytest.approx(2.0, abs=0.05)
    assert values[2].mean() == pytest.approx(1.0, abs=0.02) and np.abs(values[2] - 1).max() <= 1.0


def test_shapes_given_as_tensors():
    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.float32, [None, 3, 2])
    r, z, o = tf.reshape(x, tf.shape(y)), tf.zeros(tf.shape(x)), tf.ones([tf.shape(x)[0], 2], tf.int32)
    rn, ru = tf.random_normal(tf.shape(x)), tf.random_uniform(tf.shape(y))
    feed = {x: np.arange(12.0).reshape(2, 6), y: np.zeros((2, 3, 2))}
    out = run([r, z, o, rn, ru], feed)
    # TF 2.21 compat.v1: shapes (2, 3, 2) (2, 6) (2, 2) (2, 6); dtypes float32 float32 int32 float32
    assert [a.shape for a in out] == [(2, 3, 2), (2, 6), (2, 2), (2, 6), (2, 3, 2)]
    assert [a.dtype for a in out[:4]] == [np.float32, np.float32, np.int32, np.float32]
    np.testing.assert_array_equal(out[0], np.arange(12.0).reshape(2, 3, 2))
    assert rn.shape.as_list() == [None, None]  # TF 2.21 infers (?, 6) from the shape's value; graphflow its rank
    grad = run(tf.gradients(tf.reduce_sum(r * r), x)[0], feed)
    np.testing.assert_array_equal(grad, 2 * np.arange(12.0).reshape(2, 6))


def test_static_dimensions_have_value():
    p = tf.placeholder(tf.float32, [None, 784])
    assert p.get_shape()[1].value == 784  # TF 2.21 compat.v1: 784
    assert p.get_shape()[1] * 2 == 1568 and p.shape[1:].as_list() == [784]
    assert p.get_shape()[0] is None  # TF-1 gives Dimension(None), whose .value is None


def test_read_data_sets_takes_tf1_fake_data_arguments(tmp_path, caplog):
    data = input_data.read_data_sets(str(tmp_path), False)
    images, labels = data.train.next_batch(100, False)
    assert images.shape == (100, 784) and labels.shape == (100,)
    one_hot = input_data.read_data_sets(str(tmp_path), one_hot=True, fake_data=False)
    assert one_hot.train.next_batch(10, fake_data=False)[1].shape == (10, 10)
    # TF-1's fake data: images of ones, label 0 (one-hot [1, 0, ..., 0]), 10000 examples per split
    fake = input_data.read_data_sets(str(tmp_path), True, one_hot=True)
    images, labels = fake.train.next_batch(3, True)
    np.testing.assert_array_equal(images, np.ones((3, 784), np.float32))
    np.testing.assert_array_equal(labels, np.eye(10, dtype=np.float32)[[0, 0, 0]])
    assert fake.validation.num_examples == 10000
    assert data.train.next_batch(2, fake_data=True)[1].tolist() == [0, 0]


def test_in_top_k():
    logits = tf.constant([[0.1, 0.5, 0.4], [0.3, 0.3, 0.4], [1.0, 2.0, np.nan], [5.0, 1.0, 1.0]])
    labels = tf.constant([2, 0, 0, 1])
    top1, top2 = run([tf.nn.in_top_k(logits, labels, 1), tf.nn.in_top_k(logits, labels, 2)])
    # TF 2.21 compat.v1: k=1 [False False False False], k=2 [True True False True] (ties count, NaN rows never)
    assert top1.tolist() == [False, False, False, False]
    assert top2.tolist() == [True, True, False, True]
    assert tf.math.in_top_k is tf.nn.in_top_k


def test_summary_image_matches_tf1():
    from PIL import Image

    summary_pb2 = pytest.importorskip("tensorboard.compat.proto.summary_pb2")
    images = np.array([[[[-1.0], [0.5]], [[0.0], [2.0]]], [[[0.0], [1.0]], [[2.0], [4.0]]]], np.float32)
    x = tf.placeholder(tf.float32, [None, 4])
    many = tf.summary.image("in", tf.reshape(x, [-1, 2, 2, 1]), 10)
    one = tf.summary.image("one", tf.constant(images), 1)
    serialized = run([many, one], {x: images.reshape(2, 4)})
    values = summary_pb2.Summary.FromString(serialized[0]).value
    # TF 2.21 compat.v1: tags in/image/0 and in/image/1, 2x2 grayscale, pixels [[64, 159], [128, 255]] (0 -> 128
    # with negatives) and [[0, 63], [127, 255]] (the largest -> 255); with max_outputs=1 the tag is one/image
    assert [v.tag for v in values] == ["in/image/0", "in/image/1"]
    decoded = [np.array(Image.open(io.BytesIO(v.image.encoded_image_string))).tolist() for v in values]
    assert decoded == [[[64, 159], [128, 255]], [[0, 63], [127, 255]]]
    assert (values[0].image.height, values[0].image.width, values[0].image.colorspace) == (2, 2, 1)
    assert [v.tag for v in summary_pb2.Summary.FromString(serialized[1]).value] == ["one/image"]
    assert tf.get_collection(tf.GraphKeys.SUMMARIES) == [many, one]


def test_run_options_metadata_and_add_run_metadata(tmp_path):
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    options = tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE)
    assert tf.RunOptions.FULL_TRACE == 3 and options.trace_level == 3  # TF 2.21 compat.v1: 3 and 3
    metadata = tf.RunMetadata()
    v = tf.Variable(1.0)
    with tf.Session(config=tf.ConfigProto(log_device_placement=True)) as sess:
        sess.run(v.assign_add(1.0), options=options, run_metadata=metadata)
        assert sess.run(v) == 2.0
    with tf.summary.FileWriter(str(tmp_path)) as writer:
        writer.add_run_metadata(metadata, "step001", global_step=1)
        with pytest.raises(ValueError, match="already used"):
            writer.add_run_metadata(metadata, "step001")
    from tensorboard.backend.event_processing.event_file_loader import LegacyEventFileLoader

    (path,) = tmp_path.glob("events.out.tfevents.*")
    events = [e for e in LegacyEventFileLoader(str(path)).Load() if e.HasField("tagged_run_metadata")]
    assert [(e.tagged_run_metadata.tag, e.step) for e in events] == [("step001", 1)]
    assert isinstance(events[0], event_pb2.Event)


def test_version_gates_take_the_tf1_branch():
    # TF 2.21 reports "2.21.0", so `int(tf.__version__.split('.')[0]) < 1` is False there; graphflow reports the
    # TF-1 API it follows, 1.15, and its own release as GRAPHFLOW_VERSION.
    assert tf.__version__ == tf.VERSION == "1.15.0"
    assert not int(tf.__version__.split(".")[0]) < 1
    assert tf.GRAPHFLOW_VERSION == "0.1.0"


def test_file_writer_with_a_tensorflow_folder_in_the_working_directory(tmp_path):
    (tmp_path / "tensorflow").mkdir()
    code = "import graphflow as tf; w = tf.summary.FileWriter('logs'); w.close(); print('ok')"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "logs").glob("events.out.tfevents.*"))


def test_sin_cos_and_their_higher_derivatives():
    t = tf.constant(0.5)
    d, derivatives = tf.sin(t), []
    for _ in range(4):
        d = tf.gradients(d, t)[0]
        derivatives.append(d)
    # TF 2.21 compat.v1: sin(1), cos(1) = 0.84147096, 0.5403023; d^k sin at 0.5 = cos, -sin, -cos, sin
    np.testing.assert_allclose(run([tf.sin(1.0), tf.cos(1.0)]), [0.84147096, 0.5403023], rtol=1e-6)
    np.testing.assert_allclose(run(derivatives), [0.87758255, -0.47942555, -0.87758255, 0.47942555], rtol=1e-6)
    assert tf.math.sin is tf.sin and tf.math.cos is tf.cos


def test_hessians():
    v = tf.constant([1.0, 2.0, 3.0])
    w = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    h1 = tf.hessians(tf.reduce_sum(v**3) + v[0] * v[1], v)[0]
    h2 = tf.hessians(tf.reduce_sum(tf.sin(w) * w), w)[0]
    assert h2.shape == (2, 2, 2, 2)
    values = run([h1, h2])
    # TF 2.21 compat.v1
    np.testing.assert_allclose(values[0], [[6, 1, 0], [1, 12, 0], [0, 0, 18]])
    np.testing.assert_allclose(values[1].reshape(4, 4),
                               np.diag([0.23913359642028809, -2.650888442993164, -2.4033451080322266,
                                        1.7199227809906006]), rtol=1e-5, atol=1e-7)  # fmt: skip


def test_print_and_print_v2(capfd):
    x = tf.placeholder(tf.float32, [3])
    y = tf.Print(x, [x, tf.reduce_sum(x)], "x and its sum: ")
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(y * 2, {x: [1, 2, 3]}), [2, 4, 6])
        sess.run(tf.print("total:", tf.reduce_sum(x), output_stream=sys.stdout), {x: [1, 2, 3]})
    out, err = capfd.readouterr()
    assert "x and its sum: [1 2 3][6]" in err
    assert "total: 6" in out
    first = tf.Print(x, [x], "once ", first_n=1)
    with tf.Session() as sess:
        for _ in range(3):
            sess.run(first, {x: [0, 0, 0]})
    assert capfd.readouterr().err.count("once ") == 1


def test_split_pad_and_embedding_lookup():
    m = tf.constant(np.arange(12.0).reshape(3, 4))
    w = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    padded = tf.pad(w, [[1, 0], [0, 2]])
    pad_grad = tf.gradients(tf.reduce_sum(padded * tf.constant(np.arange(12.0).reshape(3, 4), tf.float32)), w)[0]
    e = tf.constant(np.arange(8.0).reshape(4, 2))
    small = tf.constant([[1, 2], [3, 4]])
    values = run([tf.split(m, [1, -1, 2], axis=1), tf.split(m, 3), tf.pad(small, [[1, 0], [0, 2]]), pad_grad,
                  tf.nn.embedding_lookup(e, tf.constant([[3, 0], [1, 1]]))])  # fmt: skip
    # TF 2.21 compat.v1
    assert [p.tolist() for p in values[0]] == [[[0.0], [4.0], [8.0]], [[1.0], [5.0], [9.0]],
                                               [[2.0, 3.0], [6.0, 7.0], [10.0, 11.0]]]  # fmt: skip
    assert [p.tolist() for p in values[1]] == [[[0, 1, 2, 3]], [[4, 5, 6, 7]], [[8, 9, 10, 11]]]
    assert values[2].tolist() == [[0, 0, 0, 0], [1, 2, 0, 0], [3, 4, 0, 0]]
    assert values[3].tolist() == [[4.0, 5.0], [8.0, 9.0]]
    assert values[4].tolist() == [[[6.0, 7.0], [0.0, 1.0]], [[2.0, 3.0], [2.0, 3.0]]]
    with pytest.raises(ValueError, match="do not add up"):
        tf.split(m, [1, 1], axis=1)


def test_metrics_accuracy_accumulates_in_local_variables():
    labels = tf.placeholder(tf.int64, [None])
    predictions = tf.placeholder(tf.int64, [None])
    acc, update = tf.metrics.accuracy(labels, predictions)
    assert [v.name for v in tf.local_variables()] == ["accuracy/total:0", "accuracy/count:0"]
    assert tf.get_collection(tf.GraphKeys.METRIC_VARIABLES) == tf.local_variables()
    assert not set(tf.local_variables()) & set(tf.trainable_variables())
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        # TF 2.21 compat.v1: 0.0, then 0.5, 0.6666667, and 0.6666667 read back; 0.0 after re-initialising
        assert sess.run(acc) == 0.0
        assert sess.run(update, {labels: [1, 2, 3, 4], predictions: [1, 2, 0, 0]}) == 0.5
        assert sess.run(update, {labels: [1, 1], predictions: [1, 1]}) == pytest.approx(0.6666667)
        assert sess.run(acc) == pytest.approx(0.6666667)
        sess.run(tf.local_variables_initializer())
        assert sess.run(acc) == 0.0


def test_layers_flatten():
    f = tf.placeholder(tf.float32, [None, 4, 3, 2])
    flat = tf.layers.flatten(f)
    assert flat.shape.as_list() == [None, 24]  # TF 2.21 compat.v1: (?, 24)
    np.testing.assert_array_equal(run(flat, {f: np.arange(48.0).reshape(2, 4, 3, 2)})[1, :5], [24, 25, 26, 27, 28])


def test_math_namespace_and_string_constants():
    # TF 2.21 compat.v1: 0.47942555, 3.0; a string constant runs to bytes
    np.testing.assert_allclose(run([tf.math.sin(0.5), tf.math.reduce_sum([1.0, 2.0])]), [0.47942555, 3.0], rtol=1e-6)
    assert run(tf.constant("Hello, TensorFlow!")) == b"Hello, TensorFlow!"
    # TF-1's older names take `dimension` where argmax takes `axis`
    with tf.Graph().as_default(), tf.Session() as sess:
        m = tf.constant([[1.0, 3.0, 2.0], [4.0, 0.0, 5.0]])
        assert sess.run(tf.arg_max(m, 1)).tolist() == [1, 2]
        assert sess.run(tf.arg_min(m, dimension=0)).tolist() == [0, 1, 0]
    with tf.device("/gpu:0"):
        assert run(tf.constant(2) * 3) == 6
