/**
 * Hover over a real `nnc lsp` process, on the shipped examples: layer calls and names (the
 * operator's doc, each instance's shapes and parameters), block calls, bindings and inputs,
 * named arguments, model names; nothing on a comment.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hover } from "vscode-languageserver-protocol";
import { LspClient, positionOf } from "../support/lsp-client.js";

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start();
});
afterAll(async () => {
  expect(await client.stop()).toBe(0);
});

/** The hover's markdown at `needle` (moved `delta` on) in `example`. */
async function hover(example: string, needle: string, delta = 0): Promise<string | null> {
  const path = `examples/${example}`;
  const text = readFileSync(path, "utf8");
  const uri = client.open(path);
  const result = await client.request<Hover | null>("textDocument/hover", { textDocument: { uri }, position: positionOf(text, needle, delta) });
  return result === null ? null : (result.contents as { value: string }).value;
}

const CONV = "**conv**`(out, kernel, stride: 1, pad: 0, dilation: 1, groups: 1, bias: true, ws: \"none\")`\n\n2-D convolution (cross-correlation), as nn.Conv2d";

describe("hover", () => {
  it("shows every instance of a layer call in a block, with shapes and parameters", async () => {
    expect(await hover("resnet20.nn", "conv(c, 3, stride")).toBe(
      `${CONV}\n\n` +
        "- `Basic0.conv0`: `[N,16,32,32] → [N,16,32,32]`, 2,304 parameters\n" +
        "- `Basic1.conv0`: `[N,16,32,32] → [N,16,32,32]`, 2,304 parameters\n" +
        "- `Basic2.conv0`: `[N,16,32,32] → [N,16,32,32]`, 2,304 parameters\n" +
        "- `Basic3.conv0`: `[N,16,32,32] → [N,32,16,16]`, 4,608 parameters\n" +
        "- `Basic4.conv0`: `[N,32,16,16] → [N,32,16,16]`, 9,216 parameters\n" +
        "- `Basic5.conv0`: `[N,32,16,16] → [N,32,16,16]`, 9,216 parameters\n" +
        "- `Basic6.conv0`: `[N,32,16,16] → [N,64,8,8]`, 18,432 parameters\n" +
        "- `Basic7.conv0`: `[N,64,8,8] → [N,64,8,8]`, 36,864 parameters\n" +
        "- … and 1 more\n\n" +
        "9 instances, 122,112 parameters in all",
    );
  });

  it("shows an alias as the layer it stands for", async () => {
    expect(await hover("resnet20.nn", "norm -> relu]", 1)).toBe(
      "**norm**: `batch`\n\nbatch normalization over N, H, W per channel, as nn.BatchNorm2d / BatchNorm1d\n\n" +
        "- `stem.batch0`: `[N,16,32,32] → [N,16,32,32]`, 32 parameters",
    );
    expect(await hover("lenet.nn", "act -> dense(84)")).toBe(
      "**act**: `tanh`\n\nhyperbolic tangent\n\n- `tanh2`: `[N,120] → [N,120]`, 0 parameters",
    );
  });

  it("shows a block call's signature, shapes and parameter count", async () => {
    expect(await hover("resnet20.nn", "Basic(2 * width, stride: 2)", 2)).toBe(
      "**block Basic**`(c: int, stride: int = 1)`\n\nblock with tensor input x\n\n- `[N,16,32,32] → [N,32,16,16]`, 14,528 parameters",
    );
  });

  it("shows the shapes of a binding and of an input", async () => {
    expect(await hover("inception.nn", "b = x")).toBe("**b** (binding), one shape per elaboration:\n- `[N,32,32,32]`\n- `[N,64,16,16]`");
    expect(await hover("resnet20.nn", "(y + s)", 1)).toBe("**y** (binding), one shape per elaboration:\n- `[N,16,32,32]`\n- `[N,32,16,16]`\n- `[N,64,8,8]`");
    expect(await hover("mlp.nn", "x: [N, 784]")).toBe("**x** (input): `[N,784]`");
  });

  it("shows a named argument's doc and default", async () => {
    expect(await hover("resnet20.nn", "stride: 2)", 2)).toBe("**stride** of `Basic` (default 1)");
    expect(await hover("vgg.nn", "pad: same) ->")).toBe(
      "**pad** of `conv` (default 0)\n\nzero padding on each side: an int, a pair (h, w) or `same` (output size ceil(H / stride))",
    );
  });

  it("shows a model's inputs, outputs and size on its name", async () => {
    expect(await hover("resnet20.nn", "ResNet20(", 3)).toBe("**model ResNet20**: `[N,3,32,32] → [N,10]`, 272,474 parameters, 73 layer instances");
  });

  it("says nothing on a comment", async () => {
    expect(await hover("resnet20.nn", "ResNet-20 for CIFAR")).toBeNull();
  });
});
