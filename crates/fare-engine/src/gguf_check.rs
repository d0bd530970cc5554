//! A bounded look at a GGUF file's header before candle reads it.
//!
//! candle's reader keeps every metadata array element as a 32-byte value, so a file claiming a
//! metadata array of a billion bytes costs 32 GB of memory to list, and some headers make it
//! panic. A GGUF file found on disk (the model list) is someone's file: [`check_header`] walks
//! the header with seeks, keeping nothing, and refuses what no model file has (an array of
//! more than [`MAX_ARRAY`] elements, a string over [`MAX_STRING`] bytes, lengths running past
//! the end of the file) before candle is asked.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

/// The most elements one metadata array may have (the largest vocabularies are ~260 k tokens).
pub const MAX_ARRAY: u64 = 4 << 20;
/// The longest metadata string (a chat template is kilobytes).
pub const MAX_STRING: u64 = 16 << 20;
/// The most metadata entries and tensors a header may list.
const MAX_ENTRIES: u64 = 1 << 20;

struct Header<R> {
    reader: R,
    size: u64,
    position: u64,
    elements: u64,
}

impl<R: Read + Seek> Header<R> {
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut buf = [0u8; N];
        self.reader
            .read_exact(&mut buf)
            .map_err(|_| "the header ends early".to_owned())?;
        self.position += N as u64;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, String> {
        self.bytes::<4>().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, String> {
        self.bytes::<8>().map(u64::from_le_bytes)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        let end = self.position.saturating_add(n);
        if end > self.size {
            return Err("a length in the header runs past the end of the file".into());
        }
        let offset = i64::try_from(n).map_err(|_| "a length in the header is too large")?;
        self.reader
            .seek(SeekFrom::Current(offset))
            .map_err(|e| e.to_string())?;
        self.position = end;
        Ok(())
    }

    fn string(&mut self) -> Result<(), String> {
        let len = self.u64()?;
        if len > MAX_STRING {
            return Err(format!(
                "a metadata string of {len} bytes (at most {MAX_STRING})"
            ));
        }
        self.skip(len)
    }

    fn value(&mut self, kind: u32, depth: u32) -> Result<(), String> {
        match kind {
            0 | 1 | 7 => self.skip(1),
            2 | 3 => self.skip(2),
            4..=6 => self.skip(4),
            10..=12 => self.skip(8),
            8 => self.string(),
            9 => {
                if depth > 1 {
                    return Err("metadata arrays nested more than twice".into());
                }
                let inner = self.u32()?;
                let count = self.u64()?;
                self.elements = self.elements.saturating_add(count);
                if count > MAX_ARRAY || self.elements > 4 * MAX_ARRAY {
                    return Err(format!(
                        "a metadata array of {count} elements (at most {MAX_ARRAY})"
                    ));
                }
                let fixed = match inner {
                    0 | 1 | 7 => Some(1),
                    2 | 3 => Some(2),
                    4..=6 => Some(4),
                    10..=12 => Some(8),
                    _ => None,
                };
                match fixed {
                    Some(size) => self.skip(count.saturating_mul(size)),
                    None => (0..count).try_for_each(|_| self.value(inner, depth + 1)),
                }
            }
            other => Err(format!("an unknown metadata type {other}")),
        }
    }
}

/// Whether the header of the GGUF file at `path` is one a model file could have; the reason
/// when it is not. Reads only the header, keeping nothing of it.
pub fn check_header(path: &Path) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let size = file.metadata().map_err(|e| e.to_string())?.len();
    let mut header = Header {
        reader: BufReader::new(file),
        size,
        position: 0,
        elements: 0,
    };
    if &header.bytes::<4>()? != b"GGUF" {
        return Err("not a GGUF file".into());
    }
    let version = header.u32()?;
    if !(2..=3).contains(&version) {
        // Version 1 (32-bit lengths) is candle's to judge.
        return Ok(());
    }
    let tensors = header.u64()?;
    let entries = header.u64()?;
    if tensors > MAX_ENTRIES || entries > MAX_ENTRIES {
        return Err(format!(
            "a header listing {tensors} tensors and {entries} metadata entries"
        ));
    }
    for _ in 0..entries {
        header.string()?;
        let kind = header.u32()?;
        header.value(kind, 0)?;
    }
    for _ in 0..tensors {
        header.string()?;
        let dimensions = header.u32()?;
        if dimensions > 8 {
            return Err(format!("a tensor of {dimensions} dimensions"));
        }
        header.skip(u64::from(dimensions) * 8 + 4 + 8)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    /// A GGUF v3 header with these metadata entries (key, type, value bytes) and no tensors.
    fn gguf(entries: &[(&str, u32, Vec<u8>)]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend((entries.len() as u64).to_le_bytes());
        for (key, kind, value) in entries {
            out.extend((key.len() as u64).to_le_bytes());
            out.extend(key.as_bytes());
            out.extend(kind.to_le_bytes());
            out.extend(value);
        }
        out
    }

    fn string(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u64).to_le_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    fn array(inner: u32, count: u64, body: &[u8]) -> Vec<u8> {
        let mut v = inner.to_le_bytes().to_vec();
        v.extend(count.to_le_bytes());
        v.extend(body);
        v
    }

    fn check(bytes: &[u8]) -> Result<(), String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.gguf");
        std::fs::write(&path, bytes).unwrap();
        check_header(&path)
    }

    #[test]
    fn a_model_like_header_passes() {
        let tokens: Vec<u8> = ["a", "b", "<|im_end|>"]
            .iter()
            .flat_map(|t| string(t))
            .collect();
        let bytes = gguf(&[
            ("general.architecture", 8, string("qwen3")),
            ("qwen3.context_length", 4, 40960u32.to_le_bytes().to_vec()),
            ("tokenizer.ggml.tokens", 9, array(8, 3, &tokens)),
            ("tokenizer.ggml.token_type", 9, array(5, 3, &[0; 12])),
        ]);
        check(&bytes).unwrap();
    }

    #[test]
    fn headers_no_model_has_are_refused_before_candle_reads_them() {
        // Five million bytes in one array: candle would keep 160 MB for them.
        let big = array(0, 5 << 20, &vec![0u8; 5 << 20]);
        let e = check(&gguf(&[("x", 9, big)])).unwrap_err();
        assert!(e.contains("array of 5242880 elements"), "{e}");
        // Lengths claiming more than the file holds.
        let e = check(&gguf(&[("x", 9, array(0, 1 << 20, &[0; 10]))])).unwrap_err();
        assert!(e.contains("past the end"), "{e}");
        let e = check(&gguf(&[("x", 8, (1u64 << 40).to_le_bytes().to_vec())])).unwrap_err();
        assert!(e.contains("metadata string"), "{e}");
        let e = check(&gguf(&[("x", 99, vec![])])).unwrap_err();
        assert!(e.contains("unknown metadata type"), "{e}");
        assert!(check(b"GGUF\x03\x00").unwrap_err().contains("ends early"));
        assert!(check(b"not gguf").unwrap_err().contains("not a GGUF"));
    }
}
