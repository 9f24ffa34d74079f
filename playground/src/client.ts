/**
 * The page's side of the worker: requests as promises, answered in the order they were sent.
 */
import type { Envelope, Reply, ReplyEnvelope, Request } from "./protocol.js";

type Answer<K extends Reply["kind"]> = Extract<Reply, { kind: K }>;

/** The playground's worker (`worker.ts`), started once. */
export class WorkerClient {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  constructor(url: URL) {
    this.worker = new Worker(url, { type: "module" });
    this.worker.onmessage = (event: MessageEvent<ReplyEnvelope>) => {
      const { id, ...reply } = event.data;
      const waiter = this.waiting.get(id);
      this.waiting.delete(id);
      if (!waiter) return;
      if (reply.kind === "error") waiter.reject(new Error(reply.message));
      else waiter.resolve(reply as Reply);
    };
    this.worker.onerror = (event) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`the worker failed: ${event.message}`));
      this.waiting.clear();
    };
  }

  /** Sends `request`; resolves with its reply, rejects with the worker's error message. */
  ask<R extends Request>(request: R): Promise<Answer<R["kind"]>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (reply: Reply) => void, reject });
      this.worker.postMessage({ ...request, id } as Envelope);
    });
  }
}
