/**
 * TypeScript emission (docs/codegen.md): a graph becomes a readable module, built with ts-morph
 * and formatted with prettier. The module holds
 *
 * - `PARAMETERS`, every parameter and buffer by name and shape (what `load` checks);
 * - `CONSTANTS`, the graph's literal constants, when it has any (each once);
 * - a class named after the model, whose constructor computes the graph's constant nodes once
 *   (load-time folding: one `foldAffine` per folded layer, weight standardization) from the
 *   original checkpoint, whose `forward` runs one statement per remaining node with the source
 *   line in a comment, and whose `state()` returns the parameters and buffers, never folded values;
 * - `load(source?)`, which reads and checks the weights and returns that class;
 * - in inference mode, `STEPS`: the nodes of `forward` as data (op, output, inputs, attrs), which
 *   the WebAssembly engine (`fastForward` of `runtime/fast/module-engine.ts`) compiles into plans,
 *   taking the kernel call of a step it runs on the fallback from the runtime's operator registry;
 *   `load(source, { engine, threads })` picks it or the readable code, and the class gains
 *   `engine` and `close()`.
 *
 * The network is written twice: as code (`forward`) and as data (`STEPS`). Every kernel call comes
 * from `kernelCall` (`kernel-code.ts`), the registry's table the IR executor runs.
 */
import { basename } from "node:path";
import { Project, StructureKind, VariableDeclarationKind, type CodeBlockWriter, type SourceFile as MorphFile } from "ts-morph";
import type { ParamInfo, Shape } from "../../check/model.js";
import type { Graph, IrNode } from "../../ir/graph.js";
import type { SourceFile } from "../../syntax/span.js";
import { VERSION } from "../../version.js";
import { IdentifierTable, commentText, float32Literal, stringLiteral } from "./identifiers.js";
import { kernelsOf, literalCode, nodeExpression, trainingExpression, type CallContext } from "./kernel-code.js";
import { kernelCall } from "../../ir/kernels.js";
import { planSteps } from "../../ir/plan-steps.js";
import type { TrainingGraph } from "../../train/training-graph.js";

/** What the emitter needs besides the graph. */
export interface ModuleOptions {
  /** `train` emits `forward(x, { training })` with batch statistics and dropout. */
  readonly mode: "inference" | "train";
  /** Whether the inference passes folded normalizations (for the header comment). */
  readonly fused: boolean;
  /** Every parameter and buffer of the model, in declaration order (what `load` takes). */
  readonly params: readonly ParamInfo[];
  /** The `.nn` file, as the header names it. */
  readonly sourcePath: string;
  /** Finds a source file's text, for the source-line comments. */
  readonly sources: (path: string) => SourceFile | undefined;
  /** The weights file next to the module that `load()` reads without an argument, if any. */
  readonly defaultWeights?: string;
  /** Where the runtime comes from; ignored when `inlinedRuntime` is given. */
  readonly runtimeModule: string;
  /** `--standalone`: the runtime's code to put in the module instead of an import. */
  readonly inlinedRuntime?: { readonly text: string; readonly names: readonly string[]; readonly globals?: readonly string[] };
  /** Train mode: the training step's graph (forward, loss, backward), for `trainStep`; absent for a model that cannot train (several outputs). */
  readonly training?: TrainingGraph;
}

/** The support functions of `runtime/model-support.ts` and `runtime/fast/module-engine.ts` that a module may call. */
const SUPPORT = ["checkInput", "copyState", "loadWeights", "createRandom", "fastForward", "ParameterUpdate", "validateUpdateSettings", "splitOptimizerState"];

/** What the constructor's load-time statements are, before the first of them. */
const FOLDED_COMMENT = 'The constant nodes of the graph, computed once from the checkpoint (docs/codegen.md, "Reading the module").';

/** Names the module declares at top level (besides its class), which `--standalone` keeps inlined code off. */
export const MODULE_DECLARATIONS: readonly string[] = ["Tensor", "PARAMETERS", "TRAINABLE", "CLASSIFIER", "CONSTANTS", "STEPS", "LoadOptions", "Target", "load"];

/** The runtime types a train module with a training step names. */
const TRAINING_TYPES = ["OptimizerSettings", "ScheduleSettings"];

/** Names the module declares at top level, or imports as types. */
const MODULE_NAMES = [...MODULE_DECLARATIONS, "ParameterSpec", "ModuleStep", "FastForward", ...TRAINING_TYPES];

