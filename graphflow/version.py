"""graphflow's version, in a module of its own so that any module can read it without importing the package.

`GRAPHFLOW_VERSION` is graphflow's own release (the package's version, recorded in checkpoints). `__version__` and
`VERSION`, which TF-1 scripts read as `tf.__version__`, give the TF-1 API graphflow follows, TF 1.15 (the last TF-1
release): scripts that gate on the version (`if int(tf.__version__.split('.')[0]) < 1:`) then take their TF-1
branch, which is the one graphflow runs.
"""

GRAPHFLOW_VERSION = "0.1.0"
__version__ = VERSION = "1.15.0"
