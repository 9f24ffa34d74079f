/**
 * An optional record of what elaboration saw at places in the source that the flat model
 * forgets: the shapes of named tensors (bindings, model and block inputs), of each block call
 * with the parameters it created, and of each pipeline stage's output. The language server asks
 * for it (hover, inlay hints) with `CheckOptions.trace`; the command line does not, and pays
 * nothing for it.
 *
 * A block body is elaborated once per instance, so one place can have several entries, in
 * elaboration order.
 */
import type { Span } from "../syntax/span.js";
import type { Shape } from "./model.js";

/** What an entry describes: a named tensor, a block call, or a pipeline stage. */
export type TraceKind = "binding" | "block" | "stage";

/** One elaboration of one place in the source. */
export interface TraceEntry {
  readonly kind: TraceKind;
  readonly file: string;
  /** The name of a binding or input, the whole block call, or the whole pipeline stage. */
  readonly span: Span;
  /** The tensors fed in (a block call's inputs; empty for bindings and stages). */
  readonly inputs: readonly Shape[];
  /** The tensors that came out (one, or several for a tuple). */
  readonly outputs: readonly Shape[];
  /** Learnable parameter elements the block call created (0 for other kinds). */
  readonly params: number;
}
