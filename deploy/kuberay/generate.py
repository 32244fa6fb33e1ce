"""Write configs/cluster-gpu.yaml into the RayService manifest's serveConfigV2 (between its markers).

    python -m deploy.kuberay.generate          # rewrite deploy/kuberay/rayservice.yaml
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
MANIFEST = ROOT / "deploy" / "kuberay" / "rayservice.yaml"
CLUSTER_CONFIG = ROOT / "configs" / "cluster-gpu.yaml"
BEGIN, END = "  # BEGIN serveConfigV2", "  # END serveConfigV2"


def serve_config_block() -> str:
    config = yaml.safe_load(CLUSTER_CONFIG.read_text(encoding="utf-8"))
    body = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=120)
    return "  serveConfigV2: |\n" + "".join(f"    {line}\n" if line else "\n" for line in body.splitlines())


def generated_manifest() -> str:
    text = MANIFEST.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    marker_line, rest = rest.split("\n", 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}{marker_line}\n{serve_config_block()}{END}{tail}"


if __name__ == "__main__":
    MANIFEST.write_text(generated_manifest(), encoding="utf-8")
    print(f"wrote {MANIFEST.relative_to(ROOT)}")
