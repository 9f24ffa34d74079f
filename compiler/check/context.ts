/**
 * The state of one model's elaboration: the tensors and layer instances made so far, the
 * parameter-naming scopes (docs/codegen.md, "Weights"), the stacks that catch recursion, the expansion limit,
 * and the diagnostics sink.
 *
 * Naming: each scope (the model, a block instance, a labelled group) counts instances per kind
 * in the order they are created, which is source order after repeats expand. Every instance
 * consumes its kind's counter, labelled or not, so that labelling one layer never renames its
 * siblings; a label or generated name may be taken only once per scope.
 */
import type { Diagnostic, RelatedInfo } from "../diagnostics/diagnostic.js";
import { diagnostic, type Code } from "../diagnostics/catalogue.js";
import type { LetDecl } from "../syntax/ast.js";
import type { LayerInstance, ParamInfo, ScopeInstance, Shape, TensorValue } from "./model.js";
import type { LeafParam } from "./operator-def.js";
import type { BlockInfo, FileInfo } from "./files.js";
import type { Locals, DynamicEnv } from "./environment.js";
import type { Site, TensorRef, Value } from "./values.js";
import type { TraceEntry, TraceKind } from "./trace.js";

/** Where an expression is evaluated: its file's top-level scope, its locals and its aliases. */
export interface Env {
  readonly file: FileInfo;
  readonly locals: Locals;
  readonly dynamic: DynamicEnv | undefined;
}

interface NamingScope {
  /** The dotted path of the scope, with a trailing dot (empty for the model). */
  readonly prefix: string;
  /** Block instances and labelled groups enclosing this scope, outermost first, by full path. */
  readonly scopes: readonly string[];
  readonly counters: Map<string, number>;
  readonly taken: Set<string>;
}

/** How many layer applications (of any kind) the limit allows per primitive instance. */
const STEPS_PER_LAYER = 10;

/** The mutable state of one model's elaboration. */
export class Elaboration {
  readonly values: TensorValue[] = [];
  /** Where each tensor came from (a layer call, or a model input), for notes. */
  readonly valueSites: Site[] = [];
  readonly layers: LayerInstance[] = [];
  /** Block instances and labelled groups, as each finishes. */
  readonly scopeInstances: ScopeInstance[] = [];
  readonly params: ParamInfo[] = [];
  /** Blocks being expanded, outermost first: calling one of them again is recursion. */
  readonly blockStack: BlockInfo[] = [];
  /** `let`s being evaluated: needing one of them again is a cycle. */
  readonly letStack: LetDecl[] = [];
  /** Set once the expansion limit is reported: everything after it stops quietly. */
  overLimit = false;
  /**
   * Layer applications so far, composite ones included. A block that adds no instance (it
   * returns its input) still costs work, so repeats are bounded by this too.
   */
  steps = 0;
  /** Parameter and buffer elements of the instances so far, against the limit of `limits.ts`. */
  parameterElements = 0;
  /** How many times each block has been expanded, for the "in this call" notes. */
  readonly blockCalls = new Map<BlockInfo, number>();
  /** The "in this call" notes added so far, with the block each names a call of. */
  readonly callNotes = new Map<RelatedInfo, BlockInfo>();
  private scope: NamingScope = { prefix: "", scopes: [], counters: new Map(), taken: new Set() };
  /** Where this elaboration's diagnostics start in the shared list. */
  private readonly firstDiagnostic: number;

  constructor(
    readonly diagnostics: Diagnostic[],
    readonly maxLayers: number,
    /** Where to record shapes at source places (`trace.ts`); undefined records nothing. */
    readonly trace?: TraceEntry[],
  ) {
    this.firstDiagnostic = diagnostics.length;
  }

  /**
   * Drops the "in this call" notes of blocks expanded only once, when the elaboration is over:
   * a block called once has one call, and the note would only repeat what the source says.
   */
  finishCallNotes(): void {
    if (this.callNotes.size === 0) return;
    for (let i = this.firstDiagnostic; i < this.diagnostics.length; i++) {
      const d = this.diagnostics[i];
      const related = d.related.filter((r) => {
        const block = this.callNotes.get(r);
        return block === undefined || (this.blockCalls.get(block) ?? 0) > 1;
      });
      if (related.length !== d.related.length) this.diagnostics[i] = { ...d, related };
    }
  }

