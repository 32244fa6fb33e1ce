"""Convert a CTranslate2 Whisper model into a transformers checkpoint.

CTranslate2 fuses some projections; transformers keeps them apart:
- self-attention ``linear_0`` holds q, k and v stacked; k has no bias in Whisper
  (CTranslate2 stores zeros there), ``linear_1`` is the output projection;
- cross-attention ``linear_0`` is q, ``linear_1`` holds k and v, ``linear_2`` is
  the output projection;
- ``ffn/linear_0`` and ``linear_1`` are fc1 and fc2;
- the output projection shares the token embedding (an alias in model.bin).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import torch

from sunvai.asr.ct2_format import read_ct2_model

SAMPLE_RATE = 16_000


def _t(array: np.ndarray) -> torch.Tensor:
    # Keep the source precision (whisper-base ships as float16); engines upcast on load.
    return torch.from_numpy(np.array(array, copy=True))


def _layer_count(variables: dict[str, np.ndarray], stack: str) -> int:
    pattern = re.compile(rf"^{stack}/layer_(\d+)/")
    return len({m.group(1) for name in variables if (m := pattern.match(name))})


def _scalar(variables: dict[str, np.ndarray], name: str) -> int:
    return int(np.asarray(variables[name]).reshape(-1)[0])


def _norm(out: dict, hf: str, ct2: str, v: dict) -> None:
    out[f"{hf}.weight"] = _t(v[f"{ct2}/gamma"])
    out[f"{hf}.bias"] = _t(v[f"{ct2}/beta"])


def _linear(out: dict, hf: str, weight: np.ndarray, bias: np.ndarray | None) -> None:
    out[f"{hf}.weight"] = _t(weight)
    if bias is not None:
        out[f"{hf}.bias"] = _t(bias)


def _fused_self_attention(out: dict, hf: str, ct2: str, v: dict) -> None:
    q_w, k_w, v_w = np.split(v[f"{ct2}/linear_0/weight"], 3, axis=0)
    q_b, _k_b, v_b = np.split(v[f"{ct2}/linear_0/bias"], 3, axis=0)
    _linear(out, f"{hf}.q_proj", q_w, q_b)
    _linear(out, f"{hf}.k_proj", k_w, None)
    _linear(out, f"{hf}.v_proj", v_w, v_b)
    _linear(out, f"{hf}.out_proj", v[f"{ct2}/linear_1/weight"], v[f"{ct2}/linear_1/bias"])


def _cross_attention(out: dict, hf: str, ct2: str, v: dict) -> None:
    _linear(out, f"{hf}.q_proj", v[f"{ct2}/linear_0/weight"], v[f"{ct2}/linear_0/bias"])
    k_w, v_w = np.split(v[f"{ct2}/linear_1/weight"], 2, axis=0)
    _k_b, v_b = np.split(v[f"{ct2}/linear_1/bias"], 2, axis=0)
    _linear(out, f"{hf}.k_proj", k_w, None)
    _linear(out, f"{hf}.v_proj", v_w, v_b)
    _linear(out, f"{hf}.out_proj", v[f"{ct2}/linear_2/weight"], v[f"{ct2}/linear_2/bias"])


def _ffn(out: dict, hf: str, ct2: str, v: dict) -> None:
    _linear(out, f"{hf}.fc1", v[f"{ct2}/linear_0/weight"], v[f"{ct2}/linear_0/bias"])
    _linear(out, f"{hf}.fc2", v[f"{ct2}/linear_1/weight"], v[f"{ct2}/linear_1/bias"])


def state_dict_from_ct2(v: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """Map CTranslate2 Whisper variables onto transformers parameter names."""
    out: dict[str, torch.Tensor] = {}
    enc, dec = "model.encoder", "model.decoder"
    for i in (1, 2):
        _linear(out, f"{enc}.conv{i}", v[f"encoder/conv{i}/weight"], v[f"encoder/conv{i}/bias"])
    out[f"{enc}.embed_positions.weight"] = _t(v["encoder/position_encodings/encodings"])
    for i in range(_layer_count(v, "encoder")):
        hf, ct2 = f"{enc}.layers.{i}", f"encoder/layer_{i}"
        _fused_self_attention(out, f"{hf}.self_attn", f"{ct2}/self_attention", v)
        _norm(out, f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm", v)
        _ffn(out, hf, f"{ct2}/ffn", v)
        _norm(out, f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm", v)
    _norm(out, f"{enc}.layer_norm", "encoder/layer_norm", v)

    out[f"{dec}.embed_tokens.weight"] = _t(v["decoder/embeddings/weight"])
    out[f"{dec}.embed_positions.weight"] = _t(v["decoder/position_encodings/encodings"])
    for i in range(_layer_count(v, "decoder")):
        hf, ct2 = f"{dec}.layers.{i}", f"decoder/layer_{i}"
        _fused_self_attention(out, f"{hf}.self_attn", f"{ct2}/self_attention", v)
        _norm(out, f"{hf}.self_attn_layer_norm", f"{ct2}/self_attention/layer_norm", v)
        _cross_attention(out, f"{hf}.encoder_attn", f"{ct2}/attention", v)
        _norm(out, f"{hf}.encoder_attn_layer_norm", f"{ct2}/attention/layer_norm", v)
        _ffn(out, hf, f"{ct2}/ffn", v)
        _norm(out, f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm", v)
    _norm(out, f"{dec}.layer_norm", "decoder/layer_norm", v)
    return out


def _token_ids(tokenizer_json: Path) -> dict[str, int]:
    added = json.loads(tokenizer_json.read_text(encoding="utf-8")).get("added_tokens", [])
    return {token["content"]: token["id"] for token in added}


def _configs(v: dict[str, np.ndarray], ct2_config: dict, ids: dict[str, int]):
    from transformers import GenerationConfig, WhisperConfig

    vocab_size, d_model = v["decoder/embeddings/weight"].shape
    lang_ids = json.loads(ct2_config["lang_ids"]) if isinstance(ct2_config["lang_ids"], str) else ct2_config["lang_ids"]
    suppress = ct2_config["suppress_ids"]
    suppress = json.loads(suppress) if isinstance(suppress, str) else suppress
    by_id = {token_id: token for token, token_id in ids.items()}
    eot = ids["<|endoftext|>"]
    sot = ids["<|startoftranscript|>"]
    config = WhisperConfig(
        vocab_size=int(vocab_size),
        num_mel_bins=int(v["encoder/conv1/weight"].shape[1]),
        d_model=int(d_model),
        encoder_layers=_layer_count(v, "encoder"),
        decoder_layers=_layer_count(v, "decoder"),
        encoder_attention_heads=_scalar(v, "encoder/num_heads"),
        decoder_attention_heads=_scalar(v, "decoder/num_heads"),
        encoder_ffn_dim=int(v["encoder/layer_0/ffn/linear_0/weight"].shape[0]),
        decoder_ffn_dim=int(v["decoder/layer_0/ffn/linear_0/weight"].shape[0]),
        max_source_positions=int(v["encoder/position_encodings/encodings"].shape[0]),
        max_target_positions=int(v["decoder/position_encodings/encodings"].shape[0]),
        pad_token_id=eot,
        bos_token_id=eot,
        eos_token_id=eot,
        decoder_start_token_id=sot,
        tie_word_embeddings=True,
        architectures=["WhisperForConditionalGeneration"],
    )
    generation = GenerationConfig(
        decoder_start_token_id=sot,
        bos_token_id=eot,
        eos_token_id=eot,
        pad_token_id=eot,
        max_length=config.max_target_positions,
        suppress_tokens=suppress,
        begin_suppress_tokens=ct2_config["suppress_ids_begin"],
        alignment_heads=ct2_config["alignment_heads"],
        is_multilingual=len(lang_ids) > 1,
        lang_to_id={by_id[i]: i for i in lang_ids},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"],
        prev_sot_token_id=ids["<|startofprev|>"],
        max_initial_timestamp_index=50,
        return_timestamps=False,
    )
    return config, generation


def convert_whisper_ct2_to_hf(ct2_dir: str | Path, out_dir: str | Path) -> Path:
    """Write a transformers Whisper checkpoint for the CTranslate2 model in ``ct2_dir``."""
    from safetensors.torch import save_file
    from transformers import WhisperFeatureExtractor

    ct2_dir, out_dir = Path(ct2_dir), Path(out_dir)
    spec_name, variables = read_ct2_model(ct2_dir / "model.bin")
    if spec_name != "WhisperSpec":
        raise ValueError(f"{ct2_dir} holds a {spec_name}, not a Whisper model")
    ct2_config = json.loads((ct2_dir / "config.json").read_text(encoding="utf-8"))
    ids = _token_ids(ct2_dir / "tokenizer.json")
    config, generation = _configs(variables, ct2_config, ids)

    out_dir.mkdir(parents=True, exist_ok=True)
    state = state_dict_from_ct2(variables)
    save_file({k: t.contiguous() for k, t in state.items()}, out_dir / "model.safetensors", metadata={"format": "pt"})
    config.save_pretrained(out_dir)
    generation.save_pretrained(out_dir)
    WhisperFeatureExtractor(feature_size=config.num_mel_bins, sampling_rate=SAMPLE_RATE).save_pretrained(out_dir)
    shutil.copyfile(ct2_dir / "tokenizer.json", out_dir / "tokenizer.json")
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "WhisperTokenizer",
                "processor_class": "WhisperProcessor",
                "unk_token": "<|endoftext|>",
                "bos_token": "<|endoftext|>",
                "eos_token": "<|endoftext|>",
                "pad_token": "<|endoftext|>",
                "model_max_length": config.max_target_positions,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    return out_dir
