import { describe, expect, it } from "vitest";
import { topLevelKeys } from "../../runtime/weights/json-key-order.js";

describe("topLevelKeys", () => {
  it("lists keys as written, with escapes decoded, duplicates and integer-like keys kept in place", () => {
    const text = ` { "b" : {"x": [1, {"y": "}"}], "z": "\\"{"}, "10": 3, "a\\"q\\u00e9": [], "b": null, "t": true, "n": -1.5e3 }  `;
    expect(topLevelKeys(text)).toEqual(["b", "10", 'a"qé', "b", "t", "n"]);
  });

  it("gives no keys for an empty object", () => {
    expect(topLevelKeys("{}")).toEqual([]);
    expect(topLevelKeys("{ }   ")).toEqual([]);
  });
});
