// The import dialog's logic: which request a path, format and mapping give; when the preview on
// screen may be imported; and the words for what the API answered.
import { describe, expect, it } from "vitest";
import type { ImportPreview } from "./api/generated/ImportPreview";
import type { PreviewSample } from "./api/generated/PreviewSample";
import {
  afterPreview,
  cleanMapping,
  containerLabel,
  contentText,
  doneMessage,
  effectiveFormat,
  importBlocker,
  importRequest,
  formatPairs,
  mappingTask,
  parsePairs,
  previewRequest,
  problemCount,
  requestKey,
  tallyText,
  takesTemplate,
  templateFrom,
  templateShown,
  templateTyped,
  whereOf,
  withField,
  type ImportChoice,
} from "./importing";

function sample(change: Partial<PreviewSample> = {}): PreviewSample {
  return {
    external_id: "gsm8k-0",
    task: "step-level",
    source: "gsm8k",
    question: "What is 2 + 2?",
    steps: ["2 + 2 = 5.", "So 5."],
    step_count: 2,
    response: null,
    response_a: null,
    response_b: null,
    reference: null,
    rubric: null,
    gold: "0",
    annotator_labels: [],
    ...change,
  };
}

function preview(change: Partial<ImportPreview> = {}): ImportPreview {
  return {
    file: "/data/gsm8k.json",
    container: "json-array",
    detected_format: "processbench",
    format: "processbench",
    formats: [
      { name: "processbench", label: "ProcessBench" },
      { name: "mapped", label: "Field mapping" },
    ],
    fields: [{ name: "id", kind: "text", example: "gsm8k-0" }],
    mapping: null,
    suggested_mapping: null,
    mapping_targets: [{ target: "question", label: "Problem", needed: false }],
    mapping_problem: null,
    records: [{ line: 2, record: 0, sample: sample(), problem: null }],
    more_records: true,
    stopped: null,
    labels: null,
    dataset_name: "gsm8k",
    ...change,
  };
}

/** An unknown schema, previewed through the suggested mapping. */
function unknown(change: Partial<ImportPreview> = {}): ImportPreview {
  const mapping = { fields: { question: "prompt", steps: "trace" }, label_base: 0 };
  return preview({ file: "/data/mine.jsonl", container: "json-lines", detected_format: null, format: "mapped", mapping, suggested_mapping: mapping, ...change });
}

const choice = (change: Partial<ImportChoice> = {}): ImportChoice => ({ path: "/data/gsm8k.json", format: "", mapping: null, ...change });

describe("requests", () => {
  it("a new file is asked plainly, so the API detects and suggests afresh", () => {
    expect(previewRequest(choice({ path: "  /data/gsm8k.json " }), null)).toEqual({ path: "/data/gsm8k.json" });
    // another file than the one previewed: the old choices do not carry over
    expect(previewRequest(choice({ path: "/data/other.json", format: "mapped" }), preview())).toEqual({ path: "/data/other.json" });
  });

  it("a known data set is read as detected, or as the format chosen", () => {
    expect(previewRequest(choice(), preview())).toEqual({ path: "/data/gsm8k.json" });
    expect(previewRequest(choice({ format: "judgebench" }), preview())).toEqual({ path: "/data/gsm8k.json", format: "judgebench" });
  });

  it("an unknown schema sends its mapping, without the targets left at none", () => {
    const mapping = withField(withField({ fields: { question: "prompt" }, label_base: 1 }, "steps", "trace"), "label", "");
    const request = previewRequest(choice({ path: "/data/mine.jsonl", mapping }), unknown());
    expect(request).toEqual({ path: "/data/mine.jsonl", mapping: { fields: { question: "prompt", steps: "trace" }, label_base: 1 } });
    expect(importRequest(choice({ path: "/data/mine.jsonl", mapping }), unknown(), "  mine ")).toEqual({ ...request, dataset: "mine" });
    expect(importRequest(choice(), preview(), "")).toEqual({ path: "/data/gsm8k.json" });
  });

  it("cleaning keeps the task and a separator, drops an empty separator", () => {
    expect(cleanMapping({ task: "rating", fields: { response: " out " }, label_base: 0, step_separator: "" })).toEqual({ task: "rating", fields: { response: "out" }, label_base: 0 });
    expect(cleanMapping({ fields: {}, label_base: 0, step_separator: "---" }).step_separator).toBe("---");
  });

  it("the format read: the chosen one, else the detected one, else a mapping", () => {
    expect(effectiveFormat(choice(), preview())).toBe("processbench");
    expect(effectiveFormat(choice({ format: "mapped" }), preview())).toBe("mapped");
    expect(effectiveFormat(choice(), unknown())).toBe("mapped");
    expect(effectiveFormat(choice(), null)).toBe("mapped");
  });
});

