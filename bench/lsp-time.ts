/**
 * How fast the language server answers after an edit of a large file: the generated
 * 1,000-line model of `large-model.ts`, opened in a real `nnc lsp` process over stdio, with the
 * server's default settings (as an editor starts it).
 *
 * - "edit → diagnostics (idle)": from sending a one-line edit (`didChange`) after a quiet
 *   second to receiving the diagnostics of that version: any wait of the server, the re-check
 *   of the file and the protocol's overhead.
 * - "burst → diagnostics": ten edits 20 ms apart, as typing sends them; from the last edit to
 *   the diagnostics of its version (earlier versions may or may not be checked).
 * - "edit → hover": an edit immediately followed by a hover: the request forces the re-check.
 * - "hover", "inlay hints": requests on an unchanged document, answered from the cached check.
 *
 * It runs the compiled JavaScript (`npm run bench:lsp` builds it into `.build/`), as `nnc`
 * does; tsx's on-the-fly transform would add its own overhead.
 *
 *   npm run bench:lsp
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { performance } from "node:perf_hooks";
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
  InitializeRequest,
  InlayHintRequest,
  PublishDiagnosticsNotification,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";
import { generateLargeModel } from "./large-model.js";

const ROUNDS = 20;
const QUIET_MS = 1000;
const BURST = 10;
const BURST_GAP_MS = 20;
const here = dirname(fileURLToPath(import.meta.url));
// As `bin/nnc.js` starts the server: with a larger young generation.
const server = spawn(process.execPath, ["--max-semi-space-size=128", join(here, "../compiler/cli/run.js"), "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
const connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
const waiting = new Map<number, () => void>();
let diagnosticsCount = -1;
connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
  if (p.version !== undefined) waiting.get(p.version)?.();
  diagnosticsCount = p.diagnostics.length;
});
connection.listen();

const text = generateLargeModel(1000);
const lines = text.split("\n").length - 1;
const uri = pathToFileURL(join(here, "large.nn")).href;
await connection.sendRequest(InitializeRequest.type, { processId: null, rootUri: null, capabilities: {}, initializationOptions: {} });
connection.sendNotification("initialized", {});

let version = 1;
const diagnosed = (v: number) => new Promise<void>((resolve) => waiting.set(v, resolve));
const opened = diagnosed(version);
connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "nn", version, text } });
await opened;
if (diagnosticsCount !== 0) throw new Error(`the generated model has ${diagnosticsCount} diagnostics`);

/** Replaces the comment on the first line, as a keystroke would. */
function edit(): void {
  version++;
  const range = { start: { line: 0, character: 2 }, end: { line: 0, character: 11 } };
  connection.sendNotification(DidChangeTextDocumentNotification.type, {
    textDocument: { uri, version },
    contentChanges: [{ range, text: `edit ${String(version).padStart(4, "0")}` }],
  });
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const position = { line: 500, character: 12 };
const samples: Record<string, number[]> = {
  "edit → diagnostics (idle)": [],
  "burst → diagnostics": [],
  "edit → hover": [],
  hover: [],
  "inlay hints (whole file)": [],
};
for (let i = 0; i < ROUNDS; i++) {
  await sleep(QUIET_MS);
  samples["edit → diagnostics (idle)"].push(await time(() => {
    const done = diagnosed(version + 1);
    edit();
    return done;
  }));
  await sleep(QUIET_MS);
  for (let k = 1; k < BURST; k++) {
    edit();
    await sleep(BURST_GAP_MS);
  }
  samples["burst → diagnostics"].push(await time(() => {
    const done = diagnosed(version + 1);
    edit();
    return done;
  }));
  await sleep(QUIET_MS);
  samples["edit → hover"].push(await time(() => {
    edit();
    return connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }));
  samples.hover.push(await time(() => connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position })));
  const range = { start: { line: 0, character: 0 }, end: { line: lines, character: 0 } };
  samples["inlay hints (whole file)"].push(await time(() => connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range })));
}
await connection.sendRequest("shutdown");
connection.sendNotification("exit");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`file: ${lines} lines; ${ROUNDS} rounds; compiled server over stdio, default settings`);
const rows = [["request", "median ms", "min ms", "max ms"]];
for (const [name, xs] of Object.entries(samples)) rows.push([name, median(xs).toFixed(1), Math.min(...xs).toFixed(1), Math.max(...xs).toFixed(1)]);
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
