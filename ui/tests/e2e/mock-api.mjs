// A stand-in for `fare-lens serve` until it lands: serves ui/dist and the JSON API of
// crates/fare-app/src/api.rs over a few hand-written samples (one per task, an XSS sample, a
// pairwise flip) and N synthetic step-level samples made on the fly (N=1,000,000 by default, to
// exercise the virtual list). Labels live in memory with undo/redo as a cursor over events.
// It checks shapes loosely: the real server's tests are the authority on the API.
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { join, extname } from "node:path";

const DIST = new URL("../../dist/", import.meta.url).pathname;
const SYNTHETIC = Number(process.env.MOCK_SAMPLES ?? 1_000_000);
const TOKEN = process.env.MOCK_TOKEN ?? null;

const XSS = [
  `<img src=x onerror="window.__xss=1">`,
  `<script>window.__xss=2</script>`,
  `[link](javascript:window.__xss=3)`,
  `<svg onload="window.__xss=4"></svg>`,
  `$\\href{javascript:window.__xss=5}{click}$`,
  `<a href="javascript:window.__xss=6">x</a>`,
].join("\n\n");

const j = (o) => ({ id: 0, run_id: 1, model: "FARE-8B", swapped: false, attempt: 0, raw_output: "", critique: "", analysis: null, state: "parsed", reason: null, verdict: null, agrees_with_gold: null, verdict_probs: null, output_tokens: 321, latency_ms: 4200, ...o });

const HAND = [
  {
    id: 1, dataset: "processbench-math", external_id: "math-1", task: "step-level", source: "math",
    question: "Let $f(x) = x^2 - 3x + 2$. Find the roots, and compute $\\sum_{r} r^2$.",
    steps: [
      "We factor: $f(x) = (x-1)(x-2)$.",
      "So the roots are $r_1 = 1$ and $r_2 = 2$.",
      "Then $$\\sum_r r^2 = 1^2 + 2^2 = 6.$$",
      "Check with Vieta: \\(r_1 + r_2 = 3\\), \\(r_1 r_2 = 2\\), so \\[r_1^2 + r_2^2 = 9 - 4 = 5.\\]",
      "A broken formula stays visible: $\\frac{1}{$ and code:\n```python\ndef f(x):\n    return x**2 - 3*x + 2\n```",
      "The answer is $5$.",
    ],
    gold: "2", admissible: ["-1", "0", "1", "2", "3", "4", "5"],
    judgments: [j({ id: 11, verdict: "3", agrees_with_gold: false, critique: "Step 3 contradicts step 2: **Vieta** gives $9-4=5$, so the error is in step 3.", raw_output: "Explanation: Step 3 ...\nVerdict: 3",
      verdict_probs: [{ verdict: "-1", p: 0.05 }, { verdict: "2", p: 0.25 }, { verdict: "3", p: 0.62 }, { verdict: "4", p: 0.08 }] })],
  },
  {
    id: 2, dataset: "judgebench", external_id: "jb-2", task: "pairwise", source: null,
    question: "Which response explains *why* $\\sqrt{2}$ is irrational?",
    response_a: "Assume $\\sqrt2 = p/q$ in lowest terms. Then $p^2 = 2q^2$, so $p$ is even, so $q$ is even: contradiction.\n\n" + "More detail. ".repeat(300),
    response_b: "Because it is a long decimal: 1.41421356...\n\n" + "Filler. ".repeat(400),
    gold: "A", admissible: ["A", "B"],
    judgments: [j({ id: 21, verdict: "A", agrees_with_gold: true, critique: "A gives the classic proof." }), j({ id: 22, swapped: true, verdict: "B", agrees_with_gold: false, critique: "The first answer (B in the data) is shorter." })],
  },
  {
    id: 3, dataset: "verify-set", external_id: "v-3", task: "reference-based", source: null,
    question: "What is $7 \\times 8$?", response: "It is 54.", reference: "56",
    gold: "incorrect", admissible: ["correct", "incorrect"],
    judgments: [j({ id: 31, state: "truncated", reason: "the output ended before a verdict", raw_output: "Explanation: 7 times 8 is", critique: "7 times 8 is" })],
  },
  {
    id: 4, dataset: "rating-set", external_id: "r-4", task: "rating", source: null,
    question: "Rate the haiku.", response: "An old silent pond\nA frog jumps into the pond\nSplash! Silence again.", rubric: "1 (poor) to 10 (excellent)",
    gold: "9", admissible: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"],
    judgments: [j({ id: 41, verdict: "7", agrees_with_gold: false, critique: "Classic, but familiar." })],
  },
  {
    id: 5, dataset: "xss-probe", external_id: "x-5", task: "step-level", source: null,
    question: "Untrusted text (xssprobe):\n\n" + XSS, steps: [XSS, "fine"], gold: "0", admissible: ["-1", "0", "1"],
    judgments: [j({ id: 51, verdict: "0", agrees_with_gold: true, critique: XSS, raw_output: XSS })],
  },
];

