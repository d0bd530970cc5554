"""Golden logits of a tiny random gpt-oss (FARE-20B's architecture) from `transformers`.

Builds a `GptOssForCausalLM` with a tiny config (3 layers: sliding, full, sliding, a sliding
window of 8 so the prompts run past it, 8 experts with 4 active), re-randomises every tensor
(biases, norms, sinks and the router included: the default init leaves biases at 0 and norms at
1, which would hide mistakes), and writes two checkpoints of the same model:

- `float/`: plain float32 safetensors, as `save_pretrained` writes them (experts as
  `gate_up_proj` of shape (experts, hidden, 2 * intermediate), input-major);
- `mxfp4/`: the experts packed as gpt-oss checkpoints ship them (`*_blocks`, `*_scales`,
  output-major, blocks of 32 e2m1 values along the input with one e8m0 scale each, the low
  nibble first), everything else as in `float/`.

The expert values are drawn as an e2m1 value times a power of two per block, so both checkpoints
hold exactly the same model and share one golden file; the script checks that transformers'
own MXFP4 loader (`Mxfp4Config(dequantize=True)`) gives the same logits from `mxfp4/`. Both
`config.json` files are written the way real checkpoints write them (`rope_theta`,
`rope_scaling`, `torch_dtype`, `quantization_config`).

Run from the repository root with torch, transformers and safetensors installed:

    python tests/reference/gpt_oss_golden.py crates/fare-engine/tests/fixtures/gpt-oss-tiny
"""

import json
import sys
from pathlib import Path

import torch
import transformers
from safetensors.torch import load_file, save_file
from transformers import GptOssConfig, GptOssForCausalLM, Mxfp4Config

ROPE_SCALING = {
    "rope_type": "yarn",
    "factor": 32.0,
    "beta_fast": 32.0,
    "beta_slow": 1.0,
    "truncate": False,
    "original_max_position_embeddings": 4096,
}

CONFIG = dict(
    vocab_size=256,
    hidden_size=64,
    intermediate_size=32,
    num_hidden_layers=3,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=16,
    num_local_experts=8,
    num_experts_per_tok=4,
    sliding_window=8,
    layer_types=["sliding_attention", "full_attention", "sliding_attention"],
    max_position_embeddings=131072,
    rms_norm_eps=1e-5,
    swiglu_limit=7.0,
    attention_bias=True,
    tie_word_embeddings=False,
    hidden_act="silu",
    initializer_range=0.02,
    router_aux_loss_coef=0.9,
    output_router_logits=False,
    use_cache=True,
    eos_token_id=2,
    pad_token_id=0,
)

# The longest prompt is three windows long; the second has repeated tokens.
PROMPTS = [
    [5, 17, 200, 3, 99, 251, 42, 7, 7, 150, 11, 60, 61, 62, 63, 1, 255, 128],
    [1, 2, 3],
    [30, 12, 45, 45, 45, 8, 90, 233, 14, 71, 66, 5, 19, 250, 31, 77, 88, 199, 4, 10, 160, 21, 9, 99, 100, 101],
]

FP4_VALUES = [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0]


