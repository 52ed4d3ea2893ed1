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
# # MNIST
#
# 70,000 handwritten digits, 28x28 grey pixels each; the files ship with graphflow. First the network of the classic
# numpy tutorial, written as its equations; then a modern one. Both train on a subset here so the page builds in
# seconds; `examples/mnist_mlp.py` trains them on all 60,000 images (90.5% and 98.3% test accuracy).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import graphflow as gf
from graphflow.data import batches
from graphflow.datasets import mnist
from graphflow.viz import plots

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train, onehot_train = mnist.preprocess(x_train[:6000], y_train[:6000], dtype=np.float64)  # rows of 784 in [0, 1]
x_test, onehot_test = mnist.preprocess(x_test[:2000], y_test[:2000], dtype=np.float64)
y_train, y_test = y_train[:6000].astype(np.int64), y_test[:2000].astype(np.int64)

fig, axes = plt.subplots(1, 10, figsize=(10, 1.3))
for ax, image, label in zip(axes, x_train, y_train, strict=False):  # the first ten
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% [markdown]
# ## The tutorial's equations
#
# $$h = \sigma(W_h x + b_h), \qquad \hat y = \sigma(W_o h + b_o), \qquad
#   J = \frac{1}{N} \sum_{\text{images}} \sum_{k=1}^{10} (\hat y_k - y_k)^2$$
#
# with 50 hidden units, one-hot targets $y$, and full-batch gradient descent: every step looks at all the training
# images. Written as a graph, with the images as rows:

# %%
rng = np.random.RandomState(123)
graph = gf.Graph()
with graph.as_default():
    x = gf.placeholder(gf.float64, [None, 784], name="x")
    y = gf.placeholder(gf.float64, [None, 10], name="y")
    W_h = gf.Variable(rng.normal(0, 784**-0.5, (784, 50)), name="W_h")
    b_h = gf.Variable(np.zeros(50), name="b_h")
    W_o = gf.Variable(rng.normal(0, 50**-0.5, (50, 10)), name="W_o")
    b_o = gf.Variable(np.zeros(10), name="b_o")
    h = gf.sigmoid(gf.matmul(x, W_h) + b_h, name="h")
    y_hat = gf.sigmoid(gf.matmul(h, W_o) + b_o, name="y_hat")
    J = gf.reduce_mean(gf.reduce_sum(gf.square(y_hat - y), axis=1), name="J")
    correct = gf.equal(gf.argmax(y_hat, 1), gf.argmax(y, 1))
    accuracy = gf.reduce_mean(gf.cast(correct, gf.float64), name="accuracy")
    train = gf.train.GradientDescentOptimizer(0.5).minimize(J)

train_feed, test_feed = {x: x_train, y: onehot_train}, {x: x_test, y: onehot_test}
history = {"train_loss": [], "test_loss": [], "train_accuracy": [], "test_accuracy": []}
iterations = []
with gf.Session(graph=graph) as sess:
    for i in range(151):
        if i % 5 == 0:  # sampled every few iterations, so the curves show the early climb
            for part, feed in (("train", train_feed), ("test", test_feed)):
                loss, acc = sess.run([J, accuracy], feed)
                history[f"{part}_loss"].append(loss)
                history[f"{part}_accuracy"].append(acc)
            iterations.append(i)
        sess.run(train, train_feed)
print(f"after 150 iterations on 6,000 images: test accuracy {history['test_accuracy'][-1]:.1%}")
plots.training_curves(history, iterations, xlabel="iteration")

# %% [markdown]
# Slow, steady progress: full-batch descent on a squared error through sigmoid outputs takes a small step per pass
# over the data. The accuracy axis is zoomed onto the last three quarters of training, where train and test differ.
#
# ## A modern network
#
# ReLU hidden units, a softmax with cross-entropy, minibatches of 64 and the Adam optimizer: the same data, a much
# faster descent.

# %%
graph = gf.Graph()
with graph.as_default():
    gf.set_random_seed(0)
    x = gf.placeholder(gf.float32, [None, 784], name="x")
    labels = gf.placeholder(gf.int64, [None], name="labels")
    hidden = gf.layers.dense(x, 128, activation=gf.nn.relu)
    logits = gf.layers.dense(hidden, 10)
    loss = gf.reduce_mean(gf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits), name="loss")
    prediction = gf.argmax(logits, 1, name="prediction")
    accuracy = gf.reduce_mean(gf.cast(gf.equal(prediction, labels), gf.float32), name="accuracy")
    train = gf.train.AdamOptimizer(1e-3).minimize(loss)

x_train32, x_test32 = x_train.astype(np.float32), x_test.astype(np.float32)
history = {"train_loss": [], "test_loss": [], "train_accuracy": [], "test_accuracy": []}
sess = gf.Session(graph=graph)
for epoch in range(1, 4):
    for xb, yb in batches(x_train32, y_train, batch_size=64, shuffle=True, seed=epoch):
        sess.run(train, {x: xb, labels: yb})
    for part, (images, targets) in (("train", (x_train32, y_train)), ("test", (x_test32, y_test))):
        values = sess.run([loss, accuracy], {x: images, labels: targets})
        history[f"{part}_loss"].append(values[0])
        history[f"{part}_accuracy"].append(values[1])
    print(f"epoch {epoch}: test accuracy {history['test_accuracy'][-1]:.1%}")
plots.training_curves(history, [1, 2, 3], xlabel="epoch")

# %% [markdown]
# ## Its mistakes
#
# Accuracy says how many; the pictures say which. The first 24 test images it gets wrong, titled "true → predicted":

# %%
guesses = sess.run(prediction, {x: x_test32})
wrong = np.flatnonzero(guesses != y_test)[:24]
print(f"{len(np.flatnonzero(guesses != y_test))} mistakes in {len(y_test)} test images")
plots.image_grid(x_test[wrong], y_test[wrong], guesses[wrong])

# %%
plots.confusion_matrix(y_test, guesses)

# %% [markdown]
# The first layer's weights, one 28x28 tile per hidden unit: each unit looks for strokes in some places (blue) and
# their absence in others (red).

# %%
kernel = sess.run(graph.get_tensor_by_name("dense/kernel:0"))
plots.weight_tiles(kernel, limit=40)
