import { describe, expect, test } from "bun:test";
import { BasicAuth, VERIFIED_CACHE_TTL_MS } from "../../src/auth/basic-auth.ts";
import { hashPassword } from "../../src/domain/password.ts";
import { openUserStore } from "../../src/storage/user-store.ts";
import { basicHeader, FakeClock, legacyUser, tempDir } from "../helpers.ts";

const users = openUserStore(tempDir());
const bob = legacyUser("bob@hbtn.io", "H0lbertonSchool98!");
await users.save(bob);
await users.save(legacyUser("colon@hbtn.io", "pass:with:colons"));
const auth = new BasicAuth({ users, sessionName: "_my_session_id", sessionDuration: 0, clock: Date.now });

describe("BasicAuth helpers", () => {
  test("extractBase64AuthorizationHeader", () => {
    expect(auth.extractBase64AuthorizationHeader(null)).toBeNull();
    expect(auth.extractBase64AuthorizationHeader(89)).toBeNull();
    expect(auth.extractBase64AuthorizationHeader("Holberton School")).toBeNull();
    expect(auth.extractBase64AuthorizationHeader("Basic Holberton")).toBe("Holberton");
    expect(auth.extractBase64AuthorizationHeader("Basic SG9sYmVydG9u")).toBe("SG9sYmVydG9u");
    expect(auth.extractBase64AuthorizationHeader("Basic SG9sYmVydG9uIFNjaG9vbA==")).toBe("SG9sYmVydG9uIFNjaG9vbA==");
    expect(auth.extractBase64AuthorizationHeader("Basic1234")).toBeNull();
  });

  test("decodeBase64AuthorizationHeader", () => {
    expect(auth.decodeBase64AuthorizationHeader(null)).toBeNull();
    expect(auth.decodeBase64AuthorizationHeader(89)).toBeNull();
    expect(auth.decodeBase64AuthorizationHeader("Holberton School")).toBeNull();
    expect(auth.decodeBase64AuthorizationHeader("SG9sYmVydG9u")).toBe("Holberton");
    expect(auth.decodeBase64AuthorizationHeader("SG9sYmVydG9uIFNjaG9vbA==")).toBe("Holberton School");
    expect(auth.decodeBase64AuthorizationHeader("SG9sYmVydG9uIFNjaG9vbA")).toBeNull();
    expect(auth.decodeBase64AuthorizationHeader("/w==")).toBeNull(); // 0xFF is not UTF-8
    expect(auth.decodeBase64AuthorizationHeader("")).toBe("");
  });

  test("extractUserCredentials splits at the first colon", () => {
    expect(auth.extractUserCredentials(null)).toEqual([null, null]);
    expect(auth.extractUserCredentials(89)).toEqual([null, null]);
    expect(auth.extractUserCredentials("Holberton School")).toEqual([null, null]);
    expect(auth.extractUserCredentials("Holberton:School")).toEqual(["Holberton", "School"]);
    expect(auth.extractUserCredentials("bob@gmail.com:toto1234")).toEqual(["bob@gmail.com", "toto1234"]);
    expect(auth.extractUserCredentials("a:b:c")).toEqual(["a", "b:c"]);
  });

  test("userObjectFromCredentials", async () => {
    expect(await auth.userObjectFromCredentials(null, "x")).toBeNull();
    expect(await auth.userObjectFromCredentials(89, 98)).toBeNull();
    expect(await auth.userObjectFromCredentials("u0@hbtn.io", "pwd")).toBeNull();
    expect(await auth.userObjectFromCredentials("bob@hbtn.io", "wrong")).toBeNull();
    expect((await auth.userObjectFromCredentials("bob@hbtn.io", "H0lbertonSchool98!"))?.id).toBe(bob.id);
  });

  test("currentUser from a request (main_0's header)", async () => {
    const request = (value?: string) => new Request("http://127.0.0.1/", { headers: value ? { Authorization: value } : {} });
    expect(basicHeader("bob@hbtn.io", "H0lbertonSchool98!")).toBe("Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh");
    expect((await auth.currentUser(request("Basic Ym9iQGhidG4uaW86SDBsYmVydG9uU2Nob29sOTgh")))?.email).toBe("bob@hbtn.io");
    expect((await auth.currentUser(request(basicHeader("colon@hbtn.io", "pass:with:colons"))))?.email).toBe("colon@hbtn.io");
    expect(await auth.currentUser(request())).toBeNull();
    expect(await auth.currentUser(request("Test"))).toBeNull();
    expect(await auth.currentUser(request("Basic !!!"))).toBeNull();
    expect(await auth.currentUser(null)).toBeNull();
  });
});

