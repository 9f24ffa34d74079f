/**
 * `--standalone`: the runtime code a module uses, to paste into it instead of an import.
 *
 * The runtime's TypeScript sources (`runtime/`, shipped with the package) are parsed by the
 * TypeScript parser alone, without a type checker (which would take seconds over the runtime and
 * its libraries). Starting from the exports the module calls, a walk follows every identifier
 * that is not bound inside its own statement to the top-level declaration it names, in its file
 * or across the runtime's relative imports and re-exports, so just the kernels used and their
 * helpers (functions, constants, types) are collected. They are printed dependencies first,
 * without `export` and without imports, as they are written in the runtime. A name bound nowhere
 * in the runtime is a global of the environment. The runtime's `Tensor` interface is left out:
 * the module declares its own, generic `Tensor<S>`, whose default is the same type.
 *
 * Files of the runtime may use the same name for private helpers (`SLAB_DEPTH`, `const { i32 } =
 * ValueType`), and import under another name; one flat scope has no room for either. So every
 * reference is resolved to the declaration it names, and printed under that declaration's final
 * name: the first declaration of a name keeps it, a later one (or one named like a declaration of
 * the module itself) becomes `name_2`, `name_3`, ...
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ts } from "ts-morph";

/** The inlined code, the top-level names it declares, and the globals it reads (which the module must not shadow). */
export interface InlinedRuntime {
  readonly text: string;
  readonly names: readonly string[];
  readonly globals: readonly string[];
}

/** The directory of the runtime's sources: `runtime/` in the package root above this file. */
export function runtimeSourceDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "runtime", "index.ts"))) return join(dir, "runtime");
    const parent = dirname(dir);
    if (parent === dir) throw new Error("--standalone needs the runtime's TypeScript sources (runtime/index.ts), which this installation lacks");
    dir = parent;
  }
}

/** One parsed file of the runtime: its top-level declarations by name, and what its imports and exports name. */
interface RuntimeFile {
  readonly path: string;
  readonly source: ts.SourceFile;
  /** Top-level statements by the names they declare (several for overloads and merged declarations). */
  readonly declarations: Map<string, ts.Statement[]>;
  /** Local name → the file and exported name it is imported as. */
  readonly imports: Map<string, { readonly from: string; readonly name: string }>;
  /** Exported name → the file (itself for a local `export { a as b }`) and name it stands for. */
  readonly reexports: Map<string, { readonly from: string; readonly name: string }>;
  /** Files of `export * from`. */
  readonly starExports: string[];
}

/** A top-level declaration of the runtime: a file and a name it declares at top level. */
type SymbolKey = string;
const symbolKey = (file: RuntimeFile, name: string): SymbolKey => `${file.path}#${name}`;

/**
 * The runtime's files, each parsed the first time a name is looked up in it (a module uses a
 * few dozen of the runtime's files), and the file of each top-level statement.
 */
class RuntimeSources {
  private readonly files = new Map<string, RuntimeFile | undefined>();
  readonly fileOf = new Map<ts.Statement, RuntimeFile>();

  get(path: string): RuntimeFile | undefined {
    if (this.files.has(path)) return this.files.get(path);
    const file = existsSync(path) ? this.parse(path) : undefined;
    this.files.set(path, file);
    return file;
  }

  private parse(path: string): RuntimeFile {
    // Doc comments are read as text (`docComments`), so the parser need not parse their insides.
    const options = { languageVersion: ts.ScriptTarget.ES2022, jsDocParsingMode: ts.JSDocParsingMode.ParseNone };
    const source = ts.createSourceFile(path, readFileSync(path, "utf8"), options, true, ts.ScriptKind.TS);
    const file: RuntimeFile = { path, source, declarations: new Map(), imports: new Map(), reexports: new Map(), starExports: [] };
    const target = (specifier: ts.Expression | undefined) =>
      specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith(".") ? resolve(dirname(path), specifier.text.replace(/\.js$/, ".ts")) : undefined;
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement)) {
        const from = target(statement.moduleSpecifier);
        const bindings = statement.importClause?.namedBindings;
        if (from && bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) file.imports.set(element.name.text, { from, name: (element.propertyName ?? element.name).text });
        }
      } else if (ts.isExportDeclaration(statement)) {
        const from = target(statement.moduleSpecifier);
        const clause = statement.exportClause;
        if (!clause) {
          if (from) file.starExports.push(from);
        } else if (ts.isNamedExports(clause)) {
          for (const element of clause.elements) file.reexports.set(element.name.text, { from: from ?? path, name: (element.propertyName ?? element.name).text });
        }
      } else {
        for (const name of declaredNames(statement)) {
          const list = file.declarations.get(name) ?? [];
          list.push(statement);
          file.declarations.set(name, list);
          this.fileOf.set(statement, file);
        }
      }
    }
    return file;
  }
}

