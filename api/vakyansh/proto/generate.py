"""Generate the Python stubs for speech_recognition.proto (run by ``make protos``).

    python -m sunvai.api.vakyansh.proto.generate [--check]

The proto is mapped to the virtual path ``sunvai/api/vakyansh/proto/`` so the generated gRPC
module imports its messages as ``sunvai.api.vakyansh.proto.speech_recognition_pb2``: the
module path Ray Serve's proxy imports ``grpc_servicer_functions`` from. ``--check``
regenerates into a temporary folder and fails if the committed stubs differ.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROTO = "speech_recognition.proto"
OUTPUTS = ("speech_recognition_pb2.py", "speech_recognition_pb2.pyi", "speech_recognition_pb2_grpc.py")


def generate(out: Path) -> None:
    from grpc_tools import protoc

    arguments = ["protoc", f"-Isunvai/api/vakyansh/proto={HERE}", f"--python_out={out}", f"--pyi_out={out}",
                 f"--grpc_python_out={out}", f"sunvai/api/vakyansh/proto/{PROTO}"]
    if protoc.main(arguments) != 0:
        raise SystemExit("protoc failed")


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as folder:
        generate(Path(folder))
        generated = Path(folder) / "sunvai" / "api" / "vakyansh" / "proto"
        stale = [name for name in OUTPUTS if (generated / name).read_bytes() != _read(HERE / name)]
        if "--check" in argv:
            if stale:
                print(f"stale generated stubs: {', '.join(stale)}; run `make protos`", file=sys.stderr)
                return 1
            return 0
        for name in OUTPUTS:
            (HERE / name).write_bytes((generated / name).read_bytes())
    return 0


def _read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
