"""Whisper through transformers (``WhisperForConditionalGeneration``)."""

from __future__ import annotations

import numpy as np

from sunvai.asr.whisper_decoding import Decoded, WhisperEngine, load_tokenizer
from sunvai.asr.word_timing import attention_path

DTYPES = {"float32": "float32", "float16": "float16", "bfloat16": "bfloat16"}


class HfWhisperBackend:
    applies_script_lock = True  # generate(constraint=...) masks every step (asr/script_lock.py)

    def __init__(self, model_dir: str, device: str = "cpu", dtype: str = "float32", cpu_threads: int = 0):
        import torch
        from transformers import WhisperForConditionalGeneration

        if cpu_threads:
            torch.set_num_threads(cpu_threads)
        self.torch = torch
        self.device = torch.device(device)
        self.dtype = getattr(torch, DTYPES[dtype])
        self.model = WhisperForConditionalGeneration.from_pretrained(str(model_dir), dtype=self.dtype)
        self.model.to(self.device).eval()
        gen = self.model.generation_config
        self.id_to_lang = {i: token for token, i in gen.lang_to_id.items()}
        self.n_mels = self.model.config.num_mel_bins
        self.no_speech_id = gen.no_timestamps_token_id - 1  # <|nospeech|> (<|nocaptions|>), as transformers reads it

    def _tensor(self, features: np.ndarray):
        return self.torch.from_numpy(features).to(self.device, self.dtype)

    def generate(self, features: np.ndarray, prompts: list[list[int]], max_new_tokens: int = 444,
                 repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                 suppress_tokens: tuple[int, ...] = (), temperature: float = 0.0,
                 constraint=None) -> list[Decoded]:
        previous, languages, task = self._split_prompts(prompts)
        extra = {"prompt_ids": self.torch.tensor(previous, device=self.device)} if previous else {}
        if constraint is not None:
            from transformers import LogitsProcessorList

            from sunvai.asr.script_lock import hf_logits_processor

            first_timestamp = self.model.generation_config.no_timestamps_token_id + 1
            extra["logits_processor"] = LogitsProcessorList([hf_logits_processor(constraint, first_timestamp)])
        sampling = {"do_sample": True, "temperature": temperature} if temperature > 0 else {"do_sample": False}
        with self.torch.inference_mode():
            encoded = self.model.get_encoder()(self._tensor(features))  # once: no-speech step and generate
            no_speech = self._no_speech_probs(encoded)
            out = self.model.generate(
                encoder_outputs=encoded,
                language=languages,
                task=task,
                return_timestamps=True,
                num_beams=1,
                max_new_tokens=max_new_tokens,
                repetition_penalty=repetition_penalty,
                no_repeat_ngram_size=no_repeat_ngram_size,
                suppress_tokens=list(self.model.generation_config.suppress_tokens or []) + list(suppress_tokens),
                return_dict_in_generate=True,
                output_scores=True,
                force_unique_generate_call=True,  # one window: a ModelOutput with the scores
                **sampling,
                **extra,
            )
            logprobs = self._token_logprobs(out)
        sequences = out["sequences"]
        decoded = []
        # generate returns the new tokens, after the start sequence where it keeps one.
        for row, prompt, token_logprobs, p_none in zip(sequences, prompts, logprobs, no_speech):
            tokens = self._after_start(row.tolist(), prompt[len(previous):])
            decoded.append(Decoded(tokens, avg_logprob=self._average(tokens, token_logprobs), no_speech_prob=p_none))
        return decoded

    def _no_speech_probs(self, encoded) -> list[float]:
        """P(<|nospeech|>) at the first decoder step, as OpenAI reads it."""
        sot = self.model.generation_config.decoder_start_token_id
        start = self.torch.full((encoded[0].shape[0], 1), sot, dtype=self.torch.long, device=self.device)
        logits = self.model(encoder_outputs=encoded, decoder_input_ids=start).logits[:, -1].float()
        return logits.softmax(-1)[:, self.no_speech_id].cpu().tolist()

    def _token_logprobs(self, out) -> list[list[float]]:
        """Each generated token's log-probability under the processed (suppressed, locked) distribution."""
        scores = self.model.compute_transition_scores(out["sequences"], out["scores"], normalize_logits=True)
        return scores.float().cpu().tolist()

    def _average(self, tokens: list[int], token_logprobs: list[float]) -> float:
        """Mean over the text and timestamp tokens and the end of text (padding after it is not counted)."""
        eot = self.model.generation_config.eos_token_id
        count = next((i + 1 for i, t in enumerate(tokens) if t == eot), len(tokens))
        kept = [lp for lp in token_logprobs[:count] if lp > float("-inf")]
        return sum(kept) / max(1, len(kept))

    def _split_prompts(self, prompts: list[list[int]]) -> tuple[list[int], list[str], str]:
        """(previous-text ids, language per prompt, task) from CTranslate2-style prompts."""
        sot = self.model.generation_config.decoder_start_token_id
        cut = prompts[0].index(sot)
        translate = self.model.generation_config.task_to_id["translate"]
        task = "translate" if prompts[0][cut + 2] == translate else "transcribe"
        return prompts[0][:cut], [self.id_to_lang[p[cut + 1]][2:-2] for p in prompts], task

    @staticmethod
    def _after_start(row: list[int], start: list[int]) -> list[int]:
        return row[len(start):] if row[:len(start)] == start else row

    def align(self, features: np.ndarray, start_sequence: list[int], text_tokens: list[list[int]],
              num_frames: list[int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """OpenAI's alignment on the alignment heads' cross-attention (see :mod:`asr.word_timing`), with each
        text token's probability in the same forward pass.

        Attention weights need the eager attention implementation; it is switched on for
        this forward pass only (an engine serves one batch at a time).
        """
        torch = self.torch
        no_timestamps = self.model.generation_config.no_timestamps_token_id
        eot = self.model.generation_config.eos_token_id
        heads = self.model.generation_config.alignment_heads
        paths = []
        usual = self.model.config._attn_implementation
        self.model.set_attn_implementation("eager")
        try:
            for row, tokens, frames in zip(features, text_tokens, num_frames):
                ids = [*start_sequence, no_timestamps, *tokens, eot]
                with torch.inference_mode():
                    out = self.model(input_features=self._tensor(row[None]),
                                     decoder_input_ids=torch.tensor([ids], device=self.device),
                                     output_attentions=True)
                weights = torch.stack([out.cross_attentions[layer][0, head] for layer, head in heads])
                weights = weights[:, len(start_sequence):-1].float().cpu().numpy()
                first = len(start_sequence) + 1  # the first text token's position
                steps = out.logits[0, first - 1:first - 1 + len(tokens)].float().softmax(-1)
                probs = steps[torch.arange(len(tokens)), torch.tensor(tokens)].cpu().numpy().astype(np.float64)
                paths.append((*attention_path(weights, frames), probs))
        finally:
            self.model.set_attn_implementation(usual)
        return paths

    def generate_nbest(self, features: np.ndarray, prompts: list[list[int]], count: int, max_new_tokens: int,
                       suppress_tokens: tuple[int, ...] = ()) -> list[list[list[int]]]:
        """Beam search of width ``count``; the ``count`` best hypotheses per window, best first."""
        languages = [self.id_to_lang[p[1]][2:-2] for p in prompts]
        with self.torch.inference_mode():
            out = self.model.generate(
                input_features=self._tensor(features), language=languages, task="transcribe",
                return_timestamps=False, num_beams=count, num_return_sequences=count, do_sample=False,
                max_new_tokens=max_new_tokens,
                suppress_tokens=list(self.model.generation_config.suppress_tokens or []) + list(suppress_tokens))
        sequences = out if isinstance(out, self.torch.Tensor) else out["sequences"]
        special = set(prompts[0]) | {self.model.generation_config.no_timestamps_token_id}
        rows = [[t for t in row.tolist() if t not in special] for row in sequences]
        return [rows[i * count:(i + 1) * count] for i in range(len(prompts))]

    def language_probs(self, features: np.ndarray) -> list[dict[str, float]]:
        lang_ids = list(self.id_to_lang)
        sot = self.model.generation_config.decoder_start_token_id
        with self.torch.inference_mode():
            batch = features.shape[0]
            start = self.torch.full((batch, 1), sot, dtype=self.torch.long, device=self.device)
            logits = self.model(input_features=self._tensor(features), decoder_input_ids=start).logits[:, -1]
            probs = logits[:, lang_ids].float().softmax(-1).cpu().numpy()
        return [{self.id_to_lang[i]: float(p) for i, p in zip(lang_ids, row)} for row in probs]


def load_hf_whisper(name: str, model_dir: str, device: str = "cpu", dtype: str = "float32",
                    cpu_threads: int = 0, script_lock: str = "strict", fallback: str = "loops",
                    timestamps: bool = True, language_token: bool = True) -> WhisperEngine:
    backend = HfWhisperBackend(model_dir, device=device, dtype=dtype, cpu_threads=cpu_threads)
    return WhisperEngine(name, backend, load_tokenizer(model_dir), n_mels=backend.n_mels, script_lock=script_lock,
                         fallback=fallback, timestamps=timestamps, language_token=language_token)
