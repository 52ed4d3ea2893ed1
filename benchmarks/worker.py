"""One framework in a process of its own, driven by run.py over stdin/stdout, one JSON object per line.

    python benchmarks/worker.py FRAMEWORK

Requests: {"cmd": "setup", "id", "workload", "params"} builds a runner (and warms it up); {"cmd": "run", "id", "n"}
times n iterations of it; {"cmd": "weights", "id", "path"} saves its weights to an .npz file; {"cmd": "drop", "id"}
frees it; {"cmd": "quit"}. Every reply is {"ok": true, ...} or {"error": "..."}. The first line the worker sends
says which versions it runs. Libraries that print to stdout are sent to stderr, so the protocol stays clean.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import sys
import traceback

MODULES = {
    "graphflow": ("fw_graphflow", {}),
    "numpy": ("fw_numpy", {}),
    "torch": ("fw_torch", {"compiled": False}),
    "torch.compile": ("fw_torch", {"compiled": True}),
    "tf1": ("fw_tf1", {}),
    "jax": ("fw_jax", {}),
}


def main() -> None:
    name = sys.argv[1]
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message: dict) -> None:
        proto.write(json.dumps(message) + "\n")
        proto.flush()

    module_name, options = MODULES[name]
    try:
        import common  # noqa: F401  (puts the checkout on sys.path before the framework module imports graphflow)

        module = importlib.import_module(module_name)
        if hasattr(module, "configure"):
            module.configure(**options)
    except Exception as e:  # a peer that is not installed, or fails to import
        send({"error": f"{type(e).__name__}: {e}", "missing": isinstance(e, ImportError)})
        return
    send({"ok": True, "versions": module.versions()})
    runners: dict = {}
    for line in sys.stdin:
        request = json.loads(line)
        cmd = request["cmd"]
        if cmd == "quit":
            break
        try:
            if cmd == "setup":
                runner = module.setup(request["workload"], dict(request["params"], **options))
                runners[request["id"]] = runner
                send({"ok": True, "info": getattr(runner, "info", {})})
            elif cmd == "run":
                send({"ok": True, **runners[request["id"]].run(request["n"])})
            elif cmd == "weights":
                import numpy as np

                np.savez(request["path"], **runners[request["id"]].weights())
                send({"ok": True})
            elif cmd == "drop":
                runners.pop(request["id"], None)
                gc.collect()
                send({"ok": True})
            else:
                send({"error": f"unknown command {cmd!r}"})
        except NotImplementedError as e:
            send({"error": f"not implemented: {e}", "unsupported": True})
        except Exception:
            send({"error": traceback.format_exc()})


if __name__ == "__main__":
    main()
