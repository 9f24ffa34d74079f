/**
 * `nnc playground` (docs/playground.md): serves the playground, a static site, on 127.0.0.1.
 * The site is built from the repository (`playground/build.ts`, with esbuild) when its copy in
 * `playground/dist/` is missing or older than a file it is made from; an installation without
 * the playground's sources serves the copy it has.
 *
 * The server sends `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`, which make the page cross-origin isolated (so `SharedArrayBuffer`, and with it
 * threads, work there), gives each file its MIME type (`application/wasm`, `text/javascript`),
 * and answers only for files inside the site: a path that leaves it (`..`, encoded or not) is
 * refused with 403.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import type { CliIo } from "./io.js";
import { UsageError } from "./options.js";

/** The port `nnc playground` listens on without `--port`. */
export const DEFAULT_PLAYGROUND_PORT = 5180;

/** The headers every answer carries: cross-origin isolation, and no guessing of types. */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
  "X-Content-Type-Options": "nosniff",
};

const MIME_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".nn": "text/plain; charset=utf-8",
  ".safetensors": "application/octet-stream",
  ".map": "application/json; charset=utf-8",
};

/** The package root: the directory above this file holding `package.json`. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find nnc's package.json above its command line");
    dir = parent;
  }
  return dir;
}

/** The folders and files the site is built from (`playground/build.ts` lists the same). */
const SITE_INPUTS = ["playground/src", "playground/static", "playground/build.ts", "playground/lenet.safetensors", "compiler", "runtime", "grammar", "examples"];

/** The newest modification time of the site's inputs under `root`, in milliseconds. */
function newestInput(root: string): number {
  let newest = 0;
  const visit = (path: string) => {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (!stats) return;
    if (!stats.isDirectory()) newest = Math.max(newest, stats.mtimeMs);
    else for (const name of readdirSync(path)) if (name !== "dist" && name !== "node_modules") visit(join(path, name));
  };
  for (const input of SITE_INPUTS) visit(join(root, input));
  return newest;
}

/**
 * The site's directory, built first when it is missing or stale and its sources are here.
 * Returns a reason instead where there is no site to serve.
 */
export function ensurePlayground(io: CliIo, options: { rebuild?: boolean } = {}): string | { error: string } {
  const root = packageRoot();
  const site = join(root, "playground", "dist");
  const stamp = statSync(join(site, "build.json"), { throwIfNoEntry: false });
  const script = join(root, "playground", "build.ts");
  if (!existsSync(script)) {
    return stamp ? site : { error: "this installation of nnc has neither the playground's sources nor a built copy of it (playground/dist)" };
  }
  if (stamp && !options.rebuild && stamp.mtimeMs >= newestInput(root)) return site;
  const why = !stamp ? "building the site" : options.rebuild ? "rebuilding the site (--rebuild)" : "the site is older than its sources; rebuilding";
  io.stderr(`nnc playground: ${why} (playground/build.ts)\n`);
  let tsx: string;
  try {
    tsx = createRequire(join(root, "package.json")).resolve("tsx");
  } catch {
    return { error: "building the playground needs nnc's development dependencies (tsx, esbuild): run `npm install` in the repository" };
  }
  // The build's report goes to stderr: stdout is for the URL.
  const built = spawnSync(process.execPath, ["--import", tsx, script], { cwd: root, stdio: ["ignore", 2, 2] });
  if (built.status !== 0) return { error: `building the playground failed (exit ${built.status ?? built.signal})` };
  return site;
}

/** The file under `site` that the request path `url` names, or a status to answer with. */
export function resolveSitePath(site: string, url: string): string | 403 | 404 {
  let path: string;
  try {
    path = decodeURIComponent(url.split(/[?#]/)[0]);
  } catch {
    return 404;
  }
  // A `..` segment is refused as written, before anything resolves it, whether it came plain,
  // percent-encoded or after a backslash.
  if (!path.startsWith("/") || path.includes("\0") || path.split(/[\\/]/).includes("..")) return 403;
  const file = resolve(site, `.${path.endsWith("/") ? `${path}index.html` : path}`);
  if (file !== site && !file.startsWith(site + sep)) return 403;
  return file;
}

/** Starts the server for `site` on `host:port` (0: any free port); resolves once it listens. */
export function servePlayground(site: string, port: number, host = "127.0.0.1"): Promise<Server> {
  const server = createServer((request, response) => {
    const answer = (status: number, body: string | Buffer, type = "text/plain; charset=utf-8") => {
      response.writeHead(status, { ...ISOLATION_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-cache" });
      response.end(request.method === "HEAD" ? undefined : body);
    };
    if (request.method !== "GET" && request.method !== "HEAD") return answer(405, "only GET and HEAD\n");
    const file = resolveSitePath(site, request.url ?? "/");
    if (file === 403) return answer(403, "forbidden: the path leaves the playground's site\n");
    const stats = file === 404 ? undefined : statSync(file, { throwIfNoEntry: false });
    if (file === 404 || !stats?.isFile()) return answer(404, "not found\n");
    answer(200, readFileSync(file), MIME_TYPES[extname(file)] ?? "application/octet-stream");
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolvePromise(server));
  });
}

/** Registers `nnc playground`. */
export function registerPlaygroundCommand(program: Command, io: CliIo, setExit: (code: number) => void): void {
  program
    .command("playground")
    .description("serve the playground (editor, summary, graph, generated code, Run) on 127.0.0.1")
    .option("--port <n>", `the port (default ${DEFAULT_PLAYGROUND_PORT}; 0 for any free one)`)
    .option("--rebuild", "build the site even if it is up to date")
    .action(async (opts: { port?: string; rebuild?: boolean }) => {
      const port = opts.port === undefined ? DEFAULT_PLAYGROUND_PORT : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535, got '${opts.port}'`);
      const site = ensurePlayground(io, { rebuild: opts.rebuild });
      if (typeof site !== "string") {
        io.stderr(`nnc: error: ${site.error}\n`);
        setExit(1);
        return;
      }
      let server: Server;
      try {
        server = await servePlayground(site, port);
      } catch (error) {
        io.stderr(`nnc: error: cannot listen on 127.0.0.1:${port}: ${error instanceof Error ? error.message : String(error)}\n`);
        setExit(1);
        return;
      }
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      io.stdout(`nnc playground: http://127.0.0.1:${actual}/ (Ctrl-C to stop)\n`);
      await new Promise<void>((done) => {
        const stop = () => server.close(() => done());
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      setExit(0);
    });
}
