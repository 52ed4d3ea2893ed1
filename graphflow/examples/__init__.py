"""Compatibility modules with the paths of TF-1's `tensorflow.examples`, so old tutorials' imports keep working."""
