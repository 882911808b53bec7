#!/usr/bin/env python3
"""onnx.checker.check_model(path, full_check=True) for each path argument.

Uses the system onnx (Debian python3-onnx 1.12 here). Prints one line per file and exits
non-zero if any file fails, so tests and CI can call it as a second, independent checker.
"""
import os
import sys

SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's python3-onnx lives there


def main(paths):
    if not paths:
        print("usage: check_onnx.py MODEL.onnx [MODEL.onnx ...]", file=sys.stderr)
        return 2
    try:
        import onnx
    except ImportError as e:
        # A pyenv/venv python3 may come first on PATH; retry with the system interpreter.
        if os.path.exists(SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON) and not os.environ.get("CHECK_ONNX_REEXEC"):
            os.environ["CHECK_ONNX_REEXEC"] = "1"
            os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(__file__), *paths])
        print(f"check_onnx: cannot import onnx ({e}); install python3-onnx", file=sys.stderr)
        return 3
    failed = 0
    for path in paths:
        try:
            onnx.checker.check_model(path, full_check=True)
            print(f"ok    {path}")
        except Exception as e:  # checker, shape inference and I/O errors alike
            failed += 1
            print(f"FAIL  {path}: {type(e).__name__}: {e}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
