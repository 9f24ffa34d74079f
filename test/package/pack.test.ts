/**
 * nnc as a user gets it: `npm pack`, then `npm install <tarball>` into an empty project, and the
 * package used from there. The tarball holds the compiled compiler and runtime, the `nnc` command
 * and the runtime's TypeScript sources (which `--standalone` reads), and no tests or source maps;
 * every path that `exports`, `typesVersions` and `bin` name is in it. In the installed project,
 * `npx nnc compile` writes a module that imports `nnc/runtime` and runs under plain node (`--js`),
 * `--standalone` works, the generated `.ts` and code using `nnc/compiler`, `nnc/runtime` and
 * `nnc/runtime/fast` type-check under `strict`, `noUncheckedIndexedAccess` and
 * `exactOptionalPropertyTypes` with nnc's own tsc, and `nnc train --data mnist` and `mnist-sample` find their digits.
 *
 * The package is packed from a copy of the sources (so this repository's `dist/` is left alone)
 * and installed with `--prefer-offline`: npm takes nnc's dependencies from its cache, which
 * `npm ci` filled, and asks the registry only for what the cache lacks.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../emit/support.js";

const ROOT = resolve(".");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  files: string[];
  exports: Record<string, string | Record<string, string>>;
  typesVersions: Record<string, Record<string, string[]>>;
  bin: Record<string, string>;
};

/** What `tsc -p tsconfig.build.json` compiles, besides the paths `files` ships. */
const BUILD_INPUTS = ["package.json", "tsconfig.json", "tsconfig.build.json", "grammar", "compiler", "runtime"];

const MODEL = [
  "model Tiny(x: [N, 1, 8, 8]) {",
  "  return x -> conv(4, 3, pad: 1) -> norm -> relu -> maxpool(2) -> flatten -> dropout(0.1) -> dense(10) -> log_softmax",
  "}",
  "",
].join("\n");

const DIGITS = "model Digits(x: [N, 1, 28, 28]) {\n  return x -> flatten -> dense(10) -> log_softmax\n}\n";

/** Code of a user of the libraries, type-checked with the generated modules. */
const API_USER = `import { compileModel, diskHost, hasErrors, renderDiagnostics } from "nnc/compiler";
import { relu, type Tensor } from "nnc/runtime";
import { compilePlan } from "nnc/runtime/fast";
import { load, type Tensor as ModelTensor } from "./ts/model.js";

const result = await compileModel({ path: "model.nn", host: diskHost() });
if (hasErrors(result.check.diagnostics)) console.error(renderDiagnostics(result.check.diagnostics, (p) => result.check.sources.get(p)));
const x: ModelTensor<[number, 1, 8, 8]> = { shape: [1, 1, 8, 8], data: new Float32Array(64) };
const y: Tensor = relu((await load()).forward(x));
console.log(result.files.map((f) => f.name), y.shape, typeof compilePlan);
`;

/** The strictest settings a user's project is likely to have. */
const STRICT_TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
    types: [],
  },
  include: ["api.ts", "ts/model.ts", "train/model.ts", "examples/*.ts"],
};

/** The environment of the npm and node processes: without the `npm_*` variables of an `npm test` that runs this file. */
function environment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
}

/** Runs a command in `cwd` and returns its stdout; on failure, throws with its output. */
function run(command: string, args: readonly string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, env: environment(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
  }
}

