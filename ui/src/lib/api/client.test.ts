import { describe, expect, it } from "vitest";
import { ApiClient, ApiFailure, HttpTransport, TauriTransport, errorMessage, httpRoute, inTauri, invokeErrorMessage, takeToken } from "./client";
import type { JobRequest } from "./generated/JobRequest";
import type { LoadRequest } from "./generated/LoadRequest";

function fakeFetch(status: number, body: string) {
  const seen: { url: string; init?: RequestInit }[] = [];
  const fn = async (url: string, init?: RequestInit) => {
    seen.push({ url, init });
    return new Response(body, { status, statusText: status === 200 ? "OK" : "Bad" });
  };
  return { fn, seen };
}

describe("HttpTransport", () => {
  it("posts the query and returns the page", async () => {
    const f = fakeFetch(200, JSON.stringify({ rows: [], next_after: null }));
    const client = new ApiClient(new HttpTransport("", () => null, f.fn));
    const page = await client.samples({ after: 0, limit: 100, task: "pairwise" });
    expect(page.next_after).toBeNull();
    expect(f.seen[0].url).toBe("/api/samples");
    expect(f.seen[0].init?.method).toBe("POST");
    expect(JSON.parse(f.seen[0].init?.body as string)).toEqual({ after: 0, limit: 100, task: "pairwise" });
    expect((f.seen[0].init?.headers as Record<string, string>).Authorization).toBeUndefined();
  });

  it("sends the token as a bearer header", async () => {
    const f = fakeFetch(200, "{}");
    const client = new ApiClient(new HttpTransport("", () => "s3cret", f.fn));
    await client.overview();
    expect((f.seen[0].init?.headers as Record<string, string>).Authorization).toBe("Bearer s3cret");
  });

  it("turns an ErrorView body into the message", async () => {
    const f = fakeFetch(400, JSON.stringify({ message: "7 is not a step of sample 3" }));
    const client = new ApiClient(new HttpTransport("", () => null, f.fn));
    const err = await client.decide({ sample_id: 3, decision: { action: "correct", verdict: "7" } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect(err.message).toBe("7 is not a step of sample 3");
    expect(err.status).toBe(400);
  });

  it("a body that is not an ErrorView still says something", async () => {
    expect(errorMessage(500, "Internal Server Error", "")).toBe("The server answered 500 Internal Server Error.");
    expect(errorMessage(401, "Unauthorized", "missing token")).toBe("missing token");
    expect(errorMessage(502, "", "<html>" + "x".repeat(600))).toBe("The server answered 502.");
  });

  it("an unreachable server is a failure with status 0", async () => {
    const t = new HttpTransport("", () => null, async () => {
      throw new TypeError("Failed to fetch");
    });
    const err = await new ApiClient(t).overview().catch((e) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect(err.status).toBe(0);
    expect(err.message).toContain("Cannot reach");
  });
});

describe("routes", () => {
  it("maps every command", () => {
    expect(httpRoute("overview", {})).toEqual({ method: "GET", path: "/api/overview" });
    expect(httpRoute("sample", { id: 4 })).toEqual({ method: "GET", path: "/api/samples/4" });
    expect(httpRoute("sample", { id: 4, run: 2 })).toEqual({ method: "GET", path: "/api/samples/4?run=2" });
    expect(httpRoute("prompt", { id: 4 })).toEqual({ method: "GET", path: "/api/samples/4/prompt" });
    expect(httpRoute("prompt", { id: 4, judgment: 9 })).toEqual({ method: "GET", path: "/api/samples/4/prompt?judgment=9" });
    expect(httpRoute("counts", { query: { after: 0, limit: 0 } }).path).toBe("/api/counts");
    expect(httpRoute("position", { request: { query: { after: 0, limit: 0, task: "pairwise" }, position: 7 } })).toEqual({
      method: "POST",
      path: "/api/position",
      body: { query: { after: 0, limit: 0, task: "pairwise" }, position: 7 },
    });
    expect(httpRoute("decide", { request: { sample_id: 1, decision: { action: "undo" } } }).method).toBe("POST");
    expect(httpRoute("report", { run: 3 }).path).toBe("/api/report?run=3");
    expect(httpRoute("importPreview", { request: { path: "/d/a.json" } })).toEqual({ method: "POST", path: "/api/import/preview", body: { path: "/d/a.json" } });
    expect(httpRoute("import", { request: { path: "/d/a.json", dataset: "a" } })).toEqual({ method: "POST", path: "/api/import", body: { path: "/d/a.json", dataset: "a" } });
    expect(httpRoute("queues", {})).toEqual({ method: "GET", path: "/api/queues" });
    const request = { samples: { kind: "samples" as const, ids: [3, 1] }, order: "random" as const, seed: 9 };
    expect(httpRoute("createQueue", { request })).toEqual({ method: "POST", path: "/api/queues", body: request });
    expect(httpRoute("deleteQueue", { id: 5 })).toEqual({ method: "DELETE", path: "/api/queues/5" });
  });

  it("maps agreement, adjudication, export and merge", () => {
    expect(httpRoute("agreement", {})).toEqual({ method: "GET", path: "/api/agreement" });
    expect(httpRoute("disagreements", { request: { open_only: true, after: 0, limit: 0 } })).toEqual({
      method: "POST",
      path: "/api/disagreements",
      body: { open_only: true, after: 0, limit: 0 },
    });
    expect(httpRoute("adjudicate", { request: { sample_id: 4, verdict: "A" } })).toEqual({ method: "POST", path: "/api/adjudicate", body: { sample_id: 4, verdict: "A" } });
    expect(httpRoute("adjudications", { id: 4 })).toEqual({ method: "GET", path: "/api/samples/4/adjudications" });
    const request = { path: "/x/a.jsonl", format: "sft-jsonl" as const, overwrite: false };
    expect(httpRoute("exportPreview", { request })).toEqual({ method: "POST", path: "/api/export/preview", body: request });
    expect(httpRoute("export", { request })).toEqual({ method: "POST", path: "/api/export", body: request });
    expect(httpRoute("merge", { request: { output: "/x/m.fare", inputs: ["/x/a.fare", "/x/b.fare"] } }).path).toBe("/api/merge");
  });

  it("maps the model panel's commands", () => {
    expect(httpRoute("models", {})).toEqual({ method: "GET", path: "/api/models" });
    const load: LoadRequest = { kind: "local", path: "/m/smol.gguf", device: "cpu" };
    expect(httpRoute("load_model", { request: load })).toEqual({ method: "POST", path: "/api/models/load", body: load });
    expect(httpRoute("unload_model", {})).toEqual({ method: "POST", path: "/api/models/unload", body: {} });
    expect(httpRoute("worker", {})).toEqual({ method: "GET", path: "/api/models/worker" });
    const job: JobRequest = { target: { kind: "samples", ids: [4] }, max_new_tokens: 64 };
    expect(httpRoute("start_job", { request: job })).toEqual({ method: "POST", path: "/api/jobs", body: job });
    expect(httpRoute("jobs", {})).toEqual({ method: "GET", path: "/api/jobs" });
    expect(httpRoute("job", { id: 3 })).toEqual({ method: "GET", path: "/api/jobs/3" });
    expect(httpRoute("cancel_job", { id: 3 })).toEqual({ method: "POST", path: "/api/jobs/3/cancel", body: {} });
  });
});

describe("token", () => {
  it("is read from #token= once, stored, and removed from the address", () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) } as Storage;
    let replaced = "";
    const history = { replaceState: (_: unknown, __: string, url: string) => (replaced = url) } as unknown as History;
    const loc = { hash: "#token=ab%2Fc", pathname: "/", search: "" } as Location;
    expect(takeToken(loc, storage, history)).toBe("ab/c");
    expect(replaced).toBe("/");
    expect(takeToken({ hash: "", pathname: "/", search: "" } as Location, storage, history)).toBe("ab/c");
  });
});

