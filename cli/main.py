"""``sunvai``: transcribe files, run batch jobs and live streams against a server, or run one.

Talks to ``--url`` (or ``$SUNVAI_URL``, default http://127.0.0.1:8000) with ``--api-key`` (or
``$SUNVAI_API_KEY``). Exit codes: 0 all done, 1 a file or the job failed (the server's reason is
printed), 2 bad usage, 3 the server could not be reached.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from sunvai.cli import evaluate, keys, models
from sunvai.cli.client import SHORT_LIMIT_S, Client, ServerError, pcm_frames
from sunvai.cli.output import FORMATS, render

HELP = ("Transcribe files, run batch jobs and live streams against a sunvai server, or run one.\n\n"
        "Talks to --url (or $SUNVAI_URL, default http://127.0.0.1:8000) with --api-key (or $SUNVAI_API_KEY). "
        "Exit codes: 0 all done, 1 a file or the job failed (the server's reason is printed), 2 bad usage, "
        "3 the server could not be reached.")
app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="rich")
app.add_typer(keys.app, name="keys")
app.add_typer(models.app, name="models")
app.command("eval")(evaluate.evaluate)
err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

EXIT_FAILED, EXIT_UNREACHABLE = 1, 3
UrlOption = Annotated[str, typer.Option("--url", envvar="SUNVAI_URL", help="the server's base URL")]
KeyOption = Annotated[Optional[str], typer.Option("--api-key", envvar="SUNVAI_API_KEY", help="API key, if the "
                                                                                               "server asks for one")]
LanguageOption = Annotated[str, typer.Option("--language", "-l", help="a code (hi-IN), or a comma list to identify "
                                                                      "the language among (hi-IN,en-IN)")]
DEFAULT_URL = "http://127.0.0.1:8000"
RedactOption = Annotated[Optional[str], typer.Option(
    "--redact", help="replace identifiers: pii, or a comma list of card, aadhaar, pan, phone, pin, account, ifsc, "
                     "upi, email, numbers")]
MaskOption = Annotated[bool, typer.Option("--mask", help="with --redact: keep the last four characters instead of "
                                                         "a [KIND] tag")]


ProfanityOption = Annotated[bool, typer.Option("--profanity-filter", help="mask listed profanity (f***)")]


def _redaction(redact: str | None, mask: bool, profanity: bool = False) -> dict[str, str]:
    """The redact and profanity fields every surface takes (empty when neither is asked)."""
    fields = {"redact": redact, "redact_style": "mask" if mask else "tag"} if redact else {}
    return {**fields, "profanity_filter": "true"} if profanity else fields


def _duration_s(path: Path) -> float | None:
    """The file's duration from its container header (None when it does not say)."""
    import av

    try:
        with av.open(str(path)) as container:
            if container.duration is not None:
                return container.duration / av.time_base
            stream = container.streams.audio[0]
            return float(stream.duration * stream.time_base) if stream.duration else None
    except Exception:  # noqa: BLE001 - the server will say what is wrong with it
        return None


def _progress(console: Console) -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                    TimeElapsedColumn(), console=console, disable=not console.is_terminal)


def _write(result: dict, fmt: str, path: Path, output: Path | None) -> None:
    text = render(result, fmt)
    if output is None:
        out.print(text, end="")
        return
    output.mkdir(parents=True, exist_ok=True)
    target = output / f"{path.stem}.{'txt' if fmt == 'text' else fmt}"
    target.write_text(text, encoding="utf-8")
    err.print(f"{path.name} -> {target}")


