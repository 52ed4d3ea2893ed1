"""The TF-1 "MNIST for beginners" tutorial: a softmax regression trained for 1000 steps, about 92% test accuracy.

Same structure as the tutorial: flags parsed by argparse into FLAGS, the work in `main(_)`, an InteractiveSession,
the fused softmax cross-entropy on the logits, gradient descent with learning rate 0.5, batches of 100, and
`tf.app.run` to start.

    python examples/tf1/mnist_softmax.py
    python examples/tf1/mnist_softmax.py --steps 200
"""

import argparse
import sys

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

FLAGS = None


def main(_):
    mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

    # The model: y = x W + b, as logits
    x = tf.placeholder(tf.float32, [None, 784])
    W = tf.Variable(tf.zeros([784, 10]))
    b = tf.Variable(tf.zeros([10]))
    y = tf.matmul(x, W) + b

    # The loss and the optimizer. The fused op is the stable way to write -sum(y_ * log(softmax(y))).
    y_ = tf.placeholder(tf.float32, [None, 10])
    cross_entropy = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y_, logits=y))
    train_step = tf.train.GradientDescentOptimizer(FLAGS.learning_rate).minimize(cross_entropy)

    sess = tf.InteractiveSession()
    tf.global_variables_initializer().run()
    for _ in range(FLAGS.steps):
        batch_xs, batch_ys = mnist.train.next_batch(FLAGS.batch_size)
        sess.run(train_step, feed_dict={x: batch_xs, y_: batch_ys})

    # How well the trained model does on the test set
    correct_prediction = tf.equal(tf.argmax(y, 1), tf.argmax(y_, 1))
    accuracy = tf.reduce_mean(tf.cast(correct_prediction, tf.float32))
    print("Accuracy:", sess.run(accuracy, feed_dict={x: mnist.test.images, y_: mnist.test.labels}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_dir", type=str, default=None, help="MNIST folder (default: the copy graphflow ships)")
    parser.add_argument("--steps", type=int, default=1000, help="training steps (default 1000)")
    parser.add_argument("--batch_size", type=int, default=100)
    parser.add_argument("--learning_rate", type=float, default=0.5)
    FLAGS, unparsed = parser.parse_known_args()
    tf.app.run(main=main, argv=[sys.argv[0]] + unparsed)
