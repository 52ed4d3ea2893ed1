"""A perceptron built from `tf.layers` inside a `tf.variable_scope`, once for training and once, reusing the same
weights, for testing, written as TF-1 scripts were.

Two dense layers of 256 ReLU units with dropout (rate 0.25) between them, a 10-unit output layer, Adam with learning
rate 0.001 on batches of 128 for 2000 steps, counted by the global step. The training network's dropout follows a
bool placeholder (a `tf.cond` inside `tf.layers.dropout`); the test network calls the same function with
`reuse=True` and `training=False`, so it shares every variable and never drops anything.

    python examples/tf1/layers_shared_weights.py
    python examples/tf1/layers_shared_weights.py --num_steps 300
"""

import argparse

import graphflow.compat.v1 as tf
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="tf.layers with shared weights and dropout on MNIST")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--num_steps", type=int, default=2000, help="training steps (default 2000)")
parser.add_argument("--batch_size", type=int, default=128)
parser.add_argument("--learning_rate", type=float, default=0.001)
parser.add_argument("--dropout", type=float, default=0.25, help="fraction of hidden units dropped while training")
parser.add_argument("--display_step", type=int, default=100)
FLAGS = parser.parse_args()

mnist = input_data.read_data_sets(FLAGS.data_dir, one_hot=True)

num_input = 784
num_classes = 10
n_hidden_1 = 256
n_hidden_2 = 256

X = tf.placeholder(tf.float32, [None, num_input], name="images")
Y = tf.placeholder(tf.float32, [None, num_classes], name="labels")
is_training = tf.placeholder(tf.bool, [], name="is_training")


def neural_net(x, reuse, is_training):
    with tf.variable_scope("NeuralNet", reuse=reuse):
        fc1 = tf.layers.dense(x, n_hidden_1, activation=tf.nn.relu)
        fc1 = tf.layers.dropout(fc1, rate=FLAGS.dropout, training=is_training)
        fc2 = tf.layers.dense(fc1, n_hidden_2, activation=tf.nn.relu)
        fc2 = tf.layers.dropout(fc2, rate=FLAGS.dropout, training=is_training)
        out = tf.layers.dense(fc2, num_classes)
    return out


# One set of weights, two networks: dropout as the placeholder says for training, none for testing
logits_train = neural_net(X, reuse=False, is_training=is_training)
logits_test = neural_net(X, reuse=True, is_training=False)

loss_op = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits=logits_train, labels=Y))
global_step = tf.train.get_or_create_global_step()
optimizer = tf.train.AdamOptimizer(learning_rate=FLAGS.learning_rate)
# Layers that keep running statistics (batch normalisation) register their updates here; run them with each step.
update_ops = tf.get_collection(tf.GraphKeys.UPDATE_OPS)
with tf.control_dependencies(update_ops):
    train_op = optimizer.minimize(loss_op, global_step=global_step)

correct_pred = tf.equal(tf.argmax(logits_test, 1), tf.argmax(Y, 1))
accuracy = tf.reduce_mean(tf.cast(correct_pred, tf.float32))

init = tf.global_variables_initializer()

with tf.Session() as sess:
    sess.run(init)

    for step in range(1, FLAGS.num_steps + 1):
        batch_x, batch_y = mnist.train.next_batch(FLAGS.batch_size)
        sess.run(train_op, feed_dict={X: batch_x, Y: batch_y, is_training: True})
        if step % FLAGS.display_step == 0 or step == 1:
            loss, acc = sess.run([loss_op, accuracy], feed_dict={X: batch_x, Y: batch_y, is_training: False})
            print("Step " + str(step) + ", Minibatch Loss= " + "{:.4f}".format(loss) + ", Training Accuracy= "
                  + "{:.3f}".format(acc))  # fmt: skip

    print("Optimization Finished!")
    print("Trainable variables:", [v.name for v in tf.trainable_variables()])
    print("Global step:", sess.run(global_step))
    test_feed = {X: mnist.test.images, Y: mnist.test.labels, is_training: False}
    test_accuracy, test_loss = sess.run([accuracy, loss_op], feed_dict=test_feed)
    print("Testing Loss:", test_loss)
    print("Accuracy:", test_accuracy)
