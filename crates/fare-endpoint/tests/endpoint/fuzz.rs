//! Fuzzing the server-sent-events reader with what a server might send: event-stream pieces
//! (`data:`, comments, blank lines, CR/LF, `[DONE]`, JSON fragments) and random bytes. Every
//! event it gives comes from `data:` lines and is bounded; it may fail on a broken stream; it
//! may not panic.
//!
//! `FARE_LENS_FUZZ_CASES` sets the cases (64 by default, what CI runs).

use fare_endpoint::sse::{EventReader, MAX_EVENT};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("FARE_LENS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64)
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "data: ",
            "data:",
            ": keep-alive",
            "event: x",
            "id: 1",
            "retry: 10",
            "\n",
            "\r\n",
            "\r",
            "\n\n",
            "[DONE]",
            "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]}",
            "{",
            "}",
            "é",
            "\u{0}",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..8),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_stream_reads_into_bounded_events_without_panicking(pieces in prop::collection::vec(piece(), 0..60)) {
        let body: Vec<u8> = pieces.concat();
        let mut events = EventReader::new(&body[..]);
        let mut read = 0usize;
        while let Ok(Some(event)) = events.next_event() {
            prop_assert!(event.len() <= MAX_EVENT);
            read += 1;
            prop_assert!(read <= body.len() + 1, "more events than bytes");
        }
    }
}
