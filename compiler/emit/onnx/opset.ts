/**
 * The opsets nnc targets and the ONNX IR version each needs. The IR version is the lowest one
 * that allows the opset (onnx/onnx `docs/Versioning.md`): older runtimes then still load the file.
 */
import { OnnxEmitError } from "./node-emitter.js";

/** The opset written without `--opset`. */
export const DEFAULT_OPSET = 17;

/** The opsets nnc can target, lowest first. */
export const SUPPORTED_OPSETS: readonly number[] = [17, 18, 19, 20, 21];

/**
 * The IR version for `opset`: 8 for 17–18, 9 for 19–20, 10 for 21. (onnx-proto's `Version` enum
 * stops at 8, so it is a plain number here.)
 */
export function irVersionFor(opset: number): number {
  checkOpset(opset);
  return opset <= 18 ? 8 : opset <= 20 ? 9 : 10;
}

/** Throws a user-facing error for an opset nnc does not target. */
export function checkOpset(opset: number): void {
  if (!SUPPORTED_OPSETS.includes(opset)) {
    throw new OnnxEmitError(`--opset ${opset} is not supported: nnc writes ONNX opsets ${SUPPORTED_OPSETS[0]} to ${SUPPORTED_OPSETS.at(-1)}`);
  }
}
