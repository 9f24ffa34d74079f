/**
 * Signature help: inside an argument list, the callee's signature with the current argument
 * highlighted — the named one being written, or else the next positional one. In a pipeline
 * the tensor arrives as the first argument, so `x -> conv(64, 3)` starts at `out`.
 */
import type { SignatureHelp } from "vscode-languageserver";
import type { Analysis } from "./analysis.js";
import { callContextAt } from "./call-context.js";
import { resolveAt } from "./scope.js";
import { signatureOf } from "./signatures.js";

/** The signature help at `offset`, or null outside a call of something known. */
export function signatureHelpAt(analysis: Analysis, offset: number): SignatureHelp | null {
  const call = callContextAt(analysis.source.text, analysis.program, offset);
  if (!call) return null;
  const signature = signatureOf(analysis, call.callee, resolveAt(analysis, call.callee, call.calleeOffset));
  if (!signature) return null;
  const active = call.currentName !== undefined ? signature.params.findIndex((p) => p.name === call.currentName) : call.positional;
  const activeParameter = active >= 0 && active < signature.params.length ? active : undefined;
  return {
    signatures: [
      {
        label: signature.label,
        documentation: signature.doc,
        parameters: parameterRanges(signature.name, signature.params.map((p) => p.label)).map((label, i) => ({
          label,
          documentation: signature.params[i].doc || undefined,
        })),
        ...(activeParameter === undefined ? {} : { activeParameter }),
      },
    ],
    activeSignature: 0,
    ...(activeParameter === undefined ? {} : { activeParameter }),
  };
}

/** Each parameter's `[start, end)` in the label `name(a, b, ...)`, as LSP prefers. */
function parameterRanges(name: string, labels: readonly string[]): [number, number][] {
  let at = name.length + 1;
  return labels.map((label) => {
    const range: [number, number] = [at, at + label.length];
    at += label.length + 2;
    return range;
  });
}
