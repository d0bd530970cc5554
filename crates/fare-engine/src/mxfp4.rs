//! MXFP4, the 4-bit format gpt-oss checkpoints ship their expert weights in, and its
//! dequantisation (what [`crate::gpt_oss`] does when loading such a checkpoint).
//!
//! A tensor `W` of shape `(experts, rows, columns)` is stored as two tensors: `*_blocks`, `u8` of
//! shape `(experts, rows, columns / 32, 16)`, and `*_scales`, `u8` of shape
//! `(experts, rows, columns / 32)`. Each block of 32 consecutive values along a row is 16 bytes
//! of e2m1 codes, two to a byte with the **low nibble first**, and one e8m0 scale byte `e`
//! meaning 2^(e − 127). This is transformers' `integrations/mxfp4.py`
//! (`_convert_moe_packed_tensors`), which reads checkpoints bit-exactly; rows are the output
//! dimension there (it transposes after dequantising), so a dequantised row is a row of a
//! linear layer's `(out, in)` weight.

/// The value of each e2m1 code.
pub const E2M1: [f32; 16] = [
    0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0,
];

/// Values per block (one scale each).
pub const BLOCK: usize = 32;

/// Bytes of codes per block.
pub const BLOCK_BYTES: usize = BLOCK / 2;

/// Dequantises packed blocks (16 bytes per block) with their scales (one per block) into
/// `scales.len() * 32` values, in order. Fails when the lengths do not belong together.
pub fn dequantize(blocks: &[u8], scales: &[u8]) -> Result<Vec<f32>, String> {
    if blocks.len() != scales.len() * BLOCK_BYTES {
        return Err(format!(
            "{} bytes of blocks do not go with {} scales (16 bytes per scale)",
            blocks.len(),
            scales.len()
        ));
    }
    let mut out = Vec::with_capacity(scales.len() * BLOCK);
    for (block, &scale) in blocks.chunks_exact(BLOCK_BYTES).zip(scales) {
        let factor = scale_value(scale);
        for &byte in block {
            out.push(E2M1[usize::from(byte & 0x0F)] * factor);
            out.push(E2M1[usize::from(byte >> 4)] * factor);
        }
    }
    Ok(out)
}

/// 2^(e − 127), exactly (e = 0 is 2^-127, a subnormal f32; e = 255 is 2^128, which overflows to
/// infinity, as in `torch.ldexp`).
fn scale_value(e: u8) -> f32 {
    let exponent = i32::from(e) - 127;
    if exponent >= -126 {
        // A normal f32: the exponent field alone is e (255: infinity).
        f32::from_bits(u32::from(e) << 23)
    } else {
        // 2^-127: the largest subnormal power of two.
        f32::from_bits(1 << 22)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn low_nibble_first_and_the_scale_is_a_power_of_two() {
        // Codes 1 (0.5) and 15 (-6.0) in one byte, then 7 (6.0) and 8 (-0.0).
        let mut blocks = vec![0u8; 16];
        blocks[0] = 0xF1;
        blocks[1] = 0x87;
        let values = dequantize(&blocks, &[128]).unwrap();
        assert_eq!(values.len(), 32);
        assert_eq!(&values[..4], &[1.0, -12.0, 12.0, -0.0]);
        assert!(values[4..].iter().all(|&v| v == 0.0));
        let values = dequantize(&blocks, &[127 - 3]).unwrap();
        assert_eq!(&values[..3], &[0.0625, -0.75, 0.75]);
    }

    #[test]
    fn extreme_scales_match_ldexp() {
        assert_eq!(scale_value(0).to_bits(), 2f32.powi(-127).to_bits());
        assert_eq!(scale_value(1).to_bits(), 2f32.powi(-126).to_bits());
        assert_eq!(scale_value(254).to_bits(), 2f32.powi(127).to_bits());
        assert!(scale_value(255).is_infinite());
    }

    #[test]
    fn lengths_that_do_not_belong_together_are_refused() {
        let err = dequantize(&[0; 15], &[127]).unwrap_err();
        assert!(err.contains("15 bytes"), "{err}");
    }
}