describe("Tauri", () => {
  it("is detected by __TAURI_INTERNALS__", () => {
    expect(inTauri({ __TAURI_INTERNALS__: {} })).toBe(true);
    expect(inTauri({})).toBe(false);
  });

  it("sends every command to the shell's one api command, by name with its arguments", async () => {
    const calls: Array<[string, Record<string, unknown>]> = [];
    const client = new ApiClient(
      new TauriTransport(async (command, args) => {
        calls.push([command, args]);
        return { rows: [], next_after: null };
      }),
    );
    const page = await client.samples({ after: 0, limit: 10, task: "step-level" });
    expect(page.rows).toEqual([]);
    await client.sample(7, 2);
    expect(calls).toEqual([
      ["api", { command: "samples", args: { query: { after: 0, limit: 10, task: "step-level" } } }],
      ["api", { command: "sample", args: { id: 7, run: 2 } }],
    ]);
  });

  it("turns the shell's ErrorView into a failure with its message", async () => {
    const client = new ApiClient(
      new TauriTransport(async () => {
        throw { message: "no project is open: open or create one" };
      }),
    );
    const err = await client.overview().catch((e) => e);
    expect(err).toBeInstanceOf(ApiFailure);
    expect(err.message).toBe("no project is open: open or create one");
    expect(invokeErrorMessage("plain text")).toBe("plain text");
    expect(invokeErrorMessage(42)).toContain("could not carry out");
  });
});
