"""Scripts written for the "deep learning from scratch" series and for TF-1 run with only their import changed."""

from __future__ import annotations

import numpy as np

import graphflow


def test_the_series_multi_layer_perceptron_script_runs_unchanged():
    ts = graphflow  # the series writes `import tensorslow as ts`
    rng = np.random.RandomState(0)
    red_points = np.concatenate((0.2 * rng.randn(25, 2) + np.array([[0, 0]] * 25),
                                 0.2 * rng.randn(25, 2) + np.array([[1, 1]] * 25)))  # fmt: skip
    blue_points = np.concatenate((0.2 * rng.randn(25, 2) + np.array([[0, 1]] * 25),
                                  0.2 * rng.randn(25, 2) + np.array([[1, 0]] * 25)))  # fmt: skip

    # From here on, the series' code as it stands: no `with`, placeholders without arguments, Python lists fed.
    ts.Graph().as_default()
    X = ts.placeholder()
    c = ts.placeholder()
    W_hidden = ts.Variable(rng.randn(2, 2))
    b_hidden = ts.Variable(rng.randn(2))
    p_hidden = ts.sigmoid(ts.add(ts.matmul(X, W_hidden), b_hidden))
    W_output = ts.Variable(rng.randn(2, 2))
    b_output = ts.Variable(rng.randn(2))
    p_output = ts.softmax(ts.add(ts.matmul(p_hidden, W_output), b_output))
    J = ts.negative(ts.reduce_sum(ts.reduce_sum(ts.multiply(c, ts.log(p_output)), axis=1)))
    minimization_op = ts.train.GradientDescentOptimizer(learning_rate=0.03).minimize(J)
    feed_dict = {
        X: np.concatenate((blue_points, red_points)),
        c: [[1, 0]] * len(blue_points) + [[0, 1]] * len(red_points),
    }
    session = ts.Session()
    losses = []
    for step in range(300):
        J_value = session.run(J, feed_dict)
        if step % 100 == 0:
            losses.append(J_value)
        session.run(minimization_op, feed_dict)
    W_hidden_value = session.run(W_hidden)

    assert isinstance(J_value, np.floating) and J_value.dtype == np.float64  # the fed lists decide the precision
    assert losses[-1] < losses[0]
    assert W_hidden_value.shape == (2, 2)
    ts.reset_default_graph()


def test_a_tf1_style_script_runs_with_graphflow_imported_as_tf():
    import graphflow as tf

    tf.reset_default_graph()
    tf.set_random_seed(1)
    x = tf.placeholder(tf.float32, shape=[None, 4], name="x")
    y = tf.placeholder(tf.int32, shape=[None], name="y")
    with tf.name_scope("model"):
        hidden = tf.layers.dense(x, 16, activation=tf.nn.relu)
        logits = tf.layers.dense(hidden, 3)
    loss = tf.losses.sparse_softmax_cross_entropy(labels=y, logits=logits)
    global_step = tf.train.get_or_create_global_step()
    train_op = tf.train.AdamOptimizer(learning_rate=0.05).minimize(loss, global_step=global_step)
    correct = tf.equal(tf.cast(tf.argmax(logits, axis=1), tf.int32), y)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
    init = tf.global_variables_initializer()
    data = np.random.RandomState(2).randn(60, 4).astype(np.float32)
    labels = (data[:, 0] > 0).astype(np.int32) + (data[:, 1] > 1).astype(np.int32)
    with tf.Session() as sess:
        sess.run(init)
        for _ in range(200):
            _, loss_value = sess.run([train_op, loss], feed_dict={x: data, y: labels})
        acc, step = sess.run([accuracy, global_step], {x: data, y: labels})
    assert step == 200
    assert loss_value < 0.3
    assert acc > 0.9
    # As in TF-1, layers make their variables with get_variable, which ignores name scopes (not variable scopes).
    assert [v.op.name for v in tf.trainable_variables()] == [
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias",
    ]  # fmt: skip
    tf.reset_default_graph()


def test_a_tf1_dropout_mlp_and_autoencoder_script_runs_with_graphflow_imported_as_tf():
    """The ops of the classic scripts: a keep_prob placeholder, concat and gather on run-time shapes, a sigmoid
    cross-entropy autoencoder with clipping, reduce_min and count_nonzero in the summaries."""
    import graphflow as tf

    tf.reset_default_graph()
    tf.set_random_seed(2)
    rng = np.random.RandomState(0)
    data = rng.rand(64, 6).astype(np.float32)
    labels = (data[:, :3].sum(1) > data[:, 3:].sum(1)).astype(np.int64)

    x = tf.placeholder(tf.float32, [None, 6])
    y = tf.placeholder(tf.int64, [None])
    keep_prob = tf.placeholder(tf.float32)
    W1 = tf.Variable(tf.truncated_normal([6, 32], stddev=0.1))
    b1 = tf.Variable(tf.constant(0.1, shape=[32]))
    h = tf.nn.dropout(tf.nn.leaky_relu(tf.matmul(x, W1) + b1), keep_prob)
    features = tf.concat([h, tf.square(x)], axis=1)
    W2 = tf.Variable(tf.random_normal([38, 2], stddev=0.1))
    logits = tf.matmul(features, W2)
    picked = tf.gather(logits, tf.range(0, tf.shape(logits)[0], 2))  # every second example
    xent = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    correct = tf.equal(tf.argmax(logits, 1), y)
    accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))

    W_enc = tf.Variable(tf.random_normal([6, 3], stddev=0.3))
    W_dec = tf.Variable(tf.random_normal([3, 6], stddev=0.3))
    code = tf.nn.elu(tf.matmul(x, W_enc))
    recon_logits = tf.matmul(code, W_dec)
    recon = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=recon_logits))
    loss = xent + recon + 1e-4 * tf.reduce_sum(tf.square(tf.clip_by_value(W1, -1.0, 1.0)))
    train_step = tf.train.AdamOptimizer(0.01).minimize(loss)
    zeros = tf.count_nonzero(tf.equal(h, 0.0))

    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        first = sess.run(loss, {x: data, y: labels, keep_prob: 1.0})
        for _ in range(200):
            sess.run(train_step, {x: data, y: labels, keep_prob: 0.7})
        last, acc, half, dropped = sess.run([loss, accuracy, picked, zeros], {x: data, y: labels, keep_prob: 1.0})
        dropped_training = sess.run(zeros, {x: data, keep_prob: 0.5})
    assert last < first and acc > 0.8
    assert half.shape == (32, 2) and dropped_training > dropped
    tf.reset_default_graph()
