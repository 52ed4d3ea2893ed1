"""Logistic (softmax) regression on MNIST, written as TF-1 scripts were.

A single 784x10 weight matrix and a bias, both starting at zero; the cross-entropy is written out by hand as
-sum(y * log(softmax)), and plain gradient descent (learning rate 0.01) runs over minibatches of 100 for 25 epochs.

    python examples/tf1/logistic_regression.py
    python examples/tf1/logistic_regression.py --epochs 2
"""

import argparse

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="softmax regression on MNIST")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--epochs", type=int, default=25, help="passes over the training set (default 25)")
parser.add_argument("--batch_size", type=int, default=100)
parser.add_argument("--learning_rate", type=float, default=0.01)
FLAGS = parser.parse_args()

mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

# Parameters
learning_rate = FLAGS.learning_rate
training_epochs = FLAGS.epochs
batch_size = FLAGS.batch_size
display_step = 1

# Graph input: images are rows of 28*28 = 784 pixels, labels one-hot rows of 10 digits
x = tf.placeholder(tf.float32, [None, 784])
y = tf.placeholder(tf.float32, [None, 10])

# Model weights
W = tf.Variable(tf.zeros([784, 10]))
b = tf.Variable(tf.zeros([10]))

# The model, its cross-entropy and the training step
pred = tf.nn.softmax(tf.matmul(x, W) + b)
cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(cost)

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)

    for epoch in range(training_epochs):
        avg_cost = 0.0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_xs, batch_ys = mnist.train.next_batch(batch_size)
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_xs, y: batch_ys})
            avg_cost += c / total_batch
        if (epoch + 1) % display_step == 0:
            print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))

    print("Optimization Finished!")

    # Test the model on the 10,000 test images
    correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    test_accuracy = accuracy.eval({x: mnist.test.images, y: mnist.test.labels})
    print("Accuracy:", test_accuracy)
