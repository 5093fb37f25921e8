import { expect, test } from "bun:test";
import { json, jsonError } from "../../src/http/responses.ts";

test("json() and jsonError() set status and content type", async () => {
  const ok = json({ status: "OK" }, 201);
  expect(ok.status).toBe(201);
  expect(ok.headers.get("content-type")).toBe("application/json");
  const error = jsonError(404, "Not found");
  expect(error.status).toBe(404);
  expect(await error.json()).toEqual({ error: "Not found" });
});
