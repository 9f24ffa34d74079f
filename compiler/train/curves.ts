/**
 * `curves.svg` of a run: two panels side by side, the loss and the accuracy per epoch, each with
 * the training and the held-out series, labelled axes and a legend. Plain SVG 1.1 written by hand:
 * every number is rounded, so the same log gives the same bytes.
 */
import type { EpochRecord } from "./trainer.js";

const PANEL = { width: 360, height: 260, left: 56, right: 16, top: 32, bottom: 44 };
const COLORS = { train: "#1f77b4", heldOut: "#d62728" };

/** One panel's series: train and held-out values per epoch. */
interface Panel {
  readonly title: string;
  readonly train: readonly number[];
  readonly heldOut: readonly number[];
  /** Fixed bounds (accuracy: 0 to 1), else from the data. */
  readonly bounds?: readonly [number, number];
}

/** The SVG text of the curves of `records`. */
export function curvesSvg(records: readonly EpochRecord[]): string {
  const epochs = records.map((r) => r.epoch);
  const panels: Panel[] = [
    { title: "loss", train: records.map((r) => r.trainLoss), heldOut: records.map((r) => r.heldOutLoss) },
    { title: "accuracy", train: records.map((r) => r.trainAccuracy), heldOut: records.map((r) => r.heldOutAccuracy), bounds: [0, 1] },
  ];
  const width = PANEL.width * panels.length;
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${PANEL.height}" viewBox="0 0 ${width} ${PANEL.height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${PANEL.height}" fill="white"/>`,
    ...panels.map((panel, k) => drawPanel(panel, epochs, k * PANEL.width)),
    `</svg>`,
  ];
  return parts.join("\n") + "\n";
}

function drawPanel(panel: Panel, epochs: readonly number[], offset: number): string {
  const x0 = offset + PANEL.left;
  const x1 = offset + PANEL.width - PANEL.right;
  const y0 = PANEL.height - PANEL.bottom;
  const y1 = PANEL.top;
  const finite = [...panel.train, ...panel.heldOut].filter(Number.isFinite);
  let [low, high] = panel.bounds ?? [Math.min(0, ...finite), Math.max(...finite, 1e-6)];
  if (!(high > low)) high = low + 1;
  const first = epochs[0] ?? 1;
  const last = Math.max(epochs[epochs.length - 1] ?? 1, first + 1);
  const sx = (epoch: number) => x0 + ((epoch - first) / (last - first)) * (x1 - x0);
  const sy = (value: number) => y0 - ((value - low) / (high - low)) * (y0 - y1);
  const out = [`<g>`, `<text x="${round((x0 + x1) / 2)}" y="18" text-anchor="middle" font-size="13">${panel.title}</text>`];
  out.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="black"/>`, `<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="black"/>`);
  for (const tick of ticks(low, high)) {
    const y = round(sy(tick));
    out.push(`<line x1="${x0 - 4}" y1="${y}" x2="${x1}" y2="${y}" stroke="#ddd"/>`, `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${label(tick)}</text>`);
  }
  for (const epoch of epochTicks(first, last)) {
    const x = round(sx(epoch));
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + 4}" stroke="black"/>`, `<text x="${x}" y="${y0 + 16}" text-anchor="middle">${epoch}</text>`);
  }
  out.push(`<text x="${round((x0 + x1) / 2)}" y="${PANEL.height - 8}" text-anchor="middle">epoch</text>`);
  const series = [
    { name: "train", values: panel.train, color: COLORS.train },
    { name: "held-out", values: panel.heldOut, color: COLORS.heldOut },
  ];
  for (const s of series) {
    const points = epochs.flatMap((epoch, i) => (Number.isFinite(s.values[i]) ? [`${round(sx(epoch))},${round(sy(s.values[i]))}`] : []));
    if (points.length > 0) out.push(`<polyline class="${s.name}" points="${points.join(" ")}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    for (const point of points) {
      const [x, y] = point.split(",");
      out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${s.color}"/>`);
    }
  }
  series.forEach((s, k) => {
    const y = y1 + 4 + k * 14;
    out.push(`<line x1="${x1 - 70}" y1="${y}" x2="${x1 - 54}" y2="${y}" stroke="${s.color}" stroke-width="2"/>`, `<text x="${x1 - 50}" y="${y + 4}">${s.name}</text>`);
  });
  out.push(`</g>`);
  return out.join("\n");
}

/** About five round values spanning [low, high]. */
function ticks(low: number, high: number): number[] {
  const raw = (high - low) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const values: number[] = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  return values;
}

/** At most about ten whole epochs along the axis. */
function epochTicks(first: number, last: number): number[] {
  const step = Math.max(1, Math.ceil((last - first) / 10));
  const values: number[] = [];
  for (let e = first; e <= last; e += step) values.push(e);
  return values;
}

function label(value: number): string {
  return Number(value.toPrecision(3)).toString();
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
