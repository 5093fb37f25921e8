import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeQr, type QrCode, qrSvg } from "../../src/web/qr-svg.ts";
import { tempDir } from "../helpers.ts";

/** The symbol as a binary PGM image, 4 pixels a module, with its quiet zone: what zbarimg reads. */
function pgm({ size, modules }: QrCode): Buffer {
  const scale = 4;
  const side = (size + 8) * scale;
  const pixels = Buffer.alloc(side * side, 255);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!modules[y]![x]) continue;
      for (let dy = 0; dy < scale; dy++) pixels.fill(0, ((y + 4) * scale + dy) * side + (x + 4) * scale, ((y + 4) * scale + dy) * side + (x + 5) * scale);
    }
  }
  return Buffer.concat([Buffer.from(`P5\n${side} ${side}\n255\n`), pixels]);
}

/** What Debian's zbarimg reads from the symbol: an independent decoder. */
function zbar(code: QrCode): string {
  const file = join(tempDir(), "qr.pgm");
  writeFileSync(file, pgm(code));
  const run = Bun.spawnSync(["zbarimg", "--raw", "-q", "-Sbinary", file]);
  return run.stdout.toString();
}

describe("encodeQr", () => {
  const uri = "otpauth://totp/session-auth:bob%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=session-auth&algorithm=SHA1&digits=6&period=30";

  test("the smallest version for the length (level M byte capacities: v1 14, v2 26, v7 122, v10 213)", () => {
    expect(encodeQr("a".repeat(14)).version).toBe(1);
    expect(encodeQr("a".repeat(15)).version).toBe(2);
    expect(encodeQr("a".repeat(122)).version).toBe(7);
    expect(encodeQr("a".repeat(123)).version).toBe(8);
    expect(encodeQr("a".repeat(213)).version).toBe(10);
    expect(encodeQr(uri).size).toBe(encodeQr(uri).version * 4 + 17);
  });

  test.each([
    ["a one-character text", "A"],
    ["an otpauth URI", uri],
    ["UTF-8 (bytes, not characters)", "otpauth://totp/Zoë%20&%20Cie:été@x.fr?secret=AB"],
    ["version 10 (16-bit count)", "x".repeat(200)],
    ["several blocks of two lengths (version 14)", "0123456789abcdef".repeat(20)],
  ])("zbarimg reads %s back exactly", (_, text) => {
    expect(zbar(encodeQr(text))).toBe(text);
  });

  test("every length up to 300 bytes reads back (versions 1 to 13, every block layout among them)", () => {
    for (let length = 1; length <= 300; length += 7) {
      const text = Array.from({ length }, (_, i) => String.fromCharCode(33 + ((i * 7) % 90))).join("");
      expect([length, zbar(encodeQr(text))]).toEqual([length, text]);
    }
  });

  test("too long for version 40 is a RangeError", () => {
    expect(() => encodeQr("x".repeat(2400))).toThrow(RangeError);
  });
});

describe("qrSvg", () => {
  test("an SVG of unit squares in a viewBox with the quiet zone, label escaped", () => {
    const svg = qrSvg("hello", { pixels: 200, label: 'a "b" <c>' });
    const { size } = encodeQr("hello");
    expect(svg).toStartWith(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size + 8} ${size + 8}" width="200" height="200"`);
    expect(svg).toContain('aria-label="a &#34;b&#34; &#60;c&#62;"');
    expect(svg).toContain('<path d="M4,4h1v1h-1z');
  });
});
