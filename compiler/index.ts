/**
 * nnc's compiler as a library (`nnc/compiler`): what `nnc check` and `nnc compile` do, without
 * the command line. Neither call throws for bad input or writes anything: `checkSource` returns
 * the checked models and every diagnostic, `compileModel` also the files to write.
 *
 * ```ts
 * import { compileModel, diskHost, hasErrors, renderDiagnostics } from "nnc/compiler";
 *
 * const result = await compileModel({ path: "model.nn", host: diskHost() });
 * if (hasErrors(result.check.diagnostics)) {
 *   console.error(renderDiagnostics(result.check.diagnostics, (path) => result.check.sources.get(path)));
 * }
 * for (const file of result.files) console.log(file.name); // model.ts, model.safetensors
 * ```
 */
import type { CheckHost } from "./check/check.js";
import { readSourceFile } from "./check/read-source.js";

export { checkFile, checkSource, type CheckHost, type CheckOptions, type CheckResult } from "./check/check.js";
export type { CheckedModel } from "./check/model.js";
export { compileModel, type CompileRequest, type CompileResult } from "./emit/compile-model.js";
export type { EmittedFile } from "./emit/ts/emit-ts.js";
export { hasErrors, type Diagnostic } from "./diagnostics/diagnostic.js";
export { diagnosticsToJson, renderDiagnostics, type JsonDiagnostic } from "./diagnostics/render.js";
export { VERSION } from "./version.js";

/**
 * A host that reads `.nn` files from disk as the command line does: regular files of at most
 * 8 MiB, and imports only inside `root` (default: the checked file's directory).
 */
export function diskHost(root?: string): CheckHost {
  return {
    readFile: (path) => {
      const text = readSourceFile(path);
      return typeof text === "string" ? text : undefined;
    },
    readImport: (path, importRoot) => readSourceFile(path, importRoot),
    ...(root === undefined ? {} : { root }),
  };
}
