/**
 * The TypeScript target: the module of `emit-module.ts`, formatted by prettier, with the runtime
 * imported or inlined (`--standalone`, spliced in as written), and with `--js` compiled to `.js`
 * and `.d.ts` by the TypeScript compiler that ts-morph carries.
 */
import { Project, ts } from "ts-morph";
import { format } from "prettier";
import type { Graph } from "../../ir/graph.js";
import { MODULE_DECLARATIONS, emitModuleSource, runtimeImports, runtimeTypes, withInlinedRuntime, type ModuleOptions } from "./emit-module.js";
import { inlineRuntime } from "./inline-runtime.js";

/** Options of the TypeScript target. */
export interface TsTargetOptions extends Omit<ModuleOptions, "inlinedRuntime" | "runtimeModule"> {
  /** The file name without extension (`resnet20`): the module is `resnet20.ts`. */
  readonly stem: string;
  /** `--standalone`: inline the kernels used; the module imports nothing. */
  readonly standalone: boolean;
  /** `--js`: write `.js` and `.d.ts` instead of `.ts`. */
  readonly js: boolean;
  /** Where non-standalone modules import the runtime from (default `nnc/runtime`). */
  readonly runtimeModule?: string;
}

/** One file to write, by name relative to the output directory. */
export interface EmittedFile {
  readonly name: string;
  readonly contents: string | Uint8Array;
}

// The file path tells prettier that the text is TypeScript, not TSX: without one, it tests the
// text with a regular expression for JSX that is quadratic in the number of lines without a quote
// (11 of the 25 seconds of a 10,000-layer module).
const PRETTIER = { parser: "typescript", printWidth: 120, filepath: "module.ts" } as const;

/** Emits the module for `graph`: `<stem>.ts`, or `<stem>.js` and `<stem>.d.ts`. */
export async function emitTypeScript(graph: Graph, options: TsTargetOptions): Promise<EmittedFile[]> {
  const inlinedRuntime = options.standalone
    ? inlineRuntime([...runtimeImports(graph, options.mode, options.training), ...runtimeTypes(options.mode, options.training)], MODULE_DECLARATIONS)
    : undefined;
  const source = emitModuleSource(graph, { ...options, runtimeModule: options.runtimeModule ?? "nnc/runtime", inlinedRuntime });
  // Prettier formats the module's own code; the inlined runtime's is formatted already, and
  // formatting it again would take seconds.
  const ownCode = await format(source, PRETTIER);
  const formatted = inlinedRuntime ? withInlinedRuntime(ownCode, inlinedRuntime.text) : ownCode;
  if (!options.js) return [{ name: `${options.stem}.ts`, contents: formatted }];
  const { js, dts } = compileToJs(formatted, options.stem);
  return [
    { name: `${options.stem}.js`, contents: await format(js, { ...PRETTIER, parser: "babel", filepath: "module.js" }) },
    { name: `${options.stem}.d.ts`, contents: await format(dts, { ...PRETTIER, filepath: "module.d.ts" }) },
  ];
}

/** Compiles one module's TypeScript to JavaScript and declarations, in memory. */
function compileToJs(text: string, stem: string): { js: string; dts: string } {
  const project = new Project({
    useInMemoryFileSystem: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      declaration: true,
      removeComments: false,
      noEmitOnError: false,
      skipLibCheck: true,
    },
  });
  project.createSourceFile(`/${stem}.ts`, text);
  const output = project.emitToMemory();
  const files = output.getFiles();
  const find = (suffix: string) => {
    const file = files.find((f) => f.filePath.endsWith(`/${stem}${suffix}`));
    if (!file) throw new Error(`--js: TypeScript emitted no ${stem}${suffix}`);
    return file.text;
  };
  return { js: find(".js"), dts: find(".d.ts") };
}
