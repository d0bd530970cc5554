// The export and merge dialogs with and without the desktop's file dialogs: without them (a
// browser against `fare-lens serve`) the paths are typed and no Choose… button shows; with
// them, Choose… / Add project files… fill in what the native dialog gave, and that is what the
// request carries (the desktop app's project uses only files its dialogs gave).
import { describe, expect, it } from "vitest";
import { flushSync, mount, unmount } from "svelte";
import ExportDialog from "./ExportDialog.svelte";
import MergeDialog from "./MergeDialog.svelte";
import { AppState } from "../app.svelte";
import { ApiClient, type CommandName, type Transport } from "../api/client";

function fakeApp() {
  const sent: { command: CommandName; args: unknown }[] = [];
  const transport: Transport = {
    async call(command, args) {
      sent.push({ command, args });
      if (command === "agreement") return { annotators: ["ana"], tasks: [] };
      if (command === "export") return {
          path: "/chosen/labels.jsonl",
          format: "sft-jsonl",
          rows: 0,
          samples: 0,
          skipped: 0,
          skipped_reasons: [],
          final_label: { kind: "adjudicated" },
          final_sources: [],
          unresolved: [],
        };
      if (command === "merge") return { output: "/chosen/merged.sqlite", inputs: [], annotators: [] };
      return new Promise(() => {});
    },
  };
  return { sent, app: new AppState(new ApiClient(transport)) };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  flushSync();
};

function place(component: typeof ExportDialog | typeof MergeDialog, props: Record<string, unknown>) {
  const target = document.createElement("div");
  document.body.append(target);
  const mounted = mount(component as typeof ExportDialog, { target, props: props as never });
  flushSync();
  return { target, mounted };
}

describe("the export dialog's file", () => {
  it("is typed when there is no save dialog", () => {
    const { app } = fakeApp();
    const { target, mounted } = place(ExportDialog, { app });
    expect(target.querySelector('[data-testid="export-browse"]')).toBeNull();
    unmount(mounted);
  });

  it("is the save dialog's choice when there is one, suggesting a name for the format", async () => {
    const { app, sent } = fakeApp();
    const asked: string[] = [];
    const browse = async (name: string) => {
      asked.push(name);
      return "/chosen/labels.jsonl";
    };
    const { target, mounted } = place(ExportDialog, { app, browse });
    target.querySelector<HTMLButtonElement>('[data-testid="export-browse"]')!.click();
    await settle();
    expect(asked).toEqual(["labels.jsonl"]);
    expect(target.querySelector<HTMLInputElement>('[data-testid="export-path"]')!.value).toBe("/chosen/labels.jsonl");
    target.querySelector<HTMLFormElement>("form")!.requestSubmit();
    await settle();
    const request = sent.find((s) => s.command === "export")?.args as { request: { path: string } };
    expect(request.request.path).toBe("/chosen/labels.jsonl");
    unmount(mounted);
  });
});

describe("the merge dialog's files", () => {
  it("are typed when there are no dialogs", () => {
    const { app } = fakeApp();
    const { target, mounted } = place(MergeDialog, { app });
    expect(target.querySelector('[data-testid="merge-browse-inputs"]')).toBeNull();
    expect(target.querySelector('[data-testid="merge-browse-output"]')).toBeNull();
    unmount(mounted);
  });

  it("are added from the open dialog and named by the save dialog", async () => {
    const { app, sent } = fakeApp();
    const { target, mounted } = place(MergeDialog, {
      app,
      browseInputs: async () => ["/chosen/ana.sqlite", "/chosen/ben.sqlite"],
      browseOutput: async () => "/chosen/merged.sqlite",
    });
    target.querySelector<HTMLButtonElement>('[data-testid="merge-browse-inputs"]')!.click();
    await settle();
    target.querySelector<HTMLButtonElement>('[data-testid="merge-browse-output"]')!.click();
    await settle();
    expect(target.querySelector<HTMLTextAreaElement>('[data-testid="merge-inputs"]')!.value).toBe("/chosen/ana.sqlite\n/chosen/ben.sqlite");
    target.querySelector<HTMLButtonElement>('[data-testid="merge-run"]')!.click();
    await settle();
    expect(sent.find((s) => s.command === "merge")?.args).toEqual({
      request: { output: "/chosen/merged.sqlite", inputs: ["/chosen/ana.sqlite", "/chosen/ben.sqlite"] },
    });
    unmount(mounted);
  });
});
