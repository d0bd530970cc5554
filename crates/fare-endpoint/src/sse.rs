//! Server-sent events read from a blocking body: `data:` lines joined into one event per blank
//! line, comments (`:` lines, keep-alives) skipped. Only what OpenAI-style streams use.

use std::io::{BufRead, BufReader, Read};

/// Reads events from a body.
pub struct EventReader<R: Read> {
    reader: BufReader<R>,
    line: Vec<u8>,
}

impl<R: Read> EventReader<R> {
    /// Events of `body`.
    pub fn new(body: R) -> Self {
        EventReader {
            reader: BufReader::new(body),
            line: Vec::new(),
        }
    }

    /// The next event's data (its `data:` lines joined by newlines); `None` at the end of the
    /// body. A body that ends inside an event yields that event.
    pub fn next_event(&mut self) -> std::io::Result<Option<String>> {
        let mut data: Option<String> = None;
        loop {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                return Ok(data);
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
}
