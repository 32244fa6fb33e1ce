"""A tiny Whisper fine-tune as Hugging Face's trainer saves one: config, safetensors weights, a generation
config that forces ``<|hi|> <|transcribe|> <|notimestamps|>`` (trained without timestamps, as most
fine-tunes are), and the tokenizer (the packaged whisper-base's ``tokenizer.json``). Random weights."""

from __future__ import annotations

import json
from pathlib import Path


def write_finetune(root: Path, *, tokenizer: bool = True, language_token: bool = True, seed: int = 0) -> Path:
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration, WhisperTokenizerFast

    from sunvai.asr.model_store import ModelStore

    packaged = ModelStore().resolve("packaged:whisper-base")
    config = WhisperConfig(vocab_size=51865, d_model=64, encoder_layers=1, decoder_layers=2,
                           encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=128,
                           decoder_ffn_dim=128, num_mel_bins=80)
    torch.manual_seed(seed)
    WhisperForConditionalGeneration(config).save_pretrained(root)
    fast = WhisperTokenizerFast(tokenizer_file=str(packaged / "tokenizer.json"))
    ids = dict(zip(["hi", "transcribe", "notimestamps"],
                   fast.convert_tokens_to_ids(["<|hi|>", "<|transcribe|>", "<|notimestamps|>"])))
    generation = json.loads((root / "generation_config.json").read_text())
    languages = {token: fast.convert_tokens_to_ids(token) for token in ("<|en|>", "<|hi|>", "<|ta|>", "<|or|>")}
    forced = [[1, ids["hi"]], [2, ids["transcribe"]], [3, ids["notimestamps"]]] if language_token else \
        [[1, ids["transcribe"]], [2, ids["notimestamps"]]]
    generation.update(lang_to_id=languages, task_to_id={"transcribe": ids["transcribe"], "translate": ids["transcribe"] - 1},
                      no_timestamps_token_id=ids["notimestamps"], forced_decoder_ids=forced,
                      suppress_tokens=[], begin_suppress_tokens=[220, 50257],
                      alignment_heads=[[1, 0], [1, 1]], is_multilingual=True)
    (root / "generation_config.json").write_text(json.dumps(generation, indent=1))
    if tokenizer:
        fast.save_pretrained(root)
    return root
