/**
 * The Train panel of the digit pad: starts the training worker on LeNet, draws the epoch's
 * running loss after every step (as `nnc train`'s progress bar reports it) with each epoch's
 * held-out accuracy, and offers the weights it made to the digit pad.
 */
import type { EpochRecord, StepProgress } from "../../compiler/train/trainer.js";
import type { TrainReply, TrainRequest } from "./protocol.js";

const WIDTH = 560;
const HEIGHT = 170;
const PAD = { left: 40, right: 10, top: 10, bottom: 22 };

/** What a finished (or stopped) run gives. */
export interface TrainedRun {
  readonly checkpoint: Uint8Array;
  readonly stopped: boolean;
  readonly losses: readonly number[];
  readonly records: readonly EpochRecord[];
}

/** The panel; `onTrained` gets the checkpoint when a run ends. */
export class TrainPanel {
  private worker: Worker | undefined;
  private losses: number[] = [];
  private records: EpochRecord[] = [];
  private stepsPerEpoch = 1;
  private epochs = 1;

  constructor(
    private readonly elements: { train: HTMLButtonElement; stop: HTMLButtonElement; epochs: HTMLSelectElement; status: HTMLElement; curve: SVGSVGElement },
    private readonly text: string,
    private readonly onTrained: (run: TrainedRun) => void,
  ) {
    elements.train.addEventListener("click", () => void this.start(Number(elements.epochs.value)).catch(() => undefined));
    elements.stop.addEventListener("click", () => this.worker?.postMessage({ kind: "stop" } satisfies TrainRequest));
  }

  /** Trains for `epochs` (or `maxSteps` steps); resolves when the run ends. */
  start(epochs: number, maxSteps?: number): Promise<TrainedRun> {
    this.worker?.terminate();
    this.losses = [];
    this.records = [];
    this.epochs = epochs;
    const worker = new Worker(new URL("./train-worker.js", import.meta.url), { type: "module" });
    this.worker = worker;
    const { train, stop, status } = this.elements;
    train.disabled = true;
    stop.disabled = false;
    status.textContent = "loading the digits…";
    const started = performance.now();
    return new Promise((resolve, reject) => {
      worker.onmessage = (event: MessageEvent<TrainReply>) => {
        const reply = event.data;
        if (reply.kind === "step") this.step(reply.progress);
        else if (reply.kind === "epoch") {
          this.records.push(reply.record);
          this.draw();
        } else {
          train.disabled = false;
          stop.disabled = true;
          worker.terminate();
          if (reply.kind === "error") {
            status.textContent = reply.message;
            reject(new Error(reply.message));
            return;
          }
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          const last = this.records.at(-1);
          status.textContent =
            `${reply.stopped ? "stopped" : "done"} after ${this.losses.length} steps in ${seconds} s` +
            (last ? `; held-out accuracy ${(last.heldOutAccuracy * 100).toFixed(2)} % after epoch ${last.epoch}` : "");
          const run = { checkpoint: reply.checkpoint, stopped: reply.stopped, losses: [...this.losses], records: [...this.records] };
          this.onTrained(run);
          resolve(run);
        }
      };
      worker.postMessage({ kind: "train", text: this.text, epochs, maxSteps, base: location.href } satisfies TrainRequest);
    });
  }

  private step(progress: StepProgress): void {
    this.stepsPerEpoch = progress.steps;
    this.losses.push(progress.loss);
    this.elements.status.textContent =
      `epoch ${progress.epoch}/${this.epochs}, step ${progress.step}/${progress.steps}: loss ${progress.loss.toFixed(4)}, ` +
      `accuracy ${(progress.accuracy * 100).toFixed(1)} %, ${progress.examplesPerSecond.toFixed(0)} examples/s`;
    if (this.losses.length % 5 === 0 || progress.step === progress.steps) this.draw();
  }

  /** The loss curve: running loss over the steps of the run, an epoch's held-out accuracy at its end. */
  private draw(): void {
    const total = this.stepsPerEpoch * this.epochs;
    const top = Math.max(0.5, ...this.losses.slice(0, 3));
    const x = (step: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * step) / Math.max(1, total);
    const y = (loss: number) => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - Math.min(loss, top) / top);
    const points = this.losses.map((loss, i) => `${x(i + 1).toFixed(1)},${y(loss).toFixed(1)}`).join(" ");
    const epochs = this.records
      .map((r) => `<line x1="${x(r.epoch * this.stepsPerEpoch)}" x2="${x(r.epoch * this.stepsPerEpoch)}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#d0d7de"/>` +
        `<text x="${x(r.epoch * this.stepsPerEpoch) - 4}" y="${PAD.top + 10}" text-anchor="end">held out ${(r.heldOutAccuracy * 100).toFixed(1)} %</text>`)
      .join("");
    this.elements.curve.innerHTML =
      `<line x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${HEIGHT - PAD.bottom}" stroke="#8c959f"/>` +
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${HEIGHT - PAD.bottom}" y2="${HEIGHT - PAD.bottom}" stroke="#8c959f"/>` +
      `<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end">${top.toFixed(1)}</text>` +
      `<text x="${PAD.left - 4}" y="${HEIGHT - PAD.bottom}" text-anchor="end">0</text>` +
      `<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end">step ${total}</text>` +
      `<text x="${PAD.left + 4}" y="${HEIGHT - 6}">running loss (cross-entropy)</text>` +
      epochs +
      `<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${points}"/>`;
  }
}
