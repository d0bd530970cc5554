//! Continuous batching: many generations on one model at once.
//!
//! A [`Batcher`] owns a [`Model`] on a scheduler thread and serves any number of callers, each
//! on its own thread, at once. Each scheduler step is one [`Model::forward_many`] pass over
//! every running sequence: one token for each that is decoding, a chunk of the prompt for each
//! that is still reading its prompt (at most [`BatchOptions::step_tokens`] prompt tokens in a
//! step, so a long prompt is read in chunks beside the others' decode steps instead of stalling
//! them), and one token per probe of each verdict scoring in progress (teacher forcing on the
//! sequence a generation left behind, see [`Kept`]). Sequences join between steps and leave as
//! they finish, each with its own sampling parameters, stop tokens, token limit, streaming and
//! cancellation: cancelling one leaves the others running.
//!
//! Memory: a request reserves the KV cache of its prompt plus its token limit
//! ([`Model::cache_bytes`]) when it is admitted, and keeps the reservation until it is done
//! (scoring included). Requests wait, in arrival order, while the reservations of those running
//! would pass [`BatchOptions::cache_budget`]; one that alone needs more than the whole budget
//! is refused with both sizes. A dense decoder's cache buffers are kept within the reservation
//! ([`Sequence::limit_growth`]); gpt-oss's hold only what they use.
//!
//! The cache is one buffer per sequence and layer, preallocated in steps, rather than paged
//! blocks: attention then reads one contiguous view per sequence with candle's own kernels on
//! every device (candle has no paged-attention kernel on the CPU or Metal), and reserving each
//! request's whole length up front bounds memory as well as paging would for judging, where
//! the token limit is known and most outputs come near it. What paging would add (sharing a
//! prompt prefix between sequences, no reservation for tokens never generated) is left out.
//!
//! Each sequence samples with its own [`LogitsProcessor`], seeded and configured as
//! [`crate::generate`] does it, so a request picks the tokens it would pick alone (exactly, for
//! greedy decoding on f32 weights: the tests check it on every architecture).
//!
//! A failed pass fails the requests in it and the scheduler goes on; a panic in model code
//! fails every request, then and later, with its message (the model's state cannot be trusted
//! after one).

use std::collections::{HashMap, VecDeque};
use std::ops::ControlFlow;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_transformers::generation::LogitsProcessor;

use crate::EngineError;
use crate::device::gigabytes;
use crate::generate::{Ending, Generation, SamplingParams, Step, sampler};
use crate::model::{Model, Sequence, TrieWalk};
use crate::tokenize::TextTokenizer;

/// The positions a default budget is sized for per sequence (a long ProcessBench prompt and
/// its critique).
const TYPICAL_POSITIONS: usize = 4096;

/// Positions reserved beyond a request's prompt and token limit, for the few tokens a forced
/// `Verdict:` line adds when its verdict is scored.
const SCORING_SLACK: usize = 16;

/// How a [`Batcher`] batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// The most sequences in one pass (generating or scoring).
    pub max_sequences: usize,
    /// The bytes of KV cache the admitted requests may reserve together.
    pub cache_budget: u64,
    /// The most prompt tokens one pass reads, over all the sequences reading their prompt
    /// (one prompt chunk always goes in, however long).
    pub step_tokens: usize,
}

impl BatchOptions {
    /// The defaults for `model` on its device: half the memory the device has free now (the
    /// model loaded) for the cache, as many sequences as that holds at 4,096 positions each
    /// (at least 1; at most 64 on a GPU, 16 on the CPU), and 2,048 prompt tokens a pass on a
    /// GPU, 512 on the CPU. Where the free memory cannot be read the budget is 4 GiB.
    pub fn for_model(model: &Model) -> BatchOptions {
        let free = crate::device::memory(&model.device).map(|m| m.free_bytes);
        Self::for_memory(model, free)
    }

