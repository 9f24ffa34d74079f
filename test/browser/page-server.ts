/**
 * A tiny static server on 127.0.0.1 (a random port) for pages that run generated modules: every
 * file is served twice, under `/isolated/` with the headers that make a page cross-origin isolated
 * (`Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`: the
 * page gets `SharedArrayBuffer`, so a module can run on several threads) and under `/plain/`
 * without them. `/isolated/` and `/plain/` themselves are an empty page.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** Headers that make a page cross-origin isolated. */
export const ISOLATION_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
} as const;

const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".html": "text/html",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".safetensors": "application/octet-stream",
};

// No favicon request (a 404 in the console).
const EMPTY_PAGE = "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>nnc</title><body></body>";

/** A running server: `origin` is `http://127.0.0.1:<port>`. */
export interface PageServer {
  origin: string;
  /** Adds or replaces a file (path without the leading `/isolated/` or `/plain/`). */
  put(path: string, body: string | Uint8Array): void;
  close(): Promise<void>;
}

/** Serves `files` (path → contents) under `/isolated/` and `/plain/`. */
export async function servePages(files: Iterable<[string, string | Uint8Array]> = []): Promise<PageServer> {
  const served = new Map(files);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const match = /^\/(isolated|plain)\/(.*)$/.exec(url.pathname);
    if (match === null) return void response.writeHead(404).end();
    const [, kind, path] = match;
    const body = path === "" ? EMPTY_PAGE : served.get(path);
    if (body === undefined) return void response.writeHead(404).end();
    const type = path === "" ? "text/html" : (TYPES[path.slice(path.lastIndexOf("."))] ?? "application/octet-stream");
    response.writeHead(200, {
      "Content-Type": type,
      "Cache-Control": "no-store",
      ...(kind === "isolated" ? ISOLATION_HEADERS : {}),
    });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    put: (path, body) => void served.set(path, body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
