"""Data-parallel MNIST with Horovod's API: every process trains on its part of each batch, gradients are averaged.

A 784-256-10 ReLU network, softmax cross-entropy, Adam (learning rate 0.001), batches of 128, written as a TF-1 +
Horovod script: only the import lines name graphflow (`import tensorflow.compat.v1 as tf` and
`import horovod.tensorflow as hvd` in TF-1).

    ./run mpiexec -n 2 python examples/mnist_distributed.py       # two processes
    ./run python examples/mnist_distributed.py                    # one process: the same script, a world of one

`--batch_size` is the batch of the whole job: each of the N processes takes its 1/N of every batch, and the
averaged gradient is the gradient of the whole batch. So N processes take the same steps as one process would,
and reach its accuracy (docs/distributed.md gives the figures). Each process starts from its own random weights
(seed + rank); `broadcast_global_variables(0)` gives every process rank 0's. Rank 0 alone prints, writes the
summaries (`--out`/logs, for TensorBoard) and saves the checkpoint (`--out`/model.ckpt), as Horovod's examples do.
"""

import argparse
import os
import time

import numpy as np

import graphflow.compat.v1 as tf
import graphflow.distribute as hvd
from graphflow.examples.tutorials.mnist import input_data

tf.disable_v2_behavior()

parser = argparse.ArgumentParser(description="data-parallel MNIST over MPI, with Horovod's API")
parser.add_argument("--data_dir", default=None, help="MNIST folder (default: the copy graphflow ships)")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch_size", type=int, default=128, help="the batch of the whole job, split among processes")
parser.add_argument("--learning_rate", type=float, default=0.001)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--out", default="out/mnist_distributed", help="rank 0's checkpoint and summaries")
FLAGS = parser.parse_args()

hvd.init()
rank, size = hvd.rank(), hvd.size()
if FLAGS.batch_size % size:
    parser.error(f"--batch_size {FLAGS.batch_size} must be a multiple of the number of processes, {size}")
part = FLAGS.batch_size // size

mnist = input_data.read_data_sets(FLAGS.data_dir, validation_size=0)
tf.set_random_seed(FLAGS.seed + rank)  # a different start on every rank, until the broadcast

x = tf.placeholder(tf.float32, [None, 784], name="x")
labels = tf.placeholder(tf.int64, [None], name="labels")
hidden = tf.layers.dense(x, 256, activation=tf.nn.relu, name="hidden")
logits = tf.layers.dense(hidden, 10, name="logits")
loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), labels), tf.float32))
job_accuracy = hvd.allreduce(accuracy)  # the mean of the processes' accuracies, each on its part of the test set

global_step = tf.train.get_or_create_global_step()
opt = hvd.DistributedOptimizer(tf.train.AdamOptimizer(FLAGS.learning_rate))
train_op = opt.minimize(loss, global_step=global_step)
bcast = hvd.broadcast_global_variables(0)
tf.summary.scalar("loss", loss)
summaries = tf.summary.merge_all()

images, targets = mnist.train.images, mnist.train.labels
test_part = slice(rank * len(mnist.test.images) // size, (rank + 1) * len(mnist.test.images) // size)
test_feed = {x: mnist.test.images[test_part], labels: mnist.test.labels[test_part]}

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    sess.run(bcast)
    writer = tf.summary.FileWriter(os.path.join(FLAGS.out, "logs"), sess.graph) if rank == 0 else None
    saver = tf.train.Saver() if rank == 0 else None
    for epoch in range(FLAGS.epochs):
        start = time.perf_counter()
        order = np.random.RandomState(FLAGS.seed + epoch).permutation(len(images))  # the same on every rank
        for first in range(0, len(order) - FLAGS.batch_size + 1, FLAGS.batch_size):
            mine = order[first + rank * part : first + (rank + 1) * part]
            feed = {x: images[mine], labels: targets[mine]}
            if writer is not None and first % (50 * FLAGS.batch_size) == 0:
                _, summary, step = sess.run([train_op, summaries, global_step], feed)
                writer.add_summary(summary, step)
            else:
                sess.run(train_op, feed)
        seconds = time.perf_counter() - start
        test_accuracy = sess.run(job_accuracy, test_feed)
        if rank == 0:
            print(f"epoch {epoch + 1}: {seconds:.1f} s, test accuracy {test_accuracy:.4f} ({size} processes)")
    if rank == 0:
        print("saved", saver.save(sess, os.path.join(FLAGS.out, "model.ckpt"), global_step=global_step))
        writer.close()
    # flushed now: MPI may end the job before Python flushes its output at exit
    print(f"rank {rank}: test accuracy {test_accuracy:.4f}", flush=True)
