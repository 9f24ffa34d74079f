/**
 * The digit pad: a canvas to draw on, turned into a 28x28 MNIST-style image (the stroke's
 * bounding box scaled into 20x20 and centred by its centre of mass in 28x28, as MNIST's digits
 * were made), which LeNet with the checkpoint trained by `nnc train` classifies.
 */

/** The pad's side in canvas pixels. */
const SIDE = 280;

/** A canvas to draw a digit on. */
export class DigitPad {
  private readonly context: CanvasRenderingContext2D;
  private drawing = false;
  private drawn = false;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onStroke: () => void) {
    canvas.width = SIDE;
    canvas.height = SIDE;
    this.context = canvas.getContext("2d", { willReadFrequently: true })!;
    this.clear();
    const at = (event: PointerEvent) => {
      const box = canvas.getBoundingClientRect();
      return [((event.clientX - box.left) * SIDE) / box.width, ((event.clientY - box.top) * SIDE) / box.height] as const;
    };
    canvas.addEventListener("pointerdown", (event) => {
      this.drawing = true;
      canvas.setPointerCapture(event.pointerId);
      const [x, y] = at(event);
      this.context.beginPath();
      this.context.moveTo(x, y);
      this.context.lineTo(x + 0.1, y);
      this.context.stroke();
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!this.drawing) return;
      const [x, y] = at(event);
      this.context.lineTo(x, y);
      this.context.stroke();
      this.drawn = true;
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.drawn = true;
      this.onStroke();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** Whether anything is drawn. */
  get empty(): boolean {
    return !this.drawn;
  }

  /** Wipes the pad. */
  clear(): void {
    const c = this.context;
    c.fillStyle = "#000";
    c.fillRect(0, 0, SIDE, SIDE);
    c.strokeStyle = "#fff";
    c.lineWidth = 22;
    c.lineCap = "round";
    c.lineJoin = "round";
    this.drawn = false;
  }

  /** Draws a polyline given in pad coordinates (the tests and screenshots draw with it). */
  stroke(points: readonly (readonly [number, number])[]): void {
    const c = this.context;
    c.beginPath();
    points.forEach(([x, y], i) => (i === 0 ? c.moveTo(x, y) : c.lineTo(x, y)));
    c.stroke();
    this.drawn = true;
    this.onStroke();
  }

  /** The drawing as a [1, 1, 28, 28] input in [0, 1], MNIST's framing. */
  image(): Float32Array {
    const pixels = this.context.getImageData(0, 0, SIDE, SIDE).data;
    const ink = new Float32Array(SIDE * SIDE);
    let left = SIDE, right = -1, top = SIDE, bottom = -1;
    for (let y = 0; y < SIDE; y++) {
      for (let x = 0; x < SIDE; x++) {
        const v = pixels[(y * SIDE + x) * 4] / 255;
        ink[y * SIDE + x] = v;
        if (v > 0.05) {
          left = Math.min(left, x);
          right = Math.max(right, x);
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
        }
      }
    }
    const out = new Float32Array(28 * 28);
    if (right < 0) return out;
    // The bounding box, scaled so that its longer side is 20 pixels, drawn into a 20x20 box.
    const scale = 20 / Math.max(right - left + 1, bottom - top + 1);
    const width = Math.max(1, Math.round((right - left + 1) * scale));
    const height = Math.max(1, Math.round((bottom - top + 1) * scale));
    const small = new Float32Array(width * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        // Average of the source pixels this target pixel covers.
        const x0 = left + Math.floor(x / scale), x1 = Math.max(x0 + 1, left + Math.floor((x + 1) / scale));
        const y0 = top + Math.floor(y / scale), y1 = Math.max(y0 + 1, top + Math.floor((y + 1) / scale));
        let sum = 0;
        for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) sum += ink[sy * SIDE + sx];
        small[y * width + x] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
    // Centre of mass to the centre of the 28x28 image.
    let mass = 0, cx = 0, cy = 0;
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const v = small[y * width + x];
      mass += v;
      cx += v * x;
      cy += v * y;
    }
    const dx = Math.round(14 - cx / mass), dy = Math.round(14 - cy / mass);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = Math.min(1, small[y * width + x]);
    }
    return out;
  }
}
