/**
 * `--standalone`: the runtime code a module uses, to paste into it instead of an import.
 *
 * The runtime's TypeScript sources (`runtime/`, shipped with the package) are read with ts-morph.
 * Starting from the exports the module calls, a walk follows every identifier to the top-level
 * declaration it names, across the runtime's relative imports, so just the kernels used and their
 * helpers (functions, constants, types) are collected. They are printed dependencies first,
 * without `export` and without imports. The runtime's `Tensor` interface is left out: the module
 * declares its own, generic `Tensor<S>`, whose default is the same type.
 *
 * Files of the runtime may use the same name for private helpers (`SLAB_DEPTH`, `const { i32 } =
 * ValueType`), and import under another name; one flat scope has no room for either. So every
 * reference is resolved by symbol, and printed under its declaration's final name: the first
 * declaration of a name keeps it, a later one (or one named like a declaration of the module
 * itself) becomes `name_2`, `name_3`, ...
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Node, Project, SyntaxKind, ts, type Identifier, type SourceFile, type Statement, type Symbol as MorphSymbol } from "ts-morph";

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

let cachedProject: { project: Project; index: SourceFile } | undefined;

function runtimeProject(): { project: Project; index: SourceFile } {
  if (cachedProject) return cachedProject;
  const dir = runtimeSourceDir();
  const project = new Project({ skipAddingFilesFromTsConfig: true, compilerOptions: {
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
    }, });
  const index = project.addSourceFileAtPath(join(dir, "index.ts"));
  project.resolveSourceFileDependencies();
  cachedProject = { project, index };
  return cachedProject;
}

/** The top-level statement that `node` belongs to, if it is a declaration at the top of a runtime file. */
function topLevel(node: Node, root: string): Statement | undefined {
  let current: Node | undefined = node;
  while (current && current.getParent() && !Node.isSourceFile(current.getParent()!)) current = current.getParent();
  if (!current || !resolve(current.getSourceFile().getFilePath()).startsWith(root)) return undefined;
  if (Node.isImportDeclaration(current) || Node.isExportDeclaration(current)) return undefined;
  return current as Statement;
}

/** The symbol an identifier refers to: through a shorthand property (`{ add }`) and import aliases. */
function referencedSymbol(id: Identifier, project: Project): MorphSymbol | undefined {
  const parent = id.getParent();
  let symbol = Node.isShorthandPropertyAssignment(parent) ? project.getTypeChecker().getShorthandAssignmentValueSymbol(parent) : id.getSymbol();
  if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
  return symbol;
}

/**
 * Collects the declarations behind `exports` of `runtime/index.ts` and everything they use.
 * `reserved` are names the module declares itself, which no inlined declaration may take.
 */
export function inlineRuntime(exports: readonly string[], reserved: readonly string[] = []): InlinedRuntime {
  const { project, index } = runtimeProject();
  const root = resolve(runtimeSourceDir());
  const tensorFile = resolve(root, "tensor.ts");
  const exported = index.getExportedDeclarations();
  const order: Statement[] = [];
  const state = new Map<Statement, "visiting" | "done">();
  const globals = new Set<string>();
  const visit = (statement: Statement): void => {
    if (state.has(statement)) return;
    state.set(statement, "visiting");
    for (const id of statement.getDescendantsOfKind(SyntaxKind.Identifier)) {
      for (const declaration of referencedSymbol(id, project)?.getDeclarations() ?? []) {
        const target = topLevel(declaration, root);
        if (target && target !== statement && !isRuntimeTensor(target, tensorFile)) visit(target);
        if (!target && isGlobalDeclaration(declaration, root)) globals.add(id.getText());
      }
    }
    state.set(statement, "done");
    order.push(statement);
  };
  const requested = new Set<Statement>();
  for (const name of exports) {
    const declarations = exported.get(name);
    if (!declarations || declarations.length === 0) throw new Error(`the runtime exports no \`${name}\``);
    for (const d of declarations) {
      const statement = topLevel(d, root);
      if (statement) {
        requested.add(statement);
        visit(statement);
      }
    }
  }
  // Final names: the first declaration of a name keeps it; a requested export never yields.
  const taken = new Set(reserved);
  const finalNames = new Map<Statement, Map<string, string>>();
  for (const statement of [...requested, ...order.filter((s) => !requested.has(s))]) {
    const names = new Map<string, string>();
    for (const name of declaredNames(statement)) {
      let final = name;
      for (let k = 2; taken.has(final); k++) {
        if (requested.has(statement)) throw new Error(`--standalone: the runtime's \`${name}\` clashes with a name of the module`);
        final = `${name}_${k}`;
      }
      taken.add(final);
      names.set(name, final);
    }
    finalNames.set(statement, names);
  }
  const text = order.map((statement) => printStatement(statement, project, (target, name) => finalNames.get(target)?.get(name))).join("\n\n");
  return { text: text + "\n", names: order.flatMap((s) => [...finalNames.get(s)!.values()]), globals: [...globals].sort() };
}

