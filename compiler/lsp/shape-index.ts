/**
 * What elaboration produced at each place of the source, indexed by span: the primitive layer
 * instances (by their origin) and the traced bindings, block calls and pipeline stages. Hover
 * and inlay hints look places up here; the index is built once per analysis, on first use.
 */
import type { CheckedModel, LayerInstance, Shape } from "../check/model.js";
import type { TraceEntry, TraceKind } from "../check/trace.js";
import type { Span } from "../syntax/span.js";
import type { Analysis } from "./analysis.js";

/** One elaboration of a place: the tensors in and out, and the learnable parameters made. */
export interface Occurrence {
  /** The operator (`conv`) of a layer instance; the traced kind otherwise. */
  readonly kind: string;
  /** A layer instance's dotted path (`Basic0.conv1`); empty for traced places. */
  readonly path: string;
  readonly inputs: readonly Shape[];
  readonly outputs: readonly Shape[];
  readonly params: number;
}

/** The occurrences of one analysis, by place. */
export interface ShapeIndex {
  /** The layer instances whose origin is exactly `span` in `file`. */
  layers(file: string, span: Span): readonly Occurrence[];
  /** The traced entries of `kind` at exactly `span` in `file`. */
  traced(kind: TraceKind, file: string, span: Span): readonly Occurrence[];
  /** Every traced pipeline stage of `file`, with its span, in source order. */
  stages(file: string): readonly { readonly span: Span; readonly occurrences: readonly Occurrence[] }[];
}

const indexes = new WeakMap<Analysis, ShapeIndex>();

/** The index of `analysis` (built on first use). */
export function shapeIndex(analysis: Analysis): ShapeIndex {
  let index = indexes.get(analysis);
  if (!index) {
    index = buildIndex(analysis.result.models);
    indexes.set(analysis, index);
  }
  return index;
}

/** A span as one number (offsets stay far below 2^26 in any file worth checking). */
function key(span: Span): number {
  return span.start * 2 ** 26 + span.end;
}

/** Lists by file, then by span; values are built only when a place is looked up. */
class PlaceMap<T> {
  private readonly byFile = new Map<string, Map<number, T[]>>();

  add(file: string, span: Span, item: T): void {
    let places = this.byFile.get(file);
    if (!places) this.byFile.set(file, (places = new Map()));
    const list = places.get(key(span));
    if (list) list.push(item);
    else places.set(key(span), [item]);
  }

  get(file: string, span: Span): readonly T[] {
    return this.byFile.get(file)?.get(key(span)) ?? [];
  }
}

function buildIndex(models: readonly CheckedModel[]): ShapeIndex {
  const layers = new PlaceMap<{ model: CheckedModel; layer: LayerInstance }>();
  const traced = { binding: new PlaceMap<TraceEntry>(), block: new PlaceMap<TraceEntry>(), stage: new PlaceMap<TraceEntry>() };
  const stageSpans = new Map<string, Span[]>();
  for (const model of models) {
    for (const layer of model.layers) layers.add(layer.origin.file, layer.origin.span, { model, layer });
    for (const entry of model.trace ?? []) {
      if (entry.kind === "stage" && traced.stage.get(entry.file, entry.span).length === 0) {
        const spans = stageSpans.get(entry.file) ?? [];
        spans.push(entry.span);
        stageSpans.set(entry.file, spans);
      }
      traced[entry.kind].add(entry.file, entry.span, entry);
    }
  }
  const fromTrace = (entry: TraceEntry): Occurrence => ({ kind: entry.kind, path: "", inputs: entry.inputs, outputs: entry.outputs, params: entry.params });
  return {
    layers: (file, span) => layers.get(file, span).map(({ model, layer }) => layerOccurrence(model, layer)),
    traced: (kind, file, span) => traced[kind].get(file, span).map(fromTrace),
    stages: (file) =>
      [...(stageSpans.get(file) ?? [])]
        .sort((a, b) => a.start - b.start || a.end - b.end)
        .map((span) => ({ span, occurrences: traced.stage.get(file, span).map(fromTrace) })),
  };
}

function layerOccurrence(model: CheckedModel, layer: LayerInstance): Occurrence {
  const params = layer.params.reduce((n, p) => (p.buffer ? n : n + p.shape.reduce((a, b) => a * b, 1)), 0);
  return {
    kind: layer.kind,
    path: layer.path,
    inputs: layer.inputs.map((id) => model.values[id].shape),
    outputs: [model.values[layer.output].shape],
    params,
  };
}
