"""The GPU check of FARE Lens, run by tests/gpu/device-check.sh on a machine with an NVIDIA GPU
(or rehearsed on the CPU with `--rehearse`): the CUDA build of `fare-lens` against transformers
on the same card, the same weights and in the same script.

Stages (each writes its figures into OUT/summary.json and a line of OUT/summary.md as it ends;
a stage that fails is recorded and the next one still runs; stages past the time budget are
skipped and say so):

1. bandwidth: a device-to-device copy of 2 GiB with torch (read + write bytes / time).
2. tiny: the committed tiny random Qwen3 and gpt-oss (MXFP4 and float experts) fixtures, in
   f32 and bf16: `fare-lens bench logits` (prefill, then 8 greedy KV-cache steps, each also
   recomputed by a full pass: `kv_vs_full`) against one transformers forward pass over the same
   tokens. Goal: f32 max |diff| < 1e-3; bf16 reported (max and median).
3. fare8b: random weights of FARE-8B's shape (36 layers, hidden 4096, 32/8 heads, intermediate
   12288, vocab 151936) written here by torch as bf16 shards in the layout real checkpoints use
   (with the real Qwen3 tokenizer from the kit), logits compared as in 2 on a 512-token prompt.
4. speed8b: prefill tok/s (2,048-token prompt) and batch-1 decode tok/s, `fare-lens bench
   engine` against transformers (bf16, sdpa, DynamicCache, explicit forward calls), peak GPU
   memory of each (nvidia-smi per process for fare-lens; torch's max_memory_allocated for
   transformers), decode as a fraction of the measured bandwidth. Goals: decode >= 80 % of the
   roofline and >= 1.5x transformers, prefill >= 1.0x.
5. pipeline: a project of ProcessBench samples from the kit, `fare-lens judge --device cuda` with
   the FARE-8B-shaped weights: every sample judged and stored (the verdicts are random).
6. probabilities: a small random Qwen3 with the real tokenizer judged on the CPU (f32) and the
   GPU (f32 and bf16): verdict probabilities compared sample by sample.
7. too-large: most of the GPU's memory held by torch, then `fare-lens judge` and `serve-model`
   must refuse FARE-8B with both sizes in the message, and `fare-lens serve`'s model worker must
   fail with that message while the app still answers.
8. fare20b: `fare-lens bench engine --shape fare-20b` (MXFP4 experts as shipped, kept as Q4_0
   and dequantised to bf16), peak memory of each against the 16 GB goal, beside transformers on
   the same weights (experts dequantised to bf16, eager attention: the one with sinks).

Usage: python tests/gpu/check.py --bin FARE_LENS --kit KIT_DIR --out OUT_DIR [--rehearse]
       [--budget SECONDS] [--only STAGE,...]
--rehearse runs everything on the CPU with small shapes in f32 (a dry run of the script itself:
its figures say nothing about a GPU).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import traceback
import urllib.request
from pathlib import Path

import numpy as np
import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM, DynamicCache

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "crates/fare-engine/tests/fixtures"

FARE_8B = dict(hidden_size=4096, num_hidden_layers=36, num_attention_heads=32,
               num_key_value_heads=8, head_dim=128, intermediate_size=12288, vocab_size=151936,
               max_position_embeddings=40960, tie_word_embeddings=False)
# The rehearsal's stand-in: small enough for 2 CPU cores, the real vocabulary for the tokenizer.
SMALL = dict(hidden_size=128, num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2,
             head_dim=32, intermediate_size=256, vocab_size=151936,
             max_position_embeddings=40960, tie_word_embeddings=False)


class Check:
    def __init__(self, args):
        self.args = args
        self.bin = str(Path(args.bin).resolve())
        self.kit = Path(args.kit).resolve()
        self.out = Path(args.out).resolve()
        self.work = Path(args.work).resolve() if args.work else self.out / "work"
        self.rehearse = args.rehearse
        self.device = "cpu" if args.rehearse else "cuda"
        self.torch_device = torch.device(self.device)
        self.started = time.monotonic()
        self.summary = {"device": self.device_name(), "rehearsal": self.rehearse,
                        "torch": torch.__version__, "transformers": transformers.__version__,
                        "stages": {}}
        self.bandwidth_gbps = None
        self.out.mkdir(parents=True, exist_ok=True)
        self.work.mkdir(parents=True, exist_ok=True)
        (self.out / "summary.md").write_text(
            f"# FARE Lens GPU check\n\ndevice: {self.summary['device']}"
            f"{' (REHEARSAL on the CPU: no GPU figure here)' if self.rehearse else ''}\n\n")

    # ---- bookkeeping ----

    def device_name(self):
        if self.rehearse:
            return "cpu"
        return f"{torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 1e9:.1f} GB"

    def elapsed(self):
        return time.monotonic() - self.started

    def note(self, line):
        print(line, flush=True)
        with open(self.out / "summary.md", "a") as f:
            f.write(line + "\n")

    def record(self, stage, result):
        self.summary["stages"][stage] = result
        (self.out / "summary.json").write_text(json.dumps(self.summary, indent=2))

    def run_stage(self, name, function, needs_seconds):
        if self.args.only and name not in self.args.only:
            return
        left = self.args.budget - self.elapsed()
        if left < needs_seconds:
            self.note(f"- **{name}**: skipped, {left:.0f} s left of the budget (needs about {needs_seconds})")
            self.record(name, {"skipped": f"{left:.0f} s left"})
            return
        began = time.monotonic()
        try:
            result = function()
            result["seconds"] = round(time.monotonic() - began, 1)
            self.record(name, result)
        except Exception as e:  # a failed stage is a finding; the next one still runs
            traceback.print_exc()
            self.note(f"- **{name}**: FAILED after {time.monotonic() - began:.0f} s: {e}")
            self.record(name, {"failed": str(e), "seconds": round(time.monotonic() - began, 1)})
        finally:
            self.free()

    def free(self):
        import gc
        gc.collect()
        if not self.rehearse:
            torch.cuda.empty_cache()

    def fare(self, *args, check=True, timeout=None):
        started = time.monotonic()
        done = subprocess.run([self.bin, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise RuntimeError(f"fare-lens {' '.join(map(str, args[:3]))} failed ({done.returncode}): "
                               f"{done.stderr.strip()[-600:]}")
        done.seconds = time.monotonic() - started
        return done

    def sync(self):
        if not self.rehearse:
            torch.cuda.synchronize()

    # ---- models ----

    def load_reference(self, model_dir, dtype, attention="sdpa"):
        config = AutoConfig.from_pretrained(model_dir)
        extra = {"attn_implementation": attention}
        if config.model_type == "gpt_oss":
            from transformers import Mxfp4Config
            extra = {"attn_implementation": "eager"}
            if getattr(config, "quantization_config", None):
                extra["quantization_config"] = Mxfp4Config(dequantize=True)
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, **extra)
        return model.to(self.torch_device).eval()

    def write_qwen3(self, directory, shape, seed):
        """Random Qwen3 weights in bf16 shards of at most 4 GiB with an index, config.json in the
        style of real checkpoints, and the kit's real tokenizer."""
        from safetensors.torch import save_file
        directory = Path(directory)
        if (directory / "model.safetensors.index.json").is_file():
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        config = transformers.Qwen3Config(
            **shape, hidden_act="silu", rms_norm_eps=1e-6, rope_theta=1000000.0,
            attention_bias=False, use_sliding_window=False, sliding_window=None,
            max_window_layers=shape["num_hidden_layers"], bos_token_id=151643,
            eos_token_id=151645)
        with torch.device("meta"):
            skeleton = transformers.Qwen3ForCausalLM(config)
        generator = torch.Generator(device=self.torch_device).manual_seed(seed)
        shard, shard_bytes, shards, weight_map = {}, 0, [], {}

        def flush():
            nonlocal shard, shard_bytes
            if shard:
                name = f"model-{len(shards) + 1:05d}.safetensors"
                save_file(shard, str(directory / name), metadata={"format": "pt"})
                shards.append(name)
                for key in shard:
                    weight_map[key] = name
                shard, shard_bytes = {}, 0

        for name, parameter in skeleton.state_dict().items():
            values = torch.randn(parameter.shape, generator=generator, device=self.torch_device)
            if name.endswith("norm.weight"):
                values = 1.0 + 0.1 * values
            else:
                values = values * (0.02 if "embed" in name else 1.0 / max(parameter.shape[-1], 1) ** 0.5)
            tensor = values.to(torch.bfloat16).cpu()
            if shard_bytes + tensor.numel() * 2 > 4 << 30:
                flush()
            shard[name] = tensor
            shard_bytes += tensor.numel() * 2
        flush()
        total = sum((directory / s).stat().st_size for s in shards)
        (directory / "model.safetensors.index.json").write_text(json.dumps(
            {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=1))
        written = json.loads(config.to_json_string())
        for key in ("rope_parameters", "dtype"):
            written.pop(key, None)
        written.update(architectures=["Qwen3ForCausalLM"], model_type="qwen3",
                       rope_theta=1000000.0, rope_scaling=None, torch_dtype="bfloat16")
        (directory / "config.json").write_text(json.dumps(written, indent=1))
        for name in ("tokenizer.json", "tokenizer_config.json"):
            shutil.copy(self.kit / name, directory / name)
        return directory

    # ---- comparisons ----

    def compare_logits(self, model_dir, dtype_name, prompts, decode, experts=None):
        """fare-lens bench logits against transformers on the same tokens; returns the figures."""
        request = self.work / "request.json"
        request.write_text(json.dumps({"prompts": prompts, "decode": decode}))
        out = self.work / "logits.f32"
        args = ["bench", "logits", "--model", model_dir, "--device", self.device,
                "--dtype", dtype_name, "--request", request, "--out", out, "--full-check"]
        if experts:
            args += ["--experts", experts]
        done = self.fare(*args)
        report = json.loads(done.stdout)
        ours = np.fromfile(out, dtype="<f4").reshape(len(report["rows"]), report["vocab"])
        dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[dtype_name]
        model = self.load_reference(model_dir, dtype)
        diffs, agree, rows, spread = [], 0, 0, []
        with torch.inference_mode():
            for index, sequence in enumerate(report["sequences"]):
                ids = torch.tensor([sequence], device=self.torch_device)
                logits = model(ids).logits[0].float().cpu().numpy()
                for row_index, row in enumerate(report["rows"]):
                    if row["prompt"] != index:
                        continue
                    theirs = logits[row["context_tokens"] - 1][: report["vocab"]]
                    mine = ours[row_index]
                    diffs.append(np.abs(mine - theirs))
                    spread.append(float(theirs.max() - theirs.min()))
                    agree += int(mine.argmax() == theirs.argmax())
                    rows += 1
        del model
        every = np.concatenate(diffs)
        return {"max_abs": float(every.max()), "median_abs": float(np.median(every)),
                "logit_range": float(np.median(spread)), "argmax_agree": f"{agree}/{rows}",
                "kv_vs_full_max_abs": report["kv_vs_full_max_abs"],
                "fare_lens_seconds": round(report["seconds"], 2)}

    # ---- stages ----

    def bandwidth(self):
        size = (256 << 20) if self.rehearse else (2 << 30)
        source = torch.empty(size, dtype=torch.uint8, device=self.torch_device)
        target = torch.empty_like(source)
        for _ in range(3):
            target.copy_(source)
        self.sync()
        times = []
        for _ in range(10):
            began = time.perf_counter()
            target.copy_(source)
            self.sync()
            times.append(time.perf_counter() - began)
        self.bandwidth_gbps = 2 * size / statistics.median(times) / 1e9
        self.note(f"- **bandwidth**: {self.bandwidth_gbps:.0f} GB/s (device-to-device copy of "
                  f"{size >> 20} MiB, read + write, median of 10)")
        return {"gbps": self.bandwidth_gbps}

    def tiny(self):
        results = {}
        rng = np.random.default_rng(7)
        cases = [("qwen3", FIXTURES / "qwen3-tiny", None),
                 ("gpt-oss-mxfp4", FIXTURES / "gpt-oss-tiny/mxfp4", None),
                 ("gpt-oss-float", FIXTURES / "gpt-oss-tiny/float", None)]
        worst_f32 = 0.0
        for label, model_dir, experts in cases:
            vocab = json.loads((model_dir / "config.json").read_text())["vocab_size"]
            prompts = [rng.integers(0, vocab, n).tolist() for n in (5, 17, 40)]
            for dtype in ("f32", "bf16"):
                r = self.compare_logits(model_dir, dtype, prompts, 8, experts)
                results[f"{label}/{dtype}"] = r
                if dtype == "f32":
                    worst_f32 = max(worst_f32, r["max_abs"])
                self.note(f"- **tiny {label} {dtype}**: max |diff| {r['max_abs']:.2e}, median "
                          f"{r['median_abs']:.2e} (logits span {r['logit_range']:.1f}), argmax "
                          f"{r['argmax_agree']}, KV cache vs full pass {r['kv_vs_full_max_abs']:.2e}")
        results["f32_goal_met"] = worst_f32 < 1e-3
        self.note(f"- **tiny, f32 goal (< 1e-3)**: {'met' if worst_f32 < 1e-3 else 'NOT met'} ({worst_f32:.2e})")
        return results

    def model_8b(self):
        shape = SMALL if self.rehearse else FARE_8B
        return self.write_qwen3(self.work / ("small-qwen3" if self.rehearse else "fare-8b"), shape, 8)

    def fare8b(self):
        began = time.monotonic()
        model_dir = self.model_8b()
        written = time.monotonic() - began
        rng = np.random.default_rng(8)
        length = 64 if self.rehearse else 512
        prompts = [rng.integers(0, 151643, length).tolist() for _ in range(2)]
        dtype = "f32" if self.rehearse else "bf16"
        r = self.compare_logits(model_dir, dtype, prompts, 8)
        r["write_seconds"] = round(written, 1)
        self.note(f"- **FARE-8B shape {dtype}** ({length}-token prompts, 8 decoded): max |diff| "
                  f"{r['max_abs']:.2e}, median {r['median_abs']:.2e} (logits span "
                  f"{r['logit_range']:.1f}), argmax {r['argmax_agree']}, KV cache vs full pass "
                  f"{r['kv_vs_full_max_abs']:.2e}; weights written in {written:.0f} s")
        return r

    def peak_of(self, popen):
        """The most GPU memory (MiB) process `popen` held while it ran, by nvidia-smi."""
        peak = [0]
        if self.rehearse:
            popen.wait()
            return None
        while popen.poll() is None:
            listing = subprocess.run(
                ["nvidia-smi", "--query-compute-apps=pid,used_memory",
                 "--format=csv,noheader,nounits"], capture_output=True, text=True).stdout
            for line in listing.splitlines():
                pid, _, used = line.partition(",")
                if pid.strip() == str(popen.pid):
                    peak[0] = max(peak[0], int(used.strip() or 0))
            time.sleep(0.2)
        return peak[0]

    def bench_engine(self, args):
        log = open(self.work / "bench.err", "w")
        popen = subprocess.Popen([self.bin, "bench", "engine", *map(str, args), "--json"],
                                 stdout=subprocess.PIPE, stderr=log, text=True)
        stdout_chunks = []
        reader = threading.Thread(target=lambda: stdout_chunks.append(popen.stdout.read()))
        reader.start()
        peak = self.peak_of(popen)
        reader.join()
        log.close()
        if popen.returncode != 0:
            raise RuntimeError(f"bench engine failed: {(self.work / 'bench.err').read_text()[-600:]}")
        return json.loads("".join(stdout_chunks)), peak

    def reference_speed(self, model_dir, dtype, prompt_tokens, decode_tokens, attention="sdpa"):
        model = self.load_reference(model_dir, dtype, attention)
        vocab = model.config.vocab_size
        generator = torch.Generator().manual_seed(42)
        prompt = torch.randint(0, vocab, (1, prompt_tokens), generator=generator).to(self.torch_device)
        if not self.rehearse:
            torch.cuda.reset_peak_memory_stats()
        with torch.inference_mode():
            warm = DynamicCache(config=model.config)
            model(prompt[:, :16], past_key_values=warm, use_cache=True, logits_to_keep=1)
            self.sync()
            began = time.perf_counter()
            cache = DynamicCache(config=model.config)
            out = model(prompt, past_key_values=cache, use_cache=True, logits_to_keep=1)
            self.sync()
            prefill = prompt_tokens / (time.perf_counter() - began)
            token = out.logits[:, -1:].argmax(-1)
            began = time.perf_counter()
            for _ in range(decode_tokens):
                out = model(token, past_key_values=cache, use_cache=True)
                token = out.logits[:, -1:].argmax(-1)
            self.sync()
            decode = decode_tokens / (time.perf_counter() - began)
        peak = None if self.rehearse else torch.cuda.max_memory_allocated() / 2**20
        del model, cache, out
        return prefill, decode, peak

    def speed8b(self):
        model_dir = self.model_8b()
        prompt, decode = (128, 16) if self.rehearse else (2048, 128)
        dtype_name = "f32" if self.rehearse else "bf16"
        report, peak = self.bench_engine([
            "--model-dir", model_dir, "--device", self.device, "--dtype", dtype_name,
            "--prompt-tokens", prompt, "--decode-tokens", decode, "--decode-repeats", 2])
        m = report["measurements"][0]
        t_prefill, t_decode, t_peak = self.reference_speed(
            model_dir, torch.float32 if self.rehearse else torch.bfloat16, prompt, decode)
        roofline = None
        if self.bandwidth_gbps:
            roofline = m["weight_bytes_per_token"] * m["decode_tokens_per_second"] / 1e9 / self.bandwidth_gbps
        r = {"fare_lens": {"prefill_tok_s": m["prefill_tokens_per_second"],
                           "decode_tok_s": m["decode_tokens_per_second"], "peak_mib": peak,
                           "load_seconds": m["load_seconds"]},
             "transformers": {"prefill_tok_s": t_prefill, "decode_tok_s": t_decode, "peak_mib": t_peak},
             "decode_ratio": m["decode_tokens_per_second"] / t_decode,
             "prefill_ratio": m["prefill_tokens_per_second"] / t_prefill,
             "decode_roofline_fraction": roofline}
        self.note(
            f"- **FARE-8B shape {dtype_name} speed** (prompt {prompt}, decode {decode}): fare-lens prefill "
            f"{m['prefill_tokens_per_second']:.0f} tok/s, decode {m['decode_tokens_per_second']:.1f} tok/s"
            f" (peak {peak} MiB); transformers prefill {t_prefill:.0f}, decode {t_decode:.1f} (peak "
            f"{t_peak and round(t_peak)} MiB); decode {r['decode_ratio']:.2f}x (goal >= 1.5), prefill "
            f"{r['prefill_ratio']:.2f}x (goal >= 1.0), decode at "
            f"{'%.0f %%' % (100 * roofline) if roofline else '?'} of the measured bandwidth (goal >= 80 %)")
        return r

    def project(self, name):
        project = self.work / f"{name}.sqlite"
        if project.exists():
            project.unlink()
        self.fare("import", project, self.kit / "processbench-gsm8k.json")
        return project

    def judgments(self, project):
        with sqlite3.connect(project) as db:
            return db.execute(
                "SELECT j.run_id, j.sample_id, j.verdict, j.verdict_probs, j.output_tokens "
                "FROM judgments j ORDER BY j.run_id, j.sample_id").fetchall()

    def pipeline(self):
        model_dir = self.model_8b()
        project = self.project("pipeline")
        with sqlite3.connect(project) as db:
            samples = db.execute("SELECT count(*) FROM samples").fetchone()[0]
        done = self.fare("judge", project, "--model", model_dir, "--device", self.device,
                         "--max-new-tokens", 32, "--limit", samples)
        stored = self.judgments(project)
        ok = len(stored) == samples and all(row[4] and row[4] > 0 for row in stored)
        self.note(f"- **pipeline**: `fare-lens judge --device {self.device}` on {samples} ProcessBench "
                  f"samples with the FARE-8B-shaped weights: {len(stored)} judgments stored "
                  f"({'every sample' if ok else 'NOT every sample'}), {done.seconds:.0f} s in all")
        if not ok:
            raise RuntimeError(f"{len(stored)} judgments for {samples} samples")
        return {"samples": samples, "judgments": len(stored), "seconds_total": done.seconds}

    def probabilities(self):
        model_dir = self.write_qwen3(self.work / "small-qwen3", SMALL, 8)
        project = self.project("probabilities")
        runs = [("cpu", "f32")] + ([] if self.rehearse else [("cuda", "f32"), ("cuda", "bf16")])
        if self.rehearse:
            runs.append(("cpu", "f32"))  # the same again: the comparison's own path
        for device, dtype in runs:
            self.fare("judge", project, "--model", model_dir, "--device", device, "--dtype", dtype,
                      "--max-new-tokens", 24, "--new-run")
        by_run = {}
        for run_id, sample_id, verdict, probs, _ in self.judgments(project):
            by_run.setdefault(run_id, {})[sample_id] = (verdict, json.loads(probs) if probs else None)
        run_ids = sorted(by_run)
        reference = by_run[run_ids[0]]
        result = {}
        for (device, dtype), run_id in zip(runs[1:], run_ids[1:]):
            worst, same_text, compared = 0.0, 0, 0
            for sample_id, (verdict, probs) in by_run[run_id].items():
                ref_verdict, ref_probs = reference[sample_id]
                same_text += int(verdict == ref_verdict)
                if probs and ref_probs:
                    a, b = probabilities_of(probs), probabilities_of(ref_probs)
                    for key in set(a) & set(b):
                        worst = max(worst, abs(a[key] - b[key]))
                        compared += 1
            label = f"{device}-{dtype}"
            result[label] = {"max_abs_prob_diff": worst, "probabilities_compared": compared,
                             "same_verdict": f"{same_text}/{len(by_run[run_id])}"}
            self.note(f"- **verdict probabilities, {label} vs cpu-f32**: max |diff| {worst:.2e} over "
                      f"{compared} probabilities, same verdict {same_text}/{len(by_run[run_id])}")
        return result

    def too_large(self):
        model_dir = self.model_8b()
        project = self.project("too-large")
        filler = None
        if self.rehearse:
            # The CPU's check reads the machine's memory: a model folder whose (sparse) weights
            # claim far more than it has.
            model_dir = self.work / "huge"
            model_dir.mkdir(exist_ok=True)
            shutil.copy(self.model_8b() / "config.json", model_dir / "config.json")
            with open(model_dir / "model.safetensors", "wb") as f:
                f.truncate(1 << 40)
            for name in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copy(self.kit / name, model_dir / name)
        else:
            free, _ = torch.cuda.mem_get_info()
            keep = 8 << 30  # leave 8 GB: FARE-8B in bf16 needs about 17
            filler = torch.empty(max(free - keep, 0), dtype=torch.uint8, device="cuda")
        try:
            judged = self.fare("judge", project, "--model", model_dir, "--device", self.device,
                               "--limit", 1, check=False)
            served = self.fare("serve-model", model_dir, "--device", self.device, "--addr",
                               "127.0.0.1:0", check=False, timeout=120)
            worker = self.worker_load(project, model_dir)
        finally:
            del filler
            self.free()
        said = [judged.stderr.strip(), served.stderr.strip(), worker["error"]]
        ok = (judged.returncode != 0 and served.returncode != 0 and worker["app_answers"]
              and all("needs about" in s and "free" in s for s in said))
        self.note(f"- **too large**: judge exit {judged.returncode}, serve-model exit "
                  f"{served.returncode}, app worker `{worker['state']}` and the app "
                  f"{'still answers' if worker['app_answers'] else 'DOES NOT answer'}: "
                  f"{'as it should' if ok else 'NOT as it should'}. judge said: `{said[0][-300:]}`")
        if not ok:
            raise RuntimeError(f"not refused as it should be: {said}")
        return {"judge": said[0], "serve_model": said[1], "worker": worker}

    def worker_load(self, project, model_dir):
        """Loads `model_dir` through `fare-lens serve`'s model worker (the desktop app's path)
        and returns where the worker ends and whether the app still answers."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        token = "gpu-check-0123456789"
        server = subprocess.Popen(
            [self.bin, "serve", project, "--addr", f"127.0.0.1:{port}", "--token", token,
             "--models", model_dir.parent], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}/api"

        def call(path, body=None):
            request = urllib.request.Request(
                base + path, data=None if body is None else json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                method="GET" if body is None else "POST")
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read())

        try:
            for _ in range(100):
                try:
                    call("/overview")
                    break
                except OSError:
                    time.sleep(0.1)
            call("/models/load", {"kind": "local", "path": str(model_dir), "device": self.device})
            view, ended = {"state": "loading"}, None
            for _ in range(600):
                view = call("/models/worker")
                if view["state"] == "ready":
                    break
                if view["state"] == "failed":
                    # Its error line joins the failure once read from its stderr.
                    ended = ended or time.monotonic()
                    if "needs about" in (view.get("error") or "") or time.monotonic() - ended > 5:
                        break
                time.sleep(0.2)
            try:
                call("/overview")
                answers = True
            except OSError:
                answers = False
            return {"state": view["state"], "error": view.get("error") or "", "app_answers": answers}
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)

    def fare20b(self):
        shape = "gpt-oss-small" if self.rehearse else "fare-20b"
        model_dir = self.work / shape
        prompt, decode = (64, 8) if self.rehearse else (2048, 64)
        formats = ["q4_0", "f32"] if self.rehearse else ["q4_0", "bf16"]
        if not (model_dir / "config.json").is_file():
            began = time.monotonic()
            self.fare("bench", "engine", "--shape", shape, "--write-model", model_dir)
            self.note(f"- {shape}: random MXFP4 weights written in {time.monotonic() - began:.0f} s")
        result = {}
        for fmt in formats:
            report, peak = self.bench_engine([
                "--model-dir", model_dir, "--device", self.device, "--dtype", fmt,
                "--prompt-tokens", prompt, "--decode-tokens", decode, "--decode-repeats", 1])
            m = report["measurements"][0]
            result[fmt] = {"prefill_tok_s": m["prefill_tokens_per_second"],
                           "decode_tok_s": m["decode_tokens_per_second"], "peak_mib": peak}
            fits = None if peak is None else peak < 16_000_000_000 / 2**20
            self.note(f"- **{shape} experts {fmt}**: prefill {m['prefill_tokens_per_second']:.0f} tok/s, "
                      f"decode {m['decode_tokens_per_second']:.1f} tok/s, peak {peak} MiB"
                      f"{'' if fits is None else (' (fits in 16 GB)' if fits else ' (over 16 GB)')}")
        t_prefill, t_decode, t_peak = self.reference_speed(
            model_dir, torch.float32 if self.rehearse else torch.bfloat16, prompt, decode, "eager")
        result["transformers"] = {"prefill_tok_s": t_prefill, "decode_tok_s": t_decode, "peak_mib": t_peak}
        self.note(f"- **{shape} transformers** (experts dequantised, eager): prefill {t_prefill:.0f} "
                  f"tok/s, decode {t_decode:.1f} tok/s, peak {t_peak and round(t_peak)} MiB")
        return result


def probabilities_of(stored):
    """Verdict -> probability from a stored `verdict_probs` (its `probabilities` map, or the
    map itself)."""
    if isinstance(stored, dict) and isinstance(stored.get("probabilities"), dict):
        stored = stored["probabilities"]
    if isinstance(stored, dict):
        return {k: float(v) for k, v in stored.items() if isinstance(v, (int, float))}
    if isinstance(stored, list):
        return {str(e.get("verdict")): float(e.get("probability", 0)) for e in stored if isinstance(e, dict)}
    return {}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--kit", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--work", help="where weights go (default OUT/work; kept between runs)")
    parser.add_argument("--rehearse", action="store_true")
    parser.add_argument("--budget", type=float, default=540)
    parser.add_argument("--only", type=lambda s: s.split(","), default=None)
    args = parser.parse_args()
    if not args.rehearse and not torch.cuda.is_available():
        sys.exit("check.py: no CUDA GPU visible to torch (use --rehearse on a CPU machine)")
    torch.manual_seed(0)
    check = Check(args)
    # Rough seconds each needs on an H100, so a stage that cannot finish is skipped, not cut.
    check.run_stage("bandwidth", check.bandwidth, 5)
    check.run_stage("tiny", check.tiny, 30)
    check.run_stage("fare8b", check.fare8b, 120)
    check.run_stage("speed8b", check.speed8b, 90)
    check.run_stage("pipeline", check.pipeline, 40)
    check.run_stage("probabilities", check.probabilities, 40)
    check.run_stage("too-large", check.too_large, 40)
    check.run_stage("fare20b", check.fare20b, 150)
    failed = [k for k, v in check.summary["stages"].items() if "failed" in v]
    check.note(f"\n{len(check.summary['stages']) - len(failed)} stages ran, {len(failed)} failed"
               f"{': ' + ', '.join(failed) if failed else ''}; {check.elapsed():.0f} s in all")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
