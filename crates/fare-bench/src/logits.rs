//! `fare-lens bench logits`: the engine's logits on given token ids, written for a comparison
//! with `transformers` on the same weights and device (`tests/gpu/compare.py`, run by the GPU
//! check `tests/gpu/device-check.sh`).
//!
//! For each prompt the model is run the way a judgment runs it: one forward pass over the
//! prompt (prefill), then greedy decoding through the KV cache, one token at a time. Every step's
//! logits (the prompt's last position, then each decoded position) are appended to a raw file of
//! little-endian f32 rows, one row of `vocab` values per step, and the report lists the rows in
//! order with the token chosen at each. With `full_check`, every decoded step is also recomputed
//! by a full forward pass over the whole sequence with an empty cache, and the largest
//! difference between the two is reported per row: the KV cache's own correctness, on whatever
//! device the model is on.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};
use fare_engine::model::Model;
use serde::{Deserialize, Serialize};

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LogitsRequest {
    /// The prompts, as token ids.
    pub prompts: Vec<Vec<u32>>,
    /// Tokens decoded greedily after each prompt.
    pub decode: usize,
}

/// One row of the logits file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogitsRow {
    /// Which prompt.
    pub prompt: usize,
    /// 0 for the prompt's last position, then 1, 2 … for each decoded token.
    pub step: usize,
    /// The tokens fed before these logits (the prompt and the tokens decoded so far).
    pub context_tokens: usize,
    /// The greedy choice at this step (the token fed at the next one).
    pub argmax: u32,
    /// The largest difference against a full forward pass over the same tokens (`full_check`,
    /// decoded steps only).
    pub kv_vs_full_max_abs: Option<f32>,
}

/// What was run, and the rows written.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogitsReport {
    /// Values per row.
    pub vocab: usize,
    /// The rows, in file order.
    pub rows: Vec<LogitsRow>,
    /// Each prompt followed by its decoded tokens (what a reference run feeds in one pass).
    pub sequences: Vec<Vec<u32>>,
    /// The largest `kv_vs_full_max_abs` over all rows.
    pub kv_vs_full_max_abs: Option<f32>,
    /// Seconds spent, prefill and decode of every prompt.
    pub seconds: f64,
}

fn argmax(logits: &[f32]) -> u32 {
    let best = logits
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i);
    u32::try_from(best).unwrap_or(0)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn write_row(file: &mut impl Write, logits: &[f32]) -> Result<()> {
    for value in logits {
        file.write_all(&value.to_le_bytes())?;
    }
    Ok(())
}

/// Runs `request` on `model`, writing the logits rows to `out` (raw little-endian f32).
pub fn run(
    model: &mut Model,
    request: &LogitsRequest,
    full_check: bool,
    out: &Path,
) -> Result<LogitsReport> {
    if request.prompts.iter().any(Vec::is_empty) {
        bail!("every prompt needs at least one token");
    }
    let mut file = BufWriter::new(File::create(out)?);
    let mut rows = Vec::new();
    let mut sequences = Vec::new();
    let mut worst: Option<f32> = None;
    let started = Instant::now();
    for (index, prompt) in request.prompts.iter().enumerate() {
        model.clear_cache();
        let mut tokens = prompt.clone();
        let mut logits = model.forward(prompt, 0)?;
        if logits.iter().any(|x| !x.is_finite()) {
            bail!("prompt {index}: the logits are not finite");
        }
        write_row(&mut file, &logits)?;
        rows.push(LogitsRow {
            prompt: index,
            step: 0,
            context_tokens: tokens.len(),
            argmax: argmax(&logits),
            kv_vs_full_max_abs: None,
        });
        let mut decoded = Vec::with_capacity(request.decode);
        for step in 1..=request.decode {
            let next = argmax(&logits);
            tokens.push(next);
            logits = model.forward(&[next], tokens.len() - 1)?;
            write_row(&mut file, &logits)?;
            rows.push(LogitsRow {
                prompt: index,
                step,
                context_tokens: tokens.len(),
                argmax: argmax(&logits),
                kv_vs_full_max_abs: None,
            });
            if full_check {
                decoded.push(logits.clone());
            }
        }
        if full_check {
            // Each decoded step again, by one pass over its whole context with an empty cache.
            let first = rows.len() - decoded.len();
            for (offset, kv) in decoded.iter().enumerate() {
                let row = &mut rows[first + offset];
                model.clear_cache();
                let full = model.forward(&tokens[..row.context_tokens], 0)?;
                let diff = max_abs_diff(kv, &full);
                row.kv_vs_full_max_abs = Some(diff);
                worst = Some(worst.map_or(diff, |w| w.max(diff)));
            }
        }
        sequences.push(tokens);
    }
    let seconds = started.elapsed().as_secs_f64();
    file.flush()?;
    Ok(LogitsReport {
        vocab: model.vocab_size,
        rows,
        sequences,
        kv_vs_full_max_abs: worst,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{FileDType, ModelShape, write_model};
    use candle_core::{DType, Device};
    use fare_engine::model::LoadOptions;

    #[test]
    fn logits_rows_match_a_full_pass_and_the_file_holds_every_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let shape = ModelShape {
            name: "tiny".into(),
            hidden: 32,
            layers: 2,
            heads: 4,
            kv_heads: 2,
            head_dim: 8,
            intermediate: 48,
            vocab: 64,
            tied: false,
            max_positions: 128,
            moe: None,
        };
        write_model(dir.path(), &shape, FileDType::F32, 7).expect("writes");
        let mut model = Model::load_with(dir.path(), &Device::Cpu, LoadOptions::new(DType::F32))
            .expect("loads");
        let request = LogitsRequest {
            prompts: vec![vec![1, 2, 3, 4, 5], vec![9, 8]],
            decode: 3,
        };
        let out = dir.path().join("logits.f32");
        let report = run(&mut model, &request, true, &out).expect("runs");
        assert_eq!(report.rows.len(), 2 * 4);
        assert_eq!(
            std::fs::metadata(&out).expect("file").len(),
            (8 * 64 * 4) as u64
        );
        assert_eq!(report.sequences[0].len(), 5 + 3);
        assert_eq!(
            report.sequences[1][2..],
            [
                report.rows[4].argmax,
                report.rows[5].argmax,
                report.rows[6].argmax
            ]
        );
        let worst = report.kv_vs_full_max_abs.expect("checked");
        assert!(
            worst < 1e-4,
            "the KV cache differs from a full pass by {worst}"
        );
        let empty = LogitsRequest {
            prompts: vec![vec![]],
            decode: 1,
        };
        assert!(run(&mut model, &empty, false, &out).is_err());
    }
}
