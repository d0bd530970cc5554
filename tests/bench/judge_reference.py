"""The transformers reference of `fare-lens bench judge`: judge throughput, in samples per hour,
when a model generates NEW_TOKENS tokens for each of many prompts, with transformers' batched
`generate` on the CPU, on the same model folder (written by `fare-lens bench engine --shape
qwen3-0.6b --write-model DIR`: config.json and an f32 model.safetensors, Qwen3, random weights).

The prompts file is JSON, `{"prompts": [[token ids...], ...], "new_tokens": 256}`, the same file
`fare-lens bench judge` reads. The first SAMPLES prompts (default all) are used. For each batch
size B, in the order given:
- the prompts are split in order into batches of B (the last one may be smaller);
- each batch is left-padded with id PAD_ID (0 by default) and given an attention_mask;
- `model.generate(..., max_new_tokens=N, min_new_tokens=N, do_sample=False, use_cache=True,
  pad_token_id=PAD_ID, eos_token_id=None)`: greedy, no stop token, so every sample generates
  exactly N new tokens (checked);
- the whole set is timed with time.perf_counter, and samples_per_hour = samples / seconds * 3600,
  tokens_per_second = samples * N / seconds are reported.
A warm-up, not timed, runs first: the first prompt and 2 new tokens.
Everything runs in f32 under `torch.inference_mode()` with `torch.set_num_threads(THREADS)`.
The generated ids of every sample are kept: `padding_changes_tokens` tells whether those of the
first batch size > 1 differ from those of batch 1 (left padding changing greedy tokens; null when
there is no batch 1 or no batch size > 1), and `--tokens-out FILE` writes them all as JSON.
It prints one JSON object on stdout (with peak_rss_bytes, from resource.getrusage) and progress
lines on stderr.

Requirements (a venv outside the repository; CPU-only use of the PyPI torch wheel): the same
venv as tests/bench/engine_reference.py, ../bench-venv beside the checkout, with torch,
transformers, safetensors and numpy (see that script and ../shared/engine-notes.md).

Usage: python tests/bench/judge_reference.py --model MODEL_DIR --prompts PROMPTS.json
       [--batch 1,4,8,16] [--threads 2] [--samples N] [--new-tokens N] [--pad-id 0]
       [--tokens-out FILE]
"""

import argparse
import json
import resource
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def log(message):
    print(f"judge_reference: {message}", file=sys.stderr, flush=True)


def left_pad(prompts, pad_id):
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
        mask[row, width - len(prompt) :] = 1
    return ids, mask


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True, help="Hugging Face folder (config.json + model.safetensors)")
    parser.add_argument("--prompts", required=True, help='JSON {"prompts": [[ids...], ...], "new_tokens": N}')
    parser.add_argument("--batch", default="1,4,8,16", help="comma-separated batch sizes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=None, help="use the first N prompts (default all)")
    parser.add_argument("--new-tokens", type=int, default=None, help="override the file's new_tokens")
    parser.add_argument("--pad-id", type=int, default=0)
    parser.add_argument("--tokens-out", default=None, help="write the generated ids per batch size here")
    args = parser.parse_args()

    batches = [int(b) for b in args.batch.split(",") if b.strip()]
    if not batches or min(batches) < 1:
        sys.exit("--batch needs positive batch sizes")
    with open(args.prompts) as f:
        spec = json.load(f)
    prompts = spec["prompts"]
    if args.samples is not None:
        prompts = prompts[: args.samples]
    new_tokens = args.new_tokens if args.new_tokens is not None else int(spec["new_tokens"])
    if not prompts or any(len(p) == 0 for p in prompts):
        sys.exit("the prompts file has no prompts, or an empty prompt")
    if new_tokens < 1:
        sys.exit("new_tokens must be at least 1")

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).eval()
    load_seconds = time.perf_counter() - started
    vocab = model.config.vocab_size
    if any(t < 0 or t >= vocab for p in prompts for t in p) or not 0 <= args.pad_id < vocab:
        sys.exit(f"a prompt id or the pad id is outside the vocabulary (0..{vocab})")
    log(
        f"{model.config.model_type}, {sum(p.numel() for p in model.parameters()) / 1e9:.3f}B parameters, "
        f"loaded in {load_seconds:.1f} s; {len(prompts)} samples, {new_tokens} new tokens each, "
        f"batch sizes {batches}, {torch.get_num_threads()} threads"
    )

    def generate(batch_prompts, n):
        ids, mask = left_pad(batch_prompts, args.pad_id)
        out = model.generate(
            ids,
            attention_mask=mask,
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            use_cache=True,
            pad_token_id=args.pad_id,
            eos_token_id=None,
        )
        generated = out[:, ids.shape[1] :]
        if generated.shape != (len(batch_prompts), n):
            sys.exit(f"generate returned {tuple(generated.shape)} new ids, expected {(len(batch_prompts), n)}")
        return generated.tolist()

    results = []
    tokens = {}
    with torch.inference_mode():
        generate(prompts[:1], 2)  # warm-up, not timed
        for b in batches:
            generated = []
            start = time.perf_counter()
            for i in range(0, len(prompts), b):
                generated.extend(generate(prompts[i : i + b], new_tokens))
                log(f"batch {b}: {len(generated)}/{len(prompts)} samples, {time.perf_counter() - start:.1f} s")
            seconds = time.perf_counter() - start
            tokens[b] = generated
            results.append(
                {
                    "batch": b,
                    "samples": len(prompts),
                    "seconds": seconds,
                    "samples_per_hour": len(prompts) / seconds * 3600,
                    "tokens_per_second": len(prompts) * new_tokens / seconds,
                }
            )
            log(f"batch {b}: {results[-1]['samples_per_hour']:.1f} samples/h, "
                f"{results[-1]['tokens_per_second']:.2f} tok/s")

    padding_changes_tokens = None
    padding_compared_batch = None
    padding_changed_samples = None
    larger = [b for b in batches if b > 1]
    if 1 in tokens and larger:
        padding_compared_batch = larger[0]
        changed = [i for i, (a, c) in enumerate(zip(tokens[1], tokens[larger[0]])) if a != c]
        padding_changed_samples = len(changed)
        padding_changes_tokens = bool(changed)
        if changed:
            log(f"warning: left padding at batch {larger[0]} changed the greedy tokens of samples {changed[:10]}")

    if args.tokens_out:
        with open(args.tokens_out, "w") as f:
            json.dump({"new_tokens": new_tokens, "tokens": {str(b): t for b, t in tokens.items()}}, f)

    print(
        json.dumps(
            {
                "engine": "transformers",
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "threads": torch.get_num_threads(),
                "attention": model.config._attn_implementation,
                "dtype": "f32",
                "load_seconds": load_seconds,
                "samples": len(prompts),
                "new_tokens": new_tokens,
                "prompt_tokens": sum(len(p) for p in prompts),
                "results": results,
                "padding_changes_tokens": padding_changes_tokens,
                "padding_compared_batch": padding_compared_batch,
                "padding_changed_samples": padding_changed_samples,
                # ru_maxrss is in KiB on Linux.
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