/** The paths of the package a `package.json` field names (`./dist/runtime/index.js` → `dist/runtime/index.js`). */
function namedPaths(): string[] {
  const exported = Object.values(PACKAGE.exports).flatMap((target) => (typeof target === "string" ? [target] : Object.values(target)));
  const typed = Object.values(PACKAGE.typesVersions).flatMap((map) => Object.values(map).flat());
  return [...exported, ...typed, ...Object.values(PACKAGE.bin)].map((path) => path.replace(/^\.\//, ""));
}

describe("the packed package, installed into an empty project", () => {
  const work = tempDir("package");
  const app = join(work, "app");
  let packed: string[] = [];

  beforeAll(() => {
    const source = join(work, "source");
    mkdirSync(source);
    const shipped = PACKAGE.files.map((entry) => entry.split("/")[0]).filter((entry) => entry !== "dist" && !entry.includes("*"));
    for (const path of new Set([...BUILD_INPUTS, ...shipped, "README.md", "LICENSE"])) {
      if (existsSync(join(ROOT, path))) cpSync(join(ROOT, path), join(source, path), { recursive: true });
    }
    symlinkSync(join(ROOT, "node_modules"), join(source, "node_modules"), "dir");
    // prepack empties dist/, then prepare compiles it afresh.
    const report = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work, "--no-update-notifier"], source)) as [{ filename: string; files: { path: string }[] }];
    packed = report[0].files.map((f) => f.path);

    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }, null, 2));
    run("npm", ["install", join(work, report[0].filename), "--no-audit", "--no-fund", "--prefer-offline", "--no-update-notifier"], app);
    writeFileSync(join(app, "model.nn"), MODEL);
    // Packing (a full tsc build) and installing took 13 to 18 s on a shared 2-core machine at load
    // 2.5 to 4 (up to 25 s busier), the whole file about 60 s; 120 s leaves room for a busier machine
    // or a cold npm cache.
  }, 120_000);

  // The installed project is about 110 MB.
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("ships the compiled code, the command and the runtime's sources, and every path package.json names", () => {
    for (const path of ["bin/nnc.js", "dist/compiler/cli/main.js", "dist/compiler/index.js", "dist/runtime/index.js", "dist/runtime/index.d.ts", "runtime/index.ts", "README.md"]) {
      expect(packed).toContain(path);
    }
    for (const path of namedPaths()) expect(packed, `package.json names ${path}`).toContain(path);
    expect(packed.filter((path) => path.startsWith("test/") || path.endsWith(".map"))).toEqual([]);
    expect(packed.filter((path) => path.startsWith("dist/") && !/^dist\/(compiler|runtime|grammar)\//.test(path))).toEqual([]);
  });

  it("npx nnc compile writes a module that imports nnc/runtime and runs under node", () => {
    run("npx", ["--no", "nnc", "compile", "model.nn", "-o", "out", "--js"], app);
    expect(readFileSync(join(app, "out/model.js"), "utf8")).toContain('from "nnc/runtime"');
    writeFileSync(
      join(app, "forward.mjs"),
      [
        'import { load } from "./out/model.js";',
        "const model = await load();",
        "const y = model.forward({ shape: [2, 1, 8, 8], data: Float32Array.from({ length: 128 }, (_, i) => Math.sin(i)) });",
        "console.log(JSON.stringify({ engine: model.engine, shape: y.shape, total: Array.from(y.data).reduce((a, b) => a + Math.exp(b), 0) }));",
      ].join("\n"),
    );
    const out = JSON.parse(run(process.execPath, ["forward.mjs"], app)) as { engine: string; shape: number[]; total: number };
    expect(out.engine).toBe("wasm");
    expect(out.shape).toEqual([2, 10]);
    // Two rows of log-probabilities: each row's probabilities sum to 1.
    expect(out.total).toBeCloseTo(2, 5);
  });

  it("--standalone reads the shipped runtime sources; its module imports nothing and runs", () => {
    run("npx", ["--no", "nnc", "compile", "model.nn", "-o", "standalone", "--standalone", "--js"], app);
    expect(readFileSync(join(app, "standalone/model.js"), "utf8")).not.toMatch(/^\s*import\s/m);
    const script = 'const { load } = await import("./standalone/model.js"); console.log(JSON.stringify((await load()).forward({ shape: [1, 1, 8, 8], data: new Float32Array(64) }).shape));';
    expect(run(process.execPath, ["--input-type=module", "-e", script], app).trim()).toBe("[1,10]");
  });

  it("the generated .ts and the libraries type-check under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes", () => {
    run("npx", ["--no", "nnc", "compile", "model.nn", "-o", "ts"], app);
    run("npx", ["--no", "nnc", "compile", "model.nn", "-o", "train", "--mode", "train"], app);
    // Every normalizer (object arguments, optional scales) and branches (concat's backward), from the shipped examples.
    for (const example of ["norm_zoo", "inception"]) {
      run("npx", ["--no", "nnc", "compile", `node_modules/nnc/examples/${example}.nn`, "-o", "examples", "--mode", "train"], app);
    }
    writeFileSync(join(app, "api.ts"), API_USER);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(STRICT_TSCONFIG, null, 2));
    expect(run(process.execPath, [TSC, "-p", "tsconfig.json"], app)).toBe("");
  });

  it.each([
    ["mnist", "mnist: 60000 train, 10000 held out (the test set)"],
    ["mnist-sample", "mnist-sample: 8000 train, 2000 held out (every 5th digit)"],
  ])("nnc train --data %s finds the digits of its dependency", (data, sets) => {
    writeFileSync(join(app, "digits.nn"), DIGITS);
    const out = run("npx", ["--no", "nnc", "train", "digits.nn", "--data", data, "--epochs", "1", "--batch", "1000", "-o", `run-${data}`], app);
    expect(out).toContain(sets);
    expect(existsSync(join(app, `run-${data}/model.safetensors`))).toBe(true);
  });
});
