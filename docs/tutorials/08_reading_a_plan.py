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
# # Reading a printed plan
#
# The first time a session runs a set of fetches with a set of feeds, it compiles them into a plan: a flat list of
# steps over numbered slots, pruned to what the fetches need. Later runs with the same fetches and feed keys replay
# the plan. `sess.plan_for(fetches, feed_dict)` returns it and `print` shows it, one line a step.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf

graph = gf.Graph()
with graph.as_default():
    x = gf.placeholder(gf.float32, [None, 4], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    hidden = gf.layers.dense(x, 8, activation=gf.nn.relu)
    logits = gf.layers.dense(hidden, 3)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
    train = gf.train.GradientDescentOptimizer(0.1).minimize(loss)

rng = np.random.default_rng(0)
feed = {x: rng.standard_normal((5, 4)).astype(np.float32), labels: rng.integers(0, 3, 5)}
sess = gf.Session(graph=graph)
plan = sess.plan_for(loss, feed)
print(plan)

# %% [markdown]
# How to read it:
#
# - **The header** counts fetches, feeds and steps: only what `loss` needs is in the plan, and the gradient and
#   optimizer nodes in the same graph are not.
# - **Inputs** come first: `s0 fed labels` means slot 0 holds the value fed for `labels`; `variable` slots hold
#   the session's current value of a variable, `constant` slots a constant's value.
# - **Each step** reads like an assignment: `s3 = matmul(s1, s2)` calls the kernel `matmul` on slots 1 and 2 and
#   puts the result in slot 3. The next column names the graph node it computes (`dense/MatMul`).
# - `dense/Relu (with dense/BiasAdd)`: two ops **fused** into one step, `bias_relu`, which adds the bias and applies
#   the ReLU in one pass over the array.
# - `into s3`: the step **writes its result into its input's array**, because nothing reads that input later.
# - `recycles`: a step that allocates a large result reuses the array it made in the previous run.
# - `frees s1 s2`: the last reader of a slot lets its value go, so memory is held only as long as needed.
# - `fetch s12` is what `run` returns.
#
# In a notebook, a plan left as a cell's last line shows the same text; elsewhere its repr is one short line:

# %%
print(repr(plan))
plan

# %% [markdown]
# ## A training step
#
# Fetching the train op as well brings in the backward pass and the updates. The steps interleave: each layer's
# weights are updated (`apply_gradient_descent`) as soon as their gradient is ready, the last layer first. The
# `commit` lines at the end say which slot becomes each variable's new value: only when the whole run has succeeded,
# so a run that fails changes nothing.

# %%
train_plan = sess.plan_for([train, loss], feed)
print(train_plan)

# %% [markdown]
# ## The plan next to its graph
#
# Each step is a node of the graph (or two fused). The blue nodes of the drawing are the first plan's steps; the
# red ones, which `minimize` added, appear only in the training plan. Counting the steps of each kind:

# %%
kinds = {"forward": 0, "gradient": 0, "update": 0}
for step in train_plan.steps:
    kinds[step.op.role] = kinds.get(step.op.role, 0) + 1
fig, ax = plt.subplots(figsize=(4.5, 2.5))
ax.barh(list(kinds), list(kinds.values()), color=["#1565c0", "#c62828", "#ef9a9a"])
ax.set(xlabel="steps in the training plan", title=f"{len(train_plan.steps)} steps by what built them")
plt.show()

# %%
gf.viz.draw_graph(graph, collapse_scopes=False, title="the graph the two plans were compiled from")