/** The runtime types an inference or train module names. */
export function runtimeTypes(mode: "inference" | "train", training?: TrainingGraph): string[] {
  if (mode === "inference") return ["FastForward", "ModuleStep", "ParameterSpec"];
  return training ? ["ParameterSpec", ...TRAINING_TYPES] : ["ParameterSpec"];
}

/**
 * The kernels and support functions a module for `graph` calls, sorted. An inference module
 * also calls `fastForward`, its WebAssembly engine.
 */
export function runtimeImports(graph: Graph, mode: "inference" | "train", training?: TrainingGraph): string[] {
  const modes = mode === "train" ? [true, false] : [false];
  const names = new Set(["checkInput", "copyState", "loadWeights", ...(mode === "inference" ? ["fastForward"] : [])]);
  for (const node of graph.nodes) for (const k of kernelsOf(node, loadTime(graph, mode, node) ? [false] : modes)) names.add(k);
  const live = graph.nodes.filter((n) => !loadTime(graph, mode, n));
  const steps = [...live, ...(training?.graph.nodes ?? [])];
  if (mode === "train" && steps.some((n) => kernelCall(n, true).args.some((a) => a.kind === "random"))) names.add("createRandom");
  if (training) {
    names.delete("loadWeights"); // load() reads the weights with splitOptimizerState instead
    for (const node of training.graph.nodes) names.add(kernelCall(node, true).kernel);
    for (const name of ["BufferPool", "ParameterUpdate", "validateUpdateSettings", "splitOptimizerState", "withBufferPool"]) names.add(name);
  }
  return [...names].sort();
}

/**
 * True for a node computed once at load: constant, in inference mode. A train-mode module
 * computes every node on each call, since training changes the parameters that constant nodes
 * (weight standardization) read; only nodes of literal constants alone are computed at load.
 */
function loadTime(graph: Graph, mode: "inference" | "train", node: IrNode): boolean {
  return graph.isConstantNode(node) && (mode === "inference" || node.inputs.every((i) => i === "" || readsLiteralsOnly(graph, i)));
}

function readsLiteralsOnly(graph: Graph, value: string): boolean {
  const v = graph.values.get(value);
  if (v?.kind === "const") return true;
  if (v?.kind !== "node") return false;
  const node = graph.producer(value);
  return node !== undefined && node.inputs.every((i) => i === "" || readsLiteralsOnly(graph, i));
}

/**
 * The unformatted TypeScript of the module for `graph`. With `inlinedRuntime`, the runtime's code
 * is not in it yet: `withInlinedRuntime` adds it to the formatted text.
 */
export function emitModuleSource(graph: Graph, options: ModuleOptions): string {
  return new ModuleEmitter(graph, options).emit();
}

/**
 * A module's text with the inlined runtime's code after its header comment, where a module
 * without it has its import. The runtime's code goes in as written in the runtime's sources
 * (already formatted); only the module's own code needs a formatter.
 */
export function withInlinedRuntime(moduleText: string, runtimeText: string): string {
  const headerEnd = moduleText.indexOf("\n\n") + 2;
  if (headerEnd < 2) throw new Error("a module's text starts with its header comment and a blank line");
  return moduleText.slice(0, headerEnd) + runtimeText + "\n" + moduleText.slice(headerEnd);
}

class ModuleEmitter {
  private readonly ids: IdentifierTable;
  private readonly className: string;
  private readonly train: boolean;
  private readonly imports: string[];
  /** Train mode: some node's training form differs (normalizers, dropout), so forward reads `training`. */
  private readonly usesTraining: boolean;
  /** Train mode: some node draws random numbers (dropout), so the model keeps a generator. */
  private readonly usesRandom: boolean;
  /** Train mode: the training step, when the model can train. */
  private readonly training: TrainingGraph | undefined;

  constructor(
    private readonly graph: Graph,
    private readonly options: ModuleOptions,
  ) {
    this.train = options.mode === "train";
    this.training = this.train ? options.training : undefined;
    this.imports = runtimeImports(graph, options.mode, this.training);
    const live = graph.nodes.filter((n) => !loadTime(graph, options.mode, n));
    const differs = (n: IrNode) => JSON.stringify(kernelCall(n, true)) !== JSON.stringify(kernelCall(n, false));
    this.usesTraining = this.train && live.some(differs);
    this.usesRandom = this.train && live.some((n) => kernelCall(n, true).args.some((a) => a.kind === "random"));
    const runtimeNames = options.inlinedRuntime?.names ?? this.imports;
    // A standalone module must not shadow a global its inlined runtime reads (`model DataView`).
    const globals = options.inlinedRuntime?.globals ?? [];
    this.ids = new IdentifierTable([...runtimeNames, ...globals, ...MODULE_NAMES, ...SUPPORT, "w", "training", "options", "fast", "target", "gradients", "update", "sizes"]);
    this.className = this.ids.get(graph.name);
  }

