import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { cstDts } from "../../scripts/gen-cst-dts.js";

it("grammar/cst.d.ts matches the grammar (regenerate with `npm run gen:cst`)", () => {
  expect(readFileSync(new URL("../../grammar/cst.d.ts", import.meta.url), "utf8")).toBe(cstDts());
});
