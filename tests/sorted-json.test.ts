import { expect, test } from "bun:test";
import { stringifySorted } from "../src/sorted-json.ts";

test("JSON is indented, key-sorted at every depth, and ends in a newline", () => {
  expect(stringifySorted({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
    '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
  );
  expect(stringifySorted({})).toBe("{}\n");
  expect(stringifySorted([])).toBe("[]\n");
});
