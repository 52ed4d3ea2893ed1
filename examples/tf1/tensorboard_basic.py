"""Softmax regression on MNIST that logs its loss, accuracy and graph for TensorBoard, written as TF-1 scripts were.

The model of logistic_regression.py, its parts in the name scopes "Model", "Loss", "SGD" and "Accuracy" (the boxes
TensorBoard's graph view shows), with a scalar summary of the loss and of the minibatch accuracy written at every
training step.

    python examples/tf1/tensorboard_basic.py
    tensorboard --logdir /tmp/tensorflow_logs/example    # then open http://localhost:6006
"""

import argparse

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="softmax regression on MNIST with TensorBoard summaries")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--logs_path", default="/tmp/tensorflow_logs/example/", help="where the event file goes")
parser.add_argument("--epochs", type=int, default=25, help="passes over the training set (default 25)")
parser.add_argument("--batch_size", type=int, default=100)
parser.add_argument("--learning_rate", type=float, default=0.01)
FLAGS = parser.parse_args()

mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

# Parameters
learning_rate = FLAGS.learning_rate
training_epochs = FLAGS.epochs
batch_size = FLAGS.batch_size
display_epoch = 1
logs_path = FLAGS.logs_path

# Named inputs and variables, so that the graph view is readable
x = tf.placeholder(tf.float32, [None, 784], name="InputData")
y = tf.placeholder(tf.float32, [None, 10], name="LabelData")
W = tf.Variable(tf.zeros([784, 10]), name="Weights")
b = tf.Variable(tf.zeros([10]), name="Bias")

with tf.name_scope("Model"):
    pred = tf.nn.softmax(tf.matmul(x, W) + b)
with tf.name_scope("Loss"):
    cost = tf.reduce_mean(-tf.reduce_sum(y * tf.log(pred), reduction_indices=1))
with tf.name_scope("SGD"):
    optimizer = tf.train.GradientDescentOptimizer(learning_rate).minimize(cost)
with tf.name_scope("Accuracy"):
    acc = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
    acc = tf.reduce_mean(tf.cast(acc, tf.float32))

init = tf.global_variables_initializer()

# One scalar summary for each curve; merge_all gathers them into the single op to run
tf.summary.scalar("loss", cost)
tf.summary.scalar("accuracy", acc)
merged_summary_op = tf.summary.merge_all()

with tf.Session() as sess:
    sess.run(init)

    summary_writer = tf.summary.FileWriter(logs_path, graph=tf.get_default_graph())

    for epoch in range(training_epochs):
        avg_cost = 0.0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_xs, batch_ys = mnist.train.next_batch(batch_size)
            _, c, summary = sess.run([optimizer, cost, merged_summary_op], feed_dict={x: batch_xs, y: batch_ys})
            # Steps count minibatches over all epochs, so the curves run on instead of starting over each epoch
            summary_writer.add_summary(summary, epoch * total_batch + i)
            avg_cost += c / total_batch
        if (epoch + 1) % display_epoch == 0:
            print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))

    summary_writer.close()
    print("Optimization Finished!")

    test_accuracy = acc.eval({x: mnist.test.images, y: mnist.test.labels})
    print("Accuracy:", test_accuracy)

    print("Run the command line:\n--> tensorboard --logdir=%s\nThen open http://localhost:6006/" % logs_path)
