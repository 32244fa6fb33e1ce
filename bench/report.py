"""Render a ``bench/run_all.sh`` run as markdown: one short table per figure, with its command, commit and date.

    python -m bench.report bench-results > docs/benchmarks.md

Reads ``OUT/commit``, ``OUT/date``, ``OUT/commands.tsv`` (name, command: written by run_all.sh) and
the last JSON line of each ``OUT/<name>.log``. A result's scalars become one line; each list of
objects, or object of objects, becomes a table.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HEADER = """# Benchmarks

What holds now, from one run of `bash bench/run_all.sh` on this project's machine (2 x86-64 cores,
24 GiB, no GPU): each table says the command that made it, the commit and the date. Regenerate the file
with `bash bench/run_all.sh && python -m bench.report bench-results > docs/benchmarks.md`; how the
figures got here is in git's history of this file. Transcript quality is in docs/quality.md, language
identification in docs/language-id.md.
"""


def last_json(log: Path) -> dict | None:
    for line in reversed(log.read_text(encoding="utf-8", errors="replace").splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


def cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 10_000 else f"{value:,.0f}"
    if isinstance(value, (list, tuple)):
        return " ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k} {cell(v)}" for k, v in value.items())
    return str(value)


def table(rows: list[dict], first: str | None = None) -> list[str]:
    columns: list[str] = ([first] if first else []) + list(dict.fromkeys(k for row in rows for k in row
                                                                         if k != first))
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return lines


def render(name: str, command: str, commit: str, date: str, result: dict | None) -> list[str]:
    lines = [f"## {name}", "", f"`{command}` at `{commit[:7]}`, {date}", ""]
    if result is None:
        return lines + ["No result: the log ends without one (see the log).", ""]
    scalars = {k: v for k, v in result.items() if k != "bench" and not isinstance(v, (list, dict))}
    if scalars:
        lines += [", ".join(f"{k}: {cell(v)}" for k, v in scalars.items()), ""]
    for key, value in result.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines += [f"{key}:", ""] + table(value) + [""]
        elif isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            lines += [f"{key}:", ""] + table([{"": k, **v} for k, v in value.items()], first="") + [""]
        elif isinstance(value, dict) and value:
            lines += [f"{key}: {cell(value)}", ""]
    return lines


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "bench-results")
    commit = (out / "commit").read_text().strip()
    date = (out / "date").read_text().strip() if (out / "date").exists() else "date not recorded"
    lines = [HEADER]
    for entry in (out / "commands.tsv").read_text().splitlines():
        name, _, command = entry.partition("\t")
        log = out / f"{name}.log"
        lines += render(name, command, commit, date, last_json(log) if log.exists() else None)
    print("\n".join(lines).rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
