/**
 * The messages between the page and the playground's worker. The page sends requests; the worker
 * answers each with a reply carrying the request's `id`. Offsets are UTF-16 offsets into the
 * document text, as the front end's spans and CodeMirror's positions both count them.
 */
import type { EpochRecord, StepProgress } from "../../compiler/train/trainer.js";

/** One diagnostic as `nnc check` reports it, located by offsets. */
export interface PlaygroundDiagnostic {
  readonly code: string;
  readonly severity: "error" | "warning" | "note";
  readonly message: string;
  readonly from: number;
  readonly to: number;
  /** Related locations (`declared here`), by offsets in the same document. */
  readonly related: readonly { readonly from: number; readonly to: number; readonly message: string }[];
}

/** A switch the page offers: a model parameter or a layer alias that `--set` can change. */
export interface Switch {
  readonly name: string;
  /** `param` for a model parameter, `alias` for `norm`, `act` or a `use` of the model. */
  readonly kind: "param" | "alias";
  /** The value the file gives it (the default, or the `use` line's value). */
  readonly current: string;
  /** Values to offer in a menu (aliases: the layers of the same family). */
  readonly choices: readonly string[];
}

/** What the worker makes of one version of the text. */
export interface Report {
  readonly version: number;
  /** The diagnostics of the text itself, as `nnc check` gives them (every model elaborated). */
  readonly diagnostics: readonly PlaygroundDiagnostic[];
  /** `nnc check`'s text on stderr and stdout for this file and `--set`s. */
  readonly checkText: string;
  /** The models of the file, in order. */
  readonly models: readonly string[];
  /** The model summarized and drawn (the `--model`, else the last). */
  readonly model?: string;
  /** `nnc summary`'s table, when the model checks. */
  readonly summary?: string;
  /** `nnc graph`'s SVG, when the model checks. */
  readonly svg?: string;
  readonly switches: readonly Switch[];
  /** Milliseconds the check took in the worker. */
  readonly checkMs: number;
}

/** Options shared by every request about the current model. */
export interface ModelChoice {
  /** `--set NAME=EXPR` strings. */
  readonly set: readonly string[];
  /** `--model NAME`, or undefined for the last model. */
  readonly model?: string;
}

/** What running a model in the page gives. */
export interface RunOutcome {
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** The whole input and output (the tests compare them with Node's). */
  readonly input: Float32Array;
  readonly output: Float32Array;
  /** Milliseconds: compiling the plan (with the seed-0 weights), the first forward, and the fastest of the next few. */
  readonly compileMs: number;
  readonly firstForwardMs: number;
  readonly forwardMs: number;
  /** `wasm` or `ts`: the engine the plan ran on. */
  readonly engine: string;
  /** The threads it ran on. */
  readonly threads: number;
}

/** An emitted file for a tab or a download. */
export interface EmittedText {
  readonly name: string;
  /** The file's bytes (text files as UTF-8). */
  readonly bytes: Uint8Array;
  /** What the tab shows: the text, or for ONNX its text dump. */
  readonly text: string;
}

export type Request =
  | { readonly kind: "update"; readonly version: number; readonly text: string; readonly choice: ModelChoice }
  | { readonly kind: "hover"; readonly offset: number }
  | { readonly kind: "complete"; readonly offset: number }
  | {
      readonly kind: "run";
      readonly choice: ModelChoice;
      /** The text to run (default: the latest update's). */
      readonly text?: string;
      /** A checkpoint (default: seed-0 initial weights). */
      readonly weights?: Uint8Array;
      /** The input (default: `defaultInput`). */
      readonly input?: Float32Array;
      /** Threads for the WebAssembly plan (default 1). */
      readonly threads?: number;
    }
  | { readonly kind: "emit"; readonly choice: ModelChoice; readonly target: "ts" | "onnx" | "safetensors" };

/** A hover: markdown and the range it is about. */
export interface HoverText {
  readonly markdown: string;
  readonly from: number;
  readonly to: number;
}

/** A completion item. */
export interface CompletionEntry {
  readonly label: string;
  readonly detail?: string;
  readonly info?: string;
  readonly apply?: string;
  readonly type: string;
  readonly boost: number;
}

export type Reply =
  | { readonly kind: "update"; readonly report: Report }
  | { readonly kind: "hover"; readonly hover: HoverText | null }
  | { readonly kind: "complete"; readonly items: readonly CompletionEntry[] }
  | { readonly kind: "run"; readonly outcome: RunOutcome }
  | { readonly kind: "emit"; readonly file: EmittedText }
  | { readonly kind: "error"; readonly message: string };

/** A request as sent, with the id its reply carries. */
export type Envelope = Request & { readonly id: number };
/** A reply as received. */
export type ReplyEnvelope = Reply & { readonly id: number };

/** What the page asks the training worker (`train-worker.ts`). */
export type TrainRequest =
  | {
      readonly kind: "train";
      /** The model's text (LeNet's). */
      readonly text: string;
      readonly epochs: number;
      /** Stop after this many steps (the tests). */
      readonly maxSteps?: number;
      /** The page's URL, which `mnist.bin` is beside. */
      readonly base: string;
    }
  | { readonly kind: "stop" };

/** What the training worker reports. */
export type TrainReply =
  | { readonly kind: "step"; readonly progress: StepProgress }
  | { readonly kind: "epoch"; readonly record: EpochRecord }
  | { readonly kind: "done"; readonly checkpoint: Uint8Array; readonly stopped: boolean }
  | { readonly kind: "error"; readonly message: string };
