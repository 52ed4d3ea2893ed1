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
# # A loss
#
# Training needs one number that says how wrong the network is, which is small when it is right and which changes
# smoothly with the weights. For class probabilities that number is the cross-entropy: with $c$ the one-hot label of
# a point and $p$ the network's probabilities,
#
# $$J = -\sum_{\text{points}} \sum_{\text{classes}} c \log p .$$
#
# A point the network gives probability 0.9 to its true class costs $-\log 0.9 = 0.105$; one it gives 0.1 costs
# $2.3$. Here it is for the perceptron of the previous tutorial, now with two outputs and a softmax.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf
from graphflow.data import one_hot
from graphflow.datasets import xor

points, labels = xor.separable(n_per_cluster=50, seed=38)
targets = one_hot(labels, 2, np.float64)

graph = gf.Graph()
with graph.as_default():
    X = gf.placeholder(gf.float64, [None, 2], name="X")
    c = gf.placeholder(gf.float64, [None, 2], name="c")
    W = gf.Variable(np.array([[1.0, -1.0], [1.0, -1.0]]), name="W")
    b = gf.Variable(np.zeros(2), name="b")
    p = gf.nn.softmax(gf.matmul(X, W) + b, name="p")
    J = gf.negative(gf.reduce_sum(c * gf.log(p)), name="J")  # the formula as written

feed = {X: points, c: targets}
with gf.Session(graph=graph) as sess:
    print("J =", sess.run(J, feed))

# %% [markdown]
# `gf.log(p)` is the textbook formula, and it breaks when the network is confident: a probability rounds to 0 and
# $\log 0 = -\infty$. Confidently right, the label's 0 times $-\infty$ gives NaN where the loss is 0; confidently
# wrong, the loss is infinite where it is large but finite. The fused op
# `gf.nn.softmax_cross_entropy_with_logits_v2` computes the same value from the logits without ever taking the log of
# a rounded probability:

# %%
with graph.as_default():
    logits = gf.matmul(X, W) + b
    J_stable = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=logits), name="J_stable")
with gf.Session(graph=graph) as sess, np.errstate(divide="ignore", invalid="ignore"):  # log(0) is the point here
    print("J, J_stable:                    {:.4f} {:.4f}".format(*sess.run([J, J_stable], feed)))
    W.load(np.array([[-400.0, 400.0], [-400.0, 400.0]]), sess)
    print("confidently right, J, J_stable: {:.4f} {:.4f}".format(*sess.run([J, J_stable], feed)))
    W.load(np.array([[400.0, -400.0], [400.0, -400.0]]), sess)
    print("confidently wrong, J, J_stable: {:.4f} {:.4f}".format(*sess.run([J, J_stable], feed)))

# %% [markdown]
# The loss is one more node on the graph. Drawn with a session, each node shows its value: the per-point
# cross-entropies going into the sum, most of them near zero and a few large.

# %%
with gf.Session(graph=graph) as sess:
    W.load(np.array([[1.0, -1.0], [1.0, -1.0]]) * -0.5, sess)
    picture = gf.viz.draw_graph(J_stable, session=sess, feed_dict=feed, loss=False, title="the loss, with values")
picture

# %% [markdown]
# ## The loss as a landscape
#
# Training looks for weights where $J$ is low. With two classes only the difference between the two columns of `W`
# matters; keep the second column at zero and scan the first, $(w_1, w_2)$, over a grid:

# %%
w1s, w2s = np.meshgrid(np.linspace(-3, 3, 41), np.linspace(-3, 3, 41))
with graph.as_default():
    w_pair = gf.placeholder(gf.float64, [2], name="w_pair")
    scan_logits = gf.matmul(X, gf.stack([w_pair, gf.zeros([2], gf.float64)], axis=1))
    scan_loss = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=scan_logits))
with gf.Session(graph=graph) as sess:
    losses = np.array(
        [sess.run(scan_loss, {**feed, w_pair: pair}) for pair in zip(w1s.ravel(), w2s.ravel(), strict=True)]
    )

fig, ax = plt.subplots(figsize=(5.5, 4.5))
contours = ax.contourf(w1s, w2s, losses.reshape(w1s.shape), levels=30, cmap="viridis")
fig.colorbar(contours, label="J (summed cross-entropy)")
ax.set(xlabel="$w_1$", ylabel="$w_2$", title="J over the weights, lowest towards the lower left")
plt.show()

# %% [markdown]
# Negative $w_1, w_2$ give the red column a large logit for red points (lower left) and a small one for blue points,
# so the landscape falls steadily towards weights that separate the clusters with ever more confidence. Walking
# downhill on it, one small step at a time in the direction of steepest descent, is gradient descent: next.
