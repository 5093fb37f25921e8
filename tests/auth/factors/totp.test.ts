import { describe, expect, test } from "bun:test";
import { base32Decode, base32Encode, hotp, newSecret, otpauthUri, timeStep, totp, type TotpParameters, verifyTotp } from "../../../src/auth/factors/totp.ts";

const ascii = (text: string) => new TextEncoder().encode(text);

describe("base32 (RFC 4648 §10 test vectors)", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ];
  test.each(vectors)("%p encodes to %p (padding left out) and back", (plain, encoded) => {
    expect(base32Encode(ascii(plain))).toBe(encoded);
    expect(new TextDecoder().decode(base32Decode(encoded)!)).toBe(plain);
  });

  test("decoding is lenient about case, spaces, hyphens and padding", () => {
    expect(new TextDecoder().decode(base32Decode("mzxw 6ytb-oi======")!)).toBe("foobar");
  });

  test.each(["MZXW6YTB1", "MZXW6YTB!", "MZXW6YTBOJ", "M"])("refuses %p (not base32, or bits left over)", (text) => {
    expect(base32Decode(text)).toBeNull();
  });

  test("random secrets round-trip", () => {
    for (let i = 0; i < 50; i++) {
      const secret = newSecret();
      expect(secret.length).toBe(20);
      expect(base32Decode(base32Encode(secret))).toEqual(secret);
    }
  });
});

describe("HOTP (RFC 4226 Appendix D)", () => {
  const secret = ascii("12345678901234567890");
  const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  test.each(expected.map((code, count) => [count, code] as const))("count %p gives %p", async (count, code) => {
    expect(await hotp(secret, count)).toBe(code);
  });

  test("an 8-byte counter beyond 32 bits (RFC 4226 §5.2) matches the value the upper half gives", async () => {
    // The counter's upper word is part of the HMAC input: counters 2^32 apart give different codes.
    expect(await hotp(secret, 2 ** 32 + 1)).not.toBe(await hotp(secret, 1));
  });
});

describe("TOTP (RFC 6238 Appendix B, 8 digits, T0 = 0, X = 30)", () => {
  // Appendix B's seeds: the ASCII digits, repeated to the hash's block-friendly length.
  const seeds = {
    SHA1: ascii("12345678901234567890"),
    SHA256: ascii("12345678901234567890123456789012"),
    SHA512: ascii("1234567890123456789012345678901234567890123456789012345678901234"),
  };
  const table: [number, string, string, "SHA1" | "SHA256" | "SHA512", string][] = [
    [59, "1970-01-01 00:00:59", "0000000000000001", "SHA1", "94287082"],
    [59, "1970-01-01 00:00:59", "0000000000000001", "SHA256", "46119246"],
    [59, "1970-01-01 00:00:59", "0000000000000001", "SHA512", "90693936"],
    [1111111109, "2005-03-18 01:58:29", "00000000023523EC", "SHA1", "07081804"],
    [1111111109, "2005-03-18 01:58:29", "00000000023523EC", "SHA256", "68084774"],
    [1111111109, "2005-03-18 01:58:29", "00000000023523EC", "SHA512", "25091201"],
    [1111111111, "2005-03-18 01:58:31", "00000000023523ED", "SHA1", "14050471"],
    [1111111111, "2005-03-18 01:58:31", "00000000023523ED", "SHA256", "67062674"],
    [1111111111, "2005-03-18 01:58:31", "00000000023523ED", "SHA512", "99943326"],
    [1234567890, "2009-02-13 23:31:30", "000000000273EF07", "SHA1", "89005924"],
    [1234567890, "2009-02-13 23:31:30", "000000000273EF07", "SHA256", "91819424"],
    [1234567890, "2009-02-13 23:31:30", "000000000273EF07", "SHA512", "93441116"],
    [2000000000, "2033-05-18 03:33:20", "0000000003F940AA", "SHA1", "69279037"],
    [2000000000, "2033-05-18 03:33:20", "0000000003F940AA", "SHA256", "90698825"],
    [2000000000, "2033-05-18 03:33:20", "0000000003F940AA", "SHA512", "38618901"],
    [20000000000, "2603-10-11 11:33:20", "0000000027BC86AA", "SHA1", "65353130"],
    [20000000000, "2603-10-11 11:33:20", "0000000027BC86AA", "SHA256", "77737706"],
    [20000000000, "2603-10-11 11:33:20", "0000000027BC86AA", "SHA512", "47863826"],
  ];
  test.each(table)("time %p (%s UTC): T = %s, %s → %s", async (seconds, utc, stepHex, algorithm, code) => {
    expect(new Date(seconds * 1000).toISOString().replace("T", " ").slice(0, 19)).toBe(utc);
    // §4.2: T = floor((time - T0) / X).
    expect(timeStep(seconds * 1000).toString(16).toUpperCase().padStart(16, "0")).toBe(stepHex);
    const parameters: TotpParameters = { algorithm, digits: 8, period: 30 };
    expect(await totp(seeds[algorithm], seconds * 1000, parameters)).toBe(code);
    expect(await verifyTotp(seeds[algorithm], code, { now: seconds * 1000, lastStep: null, parameters })).toBe(timeStep(seconds * 1000));
  });

  test("6 digits are the low six of the 8-digit value (RFC 4226 §5.3: Snum mod 10^Digit)", async () => {
    expect(await totp(seeds.SHA1, 59_000)).toBe("287082");
  });
});