    /// [`BatchOptions::for_model`] with `max_sequences` set by the person (0 keeps the
    /// default).
    pub fn with_sequences(model: &Model, max_sequences: usize) -> BatchOptions {
        let mut options = Self::for_model(model);
        if max_sequences > 0 {
            options.max_sequences = max_sequences;
        }
        options
    }

    fn for_memory(model: &Model, free: Option<u64>) -> BatchOptions {
        let gpu = !model.device.is_cpu();
        let cache_budget = free.map_or(4 << 30, |f| f / 2);
        let per_sequence = model.cache_bytes(TYPICAL_POSITIONS).max(1);
        let cap = if gpu { 64 } else { 16 };
        let max_sequences = usize::try_from(cache_budget / per_sequence)
            .unwrap_or(usize::MAX)
            .clamp(1, cap);
        BatchOptions {
            max_sequences,
            cache_budget,
            step_tokens: if gpu { 2048 } else { 512 },
        }
    }
}

/// What the scheduler is doing, for status lines and benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchStats {
    /// Sequences in the batch now (generating or scoring).
    pub running: usize,
    /// Requests waiting for room.
    pub waiting: usize,
    /// The most sequences one pass has held.
    pub peak_running: usize,
    /// Passes run.
    pub steps: u64,
    /// The bytes of cache reserved now.
    pub reserved_bytes: u64,
    /// The panic that stopped the model, if one did.
    pub failure: Option<String>,
}

/// Many generations on one model at once (see the module doc). Shared by reference between
/// threads; dropping it stops the scheduler once its requests are done.
pub struct Batcher {
    requests: Option<mpsc::Sender<Message>>,
    options: BatchOptions,
    vocab_size: usize,
    stats: Arc<Mutex<BatchStats>>,
    next_id: AtomicU64,
    scheduler: Option<JoinHandle<Model>>,
}

impl std::fmt::Debug for Batcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher")
            .field("options", &self.options)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

enum Message {
    Generate(Request),
    Score(ScoreRequest),
    Release(u64),
}

struct Request {
    id: u64,
    prompt: Vec<u32>,
    stop: Vec<u32>,
    params: SamplingParams,
    /// Whether each token's event carries the logits it was chosen from.
    logits: bool,
    /// Whether the sequence stays for scoring when it ends (see [`Kept`]).
    keep: bool,
    cancel: Arc<AtomicBool>,
    events: mpsc::Sender<Event>,
}

struct ScoreRequest {
    id: u64,
    context: Vec<u32>,
    candidates: Vec<Vec<u32>>,
    continuing: Vec<u32>,
    reply: mpsc::Sender<Result<Vec<f64>, EngineError>>,
}

enum Event {
    /// The prompt is read.
    Prefilled,
    /// A token was chosen (never a stop token).
    Token {
        token: u32,
        logits: Option<Vec<f32>>,
    },
    /// Generation ended.
    Finished(Ending),
    /// It failed.
    Failed(EngineError),
}

/// What a generation's caller sees of each token: the token, and its logits when asked for.
type OnToken<'a> = dyn FnMut(u32, Option<&[f32]>) -> ControlFlow<()> + 'a;

/// Sets a request's cancel flag when the caller leaves early (an error, or a panic in its
/// callbacks), so the scheduler stops working for nobody.
struct CancelOnDrop(Arc<AtomicBool>, bool);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if self.1 {
            self.0.store(true, Ordering::SeqCst);
        }
    }
}

fn stopped() -> EngineError {
    EngineError::Runtime("the batch scheduler has stopped".into())
}

