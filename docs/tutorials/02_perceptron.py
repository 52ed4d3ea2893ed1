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
# # A perceptron
#
# A perceptron takes a point $x = (x_1, x_2)$, forms a weighted sum $x W + b$ and squashes it with the sigmoid
# $\sigma(a) = 1 / (1 + e^{-a})$ into a probability that the point is blue. Points where $x W + b = 0$ get 0.5:
# that line is the perceptron's decision boundary. Here are two clusters, red and blue:

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf
from graphflow.datasets import xor
from graphflow.viz import plots

points, labels = xor.separable(n_per_cluster=50, seed=38)  # red (0) around (-2, -2), blue (1) around (2, 2)
print(points.shape, np.bincount(labels))

# %% [markdown]
# The perceptron as a graph. The weights are picked by hand for now: $W = (1, 1)$, $b = 0$ says "blue when
# $x_1 + x_2 > 0$", the diagonal between the clusters.

# %%
graph = gf.Graph()
with graph.as_default():
    X = gf.placeholder(gf.float64, [None, 2], name="X")
    W = gf.Variable(np.array([[1.0], [1.0]]), name="W")
    b = gf.Variable(np.array([0.0]), name="b")
    p_blue = gf.sigmoid(gf.matmul(X, W) + b, name="p_blue")

with gf.Session(graph=graph) as sess:
    p = sess.run(p_blue, {X: points})[:, 0]
print("first points:", np.round(p[:3], 3), "last points:", np.round(p[-3:], 3))
print("accuracy:", np.mean((p > 0.5) == labels))

# %% [markdown]
# `matmul` takes all the points at once: `X` is a matrix with one point per row, so one run classifies the whole
# data set. The graph is small:

# %%
graph

# %% [markdown]
# ## The boundary
#
# `plots.decision_boundary` colours the plane by the network's output and draws the line where it is 0.5. It expects
# two class probabilities per point, red and blue.

# %%
with gf.Session(graph=graph) as sess:

    def predict(grid):
        blue = sess.run(p_blue, {X: grid})
        return np.hstack([1 - blue, blue])

    plots.decision_boundary(predict, points, labels, title="a perceptron with W = (1, 1), b = 0")

# %% [markdown]
# Change the weights and the line moves: $W = (1, -0.2)$, $b = -1$ tilts it and shifts it, and some points end up on
# the wrong side. How wrong a choice of weights is, as one number, is the subject of the next tutorial: the loss.

# %%
with gf.Session(graph=graph) as sess:
    W.load(np.array([[1.0], [-0.2]]), sess)
    b.load(np.array([-1.0]), sess)
    p = sess.run(p_blue, {X: points})[:, 0]
    print("accuracy:", np.mean((p > 0.5) == labels))
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(*points.T, c=np.where(p > 0.5, "blue", "red"), edgecolors=np.where((p > 0.5) == labels, "k", "orange"))
    ax.set(title="predicted colours; orange rims are mistakes", xlabel="$x_1$", ylabel="$x_2$")
    plt.show()
