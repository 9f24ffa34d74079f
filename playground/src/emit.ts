/**
 * The files of the TypeScript, ONNX and checkpoint tabs, made on demand: `nnc compile`'s driver
 * (`compileModel`) for the `.ts` module and the `.onnx` model (shown as the text dump of nnc's
 * golden files), and `nnc init --seed 0`'s checkpoint. The worker loads this module the first
 * time a tab asks, since TypeScript emission carries ts-morph and prettier.
 */
import { compileModel } from "../../compiler/emit/compile-model.js";
import { dumpOnnx } from "../../compiler/emit/onnx/text-dump.js";
import { initialWeightsFile } from "../../compiler/weights/init.js";
import type { EmittedText, ModelChoice } from "./protocol.js";
import { checkedModel, PLAYGROUND_PATH, playgroundHost } from "./session.js";

/** The file `target` of the model `choice` selects in `text`; throws with the reason it cannot be made. */
export async function emitFile(text: string, choice: ModelChoice, target: "ts" | "onnx" | "safetensors"): Promise<EmittedText> {
  const stem = PLAYGROUND_PATH.replace(/\.nn$/, "");
  if (target === "safetensors") {
    const { model } = checkedModel(text, choice);
    if (!model) throw new Error("the model has errors; fix them to get its weights");
    const bytes = initialWeightsFile(model, 0);
    return { name: `${stem}.safetensors`, bytes, text: `${model.params.length} tensors, seed 0` };
  }
  const result = await compileModel({ path: PLAYGROUND_PATH, text, host: playgroundHost, set: choice.set, model: choice.model, target });
  if (!result.ok) {
    throw new Error(result.errors.length > 0 ? result.errors.join("\n") : "the model has errors; fix them to see its compiled form");
  }
  const file = result.files.find((f) => f.name.endsWith(`.${target}`));
  if (!file) throw new Error(`nnc compile made no .${target} file`);
  if (typeof file.contents === "string") return { name: file.name, bytes: new TextEncoder().encode(file.contents), text: file.contents };
  return { name: file.name, bytes: file.contents, text: dumpOnnx(file.contents) };
}
