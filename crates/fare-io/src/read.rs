//! Streaming record readers: JSON arrays, JSON Lines, concatenated JSON objects, CSV and Parquet.
//!
//! Every reader hands records one at a time to a callback, so memory stays constant in the size
//! of the file; a single record larger than the limit is refused (a 2 GB line is an error, not
//! an out-of-memory). Each record comes with its [`Location`]: record number, and the line it
//! starts on where the format has lines. A record that cannot be read is passed to the callback as
//! an error when reading can go on after it (a bad JSONL line, a bad CSV row); a broken file
//! (invalid JSON inside an array) ends reading with an error naming the line.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer as _, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::{ImportError, Location};

/// The default limit on the size of one record.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// How records are laid out in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Container {
    /// One JSON array of records.
    JsonArray,
    /// One JSON object per line.
    JsonLines,
    /// JSON objects one after another, pretty-printed over many lines.
    JsonConcatenated,
    /// Comma- (or tab-) separated values with a header row.
    Csv {
        /// The field delimiter.
        delimiter: u8,
    },
    /// An Apache Parquet file.
    Parquet,
}

/// One record read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    /// Where it is.
    pub at: Location,
    /// Its fields.
    pub value: Value,
}

/// What the callback says after each record.
pub type Step = Result<(), ImportError>;

fn io_error(file: &str, e: &io::Error) -> ImportError {
    ImportError::file(file, format!("cannot read the file: {e}"))
}

/// Looks at the start of a file: refuses empty and binary files, recognises Parquet by its
/// magic bytes, CSV/TSV by extension, and tells a JSON array from JSON Lines and concatenated
/// objects.
pub fn sniff(path: &Path, file: &str, max_record_bytes: usize) -> Result<Container, ImportError> {
    let mut head = Vec::with_capacity(8192);
    File::open(path)
        .map_err(|e| ImportError::file(file, format!("cannot open: {e}")))?
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|e| io_error(file, &e))?;
    if head.starts_with(b"PAR1") {
        return Ok(Container::Parquet);
    }
    if head.iter().all(u8::is_ascii_whitespace) {
        return Err(ImportError::file(file, "the file is empty"));
    }
    if let Some(pos) = head.iter().position(|b| *b == 0) {
        return Err(ImportError::file(
            file,
            format!("not a text file (binary content at byte {pos})"),
        ));
    }
    if let Err(e) = std::str::from_utf8(&head)
        && e.error_len().is_some()
    {
        return Err(ImportError::file(
            file,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
        ));
    }
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => return Ok(Container::Csv { delimiter: b',' }),
        Some("tsv") => return Ok(Container::Csv { delimiter: b'\t' }),
        _ => {}
    }
    let text = String::from_utf8_lossy(&head);
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    match first {
        Some('[') => Ok(Container::JsonArray),
        Some('{') => {
            // JSON Lines when the first line is a whole JSON value by itself.
            let mut reader = BufReader::new(File::open(path).map_err(|e| io_error(file, &e))?);
            let mut line = Vec::new();
            let fits = read_line_bounded(&mut reader, &mut line, max_record_bytes)
                .map_err(|e| io_error(file, &e))?;
            // A first line over the limit is a JSON Lines record too long to keep (reported later).
            if fits == Some(false) || serde_json::from_slice::<Value>(&line).is_ok() {
                Ok(Container::JsonLines)
            } else {
                Ok(Container::JsonConcatenated)
            }
        }
        _ => Err(ImportError::file(
            file,
            "not a recognised format: expected JSON (an array or objects), JSON Lines, CSV (.csv/.tsv) or Parquet",
        )),
    }
}

/// Reads one line (without its newline) into `buf`. Returns `Ok(None)` at the end of the file,
/// `Ok(Some(true))` for a line that fits, `Ok(Some(false))` for a line over `limit` bytes, which
/// is skipped to its end without being kept in memory.
fn read_line_bounded<R: BufRead>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    limit: usize,
) -> io::Result<Option<bool>> {
    buf.clear();
    let mut read_any = false;
    let mut fits = true;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(read_any.then_some(fits));
        }
        read_any = true;
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if fits && buf.len() + chunk.len() <= limit {
            buf.extend_from_slice(chunk);
        } else {
            fits = false;
            buf.clear();
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(fits));
        }
    }
}