/**
 * True when `declaration` declares a global of the environment (`DataView`, `WebAssembly`,
 * `TextDecoder`): at the top of a declaration file that is a script, or in a `declare global`
 * block — not a member of an interface, and not an export of a module.
 */
function isGlobalDeclaration(declaration: Node, root: string): boolean {
  const file = declaration.getSourceFile();
  if (!file.isDeclarationFile() || resolve(file.getFilePath()).startsWith(root)) return false;
  for (let node = declaration.getParent(); node !== undefined; node = node.getParent()) {
    if (Node.isSourceFile(node)) return !ts.isExternalModule(node.compilerNode);
    if (Node.isModuleDeclaration(node)) return node.getName() === "global";
    if (!Node.isVariableDeclarationList(node) && !Node.isVariableStatement(node) && !Node.isModuleBlock(node)) return false;
  }
  return false;
}

function isRuntimeTensor(statement: Statement, tensorFile: string): boolean {
  return Node.isInterfaceDeclaration(statement) && statement.getName() === "Tensor" && resolve(statement.getSourceFile().getFilePath()) === tensorFile;
}

function declaredNames(statement: Statement): string[] {
  if (Node.isVariableStatement(statement)) {
    return statement.getDeclarations().flatMap((d) => {
      const name = d.getNameNode();
      return Node.isIdentifier(name) ? [name.getText()] : name.getDescendantsOfKind(SyntaxKind.Identifier).filter(isBindingName).map((id) => id.getText());
    });
  }
  if (
    Node.isFunctionDeclaration(statement) ||
    Node.isInterfaceDeclaration(statement) ||
    Node.isTypeAliasDeclaration(statement) ||
    Node.isClassDeclaration(statement) ||
    Node.isEnumDeclaration(statement)
  ) {
    const name = statement.getName();
    return name ? [name] : [];
  }
  return [];
}

/** True for the identifier a binding element declares (`i32` in `{ i32 }` or `{ x: i32 }`), not a property it reads. */
function isBindingName(id: Identifier): boolean {
  const parent = id.getParent();
  return Node.isBindingElement(parent) && parent.getNameNode() === id;
}

/**
 * A statement's JSDoc and text, without `export`, with every reference to an inlined declaration
 * under that declaration's final name (`finalName` answers for a top-level statement and a name
 * it declares, `undefined` for anything not inlined).
 */
function printStatement(statement: Statement, project: Project, finalName: (target: Statement, name: string) => string | undefined): string {
  const root = resolve(runtimeSourceDir());
  const start = statement.getStart();
  const edits: { at: number; end: number; text: string }[] = [];
  for (const id of statement.getDescendantsOfKind(SyntaxKind.Identifier)) {
    const symbol = referencedSymbol(id, project);
    const declaration = symbol?.getDeclarations()[0];
    const target = declaration && topLevel(declaration, root);
    const final = target && finalName(target, symbol!.getName());
    if (final === undefined || final === id.getText()) continue;
    const parent = id.getParent();
    // `{ add }` and `const { i32 } = ...` name a property too, which must stay.
    const keepsProperty = Node.isShorthandPropertyAssignment(parent) || (Node.isBindingElement(parent) && isBindingName(id) && !parent.getPropertyNameNode());
    edits.push({ at: id.getStart() - start, end: id.getEnd() - start, text: keepsProperty ? `${id.getText()}: ${final}` : final });
  }
  let text = statement.getText();
  for (const edit of edits.sort((a, b) => b.at - a.at)) text = text.slice(0, edit.at) + edit.text + text.slice(edit.end);
  const docs = Node.isJSDocable(statement) ? statement.getJsDocs().map((d) => d.getText()) : [];
  return [...docs, text.replace(/^export\s+(default\s+)?/, "")].join("\n");
}
