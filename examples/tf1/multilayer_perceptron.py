"""A multilayer perceptron on MNIST, written as TF-1 scripts were.

Two fully connected hidden layers of 256 ReLU units, weights and biases drawn from a standard normal and kept in
dicts, softmax cross-entropy on the logits, Adam with learning rate 0.001, minibatches of 100 for 15 epochs.

    python examples/tf1/multilayer_perceptron.py
    python examples/tf1/multilayer_perceptron.py --epochs 1
"""

import argparse

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="a 784-256-256-10 perceptron on MNIST")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--epochs", type=int, default=15, help="passes over the training set (default 15)")
parser.add_argument("--batch_size", type=int, default=100)
parser.add_argument("--learning_rate", type=float, default=0.001)
FLAGS = parser.parse_args()

mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

# Parameters
learning_rate = FLAGS.learning_rate
training_epochs = FLAGS.epochs
batch_size = FLAGS.batch_size
display_step = 1

# Network parameters
n_hidden_1 = 256  # units in the first hidden layer
n_hidden_2 = 256  # units in the second hidden layer
n_input = 784  # 28x28 pixels
n_classes = 10  # digits 0-9

X = tf.placeholder("float", [None, n_input])
Y = tf.placeholder("float", [None, n_classes])

weights = {
    "h1": tf.Variable(tf.random_normal([n_input, n_hidden_1])),
    "h2": tf.Variable(tf.random_normal([n_hidden_1, n_hidden_2])),
    "out": tf.Variable(tf.random_normal([n_hidden_2, n_classes])),
}
biases = {
    "b1": tf.Variable(tf.random_normal([n_hidden_1])),
    "b2": tf.Variable(tf.random_normal([n_hidden_2])),
    "out": tf.Variable(tf.random_normal([n_classes])),
}


def multilayer_perceptron(x):
    layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights["h1"]), biases["b1"]))
    layer_2 = tf.nn.relu(tf.add(tf.matmul(layer_1, weights["h2"]), biases["b2"]))
    return tf.matmul(layer_2, weights["out"]) + biases["out"]


logits = multilayer_perceptron(X)

loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits, labels=Y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate)
train_op = optimizer.minimize(loss_op)

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)

    for epoch in range(training_epochs):
        avg_cost = 0.0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_x, batch_y = mnist.train.next_batch(batch_size)
            _, c = sess.run([train_op, loss_op], feed_dict={X: batch_x, Y: batch_y})
            avg_cost += c / total_batch
        if epoch % display_step == 0:
            print("Epoch:", "%04d" % (epoch + 1), "cost={:.9f}".format(avg_cost))
    print("Optimization Finished!")

    pred = tf.nn.softmax(logits)
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(Y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))
    test_accuracy = accuracy.eval({X: mnist.test.images, Y: mnist.test.labels})
    print("Accuracy:", test_accuracy)
