"""The CTC engine loads a user's checkpoint from disk, exactly as it would a Vakyansh model.

No CTC weights are reachable here, so the test builds a small randomly
initialised wav2vec2 checkpoint, saves it with its processor, and loads it
through ModelConfig -> build_engine -> ModelStore like any configured model.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.types import AsrRequest

VOCAB = ["<pad>", "<s>", "</s>", "<unk>", "|"] + list("अआइईउऊएऐओऔकखगघचछजझटठडढतथदधनपफबभमयरलवशसह")


@pytest.fixture(scope="module")
def ctc_checkpoint(tmp_path_factory):
    from transformers import (Wav2Vec2Config, Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC,
                              Wav2Vec2Processor)

    folder = tmp_path_factory.mktemp("ctc")
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(VOCAB)}, ensure_ascii=False))
    tokenizer = Wav2Vec2CTCTokenizer(str(folder / "vocab.json"), unk_token="<unk>", pad_token="<pad>",
                                     word_delimiter_token="|")
    extractor = Wav2Vec2FeatureExtractor(feature_size=1, sampling_rate=16000, padding_value=0.0,
                                         do_normalize=True, return_attention_mask=True)
    config = Wav2Vec2Config(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=64, conv_dim=(32, 32, 32), conv_stride=(5, 4, 4),
                            conv_kernel=(10, 4, 4), num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2,
                            pad_token_id=0, feat_extract_norm="layer", do_stable_layer_norm=True)
    torch.manual_seed(0)
    model = Wav2Vec2ForCTC(config).eval()
    # Bias the output towards letters so random weights still emit words.
    with torch.no_grad():
        model.lm_head.bias[5:] += 2.0
    model.save_pretrained(folder)
    Wav2Vec2Processor(feature_extractor=extractor, tokenizer=tokenizer).save_pretrained(folder)
    return folder, model


def test_round_trip_through_the_user_code_path(ctc_checkpoint):
    folder, original = ctc_checkpoint
    engine = build_engine(ModelConfig(name="tiny-ctc", engine="ctc", source=str(folder), language="hi"))
    rng = np.random.default_rng(1)
    clips = [rng.normal(0, 0.1, 16000).astype(np.float32), rng.normal(0, 0.1, 8000).astype(np.float32)]
    results = engine.transcribe_batch([AsrRequest(c, "hi") for c in clips])

    for clip, result in zip(clips, results):
        # The loaded weights are the saved ones: logits match the in-memory model exactly.
        inputs = engine.processor(clip, sampling_rate=16000, return_tensors="pt")
        with torch.no_grad():
            expected = original(inputs.input_values).logits.argmax(-1)[0]
        assert result.text == engine.processor.tokenizer.decode(expected.tolist())
        assert result.language == "hi" and result.model == "tiny-ctc"
        assert result.text and set(result.text.replace(" ", "")) <= set(VOCAB[5:])
        words = result.segments[0].words
        assert len(words) == len(result.text.split())
        assert all(0 <= w.start <= w.end <= len(clip) / 16000 + 0.05 for w in words)
