//! Streaming record readers: JSON arrays, JSON Lines, concatenated JSON objects, CSV and Parquet.
//!
//! Every reader hands records one at a time to a callback, so memory stays constant in the size
//! of the file; a single record larger than the limit is refused (a 2 GB line is an error, not
//! an out-of-memory). Each record comes with its [`Location`]: record number, and the line it
//! starts on where the format has lines. A record that cannot be read is passed to the callback as
//! an error when reading can go on after it (a bad JSONL line, a bad CSV row); a broken file
//! (invalid JSON inside an array) ends reading with an error naming the line.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

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

/// Where the scanner is in a JSON stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Before the opening `[` of an array file.
    BeforeArray,
    /// Between values (after `[` or `,` in an array, or anywhere in a concatenated file).
    BetweenValues,
    /// After the closing `]` (or at the end of a concatenated file).
    Done,
}

/// One top-level value cut out of a JSON stream, not parsed yet.
struct Cut {
    /// The line its first byte is on.
    line: u64,
    /// The column of its first byte.
    column: u64,
    /// Its bytes, or `None` when it was larger than the limit (skipped without being kept).
    bytes: Option<Vec<u8>>,
}

/// Cuts the records out of a JSON array (its elements) or of concatenated JSON values, with a
/// byte scanner that knows strings, escapes and nesting but does not parse. Each record is then
/// parsed on its own with `serde_json::from_slice`: memory stays bounded by the largest record,
/// a broken record is an error of that record alone, and line numbers are exact.
struct Splitter<R> {
    reader: R,
    /// The current line, from 1.
    line: u64,
    /// The current column (in bytes, from 1).
    column: u64,
    limit: usize,
    array: bool,
    stage: Stage,
}

/// A structural problem of the stream itself (reading cannot go on).
struct Broken {
    line: u64,
    message: String,
}

impl<R: BufRead> Splitter<R> {
    /// Moves the line and column past `bytes`.
    fn advance(&mut self, bytes: &[u8]) {
        let newlines = memchr::memchr_iter(b'\n', bytes).count() as u64;
        self.line += newlines;
        match memchr::memrchr(b'\n', bytes) {
            Some(last) => self.column = (bytes.len() - last) as u64,
            None => self.column += bytes.len() as u64,
        }
    }

