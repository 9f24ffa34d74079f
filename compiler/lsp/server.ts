/**
 * `nnc lsp`: the language server over stdio. This file wires the LSP connection to the
 * workspace and to one function per feature; it is the only place that sees the protocol's
 * requests. Every handler is guarded: an exception (a bug) is logged to the client's console
 * and answered with an empty result, so no input, however malformed, stops the server.
 */
import {
  createConnection,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { VERSION } from "../version.js";
import type { Analysis } from "./analysis.js";
import { completionsAt } from "./completion.js";
import { definitionAt } from "./definition.js";
import { formattingEdits } from "./formatting.js";
import { hoverAt } from "./hover.js";
import { inlayHints } from "./inlay-hints.js";
import { offsetAt } from "./positions.js";
import { signatureHelpAt } from "./signature-help.js";
import { documentSymbols } from "./symbols.js";
import { nodeHost, Workspace } from "./workspace.js";

/**
 * The shortest time between two re-checks while edits keep coming, unless the client says
 * otherwise (`debounceMs`); an edit after a quiet period is checked at once.
 */
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * Starts the server on `input` and `output` (stdin and stdout by default). The promise settles
 * when the client ends the session (the connection then exits the process, as LSP prescribes).
 */
export function startLanguageServer(input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<number> {
  const connection = createConnection(input, output);
  redirectConsole(connection);
  process.on("uncaughtException", (error) => connection.console.error(`nnc lsp: uncaught ${describe(error)}`));
  const documents = new TextDocuments(TextDocument);
  let workspace = new Workspace(host(connection), DEFAULT_DEBOUNCE_MS);

  const guard = <P, R>(name: string, fallback: R, handler: (params: P) => R) => (params: P): R => {
    try {
      return handler(params);
    } catch (error) {
      connection.console.error(`nnc lsp: ${name} failed: ${describe(error)}`);
      return fallback;
    }
  };
  /** Runs `feature` on the current analysis of the request's document, at its position if any. */
  const at = <R>(params: { textDocument: { uri: string }; position?: { line: number; character: number } }, feature: (a: Analysis, offset: number) => R, none: R): R => {
    const uri: unknown = params?.textDocument?.uri;
    const analysis = typeof uri === "string" ? workspace.analysis(uri) : undefined;
    return analysis ? feature(analysis, params.position ? offsetAt(analysis.source, params.position) : 0) : none;
  };

  connection.onInitialize(
    guard("initialize", { capabilities: {} }, (params): InitializeResult => {
      const options = params.initializationOptions as { debounceMs?: unknown } | undefined;
      const debounce = typeof options?.debounceMs === "number" && options.debounceMs >= 0 ? options.debounceMs : DEFAULT_DEBOUNCE_MS;
      workspace = new Workspace(host(connection), debounce);
      return {
        capabilities: {
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
          hoverProvider: true,
          completionProvider: { triggerCharacters: ["(", ","] },
          signatureHelpProvider: { triggerCharacters: ["(", ","], retriggerCharacters: [":"] },
          definitionProvider: true,
          documentSymbolProvider: true,
          documentFormattingProvider: true,
          inlayHintProvider: true,
        },
        serverInfo: { name: "nnc", version: VERSION },
      };
    }),
  );
  documents.onDidChangeContent(guard("change", undefined, (e) => workspace.update(e.document)));
  documents.onDidClose(guard("close", undefined, (e) => workspace.close(e.document.uri)));
  connection.onHover(guard("hover", null, (p) => at(p, hoverAt, null)));
  connection.onCompletion(guard("completion", [], (p) => at(p, completionsAt, [])));
  connection.onSignatureHelp(guard("signature help", null, (p) => at(p, signatureHelpAt, null)));
  connection.onDefinition(guard("definition", null, (p) => at(p, definitionAt, null)));
  connection.onDocumentSymbol(guard("document symbols", [], (p) => at(p, documentSymbols, [])));
  connection.onDocumentFormatting(guard("formatting", [], (p) => at(p, formattingEdits, [])));
  connection.languages.inlayHint.on(guard("inlay hints", [], (p) => at(p, (a) => inlayHints(a, p.range), [])));

  documents.listen(connection);
  return new Promise((resolve) => {
    connection.onExit(() => resolve(0));
    connection.listen();
  });

  function host(c: Connection) {
    const base = nodeHost((uri, version, diagnostics) => void c.sendDiagnostics({ uri, version, diagnostics }));
    return {
      ...base,
      defer: (ms: number, task: () => void) => base.defer(ms, () => guard("re-check", undefined, task)(undefined)),
    };
  }
}

/** Stdout carries the protocol: anything printed with `console` goes to the client's log instead. */
function redirectConsole(connection: Connection): void {
  const log = (...args: unknown[]) => connection.console.log(args.map(String).join(" "));
  console.log = log;
  console.info = log;
  console.warn = (...args: unknown[]) => connection.console.warn(args.map(String).join(" "));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(" "));
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
