/**
 * `nnc playground`'s server, over a small site in a temporary directory: every answer carries the
 * cross-origin isolation headers, files get their MIME types, and a path that leaves the site
 * (`..`, plain or percent-encoded, or a backslash) is refused with 403 while the file it names
 * exists beside the site.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ISOLATION_HEADERS, resolveSitePath, servePlayground } from "../../compiler/cli/playground.js";

/** A GET or HEAD of `path` exactly as written (no client-side URL normalization). */
function fetchRaw(port: number, path: string, method = "GET"): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("nnc playground's server", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-playground-"));
  const site = join(dir, "site");
  let server: Server;
  let port: number;

  beforeAll(async () => {
    mkdirSync(join(site, "chunks"), { recursive: true });
    writeFileSync(join(site, "index.html"), "<!doctype html><title>site</title>");
    writeFileSync(join(site, "main.js"), "export {};");
    writeFileSync(join(site, "chunks", "kernel.wasm"), new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    writeFileSync(join(dir, "secret.txt"), "outside the site");
    server = await servePlayground(site, 0);
    const address = server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });

  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends the isolation headers and the MIME types", async () => {
    for (const [path, type] of [
      ["/", "text/html; charset=utf-8"],
      ["/main.js", "text/javascript; charset=utf-8"],
      ["/chunks/kernel.wasm", "application/wasm"],
    ] as const) {
      const answer = await fetchRaw(port, path, "HEAD");
      expect(answer.status, path).toBe(200);
      expect(answer.headers["content-type"], path).toBe(type);
      expect(answer.headers["cross-origin-opener-policy"], path).toBe("same-origin");
      expect(answer.headers["cross-origin-embedder-policy"], path).toBe("require-corp");
    }
    expect(ISOLATION_HEADERS["Cross-Origin-Embedder-Policy"]).toBe("require-corp");
    expect((await fetchRaw(port, "/main.js")).body).toBe("export {};");
  });

  it("refuses paths that leave the site, and answers 404 for missing files", async () => {
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/chunks/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/%2e%2e%5csecret.txt"]) {
      const answer = await fetchRaw(port, path);
      expect(answer.status, path).toBe(403);
      expect(answer.body, path).not.toContain("outside the site");
      expect(answer.headers["cross-origin-opener-policy"], path).toBe("same-origin");
    }
    expect((await fetchRaw(port, "/missing.js")).status).toBe(404);
    expect((await fetchRaw(port, "/chunks")).status).toBe(404);
    expect((await fetchRaw(port, "/", "POST")).status).toBe(405);
    expect(resolveSitePath(site, "/chunks/kernel.wasm")).toBe(join(site, "chunks", "kernel.wasm"));
  });
});
