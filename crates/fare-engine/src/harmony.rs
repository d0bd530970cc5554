//! gpt-oss's harmony format (FARE-20B): the reasoning effort a prompt asks for, and the model's
//! output told apart into its `analysis` and `final` channels while it streams.
//!
//! The prompt itself is rendered by the model's own chat template ([`crate::chat`]), which writes
//! `Reasoning: <effort>` into the harmony system message and turns FARE's system protocol into
//! the developer message. A finished output is read by `fare_core::read_output`, which takes the
//! verdict from the `final` channel only and keeps the `analysis` channel apart; the
//! [`ChannelSplitter`] here is the same reading done piece by piece, for showing an output as it
//! grows, with no verdict logic of its own.
//!
//! The output of a gpt-oss model after the prompt's `<|start|>assistant` looks like
//! `<|channel|>analysis<|message|>…<|end|><|start|>assistant<|channel|>final<|message|>…<|return|>`.
//! Text outside any channel (every output of a model that does not speak harmony) is the answer.

use serde::{Deserialize, Serialize};

/// How long gpt-oss reasons before it answers: the `Reasoning:` line of its system message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReasoningEffort {
    /// `low`.
    Low,
    /// `medium`, the chat template's own default.
    #[default]
    Medium,
    /// `high`.
    High,
}

impl ReasoningEffort {
    /// Every effort, lowest first.
    pub const ALL: [ReasoningEffort; 3] = [
        ReasoningEffort::Low,
        ReasoningEffort::Medium,
        ReasoningEffort::High,
    ];

    /// The word the chat template writes (`low`, `medium`, `high`).
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

impl std::fmt::Display for ReasoningEffort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReasoningEffort {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReasoningEffort::ALL
            .into_iter()
            .find(|e| e.as_str() == text)
            .ok_or_else(|| format!("`{text}` is not a reasoning effort (low, medium or high)"))
    }
}

/// Where a piece of output belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// The model's reasoning (harmony's `analysis` channel).
    Analysis,
    /// The answer: harmony's `final` channel, or any text outside channels.
    Final,
    /// Another channel (`commentary`: tool calls).
    Other,
}

/// The control tokens of harmony that the splitter acts on.
const START: &str = "<|start|>";
const CHANNEL: &str = "<|channel|>";
const CONSTRAIN: &str = "<|constrain|>";
const MESSAGE: &str = "<|message|>";
const ENDS: [&str; 3] = ["<|end|>", "<|return|>", "<|call|>"];
const MARKERS: [&str; 7] = [
    START,
    CHANNEL,
    CONSTRAIN,
    MESSAGE,
    "<|end|>",
    "<|return|>",
    "<|call|>",
];

#[derive(Debug, Clone, Default, PartialEq, Eq)]
enum State {
    /// No channel seen yet: text is the answer.
    #[default]
    Plain,
    /// Inside a message header (`<|start|>role … <|channel|>name … <|message|>`); `name` collects
    /// the text after `<|channel|>` until `<|constrain|>` or `<|message|>`.
    Header { name: String, naming: bool },
    /// Inside a message's content.
    Body(Channel),
    /// After a message ended, before the next one starts.
    Between,
}

/// Splits harmony output into channels as it streams: [`ChannelSplitter::push`] takes each new
/// piece of text and returns the text now known to belong to a channel, holding back a tail that
/// may be the start of a control token (`<|chan`); [`ChannelSplitter::finish`] returns what is
/// held at the end. Pieces may split anywhere, inside control tokens included.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelSplitter {
    state: State,
    held: String,
}

/// Appends `text` to the last run of `out` when it has the same channel.
fn emit(out: &mut Vec<(Channel, String)>, channel: Channel, text: &str) {
    if text.is_empty() {
        return;
    }
    match out.last_mut() {
        Some((last, run)) if *last == channel => run.push_str(text),
        _ => out.push((channel, text.to_owned())),
    }
}

impl ChannelSplitter {
    /// A splitter at the start of an output.
    pub fn new() -> Self {
        ChannelSplitter::default()
    }

    /// The text of `piece` (and of what was held) now known to belong to a channel, in order,
    /// runs of one channel joined.
    pub fn push(&mut self, piece: &str) -> Vec<(Channel, String)> {
        let mut text = std::mem::take(&mut self.held);
        text.push_str(piece);
        let mut out = Vec::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find("<|") {
            self.text(&rest[..at], &mut out);
            let tail = &rest[at..];
            if let Some(marker) = MARKERS.iter().find(|m| tail.starts_with(**m)) {
                self.marker(marker);
                rest = &tail[marker.len()..];
            } else if MARKERS.iter().any(|m| m.starts_with(tail)) {
                // Possibly a control token cut by the piece's end: wait for more.
                tail.clone_into(&mut self.held);
                return out;
            } else {
                self.text("<|", &mut out);
                rest = &tail[2..];
            }
        }
        // A lone `<` at the end may begin a control token.
        if let Some(head) = rest.strip_suffix('<') {
            self.text(head, &mut out);
            "<".clone_into(&mut self.held);
        } else {
            self.text(rest, &mut out);
        }
        out
    }

