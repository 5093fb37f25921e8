import { describe, expect, test } from "bun:test";
import { decodeFormComponent, parseForm } from "../../src/http/forms.ts";

describe("parseForm", () => {
  const cases: [string, Record<string, string>][] = [
    ["", {}],
    ["email=guillaume@hbtn.io", { email: "guillaume@hbtn.io" }],
    ["email=bobsession%40hbtn.io&password=fake+pwd", { email: "bobsession@hbtn.io", password: "fake pwd" }],
    ["password=fake pwd", { password: "fake pwd" }],
    ["a=1&a=2", { a: "1" }],
    ["flag&x=1", { flag: "", x: "1" }],
    ["&&x=1&&", { x: "1" }],
    ["x=a=b", { x: "a=b" }],
    ["x=%zz&y=%4", { x: "%zz", y: "%4" }],
    ["x=%E2%9C%93", { x: "✓" }],
    ["x=%C3", { x: "\uFFFD" }],
    ["%65mail=a", { email: "a" }],
    ["x=1%2B1", { x: "1+1" }],
    ["\uD800=\uDFFF", { "\uFFFD": "\uFFFD" }],
  ];
  for (const [body, expected] of cases) {
    test(JSON.stringify(body), () => {
      expect(Object.fromEntries(parseForm(body))).toEqual(expected);
    });
  }

  test("agrees with URLSearchParams on random bodies, malformed escapes included", () => {
    const alphabet = ["a", "b", "=", "&", "+", "%", "2", "0", "4", "E", "C", "3", "A", "9", "z", "é", " ", "%E2%9C%93", "%C3", "%4"];
    for (let round = 0; round < 2000; round++) {
      const body = Array.from({ length: Math.floor(Math.random() * 24) }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join("");
      const ours = parseForm(body);
      const reference = new URLSearchParams(body);
      for (const name of new Set(reference.keys())) expect([body, ours.get(name)]).toEqual([body, reference.get(name)!]);
      expect(ours.size).toBe(new Set(reference.keys()).size);
    }
  });

  test("caps the number of fields", () => {
    const body = Array.from({ length: 5000 }, (_, i) => `f${i}=1`).join("&");
    expect(parseForm(body).size).toBe(1000);
  });
});

describe("decodeFormComponent", () => {
  test("plus, escapes and raw text", () => {
    expect(decodeFormComponent("a+b%20c")).toBe("a b c");
    expect(decodeFormComponent("100%")).toBe("100%");
    expect(decodeFormComponent("plain")).toBe("plain");
  });
});