    /// The next non-whitespace byte, not consumed (a byte-order mark at the start is skipped).
    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            if buf.starts_with("\u{feff}".as_bytes()) {
                self.reader.consume(3);
                continue;
            }
            let skip = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            let next = buf.get(skip).copied();
            let skipped = buf[..skip].to_vec();
            self.advance(&skipped);
            self.reader.consume(skip);
            if next.is_some() {
                return Ok(next);
            }
        }
    }

    /// The next record, `Ok(None)` at the end.
    fn next_value(&mut self) -> io::Result<Result<Option<Cut>, Broken>> {
        if self.stage == Stage::BeforeArray {
            match self.peek()? {
                Some(b'[') => {
                    self.advance(b"[");
                    self.reader.consume(1);
                    self.stage = Stage::BetweenValues;
                    if self.peek()? == Some(b']') {
                        self.advance(b"]");
                        self.reader.consume(1);
                        self.stage = Stage::Done;
                    }
                }
                _ => {
                    return Ok(Err(Broken {
                        line: self.line,
                        message: "not a JSON array: expected `[`".into(),
                    }));
                }
            }
        }
        if self.stage == Stage::Done {
            return Ok(match self.peek()? {
                None => Ok(None),
                Some(_) => Err(Broken {
                    line: self.line,
                    message: "text after the end of the JSON array".into(),
                }),
            });
        }
        let Some(first) = self.peek()? else {
            return Ok(if self.array {
                Err(Broken {
                    line: self.line,
                    message: "the file ends before the array is closed with `]`".into(),
                })
            } else {
                Ok(None)
            });
        };
        if self.array && (first == b']' || first == b',') {
            return Ok(Err(Broken {
                line: self.line,
                message: format!("expected a record, found `{}`", first as char),
            }));
        }
        let (line, column) = (self.line, self.column);
        let mut bytes = Some(Vec::new());
        let (mut depth, mut in_string, mut escaped) = (0i64, false, false);
        let bracketed = matches!(first, b'{' | b'[');
        loop {
            let buf = self.reader.fill_buf()?;
            if buf.is_empty() {
                if in_string || depth > 0 {
                    return Ok(Err(Broken {
                        line,
                        message: "the file ends inside this record (an unclosed string or bracket)"
                            .into(),
                    }));
                }
                if self.array {
                    return Ok(Err(Broken {
                        line: self.line,
                        message: "the file ends before the array is closed with `]`".into(),
                    }));
                }
                self.stage = Stage::Done;
                return Ok(Ok(Some(Cut {
                    line,
                    column,
                    bytes,
                })));
            }
            let mut end = None;
            for (i, &b) in buf.iter().enumerate() {
                if in_string {
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => in_string = false,
                        _ => {}
                    }
                } else {
                    match b {
                        b'"' => in_string = true,
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' if depth > 0 => {
                            depth -= 1;
                            if depth == 0 && bracketed && !self.array {
                                end = Some((i + 1, 0));
                                break;
                            }
                        }
                        b',' | b']' if depth <= 0 && self.array => {
                            end = Some((i, 1));
                            break;
                        }
                        _ if b.is_ascii_whitespace() && depth <= 0 && !bracketed && !self.array => {
                            end = Some((i, 0));
                            break;
                        }
                        _ => {}
                    }
                }
            }
            let (take, delimiter) = end.unwrap_or((buf.len(), 0));
            let closing = buf.get(take).copied();
            let taken = buf[..take + delimiter].to_vec();
            if let Some(kept) = &mut bytes {
                if kept.len() + take > self.limit {
                    bytes = None;
                } else {
                    kept.extend_from_slice(&taken[..take]);
                }
            }
            self.advance(&taken);
            self.reader.consume(take + delimiter);
            if end.is_some() {
                if delimiter == 1 && closing == Some(b']') {
                    self.stage = Stage::Done;
                }
                if let Some(kept) = &mut bytes {
                    while kept.last().is_some_and(u8::is_ascii_whitespace) {
                        kept.pop();
                    }
                }
                return Ok(Ok(Some(Cut {
                    line,
                    column,
                    bytes,
                })));
            }
        }
    }
}

fn read_json_stream(
    path: &Path,
    file: &str,
    container: Container,
    max_record_bytes: usize,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    let array = container == Container::JsonArray;
    let mut splitter = Splitter {
        reader: BufReader::with_capacity(
            1 << 16,
            File::open(path).map_err(|e| io_error(file, &e))?,
        ),
        line: 1,
        column: 1,
        limit: max_record_bytes,
        array,
        stage: if array {
            Stage::BeforeArray
        } else {
            Stage::BetweenValues
        },
    };
    let mut records = 0u64;
    loop {
        let cut = match splitter.next_value().map_err(|e| io_error(file, &e))? {
            Ok(Some(cut)) => cut,
            Ok(None) => return Ok(records),
            Err(broken) => {
                let at = Location {
                    line: Some(broken.line),
                    record: Some(records),
                };
                return Err(ImportError {
                    record_level: false,
                    ..ImportError::record(
                        file,
                        at,
                        None,
                        format!(
                            "{}; the file cannot be read past this point",
                            broken.message
                        ),
                    )
                });
            }
        };
        let at = Location {
            line: Some(cut.line),
            record: Some(records),
        };
        records += 1;
        let parsed = match cut.bytes {
            None => Err(ImportError::record(
                file,
                at,
                None,
                format!(
                    "the record is larger than the {} limit on one record",
                    human_bytes(max_record_bytes)
                ),
            )),
            Some(bytes) => serde_json::from_slice::<Value>(&bytes).map_err(|e| {
                // serde_json counts lines and columns within the record.
                let line = cut.line + e.line().saturating_sub(1) as u64;
                let column = if e.line() <= 1 {
                    cut.column + e.column() as u64 - 1
                } else {
                    e.column() as u64
                };
                ImportError::record(
                    file,
                    Location {
                        line: Some(line),
                        record: at.record,
                    },
                    None,
                    format!("invalid JSON (column {column}): {}", json_message(&e)),
                )
            }),
        };
        each(parsed.map(|value| RawRecord { at, value }))?;
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

/// [`read_parquet_rows`], with a panic of the parquet crate on a malformed file (it asserts on
/// some footers, found by tests/fuzz.rs) turned into an error naming the file.
fn read_parquet(
    path: &Path,
    file: &str,
    each: &mut dyn FnMut(Result<RawRecord, ImportError>) -> Step,
) -> Result<u64, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_parquet_rows(path, file, each)
    }))
    .unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "the Parquet reader failed".to_owned());
        Err(ImportError::file(
            file,
            format!("not a valid Parquet file: {why}"),
        ))
    })
}

