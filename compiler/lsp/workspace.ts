/**
 * The open documents and their analyses. A document is analysed at most once per version: the
 * analysis is cached until the document, or a file it imports, changes. An edit invalidates
 * the edited document's analysis and those of the open documents that import it, and schedules
 * them to be re-checked:
 *
 * - after a quiet period, at once: on the next turn of the event loop, so that the changes of
 *   one burst of messages are checked together;
 * - during a burst of edits, at most once per interval (`intervalMs`): edits that arrive within
 *   the interval after a re-check are coalesced and checked when it ends, so intermediate
 *   versions are skipped and the last one is checked no later than an interval after it came.
 *
 * A request needs the current version's analysis and gets it at once, computed on demand if a
 * re-check is still waiting; the scheduled re-check then only publishes it.
 *
 * Diagnostics are published per file, merged over every open document's analysis (a check
 * of `main.nn` may report an error inside the imported `lib.nn`).
 */
import type { Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { CheckHost } from "../check/check.js";
import type { ReadFailure } from "../check/files.js";
import { readSourceFile } from "../check/read-source.js";
import { analyze, dependsOn, type Analysis } from "./analysis.js";
import { diagnosticsByUri } from "./diagnostics.js";
import { uriToPath } from "./positions.js";

/** What the workspace needs of the outside world. */
export interface WorkspaceHost {
  /** Reads a file that is not open in the editor; undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  /** Reads an imported file inside `root`, or says why not (default: `readFile`). */
  readImport?(path: string, root: string): string | ReadFailure | undefined;
  /** Sends a file's diagnostics to the client. */
  publish(uri: string, version: number | undefined, diagnostics: LspDiagnostic[]): void;
  /** Runs `task` after `ms` milliseconds; returns a function that cancels it. */
  defer(ms: number, task: () => void): () => void;
}

/** The real file system and timers; `publish` comes from the connection. */
export function nodeHost(publish: WorkspaceHost["publish"]): WorkspaceHost {
  return {
    readFile: (path) => {
      const text = readSourceFile(path);
      return typeof text === "string" ? text : undefined;
    },
    readImport: (path, root) => readSourceFile(path, root),
    publish,
    defer: (ms, task) => {
      const timer = setTimeout(task, ms);
      return () => clearTimeout(timer);
    },
  };
}

/** The open documents, their cached analyses and the diagnostics published for them. */
export class Workspace {
  private readonly documents = new Map<string, TextDocument>();
  private readonly analyses = new Map<string, Analysis>();
  /** Each open document's last published diagnostics, by the file they are about. */
  private readonly published = new Map<string, Map<string, LspDiagnostic[]>>();
  private readonly pending = new Set<string>();
  /**
   * `idle`: nothing scheduled, the last re-check was more than an interval ago; `soon`: a re-check
   * runs on the next turn; `cooling`: a re-check ran less than an interval ago, and edits wait
   * for the interval's end.
   */
  private phase: "idle" | "soon" | "cooling" = "idle";

  constructor(
    private readonly host: WorkspaceHost,
    /** The shortest time between two re-checks during a burst of edits (an edit after a quiet period is checked at once). */
    private readonly intervalMs: number,
  ) {}

  /** A document was opened or edited: re-check it and everything open that imports it. */
  update(document: TextDocument): void {
    this.documents.set(document.uri, document);
    this.invalidate(uriToPath(document.uri));
    this.pending.add(document.uri);
    this.schedule();
  }

  /** A document was closed: forget it, clear its diagnostics, re-check its importers. */
  close(uri: string): void {
    this.documents.delete(uri);
    this.analyses.delete(uri);
    this.pending.delete(uri);
    this.invalidate(uriToPath(uri));
    this.publishFor(uri, new Map());
    this.schedule();
  }

  /** The open document `uri`, if any. */
  document(uri: string): TextDocument | undefined {
    return this.documents.get(uri);
  }

  /** The analysis of the current version of `uri` (computed now if not cached). */
  analysis(uri: string): Analysis | undefined {
    const document = this.documents.get(uri);
    if (!document) return undefined;
    const cached = this.analyses.get(uri);
    if (cached && cached.version === document.version) return cached;
    const fresh = analyze(uri, uriToPath(uri), document.version, document.getText(), this.checkHost());
    this.analyses.set(uri, fresh);
    return fresh;
  }

  /** Re-checks and publishes every scheduled document now. */
  private flush(): void {
    const uris = [...this.pending];
    this.pending.clear();
    for (const uri of uris) {
      const analysis = this.analysis(uri);
      if (analysis) this.publishFor(uri, diagnosticsByUri(analysis.result));
    }
  }

  /** Drops the analyses that read `path`, and schedules their documents. */
  private invalidate(path: string): void {
    for (const [uri, analysis] of this.analyses) {
      if (!dependsOn(analysis, path)) continue;
      this.analyses.delete(uri);
      if (this.documents.has(uri)) this.pending.add(uri);
    }
  }

  /** Schedules the pending documents' re-check: next turn when idle; otherwise the one already scheduled takes them. */
  private schedule(): void {
    if (this.phase !== "idle" || this.pending.size === 0) return;
    this.phase = "soon";
    this.host.defer(0, () => this.recheck());
  }

  /**
   * Re-checks what is pending, and lets edits of the next interval wait for its end. The interval
   * starts first, so a check that throws (a bug, which the server logs) stops no later one.
   */
  private recheck(): void {
    this.phase = "cooling";
    this.host.defer(this.intervalMs, () => {
      if (this.pending.size > 0) this.recheck();
      else this.phase = "idle";
    });
    this.flush();
  }

  /** Records what `owner`'s check says about each file and republishes the files involved. */
  private publishFor(owner: string, groups: Map<string, LspDiagnostic[]>): void {
    const before = this.published.get(owner);
    if (groups.size === 0) this.published.delete(owner);
    else this.published.set(owner, groups);
    const targets = new Set([owner, ...groups.keys(), ...(before?.keys() ?? [])]);
    for (const target of targets) {
      const merged: LspDiagnostic[] = [];
      const seen = new Set<string>();
      for (const files of this.published.values()) {
        for (const d of files.get(target) ?? []) {
          const key = JSON.stringify([d.code, d.range, d.message]);
          if (seen.has(key)) continue;
          seen.add(key);
          merged.push(d);
        }
      }
      this.host.publish(target, this.documents.get(target)?.version, merged);
    }
  }

  /**
   * Imports read open documents' current text, and other files from the host. The import rule
   * (a `.nn` file inside the checked document's directory) is the command line's.
   */
  private checkHost(): CheckHost {
    const open = new Map<string, TextDocument>();
    for (const document of this.documents.values()) open.set(uriToPath(document.uri), document);
    return {
      readFile: (path) => open.get(path)?.getText() ?? this.host.readFile(path),
      readImport: (path, root) => open.get(path)?.getText() ?? (this.host.readImport ? this.host.readImport(path, root) : this.host.readFile(path)),
    };
  }
}