  emit(): string {
    const project = new Project({ useInMemoryFileSystem: true });
    const file = project.createSourceFile("module.ts", "");
    // An inlined runtime is not added here: `withInlinedRuntime` splices it in after formatting.
    if (!this.options.inlinedRuntime) {
      const types = runtimeTypes(this.options.mode, this.training).map((t) => `type ${t}`);
      file.addImportDeclaration({ moduleSpecifier: this.options.runtimeModule, namedImports: [...this.imports, ...types] });
    }
    this.addTypes(file);
    this.addTables(file);
    if (!this.train) this.addSteps(file);
    this.addClass(file);
    this.addLoad(file);
    // ts-morph separates declarations by blank lines except variable statements; every top-level doc comment gets one.
    return this.header() + file.getFullText().replace(/([^\n])\n\/\*\*/g, "$1\n\n/**");
  }

  private header(): string {
    const mode = this.train ? "train mode (forward(x, { training }))" : this.options.fused ? "inference mode, fused" : "inference mode, unfused (--no-fuse)";
    const runtime = this.options.inlinedRuntime ? "Standalone: the runtime kernels it uses are inlined below." : `Kernels come from ${this.options.runtimeModule}.`;
    return [
      `// Generated by nnc ${VERSION} from ${commentText(basename(this.options.sourcePath))}: model ${commentText(this.graph.name)}, ${mode}.`,
      `// ${runtime} Do not edit; recompile instead.`,
      "",
      "",
    ].join("\n");
  }

  private addTypes(file: MorphFile): void {
    file.addInterface({
      name: "Tensor",
      isExported: true,
      typeParameters: [{ name: "S", constraint: "number[]", default: "number[]" }],
      docs: ["A dense row-major float32 tensor; `S` is its shape, e.g. `Tensor<[number, 3, 32, 32]>` (`number` where a dimension is symbolic)."],
      properties: [
        { name: "shape", type: "S" },
        { name: "data", type: "Float32Array" },
      ],
    });
    if (this.training) {
      file.addInterface({
        name: "Target",
        isExported: true,
        docs: ["What {@link " + this.className + ".trainStep} learns from: class labels `[n]` (whole numbers) for cross-entropy, or a tensor shaped like the output for mean squared error."],
        properties: [
          { name: "shape", type: "number[]" },
          { name: "data", type: "Float32Array | Int32Array" },
        ],
      });
    }
    file.addInterface({
      name: "LoadOptions",
      isExported: true,
      docs: ["Options of {@link load}."],
      properties: this.train
        ? [
            { name: "seed", hasQuestionToken: true, type: "number", docs: ["Seed of the dropout generator (default 0)."] },
            { name: "random", hasQuestionToken: true, type: "() => number", docs: ["A source of uniform numbers in [0, 1) for dropout, instead of the seeded one."] },
            ...(this.training ? TRAINING_OPTIONS : []),
          ]
        : [
            {
              name: "engine",
              hasQuestionToken: true,
              type: '"auto" | "wasm" | "ts"',
              docs: [
                'Which kernels `forward` runs: `"wasm"`, the WebAssembly plan of {@link STEPS}; `"ts"`, the readable code of `forward`; `"auto"` (default), `"wasm"` where WebAssembly SIMD is available, else `"ts"`. `"wasm"` throws where it is not.',
              ],
            },
            { name: "threads", hasQuestionToken: true, type: "number", docs: ["Threads the WebAssembly engine splits convolutions and pools over, the caller's included (default 1; Node's `worker_threads`, or Web Workers in a cross-origin isolated page; one thread elsewhere)."] },
          ],
    });
  }

