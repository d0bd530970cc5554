"""Golden logits of a tiny random Qwen3 (FARE-8B's architecture) from `transformers`.

Builds a `Qwen3ForCausalLM` with a tiny config, re-randomises every tensor (the default init
leaves norms at 1 and biases at 0, which would hide mistakes), saves the weights as float32
safetensors with a `config.json` written the way real checkpoints write it (`rope_theta`,
`torch_dtype`), and records the logits of every position for a few prompts. The Rust tests load
the same files with candle and must match to 1e-4, with and without the KV cache.

Run from the repository root with torch, transformers and safetensors installed:

    python tests/reference/qwen3_golden.py crates/fare-engine/tests/fixtures/qwen3-tiny
"""

import json
import sys
from pathlib import Path

import torch
import transformers
from transformers import Qwen3Config, Qwen3ForCausalLM

CONFIG = dict(
    vocab_size=384,
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    hidden_act="silu",
    max_position_embeddings=4096,
    rms_norm_eps=1e-6,
    rope_theta=1000000.0,
    tie_word_embeddings=False,
    attention_bias=False,
    use_sliding_window=False,
    sliding_window=None,
    max_window_layers=3,
    bos_token_id=1,
    eos_token_id=2,
)

PROMPTS = [
    [5, 17, 200, 3, 99, 381, 42, 7, 7, 150],
    [1, 2, 3],
    [300, 12, 45, 45, 45, 8, 90, 233, 14, 71, 66, 5, 19, 250, 301, 77, 88, 199, 4, 10, 360, 21],
]


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(20261126)
    config = Qwen3Config(**CONFIG)
    model = Qwen3ForCausalLM(config).to(torch.float32).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.08 * torch.randn_like(p))
    model.save_pretrained(out, safe_serialization=True)
    # Real checkpoints spell the rope settings and dtype the older way: rewrite config.json so the
    # loader is tested on what it will meet.
    config_json = dict(CONFIG)
    config_json.update({"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "torch_dtype": "float32"})
    (out / "config.json").write_text(json.dumps(config_json, indent=2) + "\n")
    for extra in ("generation_config.json",):
        (out / extra).unlink(missing_ok=True)
    logits = []
    with torch.no_grad():
        for ids in PROMPTS:
            result = model(torch.tensor([ids])).logits[0]
            logits.append({"ids": ids, "logits": [[round(float(x), 7) for x in row] for row in result]})
    (out / "golden_logits.json").write_text(
        json.dumps({"generated_by": "tests/reference/qwen3_golden.py", "transformers": transformers.__version__, "torch": torch.__version__, "prompts": logits}) + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