impl Batcher {
    /// Starts the scheduler thread on `model`.
    pub fn start(model: Model, options: BatchOptions) -> Result<Batcher, EngineError> {
        let options = BatchOptions {
            max_sequences: options.max_sequences.max(1),
            step_tokens: options.step_tokens.max(1),
            ..options
        };
        let vocab_size = model.vocab_size;
        let stats = Arc::new(Mutex::new(BatchStats::default()));
        let (requests, queue) = mpsc::channel();
        let scheduler = Scheduler {
            model,
            options,
            stats: Arc::clone(&stats),
            waiting: VecDeque::new(),
            running: Vec::new(),
            scoring: Vec::new(),
            kept: HashMap::new(),
            reserved: 0,
            peak: 0,
            steps: 0,
            failure: None,
        };
        let scheduler = std::thread::Builder::new()
            .name("fare-batch".into())
            .spawn(move || scheduler.run(&queue))
            .map_err(|e| EngineError::Runtime(format!("cannot start the scheduler: {e}")))?;
        Ok(Batcher {
            requests: Some(requests),
            options,
            vocab_size,
            stats,
            next_id: AtomicU64::new(1),
            scheduler: Some(scheduler),
        })
    }

    /// How it batches.
    pub fn options(&self) -> BatchOptions {
        self.options
    }

    /// The number of logits its model returns.
    pub fn vocab_size(&self) -> usize {
        self.vocab_size
    }

