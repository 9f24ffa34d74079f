/**
 * The checked model: what elaboration makes of a `model` declaration once every block is
 * expanded, every alias resolved and every shape inferred. It is a flat list of primitive layer
 * instances in execution (source) order, over numbered tensor values. `nnc summary`,
 * `nnc params` and the lowering to IR all read it; it holds no syntax beyond origin spans.
 */
import type { Span } from "../syntax/span.js";
import type { TraceEntry } from "./trace.js";

import type { AttrValue, Dim, Shape } from "../../runtime/ops/types.js";

export type { AttrValue, Dim, Shape };

/** A learnable parameter or buffer, by its dotted name (`Basic0.conv0.weight`, as `nnc params` lists it). */
export interface ParamInfo {
  /** The full dotted name, e.g. `Basic0.conv0.weight`. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Buffers (`running_mean`, ...) are not learnable; the summary counts both, as PyTorch's state_dict does. */
  readonly buffer: boolean;
}

/** Where something came from: a file and a span in it. */
export interface Origin {
  readonly file: string;
  readonly span: Span;
}

/** A tensor value: a model input or the output of one layer instance. */
export interface TensorValue {
  readonly id: number;
  readonly shape: Shape;
  /** The index in `CheckedModel.layers` of the producing layer; absent for model inputs. */
  readonly producer?: number;
}

/** One primitive layer instance (a layer of docs/operators.md: an operator or a normalizer). */
export interface LayerInstance {
  /** The dotted path of the instance, e.g. `Basic1.conv0` (its parameters are `<path>.<leaf>`). */
  readonly path: string;
  /** The operator's own name after aliases resolve: `conv`, `batch`, `relu`, `add`, ... */
  readonly kind: string;
  /** Every argument of the operator, named, with defaults filled in (`kernel: [3, 3]`, ...). */
  readonly attrs: Readonly<Record<string, AttrValue>>;
  /** Input value ids, in order. */
  readonly inputs: readonly number[];
  /** The output value id. */
  readonly output: number;
  readonly params: readonly ParamInfo[];
  /** Multiply-accumulates counted as 2 FLOPs, per sample (batch dimension 1). */
  readonly flops: number;
  /** The call or name in the source that produced this instance. */
  readonly origin: Origin;
  /**
   * The scopes this layer sits in — block instances and labelled groups — outermost first, as
   * full dotted paths (`["Basic1"]`, `["body", "body.p"]`), for a summary tree.
   */
  readonly scopes: readonly string[];
}

/**
 * A naming scope that holds layers: a block instance or a labelled group, with the tensors it
 * takes and gives. The PyTorch emitter makes each into a module; everything else reads `layers`.
 */
export interface ScopeInstance {
  /** The scope's full dotted path (`Basic1`, `stem`, `Inception0.branch3`). */
  readonly path: string;
  /** The block's declared name; absent for a labelled group. */
  readonly block?: string;
  /** A block instance's configuration arguments, defaults filled in (as `config` renders them). */
  readonly config?: Readonly<Record<string, unknown>>;
  /** A block's tensor input names, in declared order. */
  readonly inputNames?: readonly string[];
  /** The tensor values it takes: a block's inputs in declared order, a group's piped tensors. */
  readonly inputs: readonly number[];
  /** The tensor values it gives (several for a tuple). */
  readonly outputs: readonly number[];
  /** The call or label that made it. */
  readonly origin: Origin;
}

/** A model after elaboration and shape checking. */
export interface CheckedModel {
  readonly name: string;
  readonly file: string;
  readonly inputs: readonly { readonly name: string; readonly value: number }[];
  readonly values: readonly TensorValue[];
  readonly layers: readonly LayerInstance[];
  /** Block instances and labelled groups, in the order they finished elaborating (inner first). */
  readonly scopes: readonly ScopeInstance[];
  /** Output value ids (several for a tuple `return`). */
  readonly outputs: readonly number[];
  /** Every parameter and buffer in declaration order (the order of `nnc params`). */
  readonly params: readonly ParamInfo[];
  /** The model's config parameters after defaults and `--set` overrides. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly origin: Origin;
  /** Shapes at source places, when `CheckOptions.trace` asked for them (`trace.ts`). */
  readonly trace?: readonly TraceEntry[];
}
