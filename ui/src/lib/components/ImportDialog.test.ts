// The import dialog against a fake API: Preview shows the first records as text (never HTML),
// Import sends the previewed choice and the data set's name and shows what it did, a failure
// shows the API's message naming file and line, and Browse… shows only when a picker is given.
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import ImportDialog from "./ImportDialog.svelte";
import { AppState } from "../app.svelte";
import { ApiClient, ApiFailure, type CommandName, type Transport } from "../api/client";
import type { ImportPreview } from "../api/generated/ImportPreview";

const payload = `<img src=x onerror="window.__xss=1">`;

function answer(): ImportPreview {
  return {
    file: "/data/x.jsonl",
    container: "json-lines",
    detected_format: "processbench",
    format: "processbench",
    formats: [{ name: "processbench", label: "ProcessBench" }],
    fields: [],
    mapping: null,
    suggested_mapping: null,
    mapping_targets: [],
    mapping_problem: null,
    records: [
      {
        line: 1,
        record: 0,
        sample: { external_id: "x-0", task: "step-level", source: "x", question: payload, steps: ["a"], step_count: 1, response: null, response_a: null, response_b: null, reference: null, rubric: null, gold: "-1", annotator_labels: [] },
        problem: null,
      },
      { line: 2, record: 1, sample: null, problem: { file: "/data/x.jsonl", line: 2, record: 1, field: "label", message: "bad", text: "/data/x.jsonl:2: record 1, field `label`: bad" } },
    ],
    more_records: false,
    stopped: null,
    labels: { records: 2, samples: 1, invalid: 1, ground_truth: [{ label: "-1", count: 1 }], annotators: {} },
    dataset_name: "x",
  };
}

function setup(importFails: boolean, browse?: () => Promise<string | null>) {
  const sent: { command: CommandName; args: unknown }[] = [];
  const transport: Transport = {
    async call(command, args) {
      sent.push({ command, args });
      if (command === "import_preview") return answer();
      if (command === "import") {
        if (importFails) throw new ApiFailure("/data/x.jsonl:2: record 1, field `label`: bad; nothing of this file was imported", 400);
        return { file: "/data/x.jsonl", format: "processbench", dataset_id: 3, dataset: "mine", records: 2, samples_added: 2, already_imported: false };
      }
      return new Promise(() => {});
    },
  };
  const app = new AppState(new ApiClient(transport));
  const target = document.createElement("div");
  document.body.append(target);
  const component = mount(ImportDialog, { target, props: { app, browse } });
  flushSync();
  return { sent, target, component };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  flushSync();
};

async function previewPath(target: HTMLElement) {
  const input = target.querySelector<HTMLInputElement>('[data-testid="import-path"]')!;
  input.value = "/data/x.jsonl";
  input.dispatchEvent(new Event("input"));
  target.querySelector<HTMLFormElement>("form")!.requestSubmit();
  await settle();
}

describe("ImportDialog", () => {
  it("previews records as text, imports with the name given, and says what it did", async () => {
    const { sent, target, component } = setup(false);
    expect(target.textContent).not.toContain("Browse…");
    await previewPath(target);
    expect(sent[0]).toEqual({ command: "import_preview", args: { request: { path: "/data/x.jsonl" } } });
    const table = target.querySelector('[data-testid="import-records"]')!;
    expect(table.textContent).toContain(payload);
    expect(table.querySelector("img")).toBeNull();
    expect(target.querySelector('[data-testid="import-record-problem"]')?.textContent).toContain("/data/x.jsonl:2:");
    expect(target.querySelector('[data-testid="import-detected"]')?.textContent).toBe("ProcessBench");
    const name = target.querySelector<HTMLInputElement>('[data-testid="import-dataset"]')!;
    expect(name.value).toBe("x");
    name.value = "mine";
    name.dispatchEvent(new Event("input"));
    flushSync();
    target.querySelector<HTMLButtonElement>('[data-testid="import-run"]')!.click();
    await settle();
    expect(sent.find((s) => s.command === "import")?.args).toEqual({ request: { path: "/data/x.jsonl", dataset: "mine" } });
    expect(target.querySelector('[data-testid="import-done"]')?.textContent).toContain("Imported 2 samples");
    expect(target.querySelector<HTMLButtonElement>('[data-testid="import-run"]')!.disabled).toBe(true);
    unmount(component);
  });

  it("a failed import shows the message naming file and line", async () => {
    const { target, component } = setup(true);
    await previewPath(target);
    target.querySelector<HTMLButtonElement>('[data-testid="import-run"]')!.click();
    await settle();
    expect(target.querySelector('[data-testid="import-error"]')?.textContent).toContain("/data/x.jsonl:2:");
    expect(target.querySelector('[data-testid="import-done"]')).toBeNull();
    unmount(component);
  });

  it("Browse… shows when the shell gives a picker, and previews what it picked", async () => {
    const { sent, target, component } = setup(false, async () => "/data/x.jsonl");
    const browse = [...target.querySelectorAll("button")].find((b) => b.textContent === "Browse…")!;
    browse.click();
    await settle();
    expect(sent[0]).toEqual({ command: "import_preview", args: { request: { path: "/data/x.jsonl" } } });
    expect(target.querySelector('[data-testid="import-records"]')).not.toBeNull();
    unmount(component);
  });
});