    /// What the scheduler is doing now.
    pub fn stats(&self) -> BatchStats {
        self.stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn send(&self, message: Message) -> Result<(), EngineError> {
        self.requests
            .as_ref()
            .ok_or_else(stopped)?
            .send(message)
            .map_err(|_| stopped())
    }

    /// Generates from `prompt` as [`crate::generate::generate_observed`] does, in the batch:
    /// blocks until a stop token, the token limit, or `on_text` breaks (which cancels it).
    /// `on_step` sees each token with its logits.
    pub fn generate(
        &self,
        tokenizer: &TextTokenizer,
        prompt: &[u32],
        stop: &[u32],
        params: &SamplingParams,
        on_step: Option<&mut dyn FnMut(&Step<'_>)>,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation, EngineError> {
        self.generate_text(tokenizer, prompt, stop, params, false, on_step, on_text)
            .map(|(generation, _)| generation)
    }

    /// [`Batcher::generate`], keeping the sequence in the scheduler afterwards for scoring its
    /// verdict ([`Kept::score_continuations`]); none is kept when it was cancelled.
    pub fn generate_kept(
        &self,
        tokenizer: &TextTokenizer,
        prompt: &[u32],
        stop: &[u32],
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(Generation, Option<Kept<'_>>), EngineError> {
        self.generate_text(tokenizer, prompt, stop, params, true, None, on_text)
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "generate's arguments and the keep switch"
    )]
    fn generate_text(
        &self,
        tokenizer: &TextTokenizer,
        prompt: &[u32],
        stop: &[u32],
        params: &SamplingParams,
        keep: bool,
        mut on_step: Option<&mut dyn FnMut(&Step<'_>)>,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<(Generation, Option<Kept<'_>>), EngineError> {
        let mut tokens: Vec<u32> = Vec::new();
        let mut shown = 0usize;
        let mut text = String::new();
        let mut failed = None;
        let want_logits = on_step.is_some();
        let mut on_token = |token: u32, logits: Option<&[f32]>| {
            tokens.push(token);
            text = match tokenizer.decode(&tokens) {
                Ok(text) => text,
                Err(e) => {
                    failed = Some(e);
                    return ControlFlow::Break(());
                }
            };
            if let Some(observe) = on_step.as_mut() {
                observe(&Step {
                    index: tokens.len() - 1,
                    token,
                    logits: logits.unwrap_or_default(),
                    text: &text,
                });
            }
            // Hold back a piece that ends inside a character (U+FFFD until complete).
            if !text.ends_with('\u{fffd}') && text.len() > shown {
                let piece = &text[shown..];
                shown = text.len();
                return on_text(piece);
            }
            ControlFlow::Continue(())
        };
        let (mut generation, kept) =
            self.run(prompt, stop, params, keep, want_logits, &mut on_token)?;
        if let Some(error) = failed {
            return Err(error);
        }
        generation.text = text;
        Ok((generation, kept))
    }

    /// Generates from `prompt` in the batch, token by token, without a tokenizer: `on_token`
    /// sees each chosen token and may break to cancel. The [`Generation`]'s `text` is empty.
    /// With `keep`, the sequence stays for scoring as with [`Batcher::generate_kept`].
    pub fn generate_tokens(
        &self,
        prompt: &[u32],
        stop: &[u32],
        params: &SamplingParams,
        keep: bool,
        on_token: &mut dyn FnMut(u32) -> ControlFlow<()>,
    ) -> Result<(Generation, Option<Kept<'_>>), EngineError> {
        self.run(prompt, stop, params, keep, false, &mut |token, _| {
            on_token(token)
        })
    }

    fn run(
        &self,
        prompt: &[u32],
        stop: &[u32],
        params: &SamplingParams,
        keep: bool,
        want_logits: bool,
        on_token: &mut OnToken<'_>,
    ) -> Result<(Generation, Option<Kept<'_>>), EngineError> {
        let started = Instant::now();
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let cancel = Arc::new(AtomicBool::new(false));
        let mut guard = CancelOnDrop(Arc::clone(&cancel), true);
        let (events, received) = mpsc::channel();
        self.send(Message::Generate(Request {
            id,
            prompt: prompt.to_vec(),
            stop: stop.to_vec(),
            params: params.clone(),
            logits: want_logits,
            keep,
            cancel: Arc::clone(&cancel),
            events,
        }))?;
        let mut prefill = None;
        let mut tokens: Vec<u32> = Vec::new();
        let ending = loop {
            match received.recv().map_err(|_| stopped())? {
                Event::Prefilled => prefill = Some(started.elapsed()),
                Event::Token { token, logits } => {
                    tokens.push(token);
                    if on_token(token, logits.as_deref()).is_break() {
                        break Ending::Cancelled;
                    }
                }
                Event::Finished(ending) => break ending,
                Event::Failed(error) => return Err(error),
            }
        };
        let kept = if ending == Ending::Cancelled {
            None
        } else {
            guard.1 = false;
            keep.then_some(Kept {
                batcher: self,
                id,
                released: false,
            })
        };
        let generation = Generation {
            text: String::new(),
            tokens,
            ending,
            prompt_tokens: prompt.len(),
            prefill: prefill.unwrap_or_default(),
            elapsed: started.elapsed(),
        };
        Ok((generation, kept))
    }
}

impl Batcher {
    /// Stops the scheduler once its requests are done and gives the model back (`None` when the
    /// scheduler thread itself panicked).
    pub fn into_model(mut self) -> Option<Model> {
        self.requests = None;
        self.scheduler.take()?.join().ok()
    }
}

impl Drop for Batcher {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(scheduler) = self.scheduler.take() {
            let _ = scheduler.join();
        }
    }
}

/// A finished generation's sequence, kept in the scheduler (its cache still reserved) until it
/// is scored or dropped.
pub struct Kept<'a> {
    batcher: &'a Batcher,
    id: u64,
    released: bool,
}

impl Kept<'_> {
    /// [`Model::score_continuations`] in the batch, on the kept sequence: it is cut back to
    /// the prefix it shares with `context` and fed the rest, then each depth of the candidates'
    /// trie is one more token in the scheduler's passes. The sequence is gone afterwards.
    pub fn score_continuations(
        mut self,
        context: &[u32],
        candidates: &[Vec<u32>],
        continuing: &[u32],
    ) -> Result<Vec<f64>, EngineError> {
        let (reply, answer) = mpsc::channel();
        self.released = true;
        self.batcher.send(Message::Score(ScoreRequest {
            id: self.id,
            context: context.to_vec(),
            candidates: candidates.to_vec(),
            continuing: continuing.to_vec(),
            reply,
        }))?;
        answer.recv().map_err(|_| stopped())?
    }
}