function synthetic(id) {
  const n = 3 + (id % 5);
  const gold = String((id % (n + 1)) - 1);
  const judged = id % 11 !== 0;
  const state = id % 17 === 0 ? "unparseable" : "parsed";
  const verdict = judged && state === "parsed" ? String(((id * 7) % (n + 1)) - 1) : null;
  return {
    id, dataset: "synthetic", external_id: `syn-${id}`, task: "step-level", source: null,
    question: `Synthetic problem ${id}: show that $a_{${id}} = ${id}$.`,
    steps: Array.from({ length: n }, (_, i) => `Step ${i} of sample ${id}: $x_${i} = ${i}$.`),
    gold, admissible: ["-1", ...Array.from({ length: n }, (_, i) => String(i))],
    judgments: judged ? [j({ id: id * 10, verdict, state, reason: state === "parsed" ? null : "no Verdict line", agrees_with_gold: verdict === null ? null : verdict === gold, critique: `Critique of ${id}.`, raw_output: `Explanation: ...\nVerdict: ${verdict}` })] : [],
  };
}

const hand = new Map(HAND.map((s) => [s.id, s]));
const FIRST_SYNTH = 100;
const maxId = FIRST_SYNTH + SYNTHETIC - 1;
const sampleById = (id) => hand.get(id) ?? (id >= FIRST_SYNTH && id <= maxId ? synthetic(id) : null);

// labels: per sample, events and a cursor (undo moves it back; a new edit drops what was ahead)
const events = new Map();
function labelOf(id) {
  const e = events.get(id) ?? { list: [], cursor: 0 };
  const l = { annotator: "you", decision: "unreviewed", verdict: null, wrong_reason: false, tags: [], note: null, can_undo: e.cursor > 0, can_redo: e.cursor < e.list.length, updated_at: "" };
  for (const d of e.list.slice(0, e.cursor)) {
    if (d.action === "accept") Object.assign(l, { decision: "accepted", verdict: d.verdict });
    if (d.action === "correct") Object.assign(l, { decision: "corrected", verdict: d.verdict });
    if (d.action === "clear") Object.assign(l, { decision: "unreviewed", verdict: null });
    if (d.action === "wrong-reason") l.wrong_reason = d.on;
    if (d.action === "tag") l.tags = d.on ? [...new Set([...l.tags, d.tag])] : l.tags.filter((t) => t !== d.tag);
    if (d.action === "note") l.note = d.text || null;
    l.updated_at = "2026-11-26T12:00:00Z";
  }
  return l;
}
function decide({ sample_id, decision }) {
  const s = sampleById(sample_id);
  if (!s) throw new Error(`There is no sample ${sample_id}.`);
  if ((decision.action === "accept" || decision.action === "correct") && !s.admissible.includes(decision.verdict)) {
    throw new Error(`${decision.verdict} is not a verdict of sample ${sample_id}.`);
  }
  const e = events.get(sample_id) ?? { list: [], cursor: 0 };
  if (decision.action === "undo") e.cursor = Math.max(0, e.cursor - 1);
  else if (decision.action === "redo") e.cursor = Math.min(e.list.length, e.cursor + 1);
  else {
    e.list = [...e.list.slice(0, e.cursor), decision];
    e.cursor = e.list.length;
  }
  events.set(sample_id, e);
  return labelOf(sample_id);
}

