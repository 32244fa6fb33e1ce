"""Read CTranslate2's ``model.bin`` (binary format version 6) into numpy arrays.

The layout is the one ``ctranslate2.specs.model_spec.ModelSpec._serialize``
writes: a header, then for each variable its name, shape, dtype id and bytes,
then a table of aliases (tied weights).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

# Order matches the DataType enum in ctranslate2/types.h.
_DTYPES: dict[int, np.dtype | None] = {
    0: np.dtype(np.float32),
    1: np.dtype(np.int8),
    2: np.dtype(np.int16),
    3: np.dtype(np.int32),
    4: np.dtype(np.float16),
    5: None,  # bfloat16: numpy has no such dtype; read as uint16 and widen below.
}
SUPPORTED_VERSIONS = (5, 6)


class Ct2FormatError(ValueError):
    """The file is not a CTranslate2 model this reader understands."""


def read_ct2_model(path: str | Path) -> tuple[str, dict[str, np.ndarray]]:
    """Return the spec name and every variable (aliases resolved) of a model.bin."""
    data = Path(path).read_bytes()
    offset = 0

    def take(fmt: str):
        nonlocal offset
        value = struct.unpack_from(fmt, data, offset)[0]
        offset += struct.calcsize(fmt)
        return value

    def take_string() -> str:
        nonlocal offset
        length = take("H")
        text = data[offset : offset + length - 1].decode("utf-8")
        offset += length
        return text

    try:
        version = take("I")
        if version not in SUPPORTED_VERSIONS:
            raise Ct2FormatError(f"unsupported CTranslate2 binary version {version}")
        spec_name = take_string()
        take("I")  # spec revision
        variables: dict[str, np.ndarray] = {}
        for _ in range(take("I")):
            name = take_string()
            shape = tuple(take("I") for _ in range(take("B")))
            type_id = take("B")
            num_bytes = take("I")
            raw = data[offset : offset + num_bytes]
            offset += num_bytes
            if type_id == 5:
                widened = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
                array = widened.view(np.float32)
            elif type_id in _DTYPES:
                array = np.frombuffer(raw, dtype=_DTYPES[type_id])
            else:
                raise Ct2FormatError(f"unknown dtype id {type_id} for {name}")
            variables[name] = array.reshape(shape)
        for _ in range(take("I")):
            alias, target = take_string(), take_string()
            variables[alias] = variables[target]
    except struct.error as exc:
        raise Ct2FormatError(f"{path} is truncated or not a CTranslate2 model") from exc
    return spec_name, variables
