"""TF-1's `tensorflow.examples.tutorials.mnist`: `input_data.read_data_sets()` over graphflow's MNIST loader."""

from graphflow.examples.tutorials.mnist import input_data

__all__ = ["input_data"]