describe("whether the preview may be imported", () => {
  it("only the preview of the inputs now on screen", () => {
    const p = preview();
    const { choice: synced, key } = afterPreview(choice(), p);
    expect(importBlocker(synced, p, key, false)).toBeNull();
    expect(importBlocker(synced, p, key, true)).toBe("Busy");
    expect(importBlocker(synced, null, null, false)).toBe("Preview the file first");
    expect(importBlocker({ ...synced, format: "judgebench" }, p, key, false)).toContain("Preview again");
    expect(importBlocker({ ...synced, path: "/data/other.json" }, p, key, false)).toContain("Preview again");
  });

  it("an unknown schema takes the suggested mapping as previewed, and needs it complete", () => {
    const p = unknown();
    const { choice: synced, key } = afterPreview(choice({ path: "/data/mine.jsonl" }), p);
    expect(synced.mapping).toEqual(p.mapping);
    expect(key).toBe(requestKey({ path: "/data/mine.jsonl", mapping: p.mapping! }));
    expect(importBlocker(synced, p, key, false)).toBeNull();
    const incomplete = unknown({ mapping_problem: "a step-level import needs the field that holds the steps" });
    expect(importBlocker(afterPreview(synced, incomplete).choice, incomplete, afterPreview(synced, incomplete).key, false)).toBe("A step-level import needs the field that holds the steps");
  });

  it("a preview without a single good record cannot be imported", () => {
    const problem = { file: "/d/x.jsonl", line: 3, record: 2, field: null, message: "invalid JSON", text: "/d/x.jsonl:3: record 2: invalid JSON" };
    const p = preview({ records: [{ line: 3, record: 2, sample: null, problem }] });
    const { choice: synced, key } = afterPreview(choice(), p);
    expect(importBlocker(synced, p, key, false)).toContain("No record");
    expect(problemCount(p)).toBe(1);
    expect(problemCount(preview({ stopped: problem }))).toBe(1);
  });

  it("the path is taken back as the API read it (no quotes or blanks)", () => {
    const { choice: synced } = afterPreview(choice({ path: ' "/data/gsm8k.json" ' }), preview());
    expect(synced.path).toBe("/data/gsm8k.json");
  });
});

describe("words", () => {
  it("says where a record is, by line or by record number", () => {
    expect(whereOf({ line: 3, record: 2 })).toBe("line 3");
    expect(whereOf({ line: null, record: 4 })).toBe("record 4");
  });

  it("shows a sample's content as text, steps numbered from 0", () => {
    expect(contentText(sample({ step_count: 5 }))).toBe("step 0: 2 + 2 = 5.\nstep 1: So 5.\n… and 3 more steps");
    expect(contentText(sample({ steps: [], step_count: 0, task: "pairwise", response_a: "<b>x</b>", response_b: "y" }))).toBe("A: <b>x</b>\nB: y");
    expect(contentText(sample({ steps: [], step_count: 0, response: "R", reference: "4" }))).toBe("R\nReference: 4");
  });

  it("names layouts and what an import did", () => {
    expect(containerLabel("json-lines")).toBe("JSON Lines");
    expect(containerLabel("parquet")).toBe("Parquet");
    expect(doneMessage({ file: "/d/g.json", format: "processbench", dataset_id: 2, dataset: "gsm8k", records: 400, samples_added: 400, already_imported: false })).toBe(
      `Imported ${(400).toLocaleString()} samples from ${(400).toLocaleString()} records into data set gsm8k (processbench).`,
    );
    expect(doneMessage({ file: "/d/g.json", format: "processbench", dataset_id: 2, dataset: "gsm8k", records: 400, samples_added: 0, already_imported: true })).toContain("already in the project");
  });
});

describe("the new mapping options", () => {
  it("reads and writes label values and annotators as one line of pairs", () => {
    expect(parsePairs("1=A, 2 = B,0=tie,")).toEqual({ pairs: { "1": "A", "2": "B", "0": "tie" }, error: null });
    expect(parsePairs("1=A, oops").error).toBe("“oops” is not NAME=VALUE");
    expect(parsePairs("=A").error).not.toBeNull();
    expect(formatPairs({ alice: "annotator1", bob: "annotator2" })).toBe("alice=annotator1, bob=annotator2");
    expect(parsePairs(formatPairs({ "n/a": "none", good: "correct" })).pairs).toEqual({ "n/a": "none", good: "correct" });
  });

  it("keeps the new options in the request, and drops empty ones", () => {
    const mapping = {
      fields: { question: "{instruction}\n\n{input?}", response_a: "o1", response_b: "o2", label: "pref" },
      label_base: 0,
      label_values: { "1": "A", " ": "B" },
      label_list: "",
      annotators: { alice: "annotator1", bob: " " },
    };
    expect(cleanMapping(mapping)).toEqual({
      fields: { question: "{instruction}\n\n{input?}", response_a: "o1", response_b: "o2", label: "pref" },
      label_base: 0,
      label_values: { "1": "A" },
      annotators: { alice: "annotator1" },
    });
    expect(cleanMapping({ fields: {}, label_base: 0, label_list: "median", rating_scale: [1, 5] })).toEqual({ fields: {}, label_base: 0, label_list: "median", rating_scale: [1, 5] });
  });

  it("shows templates on one line and reads line breaks back", () => {
    const template = "{instruction}\n\n{input?}\tend \\ back";
    expect(templateShown(template)).toBe("{instruction}\\n\\n{input?}\\tend \\\\ back");
    expect(templateTyped(templateShown(template))).toBe(template);
    expect(templateFrom("prompt")).toBe("{prompt}");
    expect(templateFrom("{a} {b}")).toBe("{a} {b}");
    expect(templateFrom("")).toBe("");
    expect(takesTemplate("question") && takesTemplate("response_b") && !takesTemplate("steps") && !takesTemplate("label")).toBe(true);
  });

  it("knows the mapping's task and writes label counts", () => {
    expect(mappingTask({ fields: { question: "q", response_a: "a" }, label_base: 0 })).toBe("pairwise");
    expect(mappingTask({ task: "rating", fields: { response_a: "a" }, label_base: 0 })).toBe("rating");
    expect(mappingTask({ fields: { question: "q" }, label_base: 0 })).toBeNull();
    expect(tallyText([{ label: "A", count: 1200 }, { label: "tie", count: 3 }])).toBe(`A ${(1200).toLocaleString()} · tie 3`);
  });
});
