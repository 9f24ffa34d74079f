/**
 * The playground's worker: nnc's front end, language features, emitters and WebAssembly engine,
 * off the page's thread, so that typing never waits for a check. It answers each request of
 * `protocol.ts` in order; the emitters load on first use.
 */
import type { Envelope, Reply } from "./protocol.js";
import { runModel } from "./run-model.js";
import { checkedModel, Session } from "./session.js";

const session = new Session();
let latestText = "";

async function answer(request: Envelope): Promise<Reply> {
  switch (request.kind) {
    case "update":
      latestText = request.text;
      return { kind: "update", report: session.update(request.version, request.text, request.choice) };
    case "hover":
      return { kind: "hover", hover: session.hover(request.offset) };
    case "complete":
      return { kind: "complete", items: session.complete(request.offset) };
    case "run": {
      const { model, result } = checkedModel(request.text ?? latestText, request.choice);
      if (!model) throw new Error(result.diagnostics.length > 0 ? "the model has errors; fix them to run it" : "there is no model to run");
      return { kind: "run", outcome: runModel(model, { checkpoint: request.weights, input: request.input, threads: request.threads }) };
    }
    case "emit": {
      const { emitFile } = await import("./emit.js");
      return { kind: "emit", file: await emitFile(latestText, request.choice, request.target) };
    }
  }
}

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<Envelope>) => void) | null; postMessage(message: unknown): void };
let queue = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  // One request at a time, in arrival order: an emit never overtakes the update before it.
  queue = queue.then(async () => {
    let reply: Reply;
    try {
      reply = await answer(request);
    } catch (error) {
      reply = { kind: "error", message: error instanceof Error ? error.message : String(error) };
    }
    scope.postMessage({ ...reply, id: request.id });
  });
};
