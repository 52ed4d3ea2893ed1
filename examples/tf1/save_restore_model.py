"""Saving a model and restoring it in a new session, written as TF-1 scripts were.

A 784-256-256-10 ReLU perceptron is trained with Adam for 3 epochs and saved with `tf.train.Saver`; a second session
starts from fresh random weights, restores the checkpoint (the test accuracy is the first session's again), trains 7
more epochs and saves a numbered checkpoint that `tf.train.latest_checkpoint` finds.

    python examples/tf1/save_restore_model.py
    python examples/tf1/save_restore_model.py --first_epochs 1 --second_epochs 1 --model_path /tmp/run/model.ckpt
"""

import argparse
import os

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="save a trained perceptron, restore it and train on")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--model_path", default="/tmp/model.ckpt", help="checkpoint prefix; its folder is created")
parser.add_argument("--first_epochs", type=int, default=3, help="epochs before saving (default 3)")
parser.add_argument("--second_epochs", type=int, default=7, help="epochs after restoring (default 7)")
parser.add_argument("--batch_size", type=int, default=100)
parser.add_argument("--learning_rate", type=float, default=0.001)
FLAGS = parser.parse_args()

mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

# Parameters
learning_rate = FLAGS.learning_rate
batch_size = FLAGS.batch_size
display_step = 1
model_path = FLAGS.model_path
# Saver.save, as in TF-1, refuses a folder that does not exist; make it now rather than fail after training.
os.makedirs(os.path.dirname(os.path.abspath(model_path)), exist_ok=True)

# Network parameters
n_hidden_1 = 256
n_hidden_2 = 256
n_input = 784
n_classes = 10

x = tf.placeholder("float", [None, n_input])
y = tf.placeholder("float", [None, n_classes])


def multilayer_perceptron(x, weights, biases):
    layer_1 = tf.nn.relu(tf.add(tf.matmul(x, weights["h1"]), biases["b1"]))
    layer_2 = tf.nn.relu(tf.add(tf.matmul(layer_1, weights["h2"]), biases["b2"]))
    return tf.matmul(layer_2, weights["out"]) + biases["out"]


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

pred = multilayer_perceptron(x, weights, biases)
cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=pred, labels=y))
optimizer = tf.train.AdamOptimizer(learning_rate=learning_rate).minimize(cost)

correct_prediction = tf.equal(tf.argmax(pred, 1), tf.argmax(y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_prediction, "float"))

init = tf.global_variables_initializer()

# The saver covers every variable, Adam's moment estimates included, so training resumes where it stopped.
saver = tf.train.Saver()


def train(sess, epochs, first_epoch):
    for epoch in range(first_epoch, first_epoch + epochs):
        avg_cost = 0.0
        total_batch = int(mnist.train.num_examples / batch_size)
        for i in range(total_batch):
            batch_x, batch_y = mnist.train.next_batch(batch_size)
            _, c = sess.run([optimizer, cost], feed_dict={x: batch_x, y: batch_y})
            avg_cost += c / total_batch
        if epoch % display_step == 0:
            print("Epoch:", "%04d" % (epoch + 1), "cost=", "{:.9f}".format(avg_cost))


def evaluate():
    return accuracy.eval({x: mnist.test.images, y: mnist.test.labels})


print("Starting 1st session...")
with tf.Session() as sess:
    sess.run(init)
    train(sess, FLAGS.first_epochs, 0)
    print("First Optimization Finished!")
    first_accuracy = evaluate()
    print("Accuracy:", first_accuracy)

    save_path = saver.save(sess, model_path)
    print("Model saved in file: %s" % save_path)

print("Starting 2nd session...")
with tf.Session() as sess:
    sess.run(init)
    print("Accuracy before restoring:", evaluate())

    saver.restore(sess, model_path)
    print("Model restored from file: %s" % save_path)
    restored_accuracy = evaluate()
    print("Accuracy after restoring:", restored_accuracy)

    train(sess, FLAGS.second_epochs, FLAGS.first_epochs)
    print("Second Optimization Finished!")
    final_accuracy = evaluate()
    print("Accuracy:", final_accuracy)

    saver.save(sess, model_path, global_step=FLAGS.first_epochs + FLAGS.second_epochs)
    latest = tf.train.latest_checkpoint(os.path.dirname(os.path.abspath(model_path)))
    print("Latest checkpoint: %s" % latest)
