/**
 * A WebAssembly module encoder, just large enough for the runtime's generated kernels: function
 * types, one imported linear memory (`env.memory`, optionally shared for worker threads),
 * functions and their exports. `encodeModule` returns the bytes that `new WebAssembly.Module`
 * compiles; nothing is read from or written to disk.
 */
import { ByteWriter } from "./encoding.js";
import type { FunctionBody, ValueTypeCode } from "./instructions.js";

/** A function of the module: its export name, results and body (which knows its parameters). */
export interface ModuleFunction {
  name: string;
  results: readonly ValueTypeCode[];
  body: FunctionBody;
}

/** The imported memory's limits, in 64 KiB pages. Shared memory needs a maximum. */
export interface MemoryImport {
  minimumPages: number;
  maximumPages?: number;
  shared?: boolean;
}

/** Section ids of the binary format. */
const Section = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;

/** Encodes a module that imports `env.memory` and exports `functions` by name. */
export function encodeModule(memory: MemoryImport, functions: readonly ModuleFunction[]): Uint8Array {
  const out = new ByteWriter().raw([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  // One function type per function keeps the encoder simple; the kernels are few.
  const types = new ByteWriter().u32(functions.length);
  for (const f of functions) {
    types.byte(0x60).u32(f.body.params.length).raw(f.body.params).u32(f.results.length).raw(f.results);
  }
  section(out, Section.type, types);

  const imports = new ByteWriter().u32(1).name("env").name("memory").byte(0x02);
  if (memory.shared === true) {
    if (memory.maximumPages === undefined) throw new Error("wasm: a shared memory needs a maximum size");
    imports.byte(0x03).u32(memory.minimumPages).u32(memory.maximumPages);
  } else if (memory.maximumPages !== undefined) {
    imports.byte(0x01).u32(memory.minimumPages).u32(memory.maximumPages);
  } else {
    imports.byte(0x00).u32(memory.minimumPages);
  }
  section(out, Section.import, imports);

  const declarations = new ByteWriter().u32(functions.length);
  functions.forEach((_, index) => declarations.u32(index));
  section(out, Section.function, declarations);

  const exports = new ByteWriter().u32(functions.length);
  functions.forEach((f, index) => exports.name(f.name).byte(0x00).u32(index));
  section(out, Section.export, exports);

  const code = new ByteWriter().u32(functions.length);
  for (const f of functions) code.sized(f.body.encode());
  section(out, Section.code, code);

  return out.finish();
}

function section(out: ByteWriter, id: number, content: ByteWriter): void {
  out.byte(id).sized(content.finish());
}
