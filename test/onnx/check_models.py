"""Runs onnx.checker.check_model(full_check=True) on ONNX files; used by test/onnx/checker.test.ts.

Usage: /usr/bin/python3 test/onnx/check_models.py FILE.onnx...
Prints one JSON object: the installed onnx version, the newest opset and IR version its checker
knows, and per file "ok", "error" (with the message) or "unsupported" (a newer opset or IR version
than the installed onnx knows, which its checker cannot judge). Exits 0 whatever the results.
"""
import json
import sys

import onnx
import onnx.checker
import onnx.defs


def check(path):
    model = onnx.load(path)
    opset = max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset > onnx.defs.onnx_opset_version() or model.ir_version > onnx.IR_VERSION:
        return {"status": "unsupported", "opset": opset, "ir_version": model.ir_version}
    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # the checker raises several exception types
        return {"status": "error", "message": str(error)}
    return {"status": "ok", "opset": opset, "ir_version": model.ir_version}


def main():
    report = {
        "onnx": onnx.__version__,
        "max_opset": onnx.defs.onnx_opset_version(),
        "max_ir_version": onnx.IR_VERSION,
        "files": {path: check(path) for path in sys.argv[1:]},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
