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
# # A multi-layer perceptron on XOR
#
# Two red clusters at (0, 0) and (1, 1), two blue ones at (0, 1) and (1, 0): no straight line separates them, so a
# single perceptron cannot. A hidden layer of two sigmoid units can: each learns a line, and the output layer combines
# the two half-planes into a band. This is the network of `./run demo` (`examples/xor.py`).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf
from graphflow.data import one_hot
from graphflow.datasets import xor
from graphflow.viz import plots

points, labels = xor.xor(seed=xor.DEFAULT_SEED)
rng = np.random.default_rng(xor.DEFAULT_SEED)

graph = gf.Graph()
with graph.as_default():
    X = gf.placeholder(gf.float64, [None, 2], name="X")
    c = gf.placeholder(gf.float64, [None, 2], name="c")
    with gf.name_scope("hidden"):
        W_hidden = gf.Variable(rng.standard_normal((2, 2)), name="W")
        b_hidden = gf.Variable(rng.standard_normal(2), name="b")
        p_hidden = gf.sigmoid(gf.matmul(X, W_hidden) + b_hidden, name="p_hidden")
    with gf.name_scope("output"):
        W_output = gf.Variable(rng.standard_normal((2, 2)), name="W")
        b_output = gf.Variable(rng.standard_normal(2), name="b")
        logits = gf.add(gf.matmul(p_hidden, W_output), b_output, name="logits")
        p_output = gf.nn.softmax(logits, name="p_output")
    J = gf.reduce_sum(gf.nn.softmax_cross_entropy_with_logits_v2(labels=c, logits=logits), name="J")
    accuracy = gf.reduce_mean(gf.cast(gf.equal(gf.argmax(p_output, 1), gf.argmax(c, 1)), gf.float64))
    train = gf.train.GradientDescentOptimizer(0.03).minimize(J)
feed = {X: points, c: one_hot(labels, 2, np.float64)}

# %% [markdown]
# Training, 1000 steps of gradient descent (about a second):

# %%
sess = gf.Session(graph=graph)
curve = []
for step in range(1001):
    if step % 20 == 0:
        curve.append((step, *sess.run([J, accuracy], feed)))
    sess.run(train, feed)
step, loss, acc = curve[-1]
print(f"after {step} steps: loss {loss:.3f}, accuracy {acc:.0%}")

# %%
steps, losses, accuracies = np.array(curve).T
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3))
left.plot(steps, losses)
left.set(xlabel="step", ylabel="J", title="loss")
right.plot(steps, accuracies)
right.set(xlabel="step", ylabel="accuracy", title="training accuracy", ylim=(0.4, 1.02))
plt.show()

# %% [markdown]
# ## The decision boundary
#
# The band between the two black lines is where the network says red. The key says what the colours mean; the
# shading is the probability of blue.

# %%
plots.decision_boundary(lambda grid: sess.run(p_output, {X: grid}), points, labels, title="the 2-2-2 network")

# %% [markdown]
# ## What each hidden unit learned
#
# Each hidden unit is a perceptron: its output is high on one side of a line. Together the two lines cut the plane
# into the regions the output layer needs.

# %%
xs, ys = np.meshgrid(np.linspace(-0.8, 1.8, 120), np.linspace(-0.8, 1.8, 120))
hidden = sess.run(p_hidden, {X: np.column_stack([xs.ravel(), ys.ravel()])})
fig, axes = plt.subplots(1, 2, figsize=(9, 4))
for unit, ax in enumerate(axes):
    shading = ax.contourf(xs, ys, hidden[:, unit].reshape(xs.shape), levels=20, cmap="Greys")
    ax.scatter(*points.T, c=np.where(labels == 1, "blue", "red"), edgecolors="k", s=20)
    ax.set(title=f"hidden unit {unit}", xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    fig.colorbar(shading, ax=ax, label="unit output")
plt.show()

# %% [markdown]
# And the trained network drawn with its values and gradients at the end of training, collapsed to its two scopes
# plus the loss (pass `collapse_scopes=False` to see every node):

# %%
gf.viz.draw_graph(J, session=sess, feed_dict=feed, collapse_scopes=True, title="trained: values and gradients")
