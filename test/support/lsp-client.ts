/**
 * A real LSP client for the language server tests: it starts `nnc lsp --stdio` as a separate
 * process, from the TypeScript sources through tsx (so the tests never run a stale `dist/`),
 * and talks to it over stdio with `vscode-languageserver-protocol`'s own client connection.
 *
 * Diagnostics are awaited by document version (or by count, for a document re-checked because
 * a file it imports changed), never by time.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type InitializeResult,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextDocumentContentChangeEvent,
} from "vscode-languageserver-protocol/node";

/** The repository root (the tests run from there). */
const ROOT = resolve(import.meta.dirname, "../..");

/** The file URI of a path relative to the repository root. */
export function uriOf(path: string): string {
  return pathToFileURL(resolve(ROOT, path)).href;
}

/** A running server and a connection to it. */
export class LspClient {
  /** Everything the server logged (`window/logMessage`), for failure messages. */
  readonly logs: string[] = [];
  /** The diagnostics published so far, per URI, in order. */
  private readonly published = new Map<string, PublishDiagnosticsParams[]>();
  private readonly listeners = new Set<() => void>();
  private exitCode: number | null | undefined;
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly connection: ProtocolConnection,
    process: ChildProcess,
    readonly capabilities: InitializeResult,
  ) {
    this.exited = new Promise((done) => process.on("exit", (code) => done((this.exitCode = code))));
  }

  /** Starts a server; `debounceMs` is passed as an initialization option when given. */
  static async start(options: { debounceMs?: number } = {}): Promise<LspClient> {
    const child = spawn(process.execPath, ["--import", "tsx", "compiler/cli/run.ts", "lsp", "--stdio"], {
      cwd: ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const pending: PublishDiagnosticsParams[] = [];
    const logs: string[] = [];
    // Notifications that arrive before the client object exists are replayed into it; a later
    // `onNotification` for the same method replaces these handlers.
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => void pending.push(p));
    connection.onNotification(LogMessageNotification.type, (p) => void logs.push(p.message));
    connection.listen();
    const init = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: pathToFileURL(ROOT).href,
      capabilities: {},
      initializationOptions: options.debounceMs === undefined ? undefined : { debounceMs: options.debounceMs },
    });
    const client = new LspClient(connection, child, init);
    client.logs.push(...logs);
    connection.onNotification(LogMessageNotification.type, (p) => void client.logs.push(p.message));
    connection.onNotification(PublishDiagnosticsNotification.type, (p) => client.receive(p));
    for (const p of pending) client.receive(p);
    connection.sendNotification(InitializedNotification.type, {});
    return client;
  }

  /** Opens `path` (relative to the root) with its text on disk, or `text`; returns its URI. */
  open(path: string, text?: string, version = 1): string {
    const uri = path.includes("://") ? path : uriOf(path);
    const content = text ?? readFileSync(resolve(ROOT, path), "utf8");
    this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: "nn", version, text: content } });
    return uri;
  }

  /** Sends an edit that makes `version` of `uri`. */
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: changes });
  }

  /** Closes `uri`. */
  close(uri: string): void {
    this.connection.sendNotification(DidCloseTextDocumentNotification.type, { textDocument: { uri } });
  }

  /** How many diagnostics notifications `uri` has received so far. */
  publishCount(uri: string): number {
    return this.published.get(uri)?.length ?? 0;
  }

  /** The diagnostics of `version` of `uri` (waits for them). */
  diagnostics(uri: string, version: number): Promise<Diagnostic[]> {
    return this.until(() => this.published.get(uri)?.find((p) => p.version === version)?.diagnostics);
  }

  /** The diagnostics of the first notification for `uri` after the first `count` ones. */
  diagnosticsAfter(uri: string, count: number): Promise<Diagnostic[]> {
    return this.until(() => this.published.get(uri)?.[count]?.diagnostics);
  }

  /** Sends a request and returns its result. */
  request<R>(method: string, params: unknown): Promise<R> {
    return this.connection.sendRequest(method, params) as Promise<R>;
  }

  /** True while the server process runs. */
  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Shuts the server down as an editor does; returns its exit code. */
  async stop(): Promise<number | null> {
    if (this.alive) {
      await this.connection.sendRequest(ShutdownRequest.type);
      this.connection.sendNotification(ExitNotification.type);
    }
    const code = await this.exited;
    this.connection.dispose();
    return code;
  }

  private receive(p: PublishDiagnosticsParams): void {
    const list = this.published.get(p.uri) ?? [];
    list.push(p);
    this.published.set(p.uri, list);
    for (const listener of [...this.listeners]) listener();
  }

  private until<T>(probe: () => T | undefined): Promise<T> {
    const now = probe();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((done) => {
      const listener = () => {
        const found = probe();
        if (found === undefined) return;
        this.listeners.delete(listener);
        done(found);
      };
      this.listeners.add(listener);
    });
  }
}

/** The position of the `nth` occurrence of `needle` in `text`, moved `delta` characters on. */
export function positionOf(text: string, needle: string, delta = 0, nth = 0): { line: number; character: number } {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} occurs fewer than ${nth + 1} times`);
  }
  const before = text.slice(0, at + delta).split("\n");
  return { line: before.length - 1, character: before[before.length - 1].length };
}