/// Reads every record of a file in order, calling `each` with each record (or a record-level
/// error). Stops at the first error `each` returns. Returns the number of records seen.
pub fn read_records(
    path: &Path,
    file: &str,
    container: Container,
    max_record_bytes: usize,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    match container {
        Container::JsonLines => read_json_lines(path, file, max_record_bytes, each),
        Container::JsonArray | Container::JsonConcatenated => {
            read_json_stream(path, file, container, max_record_bytes, each)
        }
        Container::Csv { delimiter } => read_csv(path, file, delimiter, max_record_bytes, each),
        Container::Parquet => read_parquet(path, file, each),
    }
}

fn read_json_lines(
    path: &Path,
    file: &str,
    max_record_bytes: usize,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    let mut reader =
        BufReader::with_capacity(1 << 16, File::open(path).map_err(|e| io_error(file, &e))?);
    let mut buf = Vec::new();
    let (mut line, mut record) = (0u64, 0u64);
    while let Some(fits) = read_line_bounded(&mut reader, &mut buf, max_record_bytes)
        .map_err(|e| io_error(file, &e))?
    {
        line += 1;
        let at = Location {
            line: Some(line),
            record: Some(record),
        };
        if !fits {
            record += 1;
            each(Err(ImportError::record(
                file,
                at,
                None,
                format!(
                    "the line is longer than the {} limit on one record",
                    human_bytes(max_record_bytes)
                ),
            )))?;
            continue;
        }
        let text = if line == 1 {
            buf.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&buf)
        } else {
            &buf[..]
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        record += 1;
        let parsed = match std::str::from_utf8(text) {
            Err(e) => Err(ImportError::record(
                file,
                at,
                None,
                format!(
                    "not UTF-8 text (invalid byte at column {})",
                    e.valid_up_to() + 1
                ),
            )),
            Ok(s) => serde_json::from_str::<Value>(s).map_err(|e| {
                ImportError::record(
                    file,
                    at,
                    None,
                    format!(
                        "invalid JSON at column {}: {}",
                        e.column(),
                        json_message(&e)
                    ),
                )
            }),
        };
        each(parsed.map(|value| RawRecord { at, value }))?;
    }
    Ok(record)
}

/// `64 MiB`, `1 KiB`, `512 bytes`.
fn human_bytes(n: usize) -> String {
    match n {
        n if n >= 1 << 20 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// serde_json's message without its own " at line L column C" suffix.
fn json_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Shared between the counting reader and the visitor that reads array elements.
#[derive(Default)]
struct Position {
    line: Cell<u64>,
    /// Line of the first significant byte since the last mark.
    record_line: Cell<Option<u64>>,
    /// Bytes read since the last mark.
    record_bytes: Cell<usize>,
    over_limit: Cell<bool>,
}

impl Position {
    fn mark(&self) {
        self.record_line.set(None);
        self.record_bytes.set(0);
    }
}

/// Counts lines as serde_json pulls bytes, and stops a record that grows past the limit.
struct CountingReader<R> {
    inner: R,
    position: Rc<Position>,
    limit: usize,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let p = &self.position;
        for &b in &buf[..n] {
            if p.record_line.get().is_none() && !b.is_ascii_whitespace() && b != b',' && b != b'[' {
                p.record_line.set(Some(p.line.get() + 1));
            }
            if b == b'\n' {
                p.line.set(p.line.get() + 1);
            }
        }
        p.record_bytes.set(p.record_bytes.get() + n);
        if p.record_bytes.get() > self.limit {
            p.over_limit.set(true);
            return Err(io::Error::other("record over the size limit"));
        }
        Ok(n)
    }
}

fn read_json_stream(
    path: &Path,
    file: &str,
    container: Container,
    max_record_bytes: usize,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    let position = Rc::new(Position::default());
    let reader = CountingReader {
        inner: BufReader::with_capacity(1 << 16, File::open(path).map_err(|e| io_error(file, &e))?),
        position: Rc::clone(&position),
        limit: max_record_bytes,
    };
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = StreamState {
        position: &position,
        each,
        records: 0,
        stopped: None,
    };
    let result = if container == Container::JsonArray {
        de.deserialize_seq(ArrayVisitor { state: &mut state })
            .and_then(|()| de.end())
    } else {
        let mut result = Ok(());
        loop {
            position.mark();
            match (RecordSeed { state: &mut state }).deserialize(&mut de) {
                Ok(()) => {}
                Err(e) if e.is_eof() && position.record_line.get().is_none() => break,
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        result
    };
    let records = state.records;
    if let Some(stop) = state.stopped {
        return Err(stop);
    }
    match result {
        Ok(()) => Ok(records),
        Err(e) => {
            let at = Location {
                line: Some(e.line() as u64)
                    .filter(|l| *l > 0)
                    .or(position.record_line.get()),
                record: Some(records),
            };
            let message = if position.over_limit.get() {
                format!(
                    "the record is larger than the {} limit on one record",
                    human_bytes(max_record_bytes)
                )
            } else if container == Container::JsonArray
                && records == 0
                && e.line() == 1
                && e.column() <= 1
            {
                format!("not a JSON array: {}", json_message(&e))
            } else {
                format!(
                    "invalid JSON (column {}): {}; the file cannot be read past this point",
                    e.column(),
                    json_message(&e)
                )
            };
            Err(ImportError {
                record_level: false,
                ..ImportError::record(file, at, None, message)
            })
        }
    }
}

struct StreamState<'a> {
    position: &'a Position,
    each: &'a mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
    records: u64,
    stopped: Option<ImportError>,
}

/// Reads one record as a [`Value`] and hands it to the callback.
struct RecordSeed<'s, 'a> {
    state: &'s mut StreamState<'a>,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let value = <Value as serde::Deserialize>::deserialize(deserializer)?;
        let state = self.state;
        let at = Location {
            line: state.position.record_line.get(),
            record: Some(state.records),
        };
        state.records += 1;
        if let Err(stop) = (state.each)(Ok(RawRecord { at, value })) {
            state.stopped = Some(stop);
            return Err(de::Error::custom("stopped"));
        }
        Ok(())
    }
}

struct ArrayVisitor<'s, 'a> {
    state: &'s mut StreamState<'a>,
}

impl<'de> Visitor<'de> for ArrayVisitor<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        loop {
            self.state.position.mark();
            if seq
                .next_element_seed(RecordSeed { state: self.state })?
                .is_none()
            {
                return Ok(());
            }
        }
    }
}