impl Drop for Kept<'_> {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.batcher.send(Message::Release(self.id));
        }
    }
}

/// A request in the batch.
struct Running {
    request: Request,
    sequence: Sequence,
    /// Prompt tokens read so far.
    fed: usize,
    sampler: LogitsProcessor,
    generated: usize,
    /// The token the next pass feeds, once the prompt is read.
    next: [u32; 1],
    reserved: u64,
    /// Set when it ended in the last pass.
    ended: Option<Ending>,
}

struct KeptSequence {
    sequence: Sequence,
    reserved: u64,
    cancel: Arc<AtomicBool>,
}

/// A verdict scoring in the batch.
struct Scoring {
    reserved: u64,
    reply: mpsc::Sender<Result<Vec<f64>, EngineError>>,
    phase: Phase,
}

enum Phase {
    /// Reading the rest of the context.
    Context {
        sequence: Sequence,
        context: Vec<u32>,
        candidates: Vec<Vec<u32>>,
        continuing: Vec<u32>,
    },
    /// Walking the candidates' trie.
    Walk(TrieWalk),
    /// Done or failed, with the answer to send.
    Done(Result<Vec<f64>, EngineError>),
}

/// What one row of a pass's logits belongs to.
enum Slot {
    Prompt { running: usize, tokens: usize },
    Decode { running: usize },
    Context { scoring: usize },
    Walk { scoring: usize, probes: usize },
}

struct Scheduler {
    model: Model,
    options: BatchOptions,
    stats: Arc<Mutex<BatchStats>>,
    waiting: VecDeque<Request>,
    running: Vec<Running>,
    scoring: Vec<Scoring>,
    kept: HashMap<u64, KeptSequence>,
    reserved: u64,
    peak: usize,
    steps: u64,
    failure: Option<String>,
}

/// An error told to each of several requests: the same kind, the same words.
fn copy_error(error: &EngineError) -> EngineError {
    match error {
        EngineError::OutOfMemory(m) => EngineError::OutOfMemory(m.clone()),
        EngineError::Runtime(m) => EngineError::Runtime(m.clone()),
        other => EngineError::Runtime(other.to_string()),
    }
}

