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
# # Running a classic TF-1 script
#
# graphflow keeps TensorFlow 1's names and semantics, so a TF-1 graph-mode script for the covered subset runs with
# only its import changed. `examples/tf1/` holds six such scripts; here is the start of the logistic regression, the
# "hello world" of TF-1 tutorials. The two graphflow lines are the only ones that differ from the TensorFlow
# original (`import tensorflow.compat.v1 as tf` and `from tensorflow.examples.tutorials.mnist import input_data`).

# %%
# %matplotlib inline
import contextlib
import io
import re
import runpy
import sys
from pathlib import Path

import matplotlib.pyplot as plt

import graphflow as gf

root = Path(gf.__file__).resolve().parents[1]  # the repository, next to the graphflow package
script = root / "examples" / "tf1" / "logistic_regression.py"
print("".join(script.read_text().splitlines(keepends=True)[9:45]))

# %% [markdown]
# Run it as a script would run, with its own command line (three epochs instead of 25, to keep this page fast), in a
# fresh default graph, capturing what it prints:

# %%
saved_argv = sys.argv
sys.argv = [str(script), "--epochs", "3"]
printed = io.StringIO()
try:
    with gf.Graph().as_default() as graph, contextlib.redirect_stdout(printed):
        names = runpy.run_path(str(script), run_name="__main__")
finally:
    sys.argv = saved_argv
print(printed.getvalue())

# %% [markdown]
# 88% test accuracy after three epochs; the full 25 reach 91.4%, as under TensorFlow. The script left its graph
# behind, so it can be looked at like any other. The cost per epoch, from what it printed:

# %%
costs = [float(v) for v in re.findall(r"cost= ([0-9.]+)", printed.getvalue())]
fig, ax = plt.subplots(figsize=(4.5, 3))
ax.plot(range(1, len(costs) + 1), costs, marker="o")
ax.set(xlabel="epoch", ylabel="average cost", title="the script's printed costs", xticks=range(1, len(costs) + 1))
plt.show()

# %% [markdown]
# And the graph it built, forward part only (`show_gradients=False`; the gradient graph of `minimize` is as large
# again). The weight matrix `Variable` and bias `Variable_1` kept TF-1's default names, because the script gave none:

# %%
gf.viz.draw_graph(names["cost"], show_gradients=False, title="logistic_regression.py: the cost")

# %% [markdown]
# The other scripts, their flags and their accuracies under graphflow and TensorFlow are listed in
# [the TF-1 scripts' README](../examples/tf1/README.md). Where graphflow deliberately differs from TF-1 (errors
# that say what to fix, numerically stable losses, runs that change nothing when they fail), the README says so.
