"""Compatibility modules with the paths of TF-1's `tensorflow.examples.tutorials`."""
