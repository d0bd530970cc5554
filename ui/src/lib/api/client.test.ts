import { describe, expect, it } from "vitest";
import { ApiClient, ApiFailure, HttpTransport, TauriTransport, WRITES, errorMessage, inTauri, invokeErrorMessage, takeToken } from "./client";

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
    expect(JSON.parse(f.seen[0].init?.body as string)).toEqual({ query: { after: 0, limit: 100, task: "pairwise" } });
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

describe("POST /api/{command}", () => {
  it("carries every command by its registry name, the arguments as the body, as the shell does", async () => {
    const f = fakeFetch(200, "{}");
    const client = new ApiClient(new HttpTransport("http://box:7878", () => null, f.fn));
    await client.overview();
    await client.sample(4, 2);
    await client.importPreview({ path: "/d/a.json" });
    await client.deleteQueue(5);
    await client.cancelJob(3);
    await client.call("adjudications", { id: 4 });
    const sent = f.seen.map((s) => [s.url, s.init?.method, JSON.parse(s.init?.body as string)]);
    expect(sent).toEqual([
      ["http://box:7878/api/overview", "POST", {}],
      ["http://box:7878/api/sample", "POST", { id: 4, run: 2 }],
      ["http://box:7878/api/import_preview", "POST", { request: { path: "/d/a.json" } }],
      ["http://box:7878/api/delete_queue", "POST", { id: 5 }],
      ["http://box:7878/api/cancel_job", "POST", { id: 3 }],
      ["http://box:7878/api/adjudications", "POST", { id: 4 }],
    ]);
  });

  it("knows which commands write", () => {
    expect(WRITES.decide).toBe(true);
    expect(WRITES.samples).toBe(false);
    expect(WRITES.start_job).toBe(true);
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