    /// What is still held (an unfinished control token is text after all).
    pub fn finish(&mut self) -> Vec<(Channel, String)> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        self.text(&held, &mut out);
        out
    }

    fn text(&mut self, text: &str, out: &mut Vec<(Channel, String)>) {
        match &mut self.state {
            State::Plain => emit(out, Channel::Final, text),
            State::Body(channel) => emit(out, *channel, text),
            State::Header { name, naming } => {
                if *naming {
                    name.push_str(text);
                }
            }
            State::Between => {}
        }
    }

    fn marker(&mut self, marker: &str) {
        self.state = match (marker, std::mem::replace(&mut self.state, State::Between)) {
            (START, _) => State::Header {
                name: String::new(),
                naming: false,
            },
            (CHANNEL, _) => State::Header {
                name: String::new(),
                naming: true,
            },
            (CONSTRAIN, State::Header { name, .. }) => State::Header {
                name,
                naming: false,
            },
            (MESSAGE, State::Header { name, .. }) => {
                State::Body(match name.split_whitespace().next() {
                    Some("analysis") => Channel::Analysis,
                    Some("final") | None => Channel::Final,
                    Some(_) => Channel::Other,
                })
            }
            (MESSAGE, _) => State::Body(Channel::Final),
            (end, _) if ENDS.contains(&end) => State::Between,
            (_, state) => state,
        };
    }
}

/// A streamed output kept apart by channel: what a job shows while a judgment is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SplitOutput {
    splitter: ChannelSplitter,
    /// The reasoning so far.
    pub analysis: String,
    /// The answer so far.
    pub answer: String,
}

impl SplitOutput {
    /// Nothing yet.
    pub fn new() -> Self {
        SplitOutput::default()
    }

    /// Adds a streamed piece of raw output.
    pub fn push(&mut self, piece: &str) {
        let runs = self.splitter.push(piece);
        self.add(runs);
    }

    /// Adds reasoning an endpoint streamed apart from the answer (`reasoning_content`).
    pub fn push_analysis(&mut self, piece: &str) {
        self.analysis.push_str(piece);
    }

    /// Flushes what the splitter held back (at the end of the output).
    pub fn finish(&mut self) {
        let runs = self.splitter.finish();
        self.add(runs);
    }

    fn add(&mut self, runs: Vec<(Channel, String)>) {
        for (channel, text) in runs {
            match channel {
                Channel::Analysis | Channel::Other => self.analysis.push_str(&text),
                Channel::Final => self.answer.push_str(&text),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn split_all(pieces: &[&str]) -> Vec<(Channel, String)> {
        let mut splitter = ChannelSplitter::new();
        let mut out = Vec::new();
        for piece in pieces {
            for (channel, text) in splitter.push(piece) {
                emit(&mut out, channel, &text);
            }
        }
        for (channel, text) in splitter.finish() {
            emit(&mut out, channel, &text);
        }
        out
    }

    const HARMONY: &str = "<|channel|>analysis<|message|>Step 1 is fine; <step 2> errs. <|end|>\
        <|start|>assistant<|channel|>final<|message|>Explanation: step 2 divides by zero.\nVerdict: 2<|return|>";

    #[test]
    fn harmony_output_splits_into_analysis_and_final() {
        assert_eq!(
            split_all(&[HARMONY]),
            [
                (
                    Channel::Analysis,
                    "Step 1 is fine; <step 2> errs. ".to_owned()
                ),
                (
                    Channel::Final,
                    "Explanation: step 2 divides by zero.\nVerdict: 2".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn any_split_of_the_pieces_gives_the_same_channels() {
        let cases = [
            HARMONY,
            "Explanation: fine.\nVerdict: [A]",
            "a <| b <|im_end|> c <",
            "<|channel|>analysis<|message|>x<|end|><|start|>assistant to=functions.f<|channel|>commentary json<|message|>{\"a\": 1}<|call|>",
            "<|channel|>analysis<|message|>only thinking, cut off",
            "<|channel|>final <|constrain|>text<|message|>é 🙂<|return|>",
        ];
        for raw in cases {
            let whole = split_all(&[raw]);
            for at in (0..=raw.len()).filter(|&i| raw.is_char_boundary(i)) {
                assert_eq!(
                    split_all(&[&raw[..at], &raw[at..]]),
                    whole,
                    "{raw:?} at {at}"
                );
            }
            let chars: Vec<String> = raw.chars().map(String::from).collect();
            let chars: Vec<&str> = chars.iter().map(String::as_str).collect();
            assert_eq!(split_all(&chars), whole, "{raw:?} char by char");
        }
    }

    #[test]
    fn plain_text_and_unknown_tokens_are_the_answer() {
        assert_eq!(
            split_all(&["a <| b <|im_end|> c <"]),
            [(Channel::Final, "a <| b <|im_end|> c <".to_owned())]
        );
        let tool = split_all(&[
            "<|channel|>analysis<|message|>x<|end|><|start|>assistant to=functions.f<|channel|>commentary json<|message|>{}<|call|>",
        ]);
        assert_eq!(
            tool,
            [
                (Channel::Analysis, "x".to_owned()),
                (Channel::Other, "{}".to_owned())
            ]
        );
    }

    #[test]
    fn the_split_agrees_with_fare_core_on_finished_outputs() {
        use fare_core::{Finish, Task, VerdictRules, read_output};
        let rules = VerdictRules::new(Task::StepLevel, 4);
        let judgment = read_output(HARMONY, &rules, Finish::Stopped);
        let mut split = SplitOutput::new();
        for piece in HARMONY.split_inclusive('|') {
            split.push(piece);
        }
        split.finish();
        assert_eq!(Some(split.analysis.trim()), judgment.analysis.as_deref());
        assert!(split.answer.contains(judgment.critique.trim()), "{split:?}");
        assert!(split.answer.ends_with("Verdict: 2"));
    }

    #[test]
    fn efforts_read_and_write_as_the_template_words() {
        for effort in ReasoningEffort::ALL {
            assert_eq!(effort.as_str().parse::<ReasoningEffort>(), Ok(effort));
            assert_eq!(
                serde_json::to_string(&effort).unwrap(),
                format!("\"{effort}\"")
            );
        }
        assert_eq!(ReasoningEffort::default(), ReasoningEffort::Medium);
        assert!("max".parse::<ReasoningEffort>().is_err());
    }
}
