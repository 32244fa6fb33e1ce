"""``sunvai eval MANIFEST``: WER and CER per language of a NeMo/Vistaar manifest.

Through a running server (``--url``: ``POST /stt/v3`` per file, verbatim, no punctuation), or one
configured model in this process without a server (``--config CONFIG --model NAME``). A table on
the terminal with a progress bar, and with ``--json`` a report: per language, overall, and every
file's reference and hypothesis after normalisation (evaluation/scoring.py).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Callable, Optional

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sunvai.evaluation.manifest import EvalItem, ManifestError, read_manifest
from sunvai.evaluation.scoring import LanguageScore, normalise

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

Transcriber = Callable[[EvalItem], str]


def server_transcriber(url: str, api_key: str | None, timeout_s: float) -> Transcriber:
    headers = {"X-API-Key-ID": api_key} if api_key else {}

    def transcribe(item: EvalItem) -> str:
        with open(item.audio, "rb") as audio:
            response = httpx.post(f"{url.rstrip('/')}/stt/v3", headers=headers, timeout=timeout_s,
                                  data={"language_code": item.language, "format": "verbatim",
                                        "punctuation": "false"},
                                  files={"audio_file": (item.audio.name, audio)})
        if response.status_code != 200:
            raise RuntimeError(f"{response.status_code}: {response.text[:300]}")
        return response.json()["transcript"]

    return transcribe


def local_transcriber(config_path: str, model: str) -> Transcriber:
    """One configured model in this process: its engine as the ASR replica builds it, on each file whole."""
    from sunvai.asr.factory import build_engine
    from sunvai.asr.model_store import ModelStore
    from sunvai.asr.types import AsrRequest
    from sunvai.audio import decode_audio
    from sunvai.deployments.launch import load_config
    from sunvai.language_router.codes import LANGUAGES
    from sunvai.service.args import AppArgs

    args = AppArgs.model_validate(load_config(config_path).applications[0].args or {})
    names = [m.name for m in args.models]
    if model not in names:
        raise typer.BadParameter(f"no model {model!r} in {config_path}; models: {', '.join(names)}")
    engine = build_engine(args.model(model), ModelStore(args.model_cache_dir))

    def transcribe(item: EvalItem) -> str:
        samples = decode_audio(item.audio.read_bytes()).samples
        language = LANGUAGES[item.language]
        request = AsrRequest(samples, language.iso, writing=language.writing)
        return engine.transcribe_batch([request])[0].text

    return transcribe


def score(items: list[EvalItem], transcribe: Transcriber, on_done: Callable[[], None]) -> tuple[dict, list[dict]]:
    scores: dict[str, LanguageScore] = {}
    files = []
    for item in items:
        entry = scores.setdefault(item.language, LanguageScore())
        entry.files += 1
        started = time.perf_counter()
        try:
            hypothesis, error = transcribe(item), None
        except Exception as exc:  # one file's failure is reported, the rest still scored
            hypothesis, error = None, str(exc)
        if error is not None:
            entry.failed += 1
        else:
            entry.references.append(normalise(item.reference, item.language))
            entry.hypotheses.append(normalise(hypothesis, item.language))
        files.append({"audio_filepath": str(item.audio), "lang": item.language,
                      "text": normalise(item.reference, item.language),
                      "pred_text": normalise(hypothesis, item.language) if hypothesis is not None else None,
                      "error": error, "seconds": round(time.perf_counter() - started, 3)})
        on_done()
    return scores, files


def report(scores: dict[str, LanguageScore], files: list[dict], target: str) -> dict:
    languages = {}
    for code, entry in sorted(scores.items()):
        wer, cer = entry.rates()
        languages[code] = {"files": entry.files, "failed": entry.failed, "wer": round(100 * wer, 2),
                           "cer": round(100 * cer, 2)}
    overall = LanguageScore(references=[r for s in scores.values() for r in s.references],
                            hypotheses=[h for s in scores.values() for h in s.hypotheses])
    wer, cer = overall.rates()
    return {"target": target, "normalisation": "vistaar (punctuation, IndicNLP, spaces) + lower case",
            "languages": languages, "overall": {"files": len(files), "wer": round(100 * wer, 2),
                                                "cer": round(100 * cer, 2)}, "files": files}


def evaluate(manifest: Annotated[Path, typer.Argument(help="JSONL: audio_filepath, text, lang per line")],
             url: Annotated[Optional[str], typer.Option(help="a running sunvai server")] = None,
             config: Annotated[Optional[str], typer.Option(help="no server: a Serve config...")] = None,
             model: Annotated[Optional[str], typer.Option(help="...and the name of one of its models")] = None,
             language: Annotated[Optional[str], typer.Option(help="for lines without lang")] = None,
             json_path: Annotated[Optional[Path], typer.Option("--json", help="write the report here")] = None,
             api_key: Annotated[Optional[str], typer.Option(envvar="SUNVAI_API_KEY")] = None,
             timeout: Annotated[float, typer.Option(help="seconds per file")] = 600.0) -> None:
    """WER and CER per language of a manifest, after Vistaar's Indic normalisation."""
    if (url is None) == (config is None) or (config is not None and model is None):
        raise typer.BadParameter("give --url of a running server, or --config and --model")
    try:
        items = read_manifest(manifest, language)
    except ManifestError as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2)
    transcribe = server_transcriber(url, api_key, timeout) if url else local_transcriber(config, model)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as progress:
        task = progress.add_task(manifest.name, total=len(items))
        scores, files = score(items, transcribe, lambda: progress.advance(task))
    result = report(scores, files, url or f"{config}:{model}")
    table = Table("language", "files", "failed", "WER %", "CER %")
    for code, row in result["languages"].items():
        table.add_row(code, str(row["files"]), str(row["failed"]), f"{row['wer']:.2f}", f"{row['cer']:.2f}")
    overall = result["overall"]
    table.add_row("all", str(overall["files"]), "", f"{overall['wer']:.2f}", f"{overall['cer']:.2f}")
    out.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        out.print(f"report: {json_path}")
    if any(row["failed"] for row in result["languages"].values()):
        raise typer.Exit(1)
