//! Deterministic synthetic text: math-like problems, solution steps and evaluator critiques.
//!
//! Everything is drawn from a small seeded generator ([`Rng`], splitmix64), so the same seed
//! and sample index always give the same text, on every machine. The vocabulary mixes common
//! words (names, objects, shapes, theorems), numbers (a long tail of numeric tokens, as in real
//! math data) and tens of thousands of pseudo-words picked with a skewed distribution, so the
//! full-text index sees a realistic spread of frequent and rare terms.
//!
//! One word, [`RARE_WORD`], appears only where it was planted on purpose (in a chosen fraction
//! of samples), so a full-text search for it has a known selectivity.

use std::fmt::Write as _;

/// The word planted in a chosen fraction of samples and nowhere else.
pub const RARE_WORD: &str = "icosahedron";

/// A small, fast, seeded pseudo-random generator (splitmix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one purpose (`stream`) of one sample of a seeded data set.
    pub fn for_sample(seed: u64, index: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed
            ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03));
        rng.next_u64();
        rng
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        let wide = u128::from(self.next_u64()) * u128::from(n);
        // The high half of a 64 x 64 bit product fits in 64 bits.
        u64::try_from(wide >> 64).unwrap_or(0)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// A number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One item of a non-empty slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items[i]
    }
}

const NAMES: &[&str] = &[
    "Sue", "Liam", "Maria", "Kenji", "Aisha", "Tom", "Olga", "Ravi", "Chloe", "Diego", "Fatima",
    "Hans", "Ines", "Jamal", "Keiko", "Lucas", "Mei", "Nora", "Omar", "Priya", "Quinn", "Rosa",
    "Sam", "Tariq", "Uma", "Victor", "Wen", "Xavier", "Yara", "Zoe", "Alice", "Bob", "Carmen",
    "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ivy", "Jonas",
];
const NOUNS: &[&str] = &[
    "apples",
    "marbles",
    "books",
    "coins",
    "tickets",
    "cookies",
    "pencils",
    "stamps",
    "flamingos",
    "oranges",
    "candles",
    "shirts",
    "bottles",
    "cards",
    "balloons",
    "eggs",
    "cupcakes",
    "plants",
    "chairs",
    "bricks",
    "beads",
    "shells",
    "dollars",
    "minutes",
    "kilometers",
    "liters",
    "pages",
    "points",
    "boxes",
    "trees",
];
const SHAPES: &[&str] = &[
    "triangle",
    "square",
    "rectangle",
    "hexagon",
    "pentagon",
    "circle",
    "trapezoid",
    "rhombus",
    "parallelogram",
    "cube",
    "cylinder",
    "cone",
    "sphere",
    "prism",
    "octagon",
    "ellipse",
];
const PROPERTIES: &[&str] = &[
    "area",
    "perimeter",
    "volume",
    "radius",
    "height",
    "diagonal",
    "circumference",
    "surface area",
    "side length",
    "angle",
];
const THEOREMS: &[&str] = &[
    "Pythagorean theorem",
    "AM-GM inequality",
    "Vieta formulas",
    "Chinese remainder theorem",
    "binomial theorem",
    "triangle inequality",
    "law of cosines",
    "pigeonhole principle",
    "Fermat little theorem",
    "Cauchy-Schwarz inequality",
    "inclusion-exclusion principle",
    "angle bisector theorem",
];
const OBJECTS: &[&str] = &[
    "polynomial",
    "quadratic",
    "equation",
    "inequality",
    "sequence",
    "series",
    "function",
    "matrix",
    "determinant",
    "integral",
    "derivative",
    "logarithm",
    "exponent",
    "fraction",
    "ratio",
    "remainder",
    "divisor",
    "expression",
    "system",
    "product",
];
const VARS: &[&str] = &["x", "y", "z", "n", "k", "m", "a", "b", "c", "t", "p", "q"];
const CONNECTIVES: &[&str] = &[
    "Therefore",
    "Hence",
    "Thus",
    "So",
    "Next",
    "Now",
    "First",
    "Then",
    "Finally",
    "Notice that",
    "Recall that",
    "In other words",
];
const ERROR_PHRASES: &[&str] = &[
    "makes an arithmetic mistake when multiplying",
    "drops a negative sign",
    "misreads the problem statement",
    "applies the formula to the wrong quantity",
    "divides where it should multiply",
    "forgets to carry the remainder",
    "assumes without proof that the values are distinct",
    "confuses the radius with the diameter",
];
const PRAISE_PHRASES: &[&str] = &[
    "correctly sets up",
    "accurately computes",
    "properly simplifies",
    "justifies",
    "carefully checks",
    "clearly restates",
];
const SPLITS: &[&str] = &["gsm8k", "math", "olympiadbench", "omnimath"];
const GENERATORS: &[&str] = &[
    "Qwen2-7B-Instruct",
    "Llama-3.1-8B-Instruct",
    "Meta-Llama-3-70B-Instruct",
    "Qwen2.5-Math-72B-Instruct",
    "deepseek-math-7b-rl",
];
const SYLLABLES: &[&str] = &[
    "ka", "ri", "mo", "len", "tu", "vix", "zo", "pel", "dra", "qui", "nor", "bex", "sa", "lum",
    "tor", "fi", "gan", "wel", "ous", "ith", "ba", "ce", "dy", "jo", "ku", "ly", "mi", "ne", "po",
    "ru",
];
/// How many distinct pseudo-words the generator can make.
const PSEUDO_WORDS: u64 = 40_000;