let cachedSources: RuntimeSources | undefined;

/** The declaration that `name`, exported by `path`, stands for. */
function resolveExport(files: RuntimeSources, path: string, name: string, seen = new Set<string>()): { file: RuntimeFile; name: string } | undefined {
  const file = files.get(path);
  if (!file || seen.has(`${path}#${name}`)) return undefined;
  seen.add(`${path}#${name}`);
  const reexport = file.reexports.get(name);
  if (reexport) return reexport.from === path ? resolveLocal(files, file, reexport.name, seen) : resolveExport(files, reexport.from, reexport.name, seen);
  if (file.declarations.get(name)?.some(isExported)) return { file, name };
  for (const from of file.starExports) {
    const found = resolveExport(files, from, name, seen);
    if (found) return found;
  }
  return undefined;
}

/** The declaration a name free in a top-level statement of `file` stands for: the file's own, or an import's. */
function resolveLocal(files: RuntimeSources, file: RuntimeFile, name: string, seen = new Set<string>()): { file: RuntimeFile; name: string } | undefined {
  if (file.declarations.has(name)) return { file, name };
  const imported = file.imports.get(name);
  return imported ? resolveExport(files, imported.from, imported.name, seen) : undefined;
}

function isExported(statement: ts.Statement): boolean {
  return ts.canHaveModifiers(statement) && (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
}

/** Names that are declared nowhere but are no globals to avoid either (`const` of `as const`). */
const NOT_GLOBALS = new Set(["undefined", "arguments", "const"]);

/**
 * Collects the declarations behind `exports` of `runtime/index.ts` and everything they use.
 * `reserved` are names the module declares itself, which no inlined declaration may take.
 */
export function inlineRuntime(exports: readonly string[], reserved: readonly string[] = []): InlinedRuntime {
  const files = (cachedSources ??= new RuntimeSources());
  const root = runtimeSourceDir();
  const index = join(root, "index.ts");
  const tensorFile = join(root, "tensor.ts");
  const fileOf = files.fileOf;
  const statementsOf = (symbol: { file: RuntimeFile; name: string }) =>
    (symbol.file.declarations.get(symbol.name) ?? []).filter((s) => !(symbol.file.path === tensorFile && ts.isInterfaceDeclaration(s) && symbol.name === "Tensor"));

  const order: ts.Statement[] = [];
  const visited = new Set<ts.Statement>();
  const globals = new Set<string>();
  /** Each statement's references to inlined declarations: the identifier and the declaration's key. */
  const references = new Map<ts.Statement, { id: ts.Identifier; key: SymbolKey }[]>();
  const visit = (statement: ts.Statement): void => {
    if (visited.has(statement)) return;
    visited.add(statement);
    const file = fileOf.get(statement)!;
    const refs: { id: ts.Identifier; key: SymbolKey }[] = [];
    references.set(statement, refs);
    // Merged declarations and overloads of the names it declares come along.
    for (const name of declaredNames(statement)) for (const other of statementsOf({ file, name })) visit(other);
    forEachIdentifier(statement, (id) => {
      const name = id.text;
      if (isTopLevelName(id, statement)) {
        refs.push({ id, key: symbolKey(file, name) });
        return;
      }
      if (!isReference(id)) return;
      const symbol = resolveLocal(files, file, name);
      const targets = symbol ? statementsOf(symbol) : [];
      if (!symbol ? NOT_GLOBALS.has(name) || globals.has(name) : targets.length === 0) return;
      if (isBoundWithin(id, name, statement)) return;
      if (!symbol) {
        globals.add(name);
        return;
      }
      refs.push({ id, key: symbolKey(symbol.file, symbol.name) });
      for (const target of targets) if (target !== statement) visit(target);
    });
    order.push(statement);
  };
  const requested = new Set<ts.Statement>();
  for (const name of exports) {
    const symbol = resolveExport(files, index, name);
    const statements = symbol ? statementsOf(symbol) : [];
    if (!symbol || (statements.length === 0 && !(symbol.file.path === tensorFile && symbol.name === "Tensor"))) throw new Error(`the runtime exports no \`${name}\``);
    for (const statement of statements) {
      requested.add(statement);
      visit(statement);
    }
  }
  // Final names: the first declaration of a name keeps it; a requested export never yields.
  const taken = new Set(reserved);
  const finalNames = new Map<SymbolKey, string>();
  const names: string[] = [];
  for (const statement of [...requested, ...order.filter((s) => !requested.has(s))]) {
    const file = fileOf.get(statement)!;
    for (const name of declaredNames(statement)) {
      const key = symbolKey(file, name);
      if (finalNames.has(key)) continue;
      let final = name;
      for (let k = 2; taken.has(final); k++) {
        if (requested.has(statement)) throw new Error(`--standalone: the runtime's \`${name}\` clashes with a name of the module`);
        final = `${name}_${k}`;
      }
      taken.add(final);
      finalNames.set(key, final);
    }
  }
  for (const statement of order) {
    const file = fileOf.get(statement)!;
    for (const name of new Set(declaredNames(statement))) names.push(finalNames.get(symbolKey(file, name))!);
  }
  const text = order.map((statement) => printStatement(statement, references.get(statement)!, finalNames)).join("\n\n");
  return { text: text + "\n", names: [...new Set(names)], globals: [...globals].sort() };
}

/** Calls `f` on every identifier under `node`, in source order. */
function forEachIdentifier(node: ts.Node, f: (id: ts.Identifier) => void): void {
  const walk = (n: ts.Node): void => {
    if (ts.isIdentifier(n)) f(n);
    ts.forEachChild(n, walk);
  };
  ts.forEachChild(node, walk);
}

/** True for a name that `statement` declares at top level (`f` of `function f`, `i32` of `const { i32 } = ...`). */
function isTopLevelName(id: ts.Identifier, statement: ts.Statement): boolean {
  const parent = id.parent;
  if (ts.isBindingElement(parent)) {
    if (parent.name !== id) return false;
    let node: ts.Node = parent;
    while (ts.isBindingElement(node) || ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node)) node = node.parent;
    return ts.isVariableDeclaration(node) && node.parent.parent === statement;
  }
  if (ts.isVariableDeclaration(parent)) return parent.name === id && parent.parent.parent === statement;
  return parent === statement && (statement as { name?: ts.Node }).name === id;
}