  private addTables(file: MorphFile): void {
    const params = this.options.params.map((p) => `[${stringLiteral(p.name)}, [${p.shape.join(", ")}]],`);
    file.addVariableStatement({
      isExported: true,
      declarationKind: VariableDeclarationKind.Const,
      docs: [`Every parameter and buffer of ${commentText(this.graph.name)} by name and shape, in declaration order: what {@link load} takes (docs/codegen.md, "Weights").`],
      declarations: [{ name: "PARAMETERS", type: "readonly ParameterSpec[]", initializer: (w) => this.list(w, params) }],
    });
    if (this.training) {
      const trainable = this.training.gradients.map((g) => `${stringLiteral(g.param)},`);
      file.addVariableStatement({
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: ["The learnable parameters `trainStep` computes gradients of and updates, in declaration order."],
        declarations: [{ name: "TRAINABLE", type: "readonly string[]", initializer: (w) => this.list(w, trainable) }],
      });
      file.addVariableStatement({
        isExported: true,
        declarationKind: VariableDeclarationKind.Const,
        docs: ["The final classifier's parameters, which adaptive gradient clipping leaves alone by default."],
        declarations: [{ name: "CLASSIFIER", type: "readonly string[]", initializer: `[${this.training.classifier.map(stringLiteral).join(", ")}]` }],
      });
    }
    const constants = [...this.graph.values.values()].filter((v) => v.kind === "const");
    if (constants.length === 0) return;
    const rows = constants.map((v) => `[${stringLiteral(v.name)}, [${v.shape.join(", ")}], [${Array.from(v.data ?? [], float32Literal).join(", ")}]],`);
    file.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      docs: ["Literal constants of the graph (epsilons, fixed means and deviations): name, shape, values."],
      declarations: [{ name: "CONSTANTS", type: "readonly (readonly [string, number[], number[]])[]", initializer: (w) => this.list(w, rows) }],
    });
  }

  /**
   * Inference: the steps of `forward` as data, for the WebAssembly engine. Prettier would spread
   * each step over some ten lines; kept out of its hands, a step takes one line, or two with its
   * attributes. The kernel call of each is not written: the engine takes it from the runtime's
   * operator registry, as `forward`'s line for it was.
   */
  private addSteps(file: MorphFile): void {
    const steps = planSteps(this.graph).map((step) => {
      const head = `  { op: ${stringLiteral(step.op)}, output: ${stringLiteral(step.output)}, inputs: ${literalCode(step.inputs)}`;
      return Object.keys(step.attrs).length === 0 ? `${head} },` : `${head},\n    attrs: ${literalCode(step.attrs)} },`;
    });
    file.addStatements([
      "/**",
      " * The steps of `forward` as data, in order, for the WebAssembly engine (docs/codegen.md, \"Engines\"). A step the plan",
      " * has no WebAssembly kernel for runs the runtime kernel that `forward` calls for it.",
      " */",
      "// prettier-ignore",
      `const STEPS: readonly ModuleStep[] = [${steps.length === 0 ? "" : `\n${steps.join("\n")}\n`}];`,
    ].join("\n"));
  }

  /** The nodes `forward` runs, in order. */
  private liveNodes(): IrNode[] {
    return this.graph.nodes.filter((n) => !loadTime(this.graph, this.options.mode, n));
  }

  private list(writer: CodeBlockWriter, rows: readonly string[]): void {
    writer.write("[").newLine();
    writer.indent(() => rows.forEach((row) => writer.writeLine(row)));
    writer.write("]");
  }

  private addClass(file: MorphFile): void {
    const name = commentText(this.graph.name);
    const hasConstants = [...this.graph.values.values()].some((v) => v.kind === "const");
    const folded = this.graph.nodes.filter((n) => loadTime(this.graph, this.options.mode, n));
    file.addClass({
      name: this.className,
      isExported: true,
      docs: [`${name} with its weights loaded; make one with {@link load}.`],
      properties: [
        {
          name: "#w",
          isReadonly: true,
          type: "Record<string, Tensor>",
          docs: ["Parameters and buffers by name, then literal constants and load-time (folded) values by IR value name."],
        },
        ...(this.usesRandom ? [{ name: "#random", isReadonly: true, type: "() => number" }] : []),
        ...(this.training
          ? [
              { name: "#update", isReadonly: true, type: "ParameterUpdate", docs: ["Clipping, the optimizer and its schedule: the update half of `trainStep`."] },
              { name: "#loss", isReadonly: true, type: '{ loss: "cross_entropy" | "mse"; labelSmoothing?: number }' },
              { name: "#gradients", type: "Record<string, Float32Array>", initializer: "{}" },
              {
                name: "#pool",
                isReadonly: true,
                type: "BufferPool",
                initializer: "new BufferPool()",
                docs: ["The buffers of a training step's values, which the next step reuses instead of allocating."],
              },
            ]
          : []),
        ...(this.train ? [] : [{ name: "#fast", isReadonly: true, type: "FastForward | undefined", docs: ["The WebAssembly engine; `undefined` when `forward` runs its own code."] }]),
      ],
      ctors: [
        {
          docs: [
            this.train
              ? "Takes checked weights (see {@link load}) and computes the constant nodes of the graph."
              : "Takes checked weights (see {@link load}), computes the constant nodes of the graph and picks the engine.",
          ],
          parameters: [
            { name: "weights", type: "Record<string, Tensor>" },
            ...(this.usesRandom ? [{ name: "random", type: "() => number" }] : []),
            ...(this.train && !this.training ? [] : [{ name: "options", type: "LoadOptions", initializer: "{}" }]),
            ...(this.training ? [{ name: "optimizerState", hasQuestionToken: true, type: "Record<string, Float32Array>" }] : []),
          ],
          statements: (w) => {
            w.writeLine("this.#w = weights;");
            if (this.usesRandom) w.writeLine("this.#random = random;");
            if (this.training) {
              w.writeLine("const { optimizer, schedule, agc, agcExclude = CLASSIFIER, clipNorm } = options;");
              w.writeLine("const trainable = PARAMETERS.filter(([name]) => TRAINABLE.includes(name)).map(([name, shape]) => ({ name, shape }));");
              w.writeLine("this.#update = new ParameterUpdate(trainable, validateUpdateSettings({ optimizer, schedule, agc, agcExclude, clipNorm }));");
              w.writeLine("if (optimizerState !== undefined) this.#update.restore(optimizerState);");
              w.writeLine('this.#loss = { loss: options.loss ?? "cross_entropy", labelSmoothing: options.labelSmoothing ?? 0 };');
            }
            if (hasConstants) w.writeLine("for (const [name, shape, data] of CONSTANTS) weights[name] = { shape, data: Float32Array.from(data) };");
            if (folded.length > 0) {
              w.writeLine(`// ${FOLDED_COMMENT}`);
              w.writeLine("const w = weights;");
            }
            for (const node of folded) this.statement(w, node, "load");
            if (!this.train) w.writeLine(this.engineStatement());
          },
        },
      ],
      getAccessors: this.train
        ? []
        : [
            {
              name: "engine",
              returnType: '"wasm" | "ts"',
              docs: ['Which kernels `forward` runs: `"wasm"` (the WebAssembly plan) or `"ts"` (its own code).'],
              statements: 'return this.#fast ? "wasm" : "ts";',
            },
          ],
      methods: [this.forwardMethod(), ...this.trainingMethods(), {
        kind: StructureKind.Method,
        name: "state",
        returnType: "Record<string, Float32Array>",
        docs: this.training
          ? ["Every parameter and buffer by name, as loaded or as training updated it (never folded values), then the optimizer's state as `optim.<parameter>.<slot>` and `optim.step`: save it, and `load` resumes the run exactly."]
          : ["Every parameter and buffer by name: as loaded, or as a training forward updated it; never folded values."],
        statements: this.training ? "return { ...copyState(this.#w, PARAMETERS), ...this.#update.state() };" : "return copyState(this.#w, PARAMETERS);",
      }, ...(this.train ? [] : [{
        kind: StructureKind.Method as const,
        name: "close",
        returnType: "void",
        docs: ["Stops the WebAssembly engine's worker threads and frees its plans (a later forward compiles again). Optional: the workers never keep a process alive."],
        statements: "this.#fast?.close();",
      }])],
    });
  }

  /** `trainStep` and `gradients`, for a train-mode module of a model that can train. */
  private trainingMethods() {
    const training = this.training;
    if (!training) return [];
    const graph = training.graph;
    const modelInputs = graph.inputs.filter((i) => i !== training.target);
    const parameters = [
      ...modelInputs.map((input) => ({ name: this.ids.get(input), type: tensorType(graph.value(input).shape) })),
      { name: this.ids.get(training.target), type: "Target" },
    ];
    const outputType = tensorType(graph.value(training.output).shape);
    const context: CallContext = { ref: (v) => this.ref(v, graph), random: "this.#random", loss: "this.#loss", updates: (v) => graph.value(v).updates };
    const trainStep = {
      kind: StructureKind.Method as const,
      name: "trainStep",
      docs: [
        [
          "One training step on a batch: the forward in training mode (batch statistics, dropout), the loss, the gradient of every",
          "parameter in {@link TRAINABLE}, clipping, and the optimizer's update of the parameters in place; the running statistics",
          "update as in `forward(x, { training: true })`. Returns the batch's loss and the model's output.",
        ].join("\n"),
      ],
      parameters,
      returnType: `{ loss: number; output: ${outputType} }`,
      statements: (w: CodeBlockWriter) => {
        this.inputChecks(w, graph, modelInputs, (input) => stringLiteral(`${this.graph.name}.trainStep: input ${input}`));
        w.writeLine("// The kernels' buffers come from the previous step's, through the pool.");
        w.writeLine("return withBufferPool(this.#pool, () => {");
        w.indent(() => this.trainStepBody(w, training, context, outputType));
        w.writeLine("});");
      },
    };
    const gradients = {
      kind: StructureKind.Method as const,
      name: "gradients",
      returnType: "Record<string, Float32Array>",
      docs: ["The last `trainStep`'s gradients by parameter name (after clipping), as copies, for inspection; empty before the first step."],
      statements: "return Object.fromEntries(Object.entries(this.#gradients).map(([name, g]) => [name, g.slice()]));",
    };
    return [trainStep, gradients];
  }

  /** The body of `trainStep` inside its buffer pool: every node, the update, and the end of the pool's run. */
  private trainStepBody(w: CodeBlockWriter, training: TrainingGraph, context: CallContext, outputType: string): void {
    const graph = training.graph;
    w.writeLine("const w = this.#w;");
    const updates: [string, string][] = [];
    const forwardNodes = new Set(this.graph.nodes.map((n) => n.name));
    for (const node of graph.nodes) {
      if (loadTime(graph, "train", node)) continue;
      w.writeLine(`// ${this.where(node)}`);
      const targets = node.outputs.map((o) => this.ids.get(o));
      // The loss and the backward kernels return `Tensor[]` (as many gradients as `wants` asks
      // for), which destructures into `Tensor | undefined` under `noUncheckedIndexedAccess`:
      // the tuple type says how many there are.
      const tuple = targets.length > 1 && !forwardNodes.has(node.name) ? ` as [${targets.map(() => "Tensor").join(", ")}]` : "";
      w.writeLine(`const ${targets.length === 1 ? targets[0] : `[${targets.join(", ")}]`} = ${trainingExpression(node, context)}${tuple};`);
      for (const output of node.outputs) {
        const buffer = graph.value(output).updates;
        if (buffer !== undefined) updates.push([buffer, output]);
      }
    }
    w.writeLine("// The new running statistics, once the backward has read the ones the forward used.");
    for (const [buffer, output] of updates) w.writeLine(`w[${stringLiteral(buffer)}] = ${this.ids.get(output)};`);
    w.writeLine("const gradients: Record<string, Tensor> = {");
    w.indent(() => training.gradients.forEach((g) => w.writeLine(`${stringLiteral(g.param)}: ${this.ids.get(g.grad)},`)));
    w.writeLine("};");
    w.writeLine("this.#update.step(w, gradients);");
    w.writeLine("this.#gradients = Object.fromEntries(Object.entries(gradients).map(([name, g]) => [name, g.data]));");
    const output = this.ids.get(training.output);
    w.writeLine("// Every buffer of the step goes back to the pool but the output and the new running statistics.");
    w.writeLine(`this.#pool.endRun([${[output, ...updates.map(([, o]) => this.ids.get(o))].join(", ")}]);`);
    w.writeLine(`return { loss: ${this.ids.get(training.loss)}.data[0]!, output: ${output} as ${outputType} };`);
  }

  /**
   * The checks of `inputs` before anything runs: each input's static dimensions, and its
   * symbolic ones by name, so that a size such as `N` must agree across every input that has it
   * (each check returns the sizes it has seen, which the next one takes).
   */
  private inputChecks(w: CodeBlockWriter, graph: Graph, inputs: readonly string[], what: (input: string) => string): void {
    inputs.forEach((input, i) => {
      const dims = graph.value(input).shape.map((d) => (typeof d === "number" ? String(d) : stringLiteral(d)));
      const call = `checkInput(${this.ids.get(input)}, [${dims.join(", ")}], ${what(input)}${i > 0 ? ", sizes" : ""})`;
      const last = i === inputs.length - 1;
      w.writeLine(inputs.length === 1 || (last && i > 0) ? `${call};` : i === 0 ? `${inputs.length > 2 ? "let" : "const"} sizes = ${call};` : `sizes = ${call};`);
    });
  }

  private forwardMethod() {
    const graph = this.graph;
    const parameters = graph.inputs.map((input) => ({ name: this.ids.get(input), type: tensorType(graph.value(input).shape) }));
    if (this.train) parameters.push({ name: "options", type: "{ training?: boolean } = {}" });
    const outputs = graph.outputs.map((o) => tensorType(graph.value(o).shape));
    const returnType = outputs.length === 1 ? outputs[0] : `[${outputs.join(", ")}]`;
    const what = (input: string) => stringLiteral(`${graph.name}.forward: input ${input}`);
    return {
      kind: StructureKind.Method as const,
      name: "forward",
      docs: [
        this.train
          ? "Runs the model; with `{ training: true }` normalizers use batch statistics and update the running ones, and dropout drops."
          : "Runs the model on a batch. Throws when an input's rank or a static dimension is wrong.",
      ],
      parameters,
      returnType,
      statements: (w: CodeBlockWriter) => {
        this.inputChecks(w, graph, graph.inputs, what);
        if (!this.train) {
          w.writeLine(`const fast = this.#fast?.run([${graph.inputs.map((i) => this.ids.get(i)).join(", ")}]);`);
          const fast = outputs.map((type, i) => `fast[${i}] as ${type}`);
          w.writeLine(`if (fast) return ${fast.length === 1 ? fast[0] : `[${fast.join(", ")}]`};`);
        }
        if (this.usesTraining) w.writeLine("const training = options.training ?? false;");
        const steps = graph.nodes.filter((node) => !loadTime(graph, this.options.mode, node));
        // The weights record, only where a step reads it (a model of pools alone has none to read).
        const readsWeights = this.train || steps.some((node) => node.inputs.some((i) => i !== "" && this.ref(i).startsWith("w[")));
        if (readsWeights) w.writeLine("const w = this.#w;");
        for (const node of steps) this.statement(w, node, "forward");
        const results = graph.outputs.map((o, i) => `${this.ref(o)} as ${outputs[i]}`);
        w.writeLine(`return ${results.length === 1 ? results[0] : `[${results.join(", ")}]`};`);
      },
    };
  }

  /**
   * One node: its source comment, `<outputs> = <kernel call>;` (into `w` at load, into locals in
   * `forward`; several outputs destructure an array), then the write-back of each running
   * statistic it updates.
   */
  private statement(w: CodeBlockWriter, node: IrNode, place: "load" | "forward"): void {
    w.writeLine(`// ${this.where(node)}`);
    const context: CallContext = { ref: (v) => this.ref(v), random: "this.#random", updates: (v) => this.graph.value(v).updates };
    const expression = nodeExpression(node, context, place === "forward" && this.train);
    const targets = node.outputs.map((o) => (place === "load" ? `w[${stringLiteral(o)}]` : this.ids.get(o)));
    const target = targets.length === 1 ? targets[0] : `[${targets.join(", ")}]`;
    w.writeLine(`${place === "forward" ? "const " : ""}${target} = ${expression};`);
    for (const output of node.outputs) {
      const buffer = this.graph.value(output).updates;
      if (buffer !== undefined) w.writeLine(`w[${stringLiteral(buffer)}] = ${this.ref(output)};`);
    }
  }

  /**
   * `resnet20.nn:14  Basic0.conv0 = conv(16, 3, ...)`, with every origin of a fused node
   * (`conv(..) -> norm -> relu`); a node with several outputs, which its statement names, goes by
   * its own name (`Basic0.conv0.fold`).
   */
  private where(node: IrNode): string {
    const places = node.origins.map((o) => {
      const source = this.options.sources(o.file);
      const line = source ? `:${source.lineCol(o.span.start).line + 1}` : "";
      const text = source ? source.text.slice(o.span.start, o.span.end) : "";
      return { at: `${basename(o.file)}${line}`, text: commentText(text, 60) };
    });
    const at = commentText([...new Set(places.map((p) => p.at))].join(", "));
    const code = places.map((p) => p.text).filter((t) => t !== "").join(" -> ");
    const label = node.outputs.length === 1 ? node.outputs[0] : node.name;
    return `${at}  ${commentText(label)} = ${code || node.op}`;
  }

  /** `this.#fast = fastForward(...)`: the WebAssembly engine over {@link STEPS}, falling back to the kernels `forward` calls. */
  private engineStatement(): string {
    const names = (values: readonly string[]) => `[${values.map(stringLiteral).join(", ")}]`;
    const kernels = [...new Set(this.liveNodes().map((n) => kernelCall(n, false).kernel))].sort();
    const graph = `{ inputs: ${names(this.graph.inputs)}, outputs: ${names(this.graph.outputs)}, steps: STEPS }`;
    return `this.#fast = fastForward(${stringLiteral(this.graph.name)}, ${graph}, weights, { ${kernels.join(", ")} }, options);`;
  }

  /**
   * The expression that reads IR value `name` of `graph` (the model's, or the training step's)
   * inside a method or the constructor. A read of the weights record ends in `!`: `load` checked
   * that every parameter is there and the constructor added the rest, which a `Record<string,
   * Tensor>` cannot say, so that the module also compiles under `noUncheckedIndexedAccess`.
   */
  private ref(name: string, graph: Graph = this.graph): string {
    const value = graph.value(name);
    if (value.kind === "input") return this.ids.get(name);
    if (value.kind === "node" && !loadTime(graph, this.options.mode, graph.producer(name)!)) return this.ids.get(name);
    return `w[${stringLiteral(name)}]!`;
  }

  private addLoad(file: MorphFile): void {
    const model = stringLiteral(this.graph.name);
    const fallback = this.options.defaultWeights
      ? `new URL(${stringLiteral(`./${encodeURIComponent(this.options.defaultWeights)}`)}, import.meta.url)`
      : undefined;
    file.addFunction({
      name: "load",
      isExported: true,
      isAsync: true,
      docs: [
        [
          `Loads ${commentText(this.graph.name)} from a checkpoint with the original parameter names (docs/codegen.md, "Weights"): a safetensors path,`,
          "its bytes, or a record of Float32Array by name. Missing, extra, wrongly shaped or non-finite weights are rejected with",
          "a message naming each parameter. The inference folding is computed here, once.",
          this.train ? "" : "`options.engine` picks the kernels `forward` runs (see {@link LoadOptions}).",
          fallback ? `Without an argument it loads ${commentText(this.options.defaultWeights!)}, the checkpoint the module was compiled with.` : "",
        ]
          .filter((l) => l !== "")
          .join("\n"),
      ],
      parameters: [
        { name: "source", hasQuestionToken: true, type: "string | Uint8Array | Record<string, Float32Array>" },
        { name: "options", type: "LoadOptions", initializer: "{}" },
      ],
      returnType: `Promise<${this.className}>`,
      statements: (w) => {
        if (!fallback) {
          w.writeLine(
            `if (source === undefined) throw new Error(${stringLiteral(`${this.graph.name}: load() needs weights (a safetensors path, its bytes, or a record of Float32Array by name); the module was compiled without --weights`)});`,
          );
        }
        const from = `source${fallback ? ` ?? ${fallback}` : ""}`;
        if (this.training) w.writeLine(`const { weights, optimizer } = await splitOptimizerState(${model}, PARAMETERS, ${from});`);
        else w.writeLine(`const weights = await loadWeights(${model}, PARAMETERS, ${from});`);
        const random = this.usesRandom ? ["options.random ?? createRandom(options.seed ?? 0)"] : [];
        const args = ["weights", ...random, ...(this.training ? ["options", "optimizer"] : this.train ? [] : ["options"])];
        w.writeLine(`return new ${this.className}(${args.join(", ")});`);
      },
    });
  }
}

