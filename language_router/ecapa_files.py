"""The files of SpeechBrain's VoxLingua107 ECAPA language identifier (``speechbrain/lang-id-voxlingua107-ecapa``).

``hyperparams.yaml``, ``embedding_model.ckpt`` (the ECAPA-TDNN state dict), ``classifier.ckpt``
and ``label_encoder.txt``: SpeechBrain's CategoricalEncoder, one ``'hi: Hindi' => 39`` line per
label, then a separator and extras.
"""

from __future__ import annotations

import ast
from pathlib import Path

from sunvai.asr.errors import ModelUnavailableError

ECAPA_FILES = ("hyperparams.yaml", "embedding_model.ckpt", "classifier.ckpt", "label_encoder.txt")
SEPARATOR = " => "
EXTRAS = "================"


def read_labels(directory: Path) -> dict[str, int]:
    """ISO code (the part before ':') -> the classifier's output index."""
    path = Path(directory) / "label_encoder.txt"
    labels: dict[str, int] = {}
    try:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() == EXTRAS:
                break
            if not line.strip():
                continue
            literal, index = line.strip().split(SEPARATOR, maxsplit=1)
            labels[str(ast.literal_eval(literal)).split(":")[0].strip()] = int(index)
    except (OSError, ValueError, SyntaxError) as exc:
        raise ModelUnavailableError(f"{path} is not SpeechBrain's label encoder ({exc}): copy it again from "
                                    "speechbrain/lang-id-voxlingua107-ecapa") from exc
    if not labels:
        raise ModelUnavailableError(f"{path} lists no labels: copy it again from speechbrain/lang-id-voxlingua107-ecapa")
    return labels
