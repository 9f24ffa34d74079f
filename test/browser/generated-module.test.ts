/**
 * Generated modules in Chromium: ResNet-20 compiled in the four forms (`.ts` or `--js`, importing
 * `nnc/runtime` or `--standalone`), each bundled by esbuild for the browser (platform browser,
 * ESM: nothing more, so a module must not need Node's built-ins to bundle) and served with and
 * without cross-origin isolation. In the pages it loads its weights by URL, as bytes and by its
 * own default (the checkpoint beside the bundle), runs `forward` on the WebAssembly engine on the
 * page's thread and in a Web Worker, on one thread and on two; every output is held to Node's
 * (the standalone module in this process, one thread) within 1e-6. Two threads in the isolated
 * page must really use a Web Worker that runs chunks; in the other page they fall back to one
 * thread without an error. The web page example of docs/codegen.md runs as written.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Header } from "../../runtime/fast/chunk-pool.js";
import { launchChromium, maxDifference, SKIP_CHROMIUM, warnChromiumSkipped, type LaunchedBrowser } from "../support/chromium.js";
import { runCli } from "../support/cli.js";
import type { RunOptions, RunResult } from "./module-page.js";
import { servePages, type PageServer } from "./page-server.js";

warnChromiumSkipped("test/browser/generated-module.test.ts (generated modules in a browser)");

/** The four forms of a module: the `nnc compile` flags and the file they write. */
const FORMS = {
  ts: { flags: [], file: "resnet20.ts" },
  js: { flags: ["--js"], file: "resnet20.js" },
  "standalone-ts": { flags: ["--standalone"], file: "resnet20.ts" },
  "standalone-js": { flags: ["--standalone", "--js"], file: "resnet20.js" },
} as const;
type Form = keyof typeof FORMS;

const SHAPE = [2, 3, 32, 32];
const INPUT = Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, (_, i) => Math.fround(Math.sin(i * 0.37)));
const TOLERANCE = 1e-6;

/**
 * esbuild as a web developer would run it, `--bundle --format=esm --platform=browser`; the alias
 * only stands in for an installed nnc (the package's `nnc/runtime` is its built `dist/`).
 */
async function bundle(entry: string, outfile: string): Promise<void> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "browser",
    alias: { "nnc/runtime": resolve("runtime/index.ts") },
    logLevel: "silent",
  });
  expect(result.errors).toEqual([]);
  expect(result.warnings).toEqual([]);
}

/** What `page.evaluate` runs: the bundle imported on the page's thread, or started as a module Web Worker. */
const RUN_IN_PAGE = `async ({ url, where, options }) => {
  if (where === "page") return (await import(url)).run(options);
  return new Promise((resolve, reject) => {
    const worker = new Worker(url, { type: "module" });
    worker.onmessage = (event) => {
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => reject(new Error("worker: " + event.message));
    worker.postMessage(options);
  });
}`;