/**
 * True when an identifier reads a name rather than declaring one or naming a property: not
 * `x` in `a.x`, `{ x: 1 }`, `x(): void`, `const x`, `function x`, `(x) =>`, `<T>`, `A.B`'s `B`,
 * a label; but `{ x }` (a shorthand property) reads `x`.
 */
function isReference(id: ts.Identifier): boolean {
  const parent = id.parent;
  if (ts.isShorthandPropertyAssignment(parent)) return parent.name === id;
  if ((parent as { name?: ts.Node }).name === id) return false;
  if ((parent as { propertyName?: ts.Node }).propertyName === id) return false;
  if (ts.isQualifiedName(parent)) return parent.left === id;
  if (ts.isMetaProperty(parent)) return false;
  if ((ts.isLabeledStatement(parent) || ts.isBreakOrContinueStatement(parent)) && parent.label === id) return false;
  return true;
}

const boundCache = new WeakMap<ts.Node, ReadonlySet<string>>();
const NONE: ReadonlySet<string> = new Set();

/** True when `name` is bound by a scope between `id` and `statement` (a parameter, a local, a type parameter). */
function isBoundWithin(id: ts.Identifier, name: string, statement: ts.Statement): boolean {
  for (let node: ts.Node | undefined = id.parent; node; node = node.parent) {
    let bound = boundCache.get(node);
    if (!bound) {
      const names = scopeNames(node);
      bound = names.length === 0 ? NONE : new Set(names);
      boundCache.set(node, bound);
    }
    if (bound.has(name)) return true;
    if (node === statement) return false;
  }
  return false;
}

