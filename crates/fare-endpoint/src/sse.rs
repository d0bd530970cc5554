//! Server-sent events read from a blocking body: `data:` lines joined into one event per blank
//! line, comments (`:` lines, keep-alives) skipped. Only what OpenAI-style streams use.
//!
//! A server is someone else's program: a line longer than [`MAX_LINE`], an event longer than
//! [`MAX_EVENT`], or the stream passing its deadline (checked at every line, keep-alives
//! included) is an error, never unbounded memory or time.

use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

/// The longest line read (an OpenAI chunk is a few hundred bytes).
pub const MAX_LINE: usize = 1 << 20;
/// The longest event (its `data:` lines together).
pub const MAX_EVENT: usize = 4 << 20;

/// Reads events from a body.
pub struct EventReader<R: Read> {
    reader: BufReader<R>,
    line: Vec<u8>,
    deadline: Option<Instant>,
}

fn too_much(what: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

impl<R: Read> EventReader<R> {
    /// Events of `body`.
    pub fn new(body: R) -> Self {
        EventReader {
            reader: BufReader::new(body),
            line: Vec::new(),
            deadline: None,
        }
    }

    /// The same reader, failing with [`std::io::ErrorKind::TimedOut`] once a line arrives
    /// after `deadline`.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// The next event's data (its `data:` lines joined by newlines); `None` at the end of the
    /// body. A body that ends inside an event yields that event.
    pub fn next_event(&mut self) -> std::io::Result<Option<String>> {
        let mut data: Option<String> = None;
        loop {
            self.line.clear();
            let n = (&mut self.reader)
                .take(MAX_LINE as u64 + 1)
                .read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(data);
            }
            if n > MAX_LINE {
                return Err(too_much(format!(
                    "a line of the stream is longer than {} KiB",
                    MAX_LINE >> 10
                )));
            }
            if self.deadline.is_some_and(|d| Instant::now() > d) {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the stream went on past its deadline",
                ));
            }
            let line = String::from_utf8_lossy(&self.line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if data.is_some() {
                    return Ok(data);
                }
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            if field == "data" {
                let value = value.strip_prefix(' ').unwrap_or(value);
                match &mut data {
                    Some(d) => {
                        d.push('\n');
                        d.push_str(value);
                    }
                    None => data = Some(value.to_owned()),
                }
                if data.as_ref().is_some_and(|d| d.len() > MAX_EVENT) {
                    return Err(too_much(format!(
                        "an event of the stream is longer than {} MiB",
                        MAX_EVENT >> 20
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_join_data_lines_and_skip_comments() {
        let body = b": keep-alive\n\ndata: {\"a\":1}\n\ndata: x\r\ndata: y\r\n\r\nevent: e\ndata: [DONE]\n\ndata: tail";
        let mut events = EventReader::new(&body[..]);
        let mut all = Vec::new();
        while let Some(e) = events.next_event().expect("reads") {
            all.push(e);
        }
        assert_eq!(all, ["{\"a\":1}", "x\ny", "[DONE]", "tail"]);
    }

    #[test]
    fn an_endless_line_or_event_is_an_error_not_memory() {
        let line = vec![b'x'; MAX_LINE + 10];
        let e = EventReader::new(&line[..])
            .next_event()
            .expect_err("too long");
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        let mut event = Vec::new();
        let piece = format!("data: {}\n", "y".repeat(1 << 19));
        while event.len() <= MAX_EVENT + (1 << 20) {
            event.extend_from_slice(piece.as_bytes());
        }
        let e = EventReader::new(&event[..])
            .next_event()
            .expect_err("too long");
        assert!(e.to_string().contains("event"), "{e}");
    }

    #[test]
    fn keep_alives_past_the_deadline_end_the_stream() {
        let body = b": keep-alive\n: keep-alive\ndata: x\n\n";
        let past = Instant::now().checked_sub(std::time::Duration::from_secs(1));
        let e = EventReader::new(&body[..])
            .with_deadline(past)
            .next_event()
            .expect_err("past the deadline");
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    }
}