@app.command()
def transcribe(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="audio files")],
    language: LanguageOption = "hi-IN",
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "text",
    itn: Annotated[bool, typer.Option("--itn", help="write numbers, amounts and dates as digits (hi-IN, en-IN)")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", file_okay=False,
                                                   help="write FILE.txt/.json/.srt/.vtt here instead of stdout")] = None,
    redact: RedactOption = None,
    mask: MaskOption = False,
    profanity: ProfanityOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Transcribe files: up to 60 s over /stt/v3, longer ones on the long-form path (a batch job), with progress.

    [bold]Example[/bold]: sunvai transcribe meeting.mp3 call.wav -l hi-IN,en-IN --format srt --output subs/
    """
    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}", param_hint="--format")
    client = Client(url.rstrip("/"), api_key)
    failed = 0
    for path in files:
        duration = _duration_s(path)
        try:
            if duration is not None and duration <= SHORT_LIMIT_S:
                result = client.transcribe_short(path, language, itn, redaction=_redaction(redact, mask, profanity))
            else:
                result = _transcribe_long(client, path, language, itn, _redaction(redact, mask, profanity))
        except ServerError as exc:
            err.print(f"[red]{path.name}: {exc.message}[/red] (HTTP {exc.status})")
            failed += 1
            continue
        except httpx.TransportError as exc:
            err.print(f"[red]cannot reach the server at {url}: {exc}[/red] (is `make run` running?)")
            raise typer.Exit(EXIT_UNREACHABLE) from None
        _write(result, fmt, path, output)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _transcribe_long(client: Client, path: Path, language: str, itn: bool, redaction: dict[str, str]) -> dict:
    job_id = client.create_job([path], {"language_code": language, "format": "transcribe" if itn else "verbatim",
                                        **redaction})
    with _progress(err) as progress:
        task = progress.add_task(path.name, total=100)

        def update(job: dict, files: list[dict]) -> None:
            progress.update(task, completed=job["progress"]["percent"])
            if not err.is_terminal and files:
                err.print(f"{path.name}: {files[0]['status'].lower()} {files[0]['progress_percent']}%")

        job = client.wait(job_id, update)
    file = client.job_files(job_id)[0]
    if file["status"] != "COMPLETED":
        raise ServerError(400, file.get("error_message") or f"the file ended {file['status']} (job {job['status']})")
    document = client.transcript(file["transcript_url"])
    return {"transcript": document["full_transcript"], "language_code": document["language_code"],
            "duration_s": document["duration_seconds"], "segments": document["segments"], "job_id": job_id}


@app.command()
def batch(
    files: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help="audio files")],
    language: LanguageOption = "hi-IN",
    speakers: Annotated[Optional[int], typer.Option(min=1, max=8, help="diarize: at most this many speakers")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="wait for the job and write its results")] = False,
    fmt: Annotated[str, typer.Option("--format", "-f", help=f"one of {', '.join(FORMATS)}")] = "json",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", file_okay=False)] = None,
    redact: RedactOption = None,
    mask: MaskOption = False,
    profanity: ProfanityOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Create a batch job for the files and print its id; with --wait, follow it and write each transcript.

    [bold]Example[/bold]: sunvai batch calls/*.wav -l hi-IN --speakers 2 --wait --output transcripts/
    """
    client = Client(url.rstrip("/"), api_key)
    config: dict = {"language_code": language, **_redaction(redact, mask, profanity)}
    if speakers:
        config["num_speakers"] = speakers
    try:
        job_id = client.create_job(files, config)
        out.print(job_id)
        if not wait:
            return
        with _progress(err) as progress:
            task = progress.add_task(f"job {job_id[:12]}", total=100)

            def update(job: dict, listed: list[dict]) -> None:
                progress.update(task, completed=job["progress"]["percent"])

            job = client.wait(job_id, update)
        listed = client.job_files(job_id)
    except ServerError as exc:
        err.print(f"[red]{exc.message}[/red] (HTTP {exc.status})")
        raise typer.Exit(EXIT_FAILED) from None
    except httpx.TransportError as exc:
        err.print(f"[red]cannot reach the server at {url}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    by_name = {p.name: p for p in files}
    for entry in listed:
        if entry["status"] != "COMPLETED":
            err.print(f"[red]{entry['original_path']}: {entry['status']} {entry.get('error_message') or ''}[/red]")
            continue
        document = client.transcript(entry["transcript_url"])
        result = {"transcript": document["full_transcript"], **document}
        _write(result, fmt, by_name.get(entry["original_path"], Path(entry["original_path"])), output)
    err.print(f"job {job_id}: {job['status']}")
    if job["status"] != "COMPLETED":
        raise typer.Exit(EXIT_FAILED)


@app.command()
def stream(
    file: Annotated[Optional[Path], typer.Option("--file", exists=True, dir_okay=False,
                                                 help="stream this audio file at real-time pace")] = None,
    mic: Annotated[bool, typer.Option("--mic", help="stream the microphone (needs the sounddevice package)")] = False,
    language: LanguageOption = "hi-IN",
    itn: Annotated[bool, typer.Option("--itn")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="send a file as fast as the server takes it")] = False,
    redact: RedactOption = None,
    mask: MaskOption = False,
    profanity: ProfanityOption = False,
    url: UrlOption = DEFAULT_URL,
    api_key: KeyOption = None,
) -> None:
    """Live transcription over the realtime WebSocket: partials in place, finals on their own lines.

    [bold]Example[/bold]: sunvai stream --file call.wav -l hi-IN   (or --mic)
    """
    if (file is None) == (not mic):
        raise typer.BadParameter("give exactly one of --file or --mic")
    client = Client(url.rstrip("/"), api_key)
    try:
        code = asyncio.run(_stream(client, file, language, itn, fast, _redaction(redact, mask, profanity)))
    except OSError as exc:
        err.print(f"[red]cannot reach the server at {url}: {exc}[/red]")
        raise typer.Exit(EXIT_UNREACHABLE) from None
    if code:
        raise typer.Exit(code)


