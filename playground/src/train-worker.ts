/**
 * The worker that trains LeNet in the page (`training.ts`), apart from the worker that checks
 * the editor's text, so that typing stays quick while it trains. It answers one `train` request
 * with `step` and `epoch` messages and then `done` with the checkpoint; `stop` ends the run after
 * the current step.
 */
import "./shims/immediate.js";
import { checkedModel } from "./session.js";
import { trainModel, unpackMnist } from "./training.js";
import type { TrainReply, TrainRequest } from "./protocol.js";

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<TrainRequest>) => void) | null; postMessage(message: TrainReply): void };
let stopAsked = false;

async function train(request: Extract<TrainRequest, { kind: "train" }>): Promise<void> {
  const { model } = checkedModel(request.text, { set: [] });
  if (!model) throw new Error("the model has errors");
  const data = unpackMnist(new Uint8Array(await (await fetch(new URL("./mnist.bin", request.base))).arrayBuffer()));
  let steps = 0;
  const { checkpoint, stopped } = await trainModel(model, data, request.epochs, {
    onStep: (progress) => {
      steps++;
      scope.postMessage({ kind: "step", progress });
    },
    onEpoch: (record) => scope.postMessage({ kind: "epoch", record }),
    shouldStop: () => stopAsked || (request.maxSteps !== undefined && steps >= request.maxSteps),
  });
  scope.postMessage({ kind: "done", checkpoint, stopped });
}

scope.onmessage = (event) => {
  const request = event.data;
  if (request.kind === "stop") {
    stopAsked = true;
    return;
  }
  stopAsked = false;
  train(request).catch((error: unknown) => scope.postMessage({ kind: "error", message: error instanceof Error ? error.message : String(error) }));
};