impl Scheduler {
    fn run(mut self, queue: &mpsc::Receiver<Message>) -> Model {
        loop {
            if self.is_idle() {
                match queue.recv() {
                    Ok(message) => self.take(message),
                    Err(_) => return self.model,
                }
            }
            while let Ok(message) = queue.try_recv() {
                self.take(message);
            }
            self.drop_cancelled();
            self.admit();
            if self.running.is_empty() && self.scoring.is_empty() {
                self.publish();
                continue;
            }
            let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| self.step()));
            match outcome {
                Ok(Ok(())) => {}
                Ok(Err(error)) => self.fail_batch(&error),
                Err(panic) => {
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic in model code".to_owned());
                    self.fail_all(&message);
                }
            }
            self.publish();
        }
    }

    fn is_idle(&self) -> bool {
        self.waiting.is_empty() && self.running.is_empty() && self.scoring.is_empty()
    }

    fn publish(&self) {
        let mut stats = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *stats = BatchStats {
            running: self.running.len() + self.scoring.len(),
            waiting: self.waiting.len(),
            peak_running: self.peak,
            steps: self.steps,
            reserved_bytes: self.reserved,
            failure: self.failure.clone(),
        };
    }

    /// The cache a request reserves.
    fn reservation(&self, request: &Request) -> (usize, u64) {
        let positions = request
            .prompt
            .len()
            .saturating_add(request.params.max_new_tokens)
            .saturating_add(SCORING_SLACK);
        (positions, self.model.cache_bytes(positions))
    }

    fn take(&mut self, message: Message) {
        match message {
            Message::Generate(request) => {
                if let Some(failure) = &self.failure {
                    let error = EngineError::Runtime(format!("the model failed: {failure}"));
                    let _ = request.events.send(Event::Failed(error));
                    return;
                }
                if request.prompt.is_empty() {
                    let error = EngineError::Runtime("generation needs a prompt".into());
                    let _ = request.events.send(Event::Failed(error));
                    return;
                }
                let (positions, bytes) = self.reservation(&request);
                if bytes > self.options.cache_budget {
                    let error = EngineError::OutOfMemory(format!(
                        "this request needs {} of attention cache ({positions} positions: its prompt and token limit), more than the batch's whole budget of {}",
                        gigabytes(bytes),
                        gigabytes(self.options.cache_budget)
                    ));
                    let _ = request.events.send(Event::Failed(error));
                    return;
                }
                self.waiting.push_back(request);
            }
            Message::Score(score) => self.start_scoring(score),
            Message::Release(id) => {
                if let Some(kept) = self.kept.remove(&id) {
                    self.reserved -= kept.reserved;
                }
            }
        }
    }

    fn start_scoring(&mut self, score: ScoreRequest) {
        let Some(kept) = self.kept.remove(&score.id) else {
            let error = EngineError::Runtime(format!(
                "no sequence {} is kept for scoring (it was released, or the model failed)",
                score.id
            ));
            let _ = score.reply.send(Err(error));
            return;
        };
        if score.context.is_empty() {
            self.reserved -= kept.reserved;
            let error = EngineError::Runtime(
                "scoring a continuation needs a context of at least one token".into(),
            );
            let _ = score.reply.send(Err(error));
            return;
        }
        // Cut back to the prefix shared with the context (the last token is always fed again,
        // for its logits), or start anew where that cannot be done.
        let mut sequence = kept.sequence;
        if !sequence.cut_to_prefix_of(&score.context) {
            sequence = self.model.new_sequence();
        }
        self.scoring.push(Scoring {
            reserved: kept.reserved,
            reply: score.reply,
            phase: Phase::Context {
                sequence,
                context: score.context,
                candidates: score.candidates,
                continuing: score.continuing,
            },
        });
    }

    /// Forgets the requests whose callers have gone.
    fn drop_cancelled(&mut self) {
        self.waiting.retain(|r| !r.cancel.load(Ordering::SeqCst));
        let reserved = &mut self.reserved;
        self.running.retain(|r| {
            let gone = r.request.cancel.load(Ordering::SeqCst);
            if gone {
                *reserved -= r.reserved;
                let _ = r.request.events.send(Event::Finished(Ending::Cancelled));
            }
            !gone
        });
        self.kept.retain(|_, k| {
            let gone = k.cancel.load(Ordering::SeqCst);
            if gone {
                *reserved -= k.reserved;
            }
            !gone
        });
    }

    /// Admits waiting requests, in arrival order, while there is room.
    fn admit(&mut self) {
        while let Some(front) = self.waiting.front() {
            if self.running.len() + self.scoring.len() >= self.options.max_sequences {
                break;
            }
            let (positions, bytes) = self.reservation(front);
            if self.reserved + bytes > self.options.cache_budget {
                break;
            }
            let Some(request) = self.waiting.pop_front() else {
                break;
            };
            let mut sequence = self.model.new_sequence();
            sequence.limit_growth(positions);
            self.reserved += bytes;
            self.running.push(Running {
                sampler: sampler(&request.params),
                request,
                sequence,
                fed: 0,
                generated: 0,
                next: [0],
                reserved: bytes,
                ended: None,
            });
        }
    }

    /// One pass over the batch, then what it decided.
    fn step(&mut self) -> Result<(), EngineError> {
        let chunk = self.model.prefill_chunk().max(1);
        let mut prompt_budget = self.options.step_tokens;
        let mut any_prompt = false;
        let mut slots = Vec::new();
        let mut work: Vec<(&mut Sequence, &[u32])> = Vec::new();
        // Whether a prompt chunk of `tokens` fits in this pass (the first always does).
        let mut fits = |tokens: usize| {
            if any_prompt && tokens > prompt_budget {
                return false;
            }
            any_prompt = true;
            prompt_budget = prompt_budget.saturating_sub(tokens);
            true
        };
        for (index, r) in self.running.iter_mut().enumerate() {
            let prompt = &r.request.prompt;
            if r.fed < prompt.len() {
                let tokens = (prompt.len() - r.fed).min(chunk);
                if fits(tokens) {
                    work.push((&mut r.sequence, &prompt[r.fed..r.fed + tokens]));
                    slots.push(Slot::Prompt {
                        running: index,
                        tokens,
                    });
                }
            } else {
                work.push((&mut r.sequence, &r.next[..]));
                slots.push(Slot::Decode { running: index });
            }
        }
        for (index, s) in self.scoring.iter_mut().enumerate() {
            match &mut s.phase {
                Phase::Context {
                    sequence, context, ..
                } => {
                    let at = sequence.len();
                    let tokens = (context.len() - at).min(chunk);
                    if fits(tokens) {
                        work.push((sequence, &context[at..at + tokens]));
                        slots.push(Slot::Context { scoring: index });
                    }
                }
                Phase::Walk(walk) => {
                    let probes = walk.work();
                    slots.push(Slot::Walk {
                        scoring: index,
                        probes: probes.len(),
                    });
                    work.extend(probes);
                }
                Phase::Done(_) => {}
            }
        }
        if work.is_empty() {
            return Ok(());
        }
        self.peak = self.peak.max(work.len());
        self.steps += 1;
        let logits = self.model.forward_many(&mut work)?;
        drop(work);
        let mut rows = logits.into_iter();
        for slot in slots {
            match slot {
                Slot::Prompt { running, tokens } => {
                    let row = rows.next().unwrap_or_default();
                    let r = &mut self.running[running];
                    r.fed += tokens;
                    if r.fed == r.request.prompt.len() {
                        let _ = r.request.events.send(Event::Prefilled);
                        choose(r, row)?;
                    }
                }
                Slot::Decode { running } => {
                    let row = rows.next().unwrap_or_default();
                    choose(&mut self.running[running], row)?;
                }
                Slot::Context { scoring } => {
                    let row = rows.next().unwrap_or_default();
                    let s = &mut self.scoring[scoring];
                    let phase = std::mem::replace(&mut s.phase, Phase::Done(Ok(Vec::new())));
                    s.phase = match phase {
                        Phase::Context {
                            sequence,
                            context,
                            candidates,
                            continuing,
                        } if sequence.len() == context.len() => {
                            match TrieWalk::new(
                                &self.model,
                                &candidates,
                                &continuing,
                                sequence,
                                &row,
                            ) {
                                Ok(walk) if walk.is_done() => Phase::Done(Ok(walk.scores())),
                                Ok(walk) => Phase::Walk(walk),
                                Err(e) => Phase::Done(Err(e)),
                            }
                        }
                        other => other,
                    };
                }
                Slot::Walk { scoring, probes } => {
                    let rows: Vec<Vec<f32>> = rows.by_ref().take(probes).collect();
                    let s = &mut self.scoring[scoring];
                    if let Phase::Walk(walk) = &mut s.phase {
                        let advanced = walk.advance(&rows);
                        if let Err(e) = advanced {
                            s.phase = Phase::Done(Err(e));
                        } else if walk.is_done() {
                            let Phase::Walk(walk) =
                                std::mem::replace(&mut s.phase, Phase::Done(Ok(Vec::new())))
                            else {
                                unreachable!("matched above")
                            };
                            s.phase = Phase::Done(Ok(walk.scores()));
                        }
                    }
                }
            }
        }
        self.retire();
        Ok(())
    }

    /// Takes the requests and scorings that ended out of the batch.
    fn retire(&mut self) {
        let mut index = 0;
        while index < self.running.len() {
            let Some(ending) = self.running[index].ended else {
                index += 1;
                continue;
            };
            let r = self.running.swap_remove(index);
            if r.request.keep && ending != Ending::Cancelled {
                self.kept.insert(
                    r.request.id,
                    KeptSequence {
                        sequence: r.sequence,
                        reserved: r.reserved,
                        cancel: Arc::clone(&r.request.cancel),
                    },
                );
            } else {
                self.reserved -= r.reserved;
            }
            let _ = r.request.events.send(Event::Finished(ending));
        }
        let mut index = 0;
        while index < self.scoring.len() {
            if matches!(self.scoring[index].phase, Phase::Done(_)) {
                let s = self.scoring.swap_remove(index);
                self.reserved -= s.reserved;
                if let Phase::Done(answer) = s.phase {
                    let _ = s.reply.send(answer);
                }
            } else {
                index += 1;
            }
        }
        // `swap_remove` changed the order: keep arrival order for prompt chunks' turns.
        self.running.sort_by_key(|r| r.request.id);
    }

    /// A pass failed: its requests fail with the error, the others go on.
    fn fail_batch(&mut self, error: &EngineError) {
        for r in self.running.drain(..) {
            self.reserved -= r.reserved;
            let _ = r.request.events.send(Event::Failed(copy_error(error)));
        }
        for s in self.scoring.drain(..) {
            self.reserved -= s.reserved;
            let _ = s.reply.send(Err(copy_error(error)));
        }
    }

    /// A panic: everything fails, now and later.
    fn fail_all(&mut self, message: &str) {
        self.failure = Some(message.to_owned());
        // Published before anyone hears of it, so a caller that sees its request fail can
        // tell a failed model from a failed request.
        self.publish();
        let error = EngineError::Runtime(format!("the model failed: {message}"));
        self.fail_batch(&error);
        for r in self.waiting.drain(..) {
            let _ = r.events.send(Event::Failed(copy_error(&error)));
        }
        self.kept.clear();
        self.reserved = 0;
    }
}