/** The options of `load` that set up `trainStep` (docs/training.md). */
const TRAINING_OPTIONS = [
  { name: "optimizer", hasQuestionToken: true, type: "OptimizerSettings", docs: ['The optimizer of `trainStep`: `{ name: "sgd" | "adam" | "adamw", lr, momentum, nesterov, weightDecay, betas, eps }` (default SGD with lr 0.01).'] },
  { name: "schedule", hasQuestionToken: true, type: "ScheduleSettings", docs: ["The learning-rate schedule, per step (default constant)."] },
  { name: "agc", hasQuestionToken: true, type: "number", docs: ["Adaptive gradient clipping with this factor λ, unit-wise (default off)."] },
  { name: "agcExclude", hasQuestionToken: true, type: "readonly string[]", docs: ["Parameters adaptive gradient clipping leaves alone (default {@link CLASSIFIER}, the final classifier's)."] },
  { name: "clipNorm", hasQuestionToken: true, type: "number", docs: ["Clip the gradients' global 2-norm to this value (default off)."] },
  { name: "loss", hasQuestionToken: true, type: '"cross_entropy" | "mse"', docs: ['The loss `trainStep` minimises (default `"cross_entropy"`, on class labels).'] },
  { name: "labelSmoothing", hasQuestionToken: true, type: "number", docs: ["Cross-entropy's label smoothing, in [0, 1) (default 0)."] },
];

/** `Tensor<[number, 3, 32, 32]>`: static dimensions as literals, symbolic ones as `number`. */
function tensorType(shape: Shape): string {
  return `Tensor<[${shape.map((d) => (typeof d === "number" ? String(d) : "number")).join(", ")}]>`;
}