describe("verifyTotp: the window and replays (RFC 6238 §5.2)", () => {
  const secret = ascii("12345678901234567890");
  const now = 1_111_111_111_000;
  const step = timeStep(now);
  const codeAt = (s: number) => hotp(secret, s);

  test("the current step and one on either side are accepted, and say which step matched", async () => {
    for (const offset of [-1, 0, 1]) expect(await verifyTotp(secret, await codeAt(step + offset), { now, lastStep: null })).toBe(step + offset);
  });

  test("two steps away, either way, is refused", async () => {
    for (const offset of [-2, 2]) expect(await verifyTotp(secret, await codeAt(step + offset), { now, lastStep: null })).toBeNull();
  });

  test("the step used last, or an earlier one, is refused: a code is used once", async () => {
    expect(await verifyTotp(secret, await codeAt(step), { now, lastStep: step })).toBeNull();
    expect(await verifyTotp(secret, await codeAt(step - 1), { now, lastStep: step })).toBeNull();
    expect(await verifyTotp(secret, await codeAt(step - 1), { now, lastStep: step - 1 })).toBeNull();
    expect(await verifyTotp(secret, await codeAt(step + 1), { now, lastStep: step })).toBe(step + 1);
  });

  test.each(["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "-12345", "123456\n0"])("%p is refused without an error", async (code) => {
    expect(await verifyTotp(secret, code, { now, lastStep: null })).toBeNull();
  });

  test("spaces people type are ignored", async () => {
    const code = await codeAt(step);
    expect(await verifyTotp(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, { now, lastStep: null })).toBe(step);
  });
});

describe("otpauthUri", () => {
  test("the Key Uri Format with issuer in the label and as a parameter, each part percent-encoded", () => {
    expect(otpauthUri({ issuer: "session-auth", account: "bob@example.com", secret: "JBSWY3DPEHPK3PXP" })).toBe(
      "otpauth://totp/session-auth:bob%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=session-auth&algorithm=SHA1&digits=6&period=30",
    );
    expect(otpauthUri({ issuer: "Acme: Co", account: "a&b@x", secret: "AB" })).toBe("otpauth://totp/Acme%3A%20Co:a%26b%40x?secret=AB&issuer=Acme%3A%20Co&algorithm=SHA1&digits=6&period=30");
  });
});

describe("independent implementations agree", () => {
  const secret = newSecret();
  const encoded = base32Encode(secret);
  const now = Date.now();

  test("oathtool --totp -b makes the codes we accept (6 and 8 digits, SHA-1/256/512)", async () => {
    for (const [algorithm, flag] of [["SHA1", "sha1"], ["SHA256", "sha256"], ["SHA512", "sha512"]] as const) {
      for (const digits of [6, 8]) {
        const at = new Date(now).toISOString().slice(0, 19).replace("T", " ");
        const run = Bun.spawnSync(["oathtool", `--totp=${flag}`, "-b", `--digits=${digits}`, `--now=${at} UTC`, encoded]);
        const code = run.stdout.toString().trim();
        const parameters: TotpParameters = { algorithm, digits, period: 30 };
        expect(code).toBe(await totp(secret, Math.floor(now / 1000) * 1000, parameters));
        expect(await verifyTotp(secret, code, { now, lastStep: null, parameters })).toBe(timeStep(now));
      }
    }
  });

  test("pyotp makes the codes we accept, and accepts ours", async () => {
    const script = `import pyotp, sys
t = pyotp.TOTP(sys.argv[1])
print(t.at(int(sys.argv[2])))
print(t.verify(sys.argv[3], int(sys.argv[2])))`;
    const ours = await totp(secret, now);
    const run = Bun.spawnSync(["/usr/bin/python3", "-c", script, encoded, String(Math.floor(now / 1000)), ours]);
    if (run.exitCode !== 0 && run.stderr.toString().includes("No module named 'pyotp'")) throw new Error("python3-pyotp is not installed");
    const [theirs, verdict] = run.stdout.toString().trim().split("\n");
    expect(theirs).toBe(ours);
    expect(verdict).toBe("True");
  });
});