fn read_parquet_rows(
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
    fn a_broken_array_element_is_an_error_of_that_record_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.json",
            b"[\n {\"id\": 1},\n {\"id\": 2,,},\n {\"id\":\n  3}\n]",
        );
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 3);
        let e = seen[1].as_ref().unwrap_err();
        assert_eq!(
            (e.at.line, e.at.record, e.record_level),
            (Some(3), Some(1), true),
            "{e}"
        );
        assert_eq!(seen[2].as_ref().unwrap().value["id"], 3);
    }

    #[test]
    fn a_broken_array_structure_stops_reading_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        for (text, line, message) in [
            (
                &b"[\n {\"id\": 1},\n {\"id\": \"open string}\n]"[..],
                3,
                "the file ends inside",
            ),
            (b"[\n {\"id\": 1}\n", 3, "before the array is closed"),
            (b"[{\"id\": 1}]\n{\"id\": 2}", 2, "text after the end"),
            (b"[{\"id\": 1},\n,{\"id\": 2}]", 2, "expected a record"),
        ] {
            let path = write(&dir, "a.json", text);
            let (_, result) = collect(&path, 1 << 20);
            let e = result.unwrap_err();
            assert_eq!(e.at.line, Some(line), "{e}");
            assert!(e.message.contains(message) && !e.record_level, "{e}");
        }
    }

    #[test]
    fn strings_with_brackets_commas_and_escaped_quotes_do_not_split_records() {
        let dir = tempfile::tempdir().unwrap();
        let text = br#"[{"q": "a, b ] } [ {", "e": "say \"hi\", ok\\"}, {"q": "x"}]"#;
        let path = write(&dir, "a.json", text);
        let (seen, result) = collect(&path, 1 << 20);
        assert_eq!(result.unwrap(), 2);
        assert_eq!(seen[0].as_ref().unwrap().value["q"], "a, b ] } [ {");
        assert_eq!(seen[0].as_ref().unwrap().value["e"], "say \"hi\", ok\\");
        let empty = write(&dir, "e.json", b" [ ] ");
        assert_eq!(collect(&empty, 1 << 20).1.unwrap(), 0);
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
        let (seen, result) = collect(&array, 1024);
        assert_eq!(
            result.unwrap(),
            1,
            "an oversized element is skipped, not the file"
        );
        assert!(
            seen[0]
                .as_ref()
                .is_err_and(|e| e.message.contains("limit") && e.record_level)
        );
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

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn records() -> impl Strategy<Value = Vec<Value>> {
            let text = "[a-z\\[\\]{}\",:\\\\ \n\té🙂]{0,12}";
            prop::collection::vec(
                (text, text, -5i64..5)
                    .prop_map(|(a, b, n)| serde_json::json!({"a": a, "nested": {"b": [b, n]}})),
                0..8,
            )
        }

        proptest! {
            #[test]
            fn arrays_and_concatenated_values_split_back_into_their_records(records in records(), pretty in any::<bool>()) {
                let dir = tempfile::tempdir().unwrap();
                let array = if pretty { serde_json::to_string_pretty(&records) } else { serde_json::to_string(&records) }.unwrap();
                let concatenated: String = records.iter().map(|r| serde_json::to_string_pretty(r).unwrap() + "\n").collect();
                for (name, text) in [("a.json", array), ("c.jsonl", concatenated)] {
                    if text.trim().is_empty() { continue; }
                    let path = write(&dir, name, text.as_bytes());
                    let (seen, result) = collect(&path, 1 << 20);
                    prop_assert_eq!(result.unwrap(), records.len() as u64);
                    let values: Vec<Value> = seen.into_iter().map(|r| r.unwrap().value).collect();
                    prop_assert_eq!(&values, &records);
                }
            }
        }
    }
}
