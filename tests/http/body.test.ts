import { describe, expect, test } from "bun:test";
import { readBodyBytes, readForm, readJson } from "../../src/http/body.ts";
import { HttpError } from "../../src/http/responses.ts";

const post = (body: RequestInit["body"], headers: Record<string, string> = {}) => new Request("http://127.0.0.1/x", { method: "POST", body, headers });

describe("readBodyBytes", () => {
  test("refuses a declared length over the limit without reading", async () => {
    const request = post("x".repeat(10), { "content-length": "1000" });
    await expect(readBodyBytes(request, 100)).rejects.toMatchObject({ status: 413 });
  });
  test("refuses a streamed body once it passes the limit", async () => {
    const stream = new ReadableStream({
      pull(controller) {
        controller.enqueue(new Uint8Array(64));
      },
    });
    const error = await readBodyBytes(post(stream), 1000).catch((e) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error.status).toBe(413);
  });
  test("reads a body within the limit", async () => {
    expect(new TextDecoder().decode(await readBodyBytes(post("hello"), 5))).toBe("hello");
  });
});

describe("readJson", () => {
  test("parses JSON bodies with a JSON media type", async () => {
    expect(await readJson(post('{"a":1}', { "content-type": "application/json; charset=utf-8" }), 100)).toEqual({ a: 1 });
    expect(await readJson(post("[1]", { "content-type": "application/vnd.api+json" }), 100)).toEqual([1]);
  });
  test("undefined for other media types and for bad JSON", async () => {
    expect(await readJson(post('{"a":1}', { "content-type": "application/x-www-form-urlencoded" }), 100)).toBeUndefined();
    expect(await readJson(post('{"a":', { "content-type": "application/json" }), 100)).toBeUndefined();
    expect(await readJson(post("[".repeat(50000), { "content-type": "application/json" }), 100000)).toBeUndefined();
  });
});

describe("readForm", () => {
  test("urlencoded and multipart bodies", async () => {
    const urlencoded = await readForm(post("email=a%40b&password=x+y", { "content-type": "application/x-www-form-urlencoded" }), 1000);
    expect(Object.fromEntries(urlencoded)).toEqual({ email: "a@b", password: "x y" });
    const form = new FormData();
    form.set("email", "a@b");
    form.set("password", "p w");
    form.set("file", new Blob(["data"]), "f.txt");
    const multipart = await readForm(new Request("http://127.0.0.1/x", { method: "POST", body: form }), 10000);
    expect(Object.fromEntries(multipart)).toEqual({ email: "a@b", password: "p w" });
  });
  test("no fields from JSON, a query string or a broken multipart body", async () => {
    expect((await readForm(post('{"email":"a"}', { "content-type": "application/json" }), 1000)).size).toBe(0);
    expect((await readForm(new Request("http://127.0.0.1/x?email=a", { method: "POST" }), 1000)).size).toBe(0);
    expect((await readForm(post("garbage", { "content-type": "multipart/form-data; boundary=zzz" }), 1000)).size).toBe(0);
  });
});
