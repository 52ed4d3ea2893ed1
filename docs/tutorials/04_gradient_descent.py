# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Gradient descent and backpropagation
#
# Gradient descent moves each weight a small step against its gradient, $W \leftarrow W - \eta\,\partial J /
# \partial W$. Backpropagation is how the gradients are computed: start at the loss with
# $\partial J / \partial J = 1$ and walk the graph backwards, each operation turning the gradient of its output into
# gradients of its inputs by the chain rule. In graphflow, `gf.gradients(J, [W, b])` does that walk and returns the
# gradients as new graph nodes, so they can be run, drawn and even differentiated again.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf
from graphflow.data import one_hot
from graphflow.datasets import xor
from graphflow.viz import plots

points, labels = xor.separable(n_per_cluster=50, seed=38)
feed_values = (points, one_hot(labels, 2, np.float64))

graph = gf.Graph()
with graph.as_default():
    X = gf.placeholder(gf.float64, [None, 2], name="X")
    c = gf.placeholder(gf.float64, [None, 2], name="c")
    W = gf.Variable(np.array([[1.0, -1.0], [1.0, -1.0]]), name="W")  # the series' start: every point wrong
    b = gf.Variable(np.zeros(2), name="b")
    logits = gf.add(gf.matmul(X, W), b, name="logits")
    J = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=logits), name="J")
    grad_W, grad_b = gf.gradients(J, [W, b])
feed = dict(zip([X, c], feed_values, strict=True))
print(grad_W, grad_b, sep="\n")

# %% [markdown]
# ## The gradient is a graph
#
# The red, dashed nodes are what `gf.gradients` added: one group per forward op, under `gradients/`. Read them from
# the right: the loss's gradient (ones) flows back through the cross-entropy (whose gradient is
# $\text{softmax} - c$), through the addition (to `b`, summed over the points) and the matrix product (to `W`, as
# $X^\top g$).

# %%
gf.viz.draw_graph(graph, direction="LR", title="J and its gradients with respect to W and b")

# %% [markdown]
# The gradient rules are checked against finite differences in graphflow's tests; here is the same check by hand,
# for one entry of `W`:

# %%
with gf.Session(graph=graph) as sess:
    analytic = sess.run(grad_W, feed)[0, 0]
    eps = 1e-6
    w0 = sess.run(W)
    values = []
    for delta in (eps, -eps):
        w = w0.copy()
        w[0, 0] += delta
        W.load(w, sess)
        values.append(sess.run(J, feed))
    print(f"backpropagation {analytic:.6f}, finite difference {(values[0] - values[1]) / (2 * eps):.6f}")

# %% [markdown]
# ## Values and gradients on the drawing
#
# Drawn with a session, every node shows its value (green) and $\partial J / \partial \text{node}$ (red), as in
# micrograd. The logits' gradient is $\text{softmax} - c$ for each point; `b`'s is its sum over the points.

# %%
with gf.Session(graph=graph) as sess:
    picture = gf.viz.draw_graph(J, session=sess, feed_dict=feed, title="forward values (green) and dJ/dnode (red)")
picture

# %% [markdown]
# ## Descending by hand, then with an optimizer
#
# A training step is two runs: compute the gradients, then move the weights. `Variable.load` sets a value in the
# session.

# %%
lr = 0.01
history = []
with gf.Session(graph=graph) as sess:
    for _ in range(30):
        loss, gW, gb = sess.run([J, grad_W, grad_b], feed)
        history.append(loss)
        W.load(sess.run(W) - lr * gW, sess)
        b.load(sess.run(b) - lr * gb, sess)
    by_hand = sess.run(W)
print("loss every 5 steps:", np.round(history[::5], 2))

# %% [markdown]
# `GradientDescentOptimizer(lr).minimize(J)` builds the same gradients and an update op, so one run does the whole
# step, and gives the same weights:

# %%
with graph.as_default():
    train = gf.train.GradientDescentOptimizer(lr).minimize(J)
with gf.Session(graph=graph) as sess:
    for _ in range(30):
        sess.run(train, feed)
    print("same weights as by hand:", np.allclose(sess.run(W), by_hand))

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot(history, marker=".")
    ax.set(xlabel="step", ylabel="J", title="the loss going downhill", yscale="log")
    plt.show()
    plots.decision_boundary(
        lambda grid: sess.run(gf.nn.softmax(logits), {X: grid}), points, labels, title="after 30 steps"
    )
