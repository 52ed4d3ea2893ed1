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
# # Computational graphs by hand
#
# A computational graph is a program written as data: each node is a value or an operation on other nodes, and an
# edge says "this operation reads that value". graphflow, like TensorFlow 1, builds the graph first and runs it
# later, in a session. Let us build $z = (x + y) \cdot w$ one node at a time.

# %%
# %matplotlib inline
import numpy as np

import graphflow as gf

graph = gf.Graph()
with graph.as_default():
    x = gf.placeholder(gf.float64, shape=[], name="x")  # an input, fed when the graph runs
    y = gf.placeholder(gf.float64, shape=[], name="y")
    w = gf.Variable(3.0, dtype=gf.float64, name="w")  # a value the session keeps between runs
    s = gf.add(x, y, name="s")  # an operation: it only records that s = x + y
    z = gf.multiply(s, w, name="z")

print(z)
print(graph)

# %% [markdown]
# Nothing has been computed yet: `z` is a node that knows its operation (`Mul`), its inputs and its static shape.
# The graph holds every node in the order they were made, which is always an order in which each node comes after
# its inputs:

# %%
[node.name for node in graph.nodes]

# %% [markdown]
# `gf.topo_order` computes such an order for any set of nodes, walking from the outputs to what they need. This is
# all a session has to do to run a graph: visit the nodes in this order and compute each from its inputs.

# %%
[node.name for node in gf.topo_order([z])]

# %% [markdown]
# ## Running it
#
# A `Session` holds the variables' values and runs what you fetch; placeholders get their values from `feed_dict`.

# %%
with gf.Session(graph=graph) as sess:
    print(sess.run(z, feed_dict={x: 1.0, y: 2.0}))  # (1 + 2) * 3
    s_value, z_value = sess.run([s, z], feed_dict={x: 10.0, y: -4.0})  # several fetches in one run
    print(s_value, z_value)

# %% [markdown]
# The same graph runs on arrays, with numpy's broadcasting, when the placeholders allow it:

# %%
with graph.as_default():
    a = gf.placeholder(gf.float64, shape=[None], name="a")
    doubled = a * 2.0 + w  # Python operators build nodes too
with gf.Session(graph=graph) as sess:
    print(sess.run(doubled, {a: np.arange(4.0)}))

# %% [markdown]
# ## The picture
#
# A graph left as the last line of a cell draws itself. Placeholders are orange, variables green, operations blue,
# and each node shows the name you gave it and its shape.

# %%
graph

# %% [markdown]
# With a session and a feed, `gf.viz.draw_graph` also writes each node's value under it, and for a scalar output
# each node's gradient, $\partial z / \partial \text{node}$, in red. That is where the next tutorials go: how a
# gradient is computed by walking this graph backwards.

# %%
with gf.Session(graph=graph) as sess:
    figure = gf.viz.draw_graph(z, session=sess, feed_dict={x: 1.0, y: 2.0}, title="z = (x + y) w at x=1, y=2, w=3")
figure
