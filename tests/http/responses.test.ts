import { expect, test } from "bun:test";
import { json, jsonError, stringifySorted } from "../../src/http/responses.ts";

test("JSON is indented, key-sorted at every depth, and ends in a newline", () => {
  expect(stringifySorted({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
    '{\n  "a": {\n    "c": null,\n    "d": [\n      {\n        "y": 2,\n        "z": 1\n      }\n    ]\n  },\n  "b": 1\n}\n',
  );
  expect(stringifySorted({})).toBe("{}\n");
  expect(stringifySorted([])).toBe("[]\n");
});

test("json() and jsonError() set status and content type", async () => {
  const ok = json({ status: "OK" }, 201);
  expect(ok.status).toBe(201);
  expect(ok.headers.get("content-type")).toBe("application/json");
  const error = jsonError(404, "Not found");
  expect(error.status).toBe(404);
  expect(await error.json()).toEqual({ error: "Not found" });
});