describe.skipIf(SKIP_CHROMIUM)("generated modules in Chromium", () => {
  let dir: string;
  let server: PageServer;
  let browser: LaunchedBrowser;
  const pages = {} as Record<"isolated" | "plain", Page>;
  /** Node's output of the same module and weights. */
  let reference: Float32Array;
  /** The module in Node (standalone `--js`, one thread): the doc example's reference. */
  let nodeModel: { forward(x: object): { data: Float32Array }; close(): void };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "nnc-browser-"));
    const files: [string, string | Uint8Array][] = [];
    let weights: Uint8Array | undefined;
    for (const [form, { flags, file }] of Object.entries(FORMS)) {
      const out = join(dir, form);
      const run = await runCli(["compile", "examples/resnet20.nn", "-o", out, ...flags]);
      expect(run.code, run.stderr).toBe(0);
      // Every form ships the same checkpoint (seed 0), which the pages fetch as `resnet20.safetensors`.
      const bytes = new Uint8Array(readFileSync(join(out, "resnet20.safetensors")));
      if (weights === undefined) weights = bytes;
      else expect(Buffer.from(bytes).equals(Buffer.from(weights))).toBe(true);
      const entry = join(dir, `${form}.entry.js`);
      writeFileSync(
        entry,
        `import { load } from ${JSON.stringify(join(out, file))};\n` +
          `import { runModel, serveRuns } from ${JSON.stringify(resolve("test/browser/module-page.ts"))};\n` +
          `export const run = (options) => runModel(load, options);\n` +
          `if (typeof document === "undefined") serveRuns(load);\n`,
      );
      await bundle(entry, join(dir, `${form}.bundle.js`));
      files.push([`${form}.js`, readFileSync(join(dir, `${form}.bundle.js`), "utf8")]);
    }
    files.push(["resnet20.safetensors", weights!]);

    const node = (await import(pathToFileURL(join(dir, "standalone-js", "resnet20.js")).href)) as {
      load(source: Uint8Array, options: object): Promise<{ forward(x: object): { data: Float32Array }; close(): void }>;
    };
    nodeModel = await node.load(weights!, { engine: "wasm", threads: 1 });
    reference = nodeModel.forward({ shape: SHAPE, data: Float32Array.from(INPUT) }).data;

    server = await servePages(files);
    browser = await launchChromium();
    for (const kind of ["isolated", "plain"] as const) {
      pages[kind] = await browser.context.newPage();
      await pages[kind].goto(`${server.origin}/${kind}/`);
    }
  }, 240_000);

  afterAll(async () => {
    nodeModel?.close();
    await browser?.close();
    await server?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** Runs `form`'s bundle in `kind`'s page, on the page's thread or in a module Web Worker. */
  async function run(kind: "isolated" | "plain", where: "page" | "worker", form: Form, options: Pick<RunOptions, "source" | "threads">): Promise<RunResult> {
    const url = `${server.origin}/${kind}/${form}.js`;
    const full: RunOptions = {
      ...options,
      weights: `${server.origin}/${kind}/resnet20.safetensors`,
      shape: SHAPE,
      input: INPUT,
      // Where workers can start, forward until one has run a chunk; elsewhere a few forwards show none starts.
      waitForWorkers: kind === "isolated" ? 200 : 3,
      byWorkersWord: Header.byWorkers,
    };
    // Source text, not a function: vitest would rewrite a function's `import()` into its own loader.
    const result: unknown = await pages[kind].evaluate(`(${RUN_IN_PAGE})(${JSON.stringify({ url, where, options: full })})`);
    const answer = result as RunResult | { error: string };
    if ("error" in answer) throw new Error(answer.error);
    expect(answer.engine).toBe("wasm");
    expect(answer.isolated).toBe(kind === "isolated");
    expect(maxDifference(answer.first, reference)).toBeLessThanOrEqual(TOLERANCE);
    expect(maxDifference(answer.last, reference)).toBeLessThanOrEqual(TOLERANCE);
    return answer;
  }

  for (const form of Object.keys(FORMS) as Form[]) {
    it(`${form}: weights by URL, as bytes and by default, on the page's thread and in a Web Worker`, async () => {
      for (const [kind, where, source] of [
        ["isolated", "page", "url"],
        ["isolated", "page", "default"],
        ["isolated", "worker", "bytes"],
        ["plain", "page", "bytes"],
        ["plain", "worker", "default"],
      ] as const) {
        const result = await run(kind, where, form, { source, threads: 1 });
        expect(result.workersStarted).toBe(0);
      }
    });

    it(`${form}: two threads run chunks on a Web Worker in the isolated page, and fall back to one elsewhere`, async () => {
      for (const where of ["page", "worker"] as const) {
        const isolated = await run("isolated", where, form, { source: "url", threads: 2 });
        expect(isolated.workersStarted, where).toBe(1);
        expect(isolated.workerChunks, where).toBeGreaterThan(0);
        const plain = await run("plain", where, form, { source: "bytes", threads: 2 });
        expect(plain.workersStarted, where).toBe(0);
        expect(plain.workerChunks, where).toBe(0);
      }
    });
  }

  it("runs the web page example of docs/codegen.md as written, isolated (two threads) and not", async () => {
    const example = webPageExample();
    const at = join(dir, "example");
    mkdirSync(at);
    writeFileSync(join(at, "app.js"), example.app);
    for (const command of example.commands) {
      const [tool, ...args] = command.split(/\s+/);
      if (tool === "nnc") {
        // The output folder inside the example's folder, the model from the repository.
        const run = await runCli(args.map((arg) => (arg.startsWith("out") ? join(at, arg) : arg)));
        expect(run.code, run.stderr).toBe(0);
      } else {
        expect(tool).toBe("esbuild");
        // As written, plus where `nnc/runtime` is (an installed nnc would be in node_modules).
        execFileSync(resolve("node_modules/.bin/esbuild"), [...args, `--alias:nnc/runtime=${resolve("runtime/index.ts")}`, "--log-level=warning"], { cwd: at });
      }
    }
    server.put("example/index.html", example.html);
    server.put("example/app.bundle.js", readFileSync(join(at, "app.bundle.js")));
    server.put("example/out/resnet20.safetensors", readFileSync(join(at, "out", "resnet20.safetensors")));
    const expected = nodeModel.forward({ shape: [1, 3, 32, 32], data: new Float32Array(3 * 32 * 32).fill(0.5) }).data;
    for (const kind of ["isolated", "plain"] as const) {
      const page = await browser.context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (error) => errors.push(error.message));
      await page.goto(`${server.origin}/${kind}/example/index.html`);
      await page.waitForFunction(() => document.querySelector("#output")?.textContent !== "running…", undefined, { timeout: 30_000 });
      expect(errors).toEqual([]);
      expect(await page.evaluate("crossOriginIsolated")).toBe(kind === "isolated");
      const printed = ((await page.textContent("#output")) ?? "").split(" ").map(Number);
      expect(maxDifference(printed, expected), kind).toBeLessThanOrEqual(TOLERANCE);
      await page.close();
    }
  });
});

/** The commands, `app.js` and `index.html` of docs/codegen.md's "Using it in a web page". */
function webPageExample(): { commands: string[]; app: string; html: string } {
  const doc = readFileSync("docs/codegen.md", "utf8");
  const section = doc.slice(doc.indexOf("## Using it in a web page"), doc.indexOf("\n## ", doc.indexOf("## Using it in a web page") + 1));
  const block = (language: string): string => {
    const match = new RegExp("```" + language + "\n([\\s\\S]*?)```").exec(section);
    if (match === null) throw new Error(`docs/codegen.md's web page section has no ${language} block`);
    return match[1];
  };
  const commands = block("sh")
    .trim()
    .split("\n")
    .map((line) => line.replace(/^npx /, ""));
  return { commands, app: block("js"), html: block("html") };
}
