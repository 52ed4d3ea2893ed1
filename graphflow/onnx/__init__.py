"""ONNX export and import: `export(session, inputs, outputs)` writes a trained graph as an ONNX model that
onnxruntime, Netron and other ONNX tools read; `import_model(path)` builds a graphflow graph from an ONNX model, so it
can be drawn, run and differentiated.

This subpackage needs the `onnx` extra (`pip install graphflow[onnx]`, which brings `onnx` and `onnxruntime`);
`import graphflow` never imports it.
"""

try:
    import onnx
except ImportError as e:
    raise ImportError(
        "graphflow.onnx needs the onnx package: install the extra with `pip install graphflow[onnx]` "
        "(it brings onnx and onnxruntime)"
    ) from e

from graphflow.onnx import import_ops  # its functions fill IMPORTS
from graphflow.onnx.export import DEFAULT_OPSET, MIN_OPSET, export
from graphflow.onnx.importer import IMPORTS, ImportedModel, import_model
from graphflow.onnx.table import EXPORTS, FOLDED, REFUSED

__all__ = [
    "DEFAULT_OPSET",
    "EXPORTS",
    "FOLDED",
    "IMPORTS",
    "MIN_OPSET",
    "REFUSED",
    "ImportedModel",
    "export",
    "import_model",
]
