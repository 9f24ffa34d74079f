/**
 * Loading a file and the files it imports, and indexing their declarations.
 *
 * Each file becomes a `FileInfo`: its text, its syntax tree and a scope of top-level names
 * (its own `let`s and blocks, then those of the files it imports directly; its own win). An
 * import path is relative to the importing file. A file is read and parsed once however often
 * it is imported; a cycle of imports is reported at the import that closes it, with the chain.
 *
 * An import names a `.nn` file inside the project root: the host's `root`, else the directory of
 * the file being checked. The rule is checked here on the path as written (so every host obeys
 * it); a host that reads a real file system also checks where symbolic links lead
 * (`readImport`, see `read-source.ts`). Anything else is E0004, at the import's path string.
 */
import { posix } from "node:path";
import type { BlockDecl, Decl, LetDecl, ModelDecl, Param, Program } from "../syntax/ast.js";
import { SourceFile } from "../syntax/span.js";
import { parse } from "../syntax/parse.js";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/catalogue.js";
import { BUILTIN_FUNCTIONS, OPERATORS } from "./operators.js";
import { checkParams } from "./params.js";

/** A block declaration with its parameters split into tensor inputs and configuration. */
export interface BlockInfo {
  readonly name: string;
  readonly decl: BlockDecl;
  readonly file: FileInfo;
  readonly inputs: readonly Param[];
  readonly config: readonly Param[];
}

/** A top-level name: a `let` constant or a block. */
export type TopEntry =
  | { readonly kind: "let"; readonly decl: LetDecl; readonly file: FileInfo }
  | { readonly kind: "block"; readonly info: BlockInfo };

/** One loaded file. */
export interface FileInfo {
  readonly path: string;
  readonly source: SourceFile;
  readonly program: Program;
  /** Top-level names visible in the file: its own, then its direct imports'. */
  readonly scope: Map<string, TopEntry>;
  readonly models: ModelDecl[];
}

/** Why a file was not read: the reason, said after its path; `outsideRoot` for a refusal. */
export interface ReadFailure {
  readonly reason: string;
  readonly outsideRoot?: boolean;
}

/** A host that can read files (undefined: cannot read). */
export interface FileReader {
  readFile(path: string): string | undefined;
  /**
   * Reads an imported file, or says why not; `root` is the project root it must stay inside.
   * Without it, imports are read with `readFile`.
   */
  readImport?(path: string, root: string): string | ReadFailure | undefined;
  /** The directory imports must stay inside (default: the checked file's directory). */
  readonly root?: string;
}

/** The main file and every file it imports, with the diagnostics of reading and parsing them. */
export interface LoadedFiles {
  readonly main: FileInfo;
  readonly files: Map<string, FileInfo>;
  readonly diagnostics: Diagnostic[];
}

/** The path an import names, relative to the importing file. */
export function resolveImport(from: string, path: string): string {
  return posix.normalize(path.startsWith("/") ? path : posix.join(posix.dirname(from), path));
}

/** Reads `path` (whose text is given) and, transitively, everything it imports. */
export function loadFiles(path: string, text: string, host: FileReader): LoadedFiles {
  const files = new Map<string, FileInfo>();
  const diagnostics: Diagnostic[] = [];
  const loading: string[] = [];
  const root = host.root ?? posix.dirname(path);

  const load = (file: string, content: string): FileInfo => {
    const { program, diagnostics: syntax } = parse(content, file);
    diagnostics.push(...syntax);
    const info: FileInfo = { path: file, source: new SourceFile(file, content), program, scope: new Map(), models: [] };
    files.set(file, info);
    loading.push(file);
    const imported: FileInfo[] = [];
    for (const decl of program.decls) {
      if (decl.kind !== "import" || decl.path.value === "") continue;
      const target = resolveImport(file, decl.path.value);
      const refused = importRefusal(decl.path.value, target, root);
      if (refused) {
        diagnostics.push(diagnostic("E0004", file, decl.path.span, refused));
        continue;
      }
      const at = loading.indexOf(target);
      if (at >= 0) {
        const chain = [...loading.slice(at), target].join(" -> ");
        diagnostics.push(diagnostic("E0403", file, decl.path.span, `import cycle: ${chain}`));
        continue;
      }
      const known = files.get(target);
      if (known) {
        imported.push(known);
        continue;
      }
      const content2 = host.readImport ? host.readImport(target, root) : host.readFile(target);
      if (typeof content2 !== "string") {
        const code = content2?.outsideRoot ? "E0004" : "E0402";
        const why = content2 === undefined ? "" : `: ${content2.reason}`;
        diagnostics.push(diagnostic(code, file, decl.path.span, `cannot read the imported file '${target}'${why}`));
        continue;
      }
      imported.push(load(target, content2));
    }
    loading.pop();
    indexDeclarations(info, program.decls, diagnostics);
    for (const other of imported) {
      for (const [name, entry] of other.scope) {
        const ownFile = entry.kind === "let" ? entry.file : entry.info.file;
        if (ownFile === other && !info.scope.has(name)) info.scope.set(name, entry);
      }
    }
    return info;
  };

  const main = load(path, text);
  return { main, files, diagnostics };
}

/** Why the import `written` (resolved to `target`) breaks the import rule, if it does. */
function importRefusal(written: string, target: string, root: string): string | undefined {
  if (!written.endsWith(".nn")) return `an import must name a \`.nn\` file; '${written}' does not`;
  const rel = posix.relative(root, target);
  if (rel.startsWith("/") || rel.split("/")[0] === "..") {
    return `the imported file '${target}' is outside the project root '${root}' (the checked file's directory, or \`--root\`)`;
  }
  return undefined;
}

/** Fills a file's own scope and model list, reporting duplicate and shadowing declarations. */
function indexDeclarations(info: FileInfo, decls: readonly Decl[], diagnostics: Diagnostic[]): void {
  const seen = new Map<string, Decl>();
  for (const decl of decls) {
    if (decl.kind === "import" || decl.name.name === "") continue;
    const name = decl.name.name;
    const first = seen.get(name);
    if (first && first.kind !== "import") {
      diagnostics.push(
        diagnostic("E0401", info.path, decl.name.span, `\`${name}\` is already declared in this file`, [
          { file: info.path, span: first.name.span, message: `\`${name}\` is first declared here` },
        ]),
      );
      continue;
    }
    seen.set(name, decl);
    if (decl.kind !== "model" && (OPERATORS.has(name) || BUILTIN_FUNCTIONS.has(name))) {
      const what = OPERATORS.has(name) ? "layer" : "function";
      diagnostics.push(diagnostic("E0401", info.path, decl.name.span, `\`${name}\` would shadow the built-in ${what} \`${name}\`; choose another name`));
      continue;
    }
    if (decl.kind === "let") info.scope.set(name, { kind: "let", decl, file: info });
    else if (decl.kind === "model") info.models.push(decl);
    else {
      const { inputs, config } = checkParams(decl, info.path, diagnostics);
      info.scope.set(name, { kind: "block", info: { name, decl, file: info, inputs, config } });
    }
  }
}