/** The names a node binds for what is inside it (empty for nodes that open no scope). */
function scopeNames(node: ts.Node): string[] {
  const names: string[] = [];
  const typeParameters = (node as { typeParameters?: ts.NodeArray<ts.TypeParameterDeclaration> }).typeParameters;
  for (const parameter of typeParameters ?? []) names.push(parameter.name.text);
  if (ts.isFunctionLike(node)) {
    for (const parameter of node.parameters) names.push(...bindingNames(parameter.name));
    if ((ts.isFunctionExpression(node) || ts.isClassExpression(node)) && node.name) names.push(node.name.text);
  } else if (ts.isClassExpression(node) && node.name) {
    names.push(node.name.text);
  } else if (ts.isBlock(node) || ts.isModuleBlock(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) {
    for (const statement of ts.isBlock(node) || ts.isModuleBlock(node) ? node.statements : node.statements) {
      if (ts.isVariableStatement(statement)) for (const d of statement.declarationList.declarations) names.push(...bindingNames(d.name));
      else names.push(...declaredNames(statement));
    }
  } else if (ts.isForStatement(node) || ts.isForInStatement(node) || ts.isForOfStatement(node)) {
    if (node.initializer && ts.isVariableDeclarationList(node.initializer)) for (const d of node.initializer.declarations) names.push(...bindingNames(d.name));
  } else if (ts.isCatchClause(node)) {
    if (node.variableDeclaration) names.push(...bindingNames(node.variableDeclaration.name));
  } else if (ts.isMappedTypeNode(node)) {
    names.push(node.typeParameter.name.text);
  } else if (ts.isConditionalTypeNode(node)) {
    const infer = (n: ts.Node): void => {
      if (ts.isInferTypeNode(n)) names.push(n.typeParameter.name.text);
      ts.forEachChild(n, infer);
    };
    infer(node.extendsType);
  }
  return names;
}

function bindingNames(name: ts.BindingName): string[] {
  if (ts.isIdentifier(name)) return [name.text];
  return name.elements.flatMap((e) => (ts.isOmittedExpression(e) ? [] : bindingNames(e.name)));
}

/** The names a top-level statement declares. */
function declaredNames(statement: ts.Statement): string[] {
  if (ts.isVariableStatement(statement)) return statement.declarationList.declarations.flatMap((d) => bindingNames(d.name));
  if (
    ts.isFunctionDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isEnumDeclaration(statement)
  ) {
    return statement.name ? [statement.name.text] : [];
  }
  return [];
}

/**
 * A statement's JSDoc and text, without `export`, with every reference to an inlined declaration
 * (and each name it declares) under that declaration's final name.
 */
function printStatement(statement: ts.Statement, references: readonly { id: ts.Identifier; key: SymbolKey }[], finalNames: ReadonlyMap<SymbolKey, string>): string {
  const source = statement.getSourceFile();
  const start = statement.getStart(source);
  const edits: { at: number; end: number; text: string }[] = [];
  for (const { id, key } of references) {
    const final = finalNames.get(key);
    if (final === undefined || final === id.text) continue;
    const parent = id.parent;
    // `{ add }` and `const { i32 } = ...` name a property too, which must stay.
    const keepsProperty = ts.isShorthandPropertyAssignment(parent) || (ts.isBindingElement(parent) && parent.name === id && !parent.propertyName);
    edits.push({ at: id.getStart(source) - start, end: id.getEnd() - start, text: keepsProperty ? `${id.text}: ${final}` : final });
  }
  let text = statement.getText(source);
  for (const edit of edits.sort((a, b) => b.at - a.at)) text = text.slice(0, edit.at) + edit.text + text.slice(edit.end);
  const docs = docComments(statement);
  return [...docs, text.replace(/^export\s+(default\s+)?/, "")].join("\n");
}

/** The doc comments (`/**` to its end) before a statement, as written. */
function docComments(statement: ts.Statement): string[] {
  const text = statement.getSourceFile().text;
  const ranges = ts.getLeadingCommentRanges(text, statement.pos) ?? [];
  return ranges
    .filter((r) => r.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith("/**", r.pos) && !text.startsWith("/**/", r.pos))
    .map((r) => text.slice(r.pos, r.end));
}