fn read_csv(
    path: &Path,
    file: &str,
    delimiter: u8,
    max_record_bytes: usize,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(false)
        .from_path(path)
        .map_err(|e| ImportError::file(file, format!("cannot open: {e}")))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError::file(file, format!("cannot read the header row: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let mut record = csv::StringRecord::new();
    let mut index = 0u64;
    loop {
        let at = |r: &csv::StringRecord, index| Location {
            line: r.position().map(csv::Position::line),
            record: Some(index),
        };
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let at = at(&record, index);
                index += 1;
                if record.as_slice().len() > max_record_bytes {
                    each(Err(ImportError::record(
                        file,
                        at,
                        None,
                        "the row is larger than the limit on one record",
                    )))?;
                    continue;
                }
                let mut object = serde_json::Map::new();
                for (name, field) in headers.iter().zip(record.iter()) {
                    let value = if field.is_empty() {
                        Value::Null
                    } else {
                        Value::String(field.to_owned())
                    };
                    object.insert(name.clone(), value);
                }
                each(Ok(RawRecord {
                    at,
                    value: Value::Object(object),
                }))?;
            }
            Err(e) => {
                let line = e.position().map(csv::Position::line);
                let at = Location {
                    line,
                    record: Some(index),
                };
                index += 1;
                let recoverable = matches!(
                    e.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                );
                let error = ImportError::record(file, at, None, format!("invalid CSV row: {e}"));
                if recoverable {
                    each(Err(error))?;
                } else {
                    return Err(ImportError {
                        record_level: false,
                        ..error
                    });
                }
            }
        }
    }
    Ok(index)
}

