"""Turn a downloaded or copied checkpoint into a library entry: what kind it is, the files it needs.

- IndicConformer (``assets/encoder.onnx``): its CTC files are copied (the RNNT files are not);
  the vocabulary and masks are cross-checked first.
- A Hugging Face Whisper directory (``config.json`` with ``model_type: whisper``): converted with
  CTranslate2's converter; ``tokenizer.json`` always copied (faster-whisper would fetch one from
  the hub), made from the slow tokenizer's files where the checkpoint has none. Whether it predicts
  timestamps and whether it takes a language token are read from its generation config.
- A CTranslate2 Whisper directory (``model.bin``): copied; it must carry ``tokenizer.json``.
- VoxLingua107 ECAPA (``embedding_model.ckpt``, ``classifier.ckpt``, ``label_encoder.txt``,
  ``hyperparams.yaml``): copied.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.indic_conformer_files import read_checkpoint
from sunvai.asr.model_manifest import WhisperTraits
from sunvai.language_router.ecapa_files import ECAPA_FILES, read_labels

SKIPPED_INDIC = ("rnnt", "joint")  # RNNT decoder files: CTC is the path
WHISPER_COPIED = ("tokenizer.json", "preprocessor_config.json")


@dataclass(frozen=True)
class Prepared:
    engine: str
    languages: list[str]
    whisper: WhisperTraits | None = None


def kind_of(source: Path) -> str:
    if (source / "assets" / "encoder.onnx").is_file() or (source / "assets" / "language_masks.json").is_file():
        return "indic-conformer"
    if all((source / name).is_file() for name in ECAPA_FILES):
        return "ecapa"
    config = _json_or_none(source / "config.json")
    if config is not None and config.get("model_type") == "whisper":
        return "whisper-hf"
    if (source / "model.bin").is_file():
        return "whisper-ct2"
    raise ModelUnavailableError(
        f"{source} is not a model sunvai knows: expected an IndicConformer release (assets/encoder.onnx), a "
        f"Hugging Face Whisper directory (config.json with model_type whisper), a CTranslate2 Whisper directory "
        f"(model.bin) or VoxLingua107 ECAPA ({', '.join(ECAPA_FILES)})")


def prepare(source: Path, staging: Path, quantization: str | None = None, timestamps: bool | None = None,
            language_token: bool | None = None) -> Prepared:
    """Place the files of the checkpoint at ``source`` in ``staging``; what it is."""
    kind = kind_of(source)
    if kind == "indic-conformer":
        files = read_checkpoint(source)
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source)
            if path.is_file() and not path.name.startswith(SKIPPED_INDIC) and not relative.parts[0].startswith("."):
                (staging / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, staging / relative)
        return Prepared("indic-conformer", sorted(files.languages))
    if kind == "ecapa":
        for name in ECAPA_FILES:
            shutil.copy2(source / name, staging / name)
        return Prepared("ecapa", sorted(read_labels(staging)))
    if kind == "whisper-ct2":
        if not (source / "tokenizer.json").is_file():
            raise ModelUnavailableError(f"{source / 'tokenizer.json'} is missing: faster-whisper would fetch one "
                                        "from the hub. Copy it from the checkpoint this model was converted from")
        for path in source.iterdir():
            if path.is_file() and not path.name.startswith("."):
                shutil.copy2(path, staging / path.name)
        traits = WhisperTraits(**{k: v for k, v in (("timestamps", timestamps), ("language_token", language_token))
                                  if v is not None})
        return Prepared("whisper-ct2", [], traits)
    return _convert_whisper(source, staging, quantization, timestamps, language_token)


def _convert_whisper(source: Path, staging: Path, quantization: str | None, timestamps: bool | None,
                     language_token: bool | None) -> Prepared:
    import ctranslate2

    with_tokenizer = source
    if not (source / "tokenizer.json").is_file():
        with_tokenizer = staging.parent / (staging.name + "-tokenizer")
        _fast_tokenizer(source, with_tokenizer)
    try:
        converter = ctranslate2.converters.TransformersConverter(
            str(source), copy_files=[n for n in WHISPER_COPIED if (source / n).is_file()])
        converter.convert(str(staging), quantization=quantization, force=True)
        if with_tokenizer != source:
            shutil.copy2(with_tokenizer / "tokenizer.json", staging / "tokenizer.json")
    except Exception as exc:  # the converter raises whatever transformers or its own checks raise
        raise ModelUnavailableError(f"CTranslate2 could not convert {source}: {exc}") from exc
    finally:
        if with_tokenizer != source:
            shutil.rmtree(with_tokenizer, ignore_errors=True)
    generation = _json_or_none(source / "generation_config.json") or {}
    config = _json_or_none(source / "config.json") or {}
    recorded = whisper_traits_of(generation, config)
    traits = WhisperTraits(timestamps=recorded.timestamps if timestamps is None else timestamps,
                           language_token=recorded.language_token if language_token is None else language_token)
    return Prepared("whisper-ct2", forced_languages(generation, config), traits)


def _fast_tokenizer(source: Path, out: Path) -> None:
    """Write ``tokenizer.json`` from the checkpoint's slow tokenizer files (vocab.json, merges.txt...)."""
    from transformers import AutoTokenizer

    hint = "copy the base model's tokenizer.json (e.g. openai/whisper-large-v2's) into it"
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source))
    except Exception as exc:  # transformers raises OSError, ValueError or its own types here
        raise ModelUnavailableError(f"{source} has no tokenizer.json and its tokenizer could not be loaded to make "
                                    f"one ({exc}); {hint}") from exc
    if "<|startoftranscript|>" not in tokenizer.get_vocab() or len(tokenizer) < 50_000:
        raise ModelUnavailableError(f"{source} has no tokenizer.json and no tokenizer files to make one from "
                                    f"(vocab.json, merges.txt, added tokens); {hint}")
    tokenizer.save_pretrained(str(out))
    if not (out / "tokenizer.json").is_file():
        raise ModelUnavailableError(f"{source}: its tokenizer did not produce a tokenizer.json")


def _forced(generation: dict, config: dict) -> dict[int, int]:
    pairs = generation.get("forced_decoder_ids") or config.get("forced_decoder_ids") or []
    return {position: token for position, token in pairs if token is not None}


def whisper_traits_of(generation: dict, config: dict) -> WhisperTraits:
    """A fine-tune forced ``<|notimestamps|>`` in training when its config forces it; one that forces a task
    right after ``<|startoftranscript|>`` was trained without a language token."""
    forced = _forced(generation, config)
    no_timestamps = generation.get("no_timestamps_token_id")
    task_ids = set((generation.get("task_to_id") or {}).values())
    timestamps = not (no_timestamps is not None and no_timestamps in forced.values())
    language_token = not (forced.get(1) in task_ids and task_ids)
    return WhisperTraits(timestamps=timestamps, language_token=language_token)


def forced_languages(generation: dict, config: dict) -> list[str]:
    """The language a fine-tune forces (its ISO code), or none: every language of the base model."""
    forced = _forced(generation, config)
    by_id = {token_id: token.strip("<|>") for token, token_id in (generation.get("lang_to_id") or {}).items()}
    return [by_id[forced[1]]] if forced.get(1) in by_id else []


def _json_or_none(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
