// What "Get a model" says of the hub's models and of a transfer as it goes (downloads.ts).
import { describe, expect, it } from "vitest";
import type { HubModelView } from "./api/generated/HubModelView";
import type { HubView } from "./api/generated/HubView";
import type { ModelList } from "./api/generated/ModelList";
import type { TransferView } from "./api/generated/TransferView";
import { conversionSource, downloadLabel, firstRunText, heldText, transferDelay, transferShare, transferText } from "./downloads";

const fare8b = (held: HubModelView["held"]): HubModelView => ({
  repo: "Salesforce/FARE-8B",
  name: "FARE-8B",
  architecture: "Qwen3-8B",
  format: "safetensors, bf16",
  download_bytes: 16_400_000_000,
  needs: "A GPU with 24 GB",
  license: "cc-by-nc-4.0",
  license_note: "non-commercial",
  converts_to_gguf: true,
  held,
});

const hub = (models: HubModelView[], hasGpu = false): HubView => ({
  models,
  endpoint: "https://huggingface.co",
  cache: "/c/hub",
  free_bytes: 1e12,
  token_set: false,
  has_gpu: hasGpu,
});

const download = (over: Partial<TransferView>): TransferView => ({
  id: 1,
  kind: "download",
  state: "running",
  model: "Salesforce/FARE-8B",
  phase: "downloading",
  file: "model-00001-of-00004.safetensors",
  done: 1_200_000_000,
  total: 16_400_000_000,
  bytes_per_second: 35_200_000,
  seconds_left: 460,
  resumed_bytes: 0,
  path: null,
  error: null,
  ...over,
});

describe("a download's progress line", () => {
  it("says bytes of all, the speed and the time left while it runs", () => {
    expect(transferText(download({}))).toBe("1.2 GB of 16.4 GB · 35.2 MB/s · 7 min 40 s left");
    expect(transferShare(download({}))).toBeCloseTo(1.2 / 16.4);
    expect(transferDelay(download({}))).not.toBeNull();
  });
  it("says only what was fetched once it stopped, and what a resume started from", () => {
    const t = download({ state: "cancelled", resumed_bytes: 500_000_000 });
    expect(transferText(t)).toBe("1.2 GB of 16.4 GB · resumed after 500 MB");
    expect(transferDelay(t)).toBeNull();
  });
  it("says what it does before bytes flow", () => {
    expect(transferText(download({ phase: "listing" }))).toBe("asking the hub for the file list");
    expect(transferText(download({ phase: "resuming", done: 2e9 }))).toBe("checking the 2.0 GB kept from before");
  });
  it("counts tensors for a conversion", () => {
    const t = download({ kind: "conversion", done: 120, total: 399, seconds_left: 90 });
    expect(transferText(t)).toBe("120 of 399 tensors · 1 min 30 s left");
  });
});

describe("a hub model", () => {
  it("offers a download, a resume, or nothing once it is there", () => {
    expect(downloadLabel(fare8b({ kind: "nothing" }))).toBe("Download (16.4 GB)");
    expect(downloadLabel(fare8b({ kind: "partial", bytes: 3e9 }))).toBe("Resume download");
    expect(heldText({ kind: "partial", bytes: 3e9 })).toBe("3.0 GB kept of an unfinished download");
    expect(downloadLabel(fare8b({ kind: "downloaded", path: "/c/s" }))).toBeNull();
  });
  it("is offered the conversion only without a GPU, once downloaded and listed as safetensors", () => {
    const m = fare8b({ kind: "downloaded", path: "/c/s" });
    const list = { models: [{ path: "/c/s", format: "safetensors" }] } as unknown as ModelList;
    expect(conversionSource(hub([m]), list, m)).toBe("/c/s");
    expect(conversionSource(hub([m], true), list, m)).toBeNull();
    expect(conversionSource(hub([m]), { models: [] } as unknown as ModelList, m)).toBeNull();
    const partial = fare8b({ kind: "partial", bytes: 1 });
    expect(conversionSource(hub([partial]), list, partial)).toBeNull();
  });
  it("is named in the first-run sentence", () => {
    expect(firstRunText(hub([fare8b({ kind: "nothing" })]))).toBe(
      "No model yet: get FARE-8B from the Hugging Face hub (about 16.4 GB), or use an endpoint below.",
    );
  });
});
