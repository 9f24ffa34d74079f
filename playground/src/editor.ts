/**
 * The playground's editor: CodeMirror 6 with `.nn` highlighting, the worker's diagnostics as
 * lint marks, its hovers (the language server's `hoverAt`) and completions (`completionsAt`).
 * The editor never waits for the worker while typing: a change is sent after a short pause, and a
 * hover or completion first sends the text it is about.
 */
import { autocompletion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { setDiagnostics, type Diagnostic as LintDiagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, hoverTooltip, type Tooltip } from "@codemirror/view";
import { basicSetup } from "codemirror";
import type { WorkerClient } from "./client.js";
import { markdownToHtml } from "./markdown.js";
import { nn } from "./nn-language.js";
import type { PlaygroundDiagnostic } from "./protocol.js";

/** How long the editor waits after a keystroke before the worker checks the text. */
const QUIET_MS = 120;

/** What the editor tells its owner. */
export interface EditorEvents {
  /** The text changed and should be checked: version, text. */
  changed(version: number, text: string): Promise<void>;
}

/** The editor and the version of its text. */
export class NnEditor {
  readonly view: EditorView;
  private version = 0;
  private checked = -1;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(parent: HTMLElement, text: string, private readonly worker: WorkerClient, private readonly events: EditorEvents) {
    this.view = new EditorView({
      parent,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          nn(),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) this.changed();
          }),
          hoverTooltip((_view, pos) => this.hover(pos), { hoverTime: 250 }),
          autocompletion({ override: [(context) => this.complete(context)], activateOnTyping: true }),
          EditorView.theme({ "&": { height: "100%" }, ".cm-scroller": { fontFamily: "var(--mono)" } }),
        ],
      }),
    });
  }

  /** The current text. */
  get text(): string {
    return this.view.state.doc.toString();
  }

  /** The version of the current text (it grows with every change). */
  get currentVersion(): number {
    return this.version;
  }

  /** Replaces the whole text (an example from the menu). */
  setText(text: string): void {
    this.view.dispatch({ changes: { from: 0, to: this.view.state.doc.length, insert: text } });
  }

  /** Sends the current text now if a change is waiting; resolves when the worker has it. */
  async flush(): Promise<void> {
    if (this.checked === this.version) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.checked = this.version;
    await this.events.changed(this.version, this.text);
  }

  /** Shows the diagnostics of `version` (dropped if the text changed since). */
  showDiagnostics(version: number, diagnostics: readonly PlaygroundDiagnostic[]): void {
    if (version !== this.version) return;
    const length = this.view.state.doc.length;
    const marks: LintDiagnostic[] = diagnostics.map((d) => ({
      from: Math.min(d.from, length),
      to: Math.min(Math.max(d.to, d.from), length),
      severity: d.severity === "note" ? "info" : d.severity,
      source: d.code,
      message: d.message + d.related.map((r) => `\n${r.message}`).join(""),
    }));
    this.view.dispatch(setDiagnostics(this.view.state, marks));
  }

  private changed(): void {
    this.version++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), QUIET_MS);
  }

  private async hover(pos: number): Promise<Tooltip | null> {
    await this.flush();
    const { hover } = await this.worker.ask({ kind: "hover", offset: pos });
    if (!hover) return null;
    return {
      pos: hover.from,
      end: hover.to,
      above: true,
      create: () => {
        const dom = document.createElement("div");
        dom.className = "nn-hover";
        dom.innerHTML = markdownToHtml(hover.markdown);
        return { dom };
      },
    };
  }

  private async complete(context: CompletionContext): Promise<CompletionResult | null> {
    const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_]*/);
    const before = context.state.sliceDoc(Math.max(0, context.pos - 1), context.pos);
    if (!word && !context.explicit && !/[(,>]/.test(before)) return null;
    await this.flush();
    const { items } = await this.worker.ask({ kind: "complete", offset: context.pos });
    return {
      from: word?.from ?? context.pos,
      options: items.map((item) => ({ label: item.label, detail: item.detail, info: item.info, apply: item.apply, type: item.type, boost: item.boost })),
      validFor: /^[A-Za-z0-9_]*$/,
    };
  }
}