/// A pseudo-word from a skewed distribution: a few are frequent, most are rare.
fn pseudo_word(rng: &mut Rng, out: &mut String) {
    // Nested uniform draws favour small indices: a few words are frequent, most are rare.
    let inner = rng.below(PSEUDO_WORDS) + 1;
    let middle = rng.below(inner) + 1;
    let mut index = rng.below(middle);
    let n = SYLLABLES.len() as u64;
    // Two to four syllables, spelled from the word's index.
    let count = 2 + index % 3;
    for _ in 0..count {
        out.push_str(SYLLABLES[usize::try_from(index % n).unwrap_or(0)]);
        index /= n;
    }
}

/// A solution step, appended to `out`.
fn step(rng: &mut Rng, out: &mut String) {
    let n = rng.range(2, 999);
    let m = rng.range(2, 99);
    let var = rng.pick(VARS);
    // Writing into a String cannot fail.
    let _ = match rng.below(12) {
        0 => {
            let name = rng.pick(NAMES);
            let noun = rng.pick(NOUNS);
            write!(
                out,
                "{}, {name} has {n} {noun} and buys {m} more, so {name} has {} {noun}.",
                rng.pick(CONNECTIVES),
                n + m
            )
        }
        1 => write!(
            out,
            "Let {var} be the {} of the {}; then {var} = {n} * {m} = {}.",
            rng.pick(PROPERTIES),
            rng.pick(SHAPES),
            n * m
        ),
        2 => write!(
            out,
            "By the {}, we know that {var}^2 + {}^2 = {n}.",
            rng.pick(THEOREMS),
            rng.pick(VARS)
        ),
        3 => write!(
            out,
            "Substituting {var} = {n} into the {} gives {}.",
            rng.pick(OBJECTS),
            n * 2 + m
        ),
        4 => write!(
            out,
            "The {} is divisible by {m} because {} = {m} * {n}.",
            rng.pick(OBJECTS),
            n * m
        ),
        5 => write!(
            out,
            "{}, the remainder when {n} is divided by {m} is {}.",
            rng.pick(CONNECTIVES),
            n % m
        ),
        6 => {
            out.push_str("We apply the ");
            pseudo_word(rng, out);
            write!(
                out,
                " lemma to the {}, which yields {n}/{m}.",
                rng.pick(OBJECTS)
            )
        }
        7 => write!(
            out,
            "Dividing {n} by {m} gives approximately {:.2}.",
            n as f64 / m as f64
        ),
        8 => write!(
            out,
            "The {} has a {} of {n} square units, so each side measures {m}.",
            rng.pick(SHAPES),
            rng.pick(PROPERTIES)
        ),
        9 => write!(
            out,
            "Simplifying the {}, we get {var} = {n} - {m} = {}.",
            rng.pick(OBJECTS),
            n.abs_diff(m)
        ),
        10 => {
            let _ = write!(out, "Since {var} must be a positive integer, call the ");
            pseudo_word(rng, out);
            write!(out, " value {n}, the smallest one that works.")
        }
        _ => write!(
            out,
            "{}, the final answer is {}.",
            rng.pick(CONNECTIVES),
            rng.range(0, 100_000)
        ),
    };
}