fn read_parquet(
    path: &Path,
    file: &str,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let handle = File::open(path).map_err(|e| io_error(file, &e))?;
    let reader = SerializedFileReader::new(handle)
        .map_err(|e| ImportError::file(file, format!("not a valid Parquet file: {e}")))?;
    let rows = reader
        .get_row_iter(None)
        .map_err(|e| ImportError::file(file, format!("cannot read the Parquet rows: {e}")))?;
    let mut index = 0u64;
    for row in rows {
        let at = Location {
            line: None,
            record: Some(index),
        };
        index += 1;
        match row {
            Ok(row) => each(Ok(RawRecord {
                at,
                value: row.to_json_value(),
            }))?,
            Err(e) => {
                return Err(ImportError {
                    record_level: false,
                    ..ImportError::record(file, at, None, format!("cannot read the row: {e}"))
                });
            }
        }
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    }

    fn collect(
        path: &Path,
        limit: usize,
    ) -> (
        Vec<Result<RawRecord, ImportError>>,
        Result<u64, ImportError>,
    ) {
        let container = sniff(path, "f", limit).unwrap();
        let mut seen = Vec::new();
        let result = read_records(path, "f", container, limit, &mut |r| {
            seen.push(r);
            Ok(())
        });
        (seen, result)
    }

    #[test]
    fn array_records_carry_their_starting_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.json",
            b"[\n  {\n    \"id\": 1\n  },\n  {\n    \"id\": 2\n  }\n]\n",
        );
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 2);
        let lines: Vec<_> = seen.iter().map(|r| r.as_ref().unwrap().at.line).collect();
        assert_eq!(lines, vec![Some(2), Some(5)]);
    }

    #[test]
    fn broken_array_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.json", b"[\n {\"id\": 1},\n {\"id\": 2,,}\n]");
        let (_, result) = collect(&path, 1 << 20);
        let e = result.unwrap_err();
        assert_eq!(e.at.line, Some(3), "{e}");
        assert!(!e.record_level);
    }

    #[test]
    fn jsonl_bad_lines_are_record_errors_and_reading_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.jsonl", b"{\"a\": 1}\n{\"a\": \n\n{\"a\": 3}\n");
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 3);
        assert!(
            seen[1]
                .as_ref()
                .is_err_and(|e| e.at.line == Some(2) && e.record_level)
        );
        assert_eq!(
            seen[2].as_ref().unwrap().at,
            Location {
                line: Some(4),
                record: Some(2)
            }
        );
    }

    #[test]
    fn concatenated_pretty_objects_are_read_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.jsonl", b"{\n  \"a\": 1\n}\n{\n  \"a\": 2\n}\n");
        assert_eq!(
            sniff(&path, "f", 1 << 20).unwrap(),
            Container::JsonConcatenated
        );
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 2);
        assert_eq!(seen[1].as_ref().unwrap().at.line, Some(4));
    }

    #[test]
    fn oversized_records_are_refused_without_reading_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        let long = format!("{{\"a\": \"{}\"}}\n{{\"a\": 2}}\n", "x".repeat(10_000));
        let path = write(&dir, "a.jsonl", long.as_bytes());
        let (seen, result) = collect(&path, 1024);
        assert_eq!(result.unwrap(), 2);
        assert!(seen[0].as_ref().is_err_and(|e| e.message.contains("limit")));
        assert!(seen[1].is_ok());
        let array = write(
            &dir,
            "b.json",
            format!("[{}]", long.lines().next().unwrap()).as_bytes(),
        );
        let (_, result) = collect(&array, 1024);
        assert!(result.unwrap_err().message.contains("limit"));
    }

    #[test]
    fn empty_binary_and_unknown_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write(&dir, "e.json", b"  \n");
        assert!(
            sniff(&empty, "e.json", 1024)
                .unwrap_err()
                .message
                .contains("empty")
        );
        let binary = write(&dir, "b.json", b"\x7fELF\x02\x01\x00\x00");
        assert!(
            sniff(&binary, "b.json", 1024)
                .unwrap_err()
                .message
                .contains("binary")
        );
        let latin1 = write(&dir, "l.json", b"{\"a\": \"caf\xe9\"}");
        assert!(
            sniff(&latin1, "l.json", 1024)
                .unwrap_err()
                .message
                .contains("UTF-8")
        );
        let text = write(&dir, "t.txt", b"hello");
        assert!(sniff(&text, "t.txt", 1024).is_err());
    }

    #[test]
    fn csv_rows_become_objects_with_line_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.csv",
            b"question,label\n\"two\nlines\",1\nq2,\nq3,1,extra\n",
        );
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 3);
        let first = seen[0].as_ref().unwrap();
        assert_eq!(first.value["question"], "two\nlines");
        assert_eq!(first.at.line, Some(2));
        assert_eq!(seen[1].as_ref().unwrap().value["label"], Value::Null);
        assert!(seen[2].as_ref().is_err_and(|e| e.at.line == Some(5)));
    }
}