async def _stream(client: Client, file: Path | None, language: str, itn: bool, fast: bool,
                  redaction: dict[str, str]) -> int:
    import websockets

    headers = {"lang_code": language, "x-sample-rate": "16000", "x-format": "transcribe" if itn else "verbatim",
               "x-interim-results": "true", **({"x-api-key-id": client.api_key} if client.api_key else {}),
               **{f"x-{name.replace('_', '-')}": value for name, value in redaction.items()}}
    async with websockets.connect(client.stream_url(), additional_headers=headers, max_size=2**22) as socket:
        sender = asyncio.create_task(_send_file(socket, file, fast) if file else _send_mic(socket))
        failed = 0
        partial_shown = False
        async for raw in socket:
            message = json.loads(raw)
            kind = message.get("type")
            if kind == "partial" and out.is_terminal:
                out.print(f"\r[dim]{message.get('text', '')}[/dim]", end="")
                partial_shown = True
            elif kind == "transcript":
                if partial_shown:
                    out.print("\r" + " " * 80 + "\r", end="")
                    partial_shown = False
                out.print(message.get("text", ""))
            elif kind == "error":
                err.print(f"[red]{message.get('message')}[/red]")
                failed = EXIT_FAILED
        await sender
        return failed


async def _send_file(socket, file: Path, fast: bool) -> None:
    from sunvai.audio import decode_audio

    samples = decode_audio(file.read_bytes()).samples
    for frame in pcm_frames(samples):
        await socket.send(frame)
        if not fast:
            await asyncio.sleep(len(frame) / 2 / 16_000)
    await socket.send("EOS")


async def _send_mic(socket) -> None:
    try:
        import sounddevice
    except ImportError:
        err.print("[red]--mic needs the sounddevice package (pip install sounddevice) and PortAudio[/red]")
        await socket.send("EOS")
        return
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def captured(data, frames, time_info, status) -> None:  # noqa: ARG001 - sounddevice's signature
        loop.call_soon_threadsafe(queue.put_nowait, bytes(data))

    with sounddevice.RawInputStream(samplerate=16_000, channels=1, dtype="int16", blocksize=512, callback=captured):
        err.print("listening; Ctrl-C to stop")
        try:
            while True:
                await socket.send(await queue.get())
        except (KeyboardInterrupt, asyncio.CancelledError):
            await socket.send("EOS")


@app.command()
def serve(config: Annotated[str, typer.Argument(help="a Serve config file, or a packaged config's name")]
          = "configs/local.yaml",
          host: Annotated[Optional[str], typer.Option(help="HTTP address instead of the config's (a container: "
                                                           "0.0.0.0)")] = None,
          port: Annotated[Optional[int], typer.Option(help="HTTP port instead of the config's")] = None,
          auth: Annotated[Optional[bool], typer.Option("--auth/--no-auth", help="require API keys whatever the "
                                                                                 "config says")] = None,
          num_cpus: Annotated[Optional[int], typer.Option(help="logical CPUs for Ray (default: all)")] = None,
          timeout: Annotated[float, typer.Option(help="seconds to wait for /health")] = 900.0) -> None:
    """Run the service in the foreground (what `make run` runs).

    [bold]Example[/bold]: sunvai serve configs/local.yaml --port 8080
    """
    from sunvai.cli.serve import run_service

    raise typer.Exit(run_service(config, host, port, auth, num_cpus, timeout))


def run() -> None:
    """The console script's entry point."""
    sys.exit(app())


if __name__ == "__main__":
    run()