/// A problem statement, appended to `out`.
fn question(rng: &mut Rng, out: &mut String) {
    let n = rng.range(3, 500);
    let m = rng.range(2, 60);
    let k = rng.range(2, 40);
    let _ = match rng.below(6) {
        0 => {
            let name = rng.pick(NAMES);
            let noun = rng.pick(NOUNS);
            write!(
                out,
                "{name} has {n} {noun}. {name} gives {m} of them to {} and then buys {k} more. How many {noun} does {name} have now?",
                rng.pick(NAMES)
            )
        }
        1 => write!(
            out,
            "Find the {} of a {} whose side length is {n} centimeters.",
            rng.pick(PROPERTIES),
            rng.pick(SHAPES)
        ),
        2 => write!(out, "Compute the remainder when {n}^{m} is divided by {k}."),
        3 => {
            let v = rng.pick(VARS);
            write!(
                out,
                "Let {v} be a real number such that {v}^2 - {n}{v} + {m} = 0. Find the sum of all possible values of {v}."
            )
        }
        4 => write!(
            out,
            "How many positive integers less than {n} are divisible by {m} but not by {k}?"
        ),
        _ => {
            out.push_str("The ");
            pseudo_word(rng, out);
            write!(
                out,
                " sequence is defined by a_1 = {n} and a_(j+1) = a_j + {m}. Find a_{k}."
            )
        }
    };
}

/// The text of one synthetic step-level sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleText {
    /// The problem.
    pub question: String,
    /// The solution's steps.
    pub steps: Vec<String>,
    /// The ProcessBench-like split it belongs to.
    pub split: &'static str,
    /// The model said to have written the solution.
    pub generator: &'static str,
    /// Whether [`RARE_WORD`] was planted in one of its steps.
    pub has_rare_word: bool,
}

/// Stream numbers of [`Rng::for_sample`]: one per purpose, so each can be drawn independently.
pub mod stream {
    /// The sample's text.
    pub const TEXT: u64 = 1;
    /// Its ground truth.
    pub const GOLD: u64 = 2;
    /// The evaluator's output.
    pub const JUDGE: u64 = 3;
    /// Human labels.
    pub const LABEL: u64 = 4;
}

/// The text of sample `index`: a problem and `steps` steps; [`RARE_WORD`] is planted with
/// probability `rare`.
pub fn sample_text(seed: u64, index: u64, steps: usize, rare: f64) -> SampleText {
    let mut rng = Rng::for_sample(seed, index, stream::TEXT);
    let mut q = String::with_capacity(160);
    question(&mut rng, &mut q);
    let mut texts: Vec<String> = (0..steps)
        .map(|_| {
            let mut s = String::with_capacity(96);
            step(&mut rng, &mut s);
            s
        })
        .collect();
    let has_rare_word = steps > 0 && rng.chance(rare);
    if has_rare_word {
        let i = usize::try_from(rng.below(steps as u64)).unwrap_or(0);
        texts[i] = format!(
            "Consider a regular {RARE_WORD} with edge length {}; each of its faces is an equilateral triangle.",
            rng.range(2, 30)
        );
    }
    SampleText {
        question: q,
        steps: texts,
        split: rng.pick(SPLITS),
        generator: rng.pick(GENERATORS),
        has_rare_word,
    }
}

/// The ground truth of sample `index`: the first wrong step, or `None` (about half the samples,
/// as in ProcessBench).
pub fn gold(seed: u64, index: u64, steps: usize) -> Option<u32> {
    let mut rng = Rng::for_sample(seed, index, stream::GOLD);
    if steps == 0 || rng.chance(0.5) {
        None
    } else {
        u32::try_from(rng.below(steps as u64)).ok()
    }
}

/// What the synthetic evaluator does with a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JudgeKind {
    /// Writes the ground truth.
    Agrees,
    /// Writes another step (or -1).
    Disagrees,
    /// Writes no readable verdict.
    Unparseable,
}