def mxfp4_expert(generator, experts, rows, cols):
    """A random expert tensor (experts, rows = outputs, cols = inputs) exactly representable in
    MXFP4, with its packed blocks (experts, rows, cols / 32, 16) and scales (experts, rows, cols / 32)."""
    codes = torch.randint(0, 16, (experts, rows, cols), generator=generator, dtype=torch.uint8)
    exponents = torch.randint(-5, -1, (experts, rows, cols // 32), generator=generator)
    values = torch.tensor(FP4_VALUES)[codes.long()] * torch.pow(2.0, exponents.float()).repeat_interleave(32, dim=-1)
    pairs = codes.reshape(experts, rows, cols // 32, 16, 2)
    blocks = pairs[..., 0] | (pairs[..., 1] << 4)
    scales = (exponents + 127).to(torch.uint8)
    return values, blocks.contiguous(), scales.contiguous()


def main():
    out = Path(sys.argv[1])
    (out / "float").mkdir(parents=True, exist_ok=True)
    (out / "mxfp4").mkdir(parents=True, exist_ok=True)
    torch.manual_seed(20261126)
    generator = torch.Generator().manual_seed(5)
    config = GptOssConfig(**CONFIG, rope_parameters={**ROPE_SCALING, "rope_theta": 150000.0})
    config._attn_implementation = "eager"
    model = GptOssForCausalLM(config).to(torch.float32).eval()
    packed = {}
    hidden, inter, experts = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_local_experts"]
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("experts.gate_up_proj") or name.endswith("experts.down_proj"):
                rows, cols = (2 * inter, hidden) if name.endswith("gate_up_proj") else (hidden, inter)
                values, blocks, scales = mxfp4_expert(generator, experts, rows, cols)
                p.copy_(values.transpose(1, 2))
                packed[name + "_blocks"] = blocks
                packed[name + "_scales"] = scales
            elif "norm" in name:
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            elif name.endswith("sinks"):
                p.copy_(torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))
            elif "router" in name:
                p.copy_(0.3 * torch.randn_like(p))
            else:
                p.copy_(0.08 * torch.randn_like(p))
    model.save_pretrained(out / "float", safe_serialization=True)
    for extra in ("generation_config.json",):
        (out / "float" / extra).unlink(missing_ok=True)

    config_json = dict(CONFIG)
    config_json.update(
        {
            "architectures": ["GptOssForCausalLM"],
            "model_type": "gpt_oss",
            "rope_theta": 150000.0,
            "rope_scaling": ROPE_SCALING,
            "torch_dtype": "float32",
            "experts_per_token": CONFIG["num_experts_per_tok"],
            "initial_context_length": 4096,
        }
    )
    (out / "float" / "config.json").write_text(json.dumps(config_json, indent=2) + "\n")

    # The MXFP4 checkpoint: the float tensors, with each expert weight replaced by its blocks and
    # scales (output-major, as shipped).
    tensors = load_file(out / "float" / "model.safetensors")
    mx = {}
    for name, t in tensors.items():
        key = name + "_blocks"
        if key in packed:
            mx[key] = packed[key]
            mx[name + "_scales"] = packed[name + "_scales"]
        else:
            mx[name] = t
    save_file(mx, out / "mxfp4" / "model.safetensors", metadata={"format": "pt"})
    mx_config = dict(config_json)
    mx_config["quantization_config"] = {
        "quant_method": "mxfp4",
        "modules_to_not_convert": [
            "model.layers.*.self_attn",
            "model.layers.*.mlp.router",
            "model.embed_tokens",
            "lm_head",
        ],
    }
    (out / "mxfp4" / "config.json").write_text(json.dumps(mx_config, indent=2) + "\n")

    logits = []
    with torch.no_grad():
        for ids in PROMPTS:
            result = model(torch.tensor([ids])).logits[0]
            logits.append({"ids": ids, "logits": [[round(float(x), 7) for x in row] for row in result]})

    # transformers' own MXFP4 loader must read the packed checkpoint as the same model.
    reloaded = GptOssForCausalLM.from_pretrained(
        out / "mxfp4", quantization_config=Mxfp4Config(dequantize=True), dtype=torch.float32, attn_implementation="eager"
    ).eval()
    with torch.no_grad():
        for prompt in logits:
            again = reloaded(torch.tensor([prompt["ids"]])).logits[0]
            diff = (again - torch.tensor(prompt["logits"])).abs().max().item()
            assert diff < 1e-5, f"transformers reads the MXFP4 checkpoint differently: {diff}"

    (out / "golden_logits.json").write_text(
        json.dumps(
            {
                "generated_by": "tests/reference/gpt_oss_golden.py",
                "transformers": transformers.__version__,
                "torch": torch.__version__,
                "prompts": logits,
            }
        )
        + "\n"
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
