"""The transformers reference of `fare-lens bench engine`: the same measurement with PyTorch on
the CPU, on the same model folder (written by `fare-lens bench engine --write-model DIR`): Qwen3,
or gpt-oss, whose MXFP4 experts transformers dequantises at load (`Mxfp4Config(dequantize=True)`,
bit-exact) and runs in f32 with its eager attention (the one that supports sinks).

It mirrors crates/fare-bench/src/engine.rs step by step, so both sides do the same work:
- a warm-up, not timed: a 16-token prompt and 2 decoded tokens;
- prefill: one forward pass over a PROMPT-token prompt of seeded random ids into a fresh
  DynamicCache, computing the logits of the last position only (`logits_to_keep=1`, as candle's
  Qwen3 and the engine's gpt-oss do), median of PREFILL_REPEATS;
- decode: greedy, one forward call per token with the KV cache, the next token being the
  argmax of the logits; REPEATS consecutive blocks of DECODE tokens after the prompt, median block.
Everything runs in f32 under `torch.inference_mode()` with `torch.set_num_threads(THREADS)`.
It prints one JSON object (tok/s and every run) on stdout.

Requirements (a venv outside the repository; CPU-only use of the PyPI torch wheel):
    python3 -m venv ../bench-venv        (beside the checkout)
    ../bench-venv/bin/pip install torch transformers safetensors
(see ../shared/engine-notes.md for a smaller install of torch with --no-deps).

Usage: python tests/bench/engine_reference.py MODEL_DIR [--threads 2] [--prompt-tokens 2048]
       [--decode-tokens 128] [--decode-repeats 3] [--prefill-repeats 1] [--seed 42]
"""

import argparse
import json
import statistics
import sys
import time

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM, DynamicCache


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model_dir")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--prompt-tokens", type=int, default=2048)
    parser.add_argument("--decode-tokens", type=int, default=128)
    parser.add_argument("--decode-repeats", type=int, default=3)
    parser.add_argument("--prefill-repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    config = AutoConfig.from_pretrained(args.model_dir)
    extra = {}
    if config.model_type == "gpt_oss":
        from transformers import Mxfp4Config

        extra = {"quantization_config": Mxfp4Config(dequantize=True), "attn_implementation": "eager"}
    model = AutoModelForCausalLM.from_pretrained(args.model_dir, dtype=torch.float32, **extra).eval()
    load_seconds = time.perf_counter() - started
    vocab = model.config.vocab_size
    generator = torch.Generator().manual_seed(args.seed)
    prompt = torch.randint(0, vocab, (1, args.prompt_tokens), generator=generator)

    def forward(ids, cache):
        # transformers 5.24 names the KV cache argument `cache` (`past_key_values` is deprecated).
        out = model(input_ids=ids, cache=cache, use_cache=True, logits_to_keep=1)
        return out.logits[0, -1]

    with torch.inference_mode():
        # Warm-up, not timed.
        cache = DynamicCache(config=model.config)
        logits = forward(prompt[:, :16], cache)
        for _ in range(2):
            logits = forward(logits.argmax().view(1, 1), cache)

        prefill_runs = []
        for _ in range(max(1, args.prefill_repeats)):
            cache = DynamicCache(config=model.config)
            start = time.perf_counter()
            logits = forward(prompt, cache)
            prefill_runs.append(args.prompt_tokens / (time.perf_counter() - start))
        if not torch.isfinite(logits).all():
            sys.exit("the prefill's logits are not finite")

        decode_runs = []
        next_id = logits.argmax().view(1, 1)
        for _ in range(max(1, args.decode_repeats)):
            start = time.perf_counter()
            for _ in range(args.decode_tokens):
                next_id = forward(next_id, cache).argmax().view(1, 1)
            decode_runs.append(args.decode_tokens / (time.perf_counter() - start))

    print(
        json.dumps(
            {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "threads": torch.get_num_threads(),
                "attention": model.config._attn_implementation,
                "blas": "mkl" if torch.backends.mkl.is_available() else "not mkl",
                "cpu_capability": torch.backends.cpu.get_cpu_capability(),
                "load_seconds": load_seconds,
                "prompt_tokens": args.prompt_tokens,
                "prefill_tokens_per_second": statistics.median(prefill_runs),
                "prefill_runs": prefill_runs,
                "decode_tokens": args.decode_tokens,
                "decode_tokens_per_second": statistics.median(decode_runs),
                "decode_runs": decode_runs,
            }
        )
    )


if __name__ == "__main__":
    main()