/// Picks a running request's next token from its logits and tells its caller.
fn choose(r: &mut Running, logits: Vec<f32>) -> Result<(), EngineError> {
    let run = |e: candle_core::Error| EngineError::Runtime(e.to_string());
    if r.generated >= r.request.params.max_new_tokens {
        r.ended = Some(Ending::Length);
        return Ok(());
    }
    let token = r
        .sampler
        .sample(&Tensor::new(logits.as_slice(), &Device::Cpu).map_err(run)?)
        .map_err(run)?;
    if r.request.stop.contains(&token) {
        r.ended = Some(Ending::Stopped);
        return Ok(());
    }
    r.generated += 1;
    let event = Event::Token {
        token,
        logits: r.request.logits.then_some(logits),
    };
    if r.request.events.send(event).is_err() {
        r.ended = Some(Ending::Cancelled);
    } else if r.generated >= r.request.params.max_new_tokens {
        r.ended = Some(Ending::Length);
    } else {
        r.next = [token];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_batch_follows_the_free_memory() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/qwen3-tiny");
        let model = Model::load(&dir, &Device::Cpu, candle_core::DType::F32).unwrap();
        let per = model.cache_bytes(TYPICAL_POSITIONS);
        let half_of_ten = BatchOptions::for_memory(&model, Some(per * 10));
        assert_eq!(half_of_ten.cache_budget, per * 5);
        assert_eq!(half_of_ten.max_sequences, 5);
        assert_eq!(half_of_ten.step_tokens, 512);
        assert_eq!(BatchOptions::for_memory(&model, Some(per)).max_sequences, 1);
        assert_eq!(
            BatchOptions::for_memory(&model, Some(per * 1000)).max_sequences,
            16,
            "at most 16 on the CPU"
        );
        assert_eq!(BatchOptions::for_memory(&model, None).cache_budget, 4 << 30);
    }
}
