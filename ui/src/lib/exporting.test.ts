import { describe, expect, it } from "vitest";
import { defaultChoice, doneLines, exportRequest, finalLabelOf, isExistsError, mergeLines, mergeRequest, withExtension } from "./exporting";
import { alphaText, figure, groupName, pairText, tally, verdictsText } from "./agreement";

describe("the export dialog", () => {
  it("builds the request from the choices and says what is missing", () => {
    const choice = { ...defaultChoice(), path: " /data/out.jsonl ", format: "sft-jsonl" as const };
    expect(exportRequest(choice, true)).toEqual({
      path: "/data/out.jsonl",
      format: "sft-jsonl",
      final_label: { kind: "adjudicated" },
      overwrite: false,
    });
    expect(exportRequest({ ...choice, path: "" }, true)).toBe("Give the full path of the file to write.");
    // A preview needs no path, and never replaces anything.
    expect(exportRequest({ ...choice, path: "", overwrite: true }, false)).toMatchObject({ path: "", overwrite: false });
    expect(finalLabelOf({ ...choice, finalKind: "annotator", annotator: "" })).toBe("Choose whose verdicts count.");
    expect(exportRequest({ ...choice, finalKind: "annotator", annotator: " ana ", datasetId: 2, overwrite: true }, true)).toEqual({
      path: "/data/out.jsonl",
      format: "sft-jsonl",
      final_label: { kind: "annotator", name: "ana" },
      dataset_id: 2,
      overwrite: true,
    });
  });

  it("follows the format's extension and recognises an existing file", () => {
    expect(withExtension("/x/labels.jsonl", "labels-csv")).toBe("/x/labels.csv");
    expect(withExtension("/x/labels.CSV", "labels-parquet")).toBe("/x/labels.parquet");
    expect(withExtension("/x/notes.txt", "labels-csv")).toBe("/x/notes.txt");
    expect(isExistsError("/x/a.jsonl: the file exists; choose another name or confirm that it may be replaced")).toBe(true);
    expect(isExistsError("no data set with id 4")).toBe(false);
  });

  it("says what an export wrote", () => {
    const lines = doneLines({
      path: "/x/sft.jsonl",
      format: "sft-jsonl",
      rows: 2,
      samples: 4,
      skipped: 2,
      skipped_reasons: [{ what: "no human verdict", samples: 2 }],
      final_label: { kind: "majority" },
      final_sources: [{ what: "majority", samples: 2 }],
      unresolved: [{ what: "no human verdict", samples: 2 }],
    });
    expect(lines).toEqual([
      "Wrote 2 rows to /x/sft.jsonl (4 samples, 2 without a row).",
      "Final verdicts (majority of annotators): 2 majority.",
      "Without a final verdict: 2 no human verdict.",
      "No row: 2 no human verdict.",
    ]);
  });
});

describe("the merge dialog", () => {
  it("takes the files one per line and needs two", () => {
    expect(mergeRequest(" /x/m.fare ", "/x/a.fare\n\n  /x/b.fare \n")).toEqual({ output: "/x/m.fare", inputs: ["/x/a.fare", "/x/b.fare"] });
    expect(mergeRequest("/x/m.fare", "/x/a.fare")).toBe("Give two or more project files to merge, one per line.");
    expect(mergeRequest("", "/x/a.fare\n/x/b.fare")).toBe("Give the full path of the new project file.");
    const file = { path: "/x/b.fare", datasets: 0, samples: 0, runs: 0, judgments: 0, annotators: 1, events: 3, duplicate_events: 2, adjudications: 0 };
    expect(mergeLines({ output: "/x/m.fare", inputs: [file], annotators: ["ana", "ben"] })).toEqual([
      "/x/b.fare: 0 samples, 0 runs, 0 judgments, 3 annotation events (2 already there), 0 adjudications",
      "Wrote /x/m.fare; annotators ana, ben.",
    ]);
  });
});

describe("the agreement view", () => {
  const group = {
    task: "pairwise" as const,
    dataset_id: 3,
    dataset: "JudgeBench",
    agreement: { annotators: ["ana", "ben"], labelled: 5, compared: 4, unanimous: 2, level: "nominal" as const, alpha: 1 / 3, pairs: [] },
    disagreements: 2,
    adjudicated: 1,
  };
  it("writes figures with what they are over", () => {
    expect(figure(null)).toBe("–");
    expect(figure(1 / 3)).toBe("0.333");
    expect(groupName(group)).toBe("pairwise / JudgeBench");
    expect(groupName({ ...group, dataset_id: null, dataset: null })).toBe("pairwise");
    expect(alphaText(group)).toBe("0.333 (nominal, over 4 samples)");
    expect(pairText({ first: "ana", second: "ben", items: 4, agreed: 2, kappa: 0 })).toBe("ana / ben: κ 0.000 over 4 (2 agreed)");
  });

  it("lists each verdict a disagreement admits with who gave it", () => {
    const d = {
      sample_id: 1,
      external_id: "jb-1",
      dataset: "JudgeBench",
      task: "pairwise" as const,
      verdicts: [
        { annotator: "ana", verdict: "A" },
        { annotator: "ben", verdict: "B" },
        { annotator: "cy", verdict: "A" },
      ],
      adjudicated: null,
      admissible: ["A", "B"],
    };
    expect(verdictsText(d)).toBe("ana A · ben B · cy A");
    expect(tally(d)).toEqual([
      { verdict: "A", annotators: ["ana", "cy"] },
      { verdict: "B", annotators: ["ben"] },
    ]);
  });
});