  /** Records the tensors `inputs` and `outputs` of a place, when tracing. */
  record(kind: TraceKind, site: Site, inputs: readonly TensorRef[], outputs: Value, params = 0): void {
    if (!this.trace) return;
    const out = outputs.k === "tensor" ? [outputs] : outputs.k === "tuple" ? outputs.items.filter((i) => i.k === "tensor") : [];
    if (out.length === 0) return;
    const shapes = (ts: readonly Value[]) => ts.map((t) => this.values[(t as TensorRef).id].shape);
    this.trace.push({ kind, file: site.file, span: site.span, inputs: shapes(inputs), outputs: shapes(out), params });
  }

  /** Reports an error from the catalogue at `site`. */
  error(code: Code, site: Site, message: string, related: readonly RelatedInfo[] = []): void {
    this.diagnostics.push(diagnostic(code, site.file, site.span, message, related));
  }

  /** A new tensor value of `shape`. */
  newTensor(shape: Shape, site: Site, producer?: number): TensorRef {
    const id = this.values.length;
    this.values.push(producer === undefined ? { id, shape } : { id, shape, producer });
    this.valueSites.push(site);
    return { k: "tensor", id };
  }

  /** The shape of a tensor value. */
  shapeOf(t: TensorRef): Shape {
    return this.values[t.id].shape;
  }

  /**
   * Names a new instance of `kind` in the current scope: its label, or `<kind><k>`. Returns
   * undefined (after reporting) when a label is taken already.
   */
  nameInstance(kind: string, label: { readonly name: string; readonly span: Site["span"] } | undefined, file: string): string | undefined {
    const { counters, taken } = this.scope;
    let k = counters.get(kind) ?? 0;
    let generated = `${kind}${k}`;
    while (taken.has(generated)) generated = `${kind}${++k}`;
    counters.set(kind, k + 1);
    const name = label ? label.name : generated;
    if (label && taken.has(name)) {
      const where = this.scope.prefix === "" ? "the model" : `scope ${this.scope.prefix.slice(0, -1)}`;
      this.error(
        "E0408",
        { file, span: label.span },
        `label \`${name}\` names two layer instances in ${where}; to label a repeated layer, label a group around the repeat: \`${name}: [[...] * n]\``,
      );
      return undefined;
    }
    taken.add(name);
    return name;
  }

  /** The full dotted path that a scope or instance called `name` gets in the current scope. */
  pathOf(name: string): string {
    return this.scope.prefix + name;
  }

  /** Runs `body` inside a new naming scope called `name` (a block instance or labelled group). */
  inScope<T>(name: string, body: () => T): T {
    const outer = this.scope;
    const path = outer.prefix + name;
    this.scope = { prefix: `${path}.`, scopes: [...outer.scopes, path], counters: new Map(), taken: new Set() };
    try {
      return body();
    } finally {
      this.scope = outer;
    }
  }

  /** Records a primitive layer instance named `name` in the current scope; returns its index. */
  addLayer(
    name: string,
    kind: string,
    attrs: LayerInstance["attrs"],
    inputs: readonly number[],
    output: number,
    leaves: readonly LeafParam[],
    flops: number,
    site: Site,
  ): number {
    const path = this.scope.prefix + name;
    const params: ParamInfo[] = leaves.map((l) => ({ name: `${path}.${l.leaf}`, shape: l.shape, buffer: l.buffer }));
    this.params.push(...params);
    this.layers.push({ path, kind, attrs, inputs, output, params, flops, origin: { file: site.file, span: site.span }, scopes: this.scope.scopes });
    return this.layers.length - 1;
  }

  /**
   * True when `more` further instances would pass the limit; reports it once at `site`. Repeats
   * call this with the size of one copy times the copies left, before expanding them.
   */
  exceedsLimit(more: number, site: Site, moreSteps = 0): boolean {
    if (this.overLimit) return true;
    const withinSteps = this.steps + moreSteps <= STEPS_PER_LAYER * this.maxLayers;
    if (this.layers.length + more <= this.maxLayers && withinSteps) return false;
    this.overLimit = true;
    const count = (n: number) => (Number.isFinite(n) ? `about ${Math.round(n).toLocaleString("en-US")}` : "too many");
    const limit = this.maxLayers.toLocaleString("en-US");
    const message =
      this.layers.length + more > this.maxLayers
        ? `this expands the model to ${count(this.layers.length + more)} layer instances, more than the limit of ${limit}`
        : `this expands to ${count(this.steps + moreSteps)} layer applications, more than the limit allows (${STEPS_PER_LAYER} per instance of the limit of ${limit})`;
    this.error("E0405", site, message);
    return true;
  }
}