describe("BasicAuth: verified credentials are remembered safely", () => {
  const request = (email: string, password: string) => new Request("http://127.0.0.1/", { headers: { Authorization: basicHeader(email, password) } });

  test("a changed password, a deleted user or the TTL end a remembered verification", async () => {
    const clock = new FakeClock();
    const store = openUserStore(tempDir());
    const user = legacyUser("cache@hbtn.io", "first");
    await store.save(user);
    const cached = new BasicAuth({ users: store, sessionName: "s", sessionDuration: 0, clock: clock.read });
    expect((await cached.currentUser(request("cache@hbtn.io", "first")))?.id).toBe(user.id);
    expect((await cached.currentUser(request("cache@hbtn.io", "first")))?.id).toBe(user.id);
    expect(await cached.currentUser(request("cache@hbtn.io", "wrong"))).toBeNull();

    const current = (await store.get(user.id))!;
    await store.save({ ...current, _password: await hashPassword("second") });
    expect(await cached.currentUser(request("cache@hbtn.io", "first"))).toBeNull();
    expect((await cached.currentUser(request("cache@hbtn.io", "second")))?.id).toBe(user.id);

    clock.advance(VERIFIED_CACHE_TTL_MS / 1000 + 1);
    expect((await cached.currentUser(request("cache@hbtn.io", "second")))?.id).toBe(user.id);

    await store.remove(user.id);
    expect(await cached.currentUser(request("cache@hbtn.io", "second"))).toBeNull();
  });

  test("a remembered header answers without a password check", async () => {
    const store = openUserStore(tempDir());
    const user = legacyUser("fast@hbtn.io", "pw");
    await store.save(user);
    const cached = new BasicAuth({ users: store, sessionName: "s", sessionDuration: 0, clock: Date.now });
    await cached.currentUser(request("fast@hbtn.io", "pw"));
    let checks = 0;
    const original = Bun.password.verify;
    Bun.password.verify = (async (...args: Parameters<typeof original>) => {
      checks += 1;
      return original(...args);
    }) as typeof original;
    try {
      for (let i = 0; i < 5; i++) expect((await cached.currentUser(request("fast@hbtn.io", "pw")))?.id).toBe(user.id);
    } finally {
      Bun.password.verify = original;
    }
    expect(checks).toBe(0);
  });

  test("a header verified lately is answered without a promise; anything else waits for a check", async () => {
    const clock = new FakeClock();
    const store = openUserStore(tempDir());
    const user = legacyUser("now@hbtn.io", "first");
    await store.save(user);
    const auth = new BasicAuth({ users: store, sessionName: "s", sessionDuration: 0, clock: clock.read });
    expect(auth.currentUser(new Request("http://127.0.0.1/"))).toBeNull();
    const first = auth.currentUser(request("now@hbtn.io", "first"));
    expect(first).toBeInstanceOf(Promise);
    expect((await first)?.id).toBe(user.id);
    const cached = auth.currentUser(request("now@hbtn.io", "first"));
    expect(cached).not.toBeInstanceOf(Promise);
    expect((cached as { id: string }).id).toBe(user.id);
    expect(await auth.currentUser(request("now@hbtn.io", "wrong"))).toBeNull();

    await store.update(user.id, { _password: await hashPassword("second") });
    expect(auth.currentUser(request("now@hbtn.io", "first"))).toBeInstanceOf(Promise);
    expect(await auth.currentUser(request("now@hbtn.io", "first"))).toBeNull();
    expect((await auth.currentUser(request("now@hbtn.io", "second")))?.id).toBe(user.id);
    clock.advance(VERIFIED_CACHE_TTL_MS / 1000 + 1);
    expect(auth.currentUser(request("now@hbtn.io", "second"))).toBeInstanceOf(Promise);
  });
});