function row(s) {
  const jd = s.judgments.find((x) => !x.swapped) ?? null;
  const l = labelOf(s.id);
  return { id: s.id, dataset: s.dataset, external_id: s.external_id, task: s.task, source: s.source, question: s.question.slice(0, 160), step_count: s.steps?.length ?? 0, gold: s.gold, parse_state: jd?.state ?? null, verdict: jd?.verdict ?? null, agrees_with_gold: jd?.agrees_with_gold ?? null, decision: l.decision === "unreviewed" ? null : l.decision };
}
function matches(s, q) {
  if (q.task && s.task !== q.task) return false;
  if (q.review) {
    const d = labelOf(s.id).decision;
    if (q.review === "unreviewed" ? d !== "unreviewed" : q.review === "reviewed" ? d === "unreviewed" : d !== q.review) return false;
  }
  if (q.evaluator) {
    const r = row(s);
    const ok = { "agrees-with-gold": r.agrees_with_gold === true, "disagrees-with-gold": r.agrees_with_gold === false, failed: r.parse_state !== null && r.parse_state !== "parsed", "not-judged": r.parse_state === null }[q.evaluator];
    if (!ok) return false;
  }
  if (q.tag && !labelOf(s.id).tags.includes(q.tag)) return false;
  if (q.text) {
    const hay = [s.question, ...(s.steps ?? []), s.response, s.response_a, s.response_b, ...s.judgments.map((x) => x.critique)].join(" ").toLowerCase();
    if (!q.text.toLowerCase().split(/\s+/).every((w) => hay.includes(w))) return false;
  }
  return true;
}
// Synthetic samples are all step-level and say only these words: skip them (without making a
// million objects) when a filter cannot match them.
const SYN_WORDS = /^(synthetic|problem|show|that|step|of|sample|critique|\d+)$/;
function syntheticMayMatch(q) {
  if (q.task && q.task !== "step-level") return false;
  if (q.tag && ![...events.keys()].some((id) => id >= FIRST_SYNTH)) return false;
  if (q.text && !q.text.toLowerCase().split(/\s+/).every((w) => SYN_WORDS.test(w))) return false;
  return true;
}
function* idsAfter(after, q = {}) {
  for (const id of [...hand.keys()].sort((a, b) => a - b)) if (id > after) yield id;
  if (!syntheticMayMatch(q)) return;
  for (let id = Math.max(after + 1, FIRST_SYNTH); id <= maxId; id++) yield id;
}
function samples(q) {
  const limit = q.limit === 0 ? 100 : Math.min(500, q.limit);
  const rows = [];
  for (const id of idsAfter(q.after ?? 0, q)) {
    const s = sampleById(id);
    if (matches(s, q)) rows.push(row(s));
    if (rows.length === limit) break;
  }
  return { rows, next_after: rows.length === limit ? rows[rows.length - 1].id : null };
}
function counts(q) {
  // exact over the hand samples and the labelled ones; the unlabelled synthetic rows by rule
  if (!q.task && !q.review && !q.evaluator && !q.tag && !q.text) {
    let reviewed = 0;
    for (const id of events.keys()) if (labelOf(id).decision !== "unreviewed") reviewed++;
    return { matching: hand.size + SYNTHETIC, reviewed };
  }
  let matching = 0, reviewed = 0;
  for (const id of idsAfter(0, q)) {
    const s = sampleById(id);
    if (matches(s, q)) {
      matching++;
      if (labelOf(id).decision !== "unreviewed") reviewed++;
    }
  }
  return { matching, reviewed };
}
function detail(id) {
  const s = sampleById(id);
  if (!s) throw Object.assign(new Error(`There is no sample ${id}.`), { status: 404 });
  return {
    id: s.id, dataset: s.dataset, external_id: s.external_id, task: s.task, source: s.source, question: s.question,
    steps: (s.steps ?? []).map((text, index) => ({ index, text, gold_rating: null })),
    response: s.response ?? null, response_a: s.response_a ?? null, response_b: s.response_b ?? null, reference: s.reference ?? null, rubric: s.rubric ?? null,
    gold: s.gold, admissible: s.admissible, shown_run: s.judgments.length ? 1 : null, judgments: s.judgments, votes: [],
    label: labelOf(s.id), other_labels: [],
  };
}
const overview = () => ({
  name: "mock.fare", annotator: "you", samples: hand.size + SYNTHETIC,
  datasets: [...new Set([...HAND.map((s) => s.dataset), "synthetic"])].map((name, i) => ({ id: i + 1, name, format: "jsonl", sample_count: name === "synthetic" ? SYNTHETIC : 1 })),
  runs: [{ id: 1, model: "FARE-8B", mode: "critique", status: "finished", label: "mock", judgments: SYNTHETIC, tasks: ["step-level", "pairwise"], started_at: "2026-11-26" }],
  tags: [{ id: "arith", name: "Arithmetic slip", description: "", builtin: true }, { id: "skip", name: "Skipped step", description: "", builtin: true }, { id: "position", name: "Position bias", description: "", builtin: true }],
});

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf" };

export function start(port = 0) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const send = (status, body) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname.startsWith("/api/")) {
      if (TOKEN && req.headers.authorization !== `Bearer ${TOKEN}`) return send(401, { message: "This server needs its token." });
      let body = "";
      for await (const chunk of req) body += chunk;
      try {
        const json = body ? JSON.parse(body) : {};
        const m = /^\/api\/samples\/(\d+)$/.exec(url.pathname);
        if (url.pathname === "/api/overview") return send(200, overview());
        if (url.pathname === "/api/samples" && req.method === "POST") return send(200, samples(json));
        if (url.pathname === "/api/counts") return send(200, counts(json));
        if (m) return send(200, detail(Number(m[1])));
        if (url.pathname === "/api/decide") return send(200, decide(json));
        if (url.pathname === "/api/report") return send(200, { note: "mock" });
        return send(404, { message: `No such API: ${url.pathname}` });
      } catch (e) {
        return send(e.status ?? 400, { message: e.message });
      }
    }
    const file = join(DIST, url.pathname === "/" ? "index.html" : url.pathname);
    if (!file.startsWith(DIST) || !existsSync(file)) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const server = await start(Number(process.env.PORT ?? 7878));
  console.log(`mock FARE Lens API on http://127.0.0.1:${server.address().port}/`);
}
