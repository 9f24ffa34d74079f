/**
 * `--standalone`: the runtime code a module uses, to paste into it instead of an import.
 *
 * The runtime's TypeScript sources (`runtime/`, shipped with the package) are read with ts-morph.
 * Starting from the exports the module calls, a walk follows every identifier to the top-level
 * declaration it names, across the runtime's relative imports, so just the kernels used and their
 * helpers (functions, constants, types) are collected. They are printed dependencies first,
 * without `export` and without imports. The runtime's `Tensor` interface is left out: the module
 * declares its own, generic `Tensor<S>`, whose default is the same type.
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Node, Project, SyntaxKind, ts, type SourceFile, type Statement } from "ts-morph";

/** The inlined code and the top-level names it declares. */
export interface InlinedRuntime {
  readonly text: string;
  readonly names: readonly string[];
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

/** Collects the declarations behind `exports` of `runtime/index.ts` and everything they use. */
export function inlineRuntime(exports: readonly string[]): InlinedRuntime {
  const { index } = runtimeProject();
  const root = resolve(runtimeSourceDir());
  const tensorFile = resolve(root, "tensor.ts");
  const exported = index.getExportedDeclarations();
  const order: Statement[] = [];
  const state = new Map<Statement, "visiting" | "done">();
  const visit = (statement: Statement): void => {
    if (state.has(statement)) return;
    state.set(statement, "visiting");
    for (const id of statement.getDescendantsOfKind(SyntaxKind.Identifier)) {
      let symbol = id.getSymbol();
      if (symbol?.isAlias()) symbol = symbol.getAliasedSymbol() ?? symbol;
      for (const declaration of symbol?.getDeclarations() ?? []) {
        const target = topLevel(declaration, root);
        if (target && target !== statement && !isRuntimeTensor(target, tensorFile)) visit(target);
      }
    }
    state.set(statement, "done");
    order.push(statement);
  };
  for (const name of exports) {
    const declarations = exported.get(name);
    if (!declarations || declarations.length === 0) throw new Error(`the runtime exports no \`${name}\``);
    for (const d of declarations) {
      const statement = topLevel(d, root);
      if (statement) visit(statement);
    }
  }
  const names = order.flatMap(declaredNames);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`--standalone: two runtime declarations are both named \`${duplicate}\`; rename one in runtime/`);
  return { text: order.map(printStatement).join("\n\n") + "\n", names };
}

function isRuntimeTensor(statement: Statement, tensorFile: string): boolean {
  return Node.isInterfaceDeclaration(statement) && statement.getName() === "Tensor" && resolve(statement.getSourceFile().getFilePath()) === tensorFile;
}

function declaredNames(statement: Statement): string[] {
  if (Node.isVariableStatement(statement)) return statement.getDeclarations().map((d) => d.getName());
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

/** A statement's JSDoc and text, without `export`. */
function printStatement(statement: Statement): string {
  const docs = Node.isJSDocable(statement) ? statement.getJsDocs().map((d) => d.getText()) : [];
  const text = statement.getText().replace(/^export\s+(default\s+)?/, "");
  return [...docs, text].join("\n");
}
