import { describe, expect, test } from "bun:test";
import { BasicAuth } from "../../src/auth/basic-auth.ts";
import { openUserStore } from "../../src/models/user.ts";
import { basicHeader, legacyUser, tempDir } from "../helpers.ts";

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