/// The raw output of the synthetic evaluator for sample `index` (FARE's `Explanation:` /
/// `Verdict:` format), and what it was meant to be. About 17% of verdicts differ from the
/// ground truth and 3% are unparseable, so about 20% disagree.
pub fn judge_output(seed: u64, index: u64, steps: usize, gold: Option<u32>) -> (String, JudgeKind) {
    let mut rng = Rng::for_sample(seed, index, stream::JUDGE);
    let u = rng.unit();
    let kind = if u < 0.03 {
        JudgeKind::Unparseable
    } else if u < 0.20 && steps > 1 {
        JudgeKind::Disagrees
    } else {
        JudgeKind::Agrees
    };
    let mut out = String::with_capacity(320);
    out.push_str("Explanation: ");
    let shown = steps.min(3);
    for i in 0..shown {
        let _ = write!(
            out,
            "Step {i} {} the {}. ",
            rng.pick(PRAISE_PHRASES),
            rng.pick(OBJECTS)
        );
    }
    let verdict: i64 = match kind {
        JudgeKind::Agrees => gold.map_or(-1, i64::from),
        JudgeKind::Disagrees => {
            // Another index in -1..steps.
            let choices = steps as u64; // steps + 1 values minus the gold one
            let mut v = i64::try_from(rng.below(choices)).unwrap_or(0) - 1;
            if v >= gold.map_or(-1, i64::from) {
                v += 1;
            }
            v
        }
        JudgeKind::Unparseable => 0,
    };
    if verdict >= 0 {
        let _ = write!(
            out,
            "However, step {verdict} {} in the {}.",
            rng.pick(ERROR_PHRASES),
            rng.pick(OBJECTS)
        );
    } else {
        out.push_str("Every step follows from the previous ones.");
    }
    match kind {
        JudgeKind::Unparseable if rng.chance(0.5) => {
            out.push_str("\nI am not sure which step is wrong.");
        }
        JudgeKind::Unparseable => out.push_str("\nVerdict: the third one, probably"),
        _ => {
            let _ = write!(out, "\nVerdict: {verdict}");
        }
    }
    (out, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_deterministic_and_varied() {
        let a = sample_text(7, 12, 10, 0.001);
        assert_eq!(a, sample_text(7, 12, 10, 0.001));
        assert_ne!(a, sample_text(7, 13, 10, 0.001));
        assert_ne!(a, sample_text(8, 12, 10, 0.001));
        assert_eq!(a.steps.len(), 10);
        assert!(a.steps.iter().all(|s| !s.is_empty()));
    }

    #[test]
    fn the_rare_word_appears_only_where_planted_at_about_the_rate_asked() {
        let n = 20_000;
        let mut planted = 0;
        for i in 0..n {
            let s = sample_text(1, i, 10, 0.01);
            let found =
                s.question.contains(RARE_WORD) || s.steps.iter().any(|t| t.contains(RARE_WORD));
            assert_eq!(found, s.has_rare_word, "sample {i}");
            planted += usize::from(found);
        }
        assert!((150..=250).contains(&planted), "{planted}");
    }

    #[test]
    fn judge_outputs_read_back_as_intended() {
        use fare_core::{Finish, Task, Verdict, VerdictRules, read_output};
        let (mut agree, mut disagree, mut failed) = (0, 0, 0);
        for i in 0..5_000 {
            let g = gold(3, i, 10);
            let (raw, kind) = judge_output(3, i, 10, g);
            let judgment = read_output(
                &raw,
                &VerdictRules::new(Task::StepLevel, 10),
                Finish::Stopped,
            );
            let expected = Verdict::FirstError(g);
            match kind {
                JudgeKind::Agrees => {
                    assert_eq!(judgment.verdict(), Some(expected), "{raw}");
                    agree += 1;
                }
                JudgeKind::Disagrees => {
                    let v = judgment.verdict();
                    assert!(v.is_some() && v != Some(expected), "{raw}");
                    disagree += 1;
                }
                JudgeKind::Unparseable => {
                    assert_eq!(judgment.verdict(), None, "{raw}");
                    assert!(!judgment.critique.is_empty());
                    failed += 1;
                }
            }
        }
        assert!((3_800..=4_200).contains(&agree), "{agree}");
        assert!((700..=1_000).contains(&disagree), "{disagree}");
        assert!((100..=200).contains(&failed), "{failed}");
    }
}
