/**
 * `setImmediate` in a worker: the training loop yields with it between steps (so that a stop can
 * arrive); a message channel gives the same "after pending messages, without a timer's delay".
 */
const host = globalThis as unknown as { setImmediate?: (callback: () => void) => void };
if (host.setImmediate === undefined) {
  const channel = new MessageChannel();
  const queue: (() => void)[] = [];
  channel.port1.onmessage = () => queue.shift()?.();
  host.setImmediate = (callback) => {
    queue.push(callback);
    channel.port2.postMessage(undefined);
  };
}
