// A Hugging Face hub on loopback for the browser tests of "Get a model" (the Rust tests have
// their own, fare_testkit::hub): the model info API with each file's size and hash
// (`/api/models/ORG/NAME/revision/REV?blobs=true`), `ORG/NAME/resolve/REV/FILE` (a large file
// redirected to `/cdn/SHA256`, a small one answered with its git blob hash), range requests,
// and large files sent slowly enough to watch the progress and cancel.
import { createHash } from "node:crypto";
import { createServer } from "node:http";

export const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const LARGE = 1024;

function hashOf(bytes) {
  if (bytes.length >= LARGE) return createHash("sha256").update(bytes).digest("hex");
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/** Starts a hub serving `repos` ({ id, files: { path: Buffer } }), large files at about
 * `bytesPerSecond`; resolves to { url, close, requests }. */
export function startHub(repos, { bytesPerSecond = 16e6 } = {}) {
  const requests = [];
  const served = repos.map((r) => ({
    ...r,
    hashes: Object.fromEntries(Object.entries(r.files).map(([p, b]) => [p, hashOf(b)])),
  }));
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "").split("?")[0]);
    requests.push({ path, range: req.headers.range ?? null });
    const info = /^\/api\/models\/(.+)\/revision\/[^/]+$/.exec(path);
    if (info) {
      const repo = served.find((r) => r.id === info[1]);
      if (!repo) return res.writeHead(404).end('{"error":"Repository not found"}');
      const siblings = Object.entries(repo.files).map(([p, b]) =>
        b.length >= LARGE
          ? { rfilename: p, size: b.length, blobId: "0".repeat(40), lfs: { sha256: repo.hashes[p], size: b.length, pointerSize: 134 } }
          : { rfilename: p, size: b.length, blobId: repo.hashes[p] },
      );
      res.writeHead(200, { "Content-Type": "application/json" });
      return res.end(JSON.stringify({ id: repo.id, sha: COMMIT, siblings, gated: false, cardData: { license: "cc-by-nc-4.0" } }));
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      for (const repo of served) {
        const name = Object.keys(repo.files).find((p) => repo.hashes[p] === cdn[1]);
        if (name) return sendSlowly(req, res, repo.files[name], bytesPerSecond);
      }
      return res.writeHead(404).end("no such object");
    }
    for (const repo of served) {
      const prefix = `/${repo.id}/resolve/`;
      if (!path.startsWith(prefix)) continue;
      const file = path.slice(prefix.length).split("/").slice(1).join("/");
      const bytes = repo.files[file];
      if (!bytes) return res.writeHead(404, { "X-Error-Code": "EntryNotFound" }).end("Entry not found");
      const hash = repo.hashes[file];
      if (bytes.length >= LARGE) {
        res.writeHead(302, { Location: `/cdn/${hash}`, "X-Repo-Commit": COMMIT, "X-Linked-Etag": `"${hash}"`, "X-Linked-Size": String(bytes.length) });
        return res.end();
      }
      res.writeHead(200, { ETag: `"${hash}"`, "X-Repo-Commit": COMMIT, "Content-Length": bytes.length });
      return res.end(bytes);
    }
    res.writeHead(404).end("not found");
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({ url: `http://127.0.0.1:${port}`, requests, close: () => server.close() });
    });
  });
}

/** `bytes` from the `Range: bytes=N-` asked, in chunks paced to `bytesPerSecond`. */
function sendSlowly(req, res, bytes, bytesPerSecond) {
  const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? "")?.[1] ?? 0);
  if (start >= bytes.length) return res.writeHead(416, { "Content-Range": `bytes */${bytes.length}` }).end();
  const headers = { "Content-Length": bytes.length - start, "Accept-Ranges": "bytes" };
  if (req.headers.range) headers["Content-Range"] = `bytes ${start}-${bytes.length - 1}/${bytes.length}`;
  res.writeHead(req.headers.range ? 206 : 200, headers);
  const chunk = 256 * 1024;
  const pause = (chunk / bytesPerSecond) * 1000;
  let at = start;
  let closed = false;
  res.on("close", () => (closed = true));
  const next = () => {
    if (closed) return;
    if (at >= bytes.length) return res.end();
    const end = Math.min(at + chunk, bytes.length);
    res.write(bytes.subarray(at, end));
    at = end;
    setTimeout(next, pause);
  };
  next();
}
