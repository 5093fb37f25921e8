import { describe, expect, test } from "bun:test";
import { parseGroups, storedGroups, type UserGroupsRecord } from "../../src/domain/user-groups.ts";

describe("parseGroups", () => {
  const good: [unknown, string[]][] = [
    ["admins,ops", ["admins", "ops"]],
    [" Ops , admins ,ops", ["admins", "ops"]],
    ["", []],
    [["Dev.Team", "qa_1", "a-b"], ["a-b", "dev.team", "qa_1"]],
    [[], []],
  ];
  test.each(good)("%p → %p", (input, expected) => {
    expect(parseGroups(input)).toEqual({ groups: expected });
  });
  const bad: [unknown][] = [["a,,b"], ["a b"], ["-admins"], ["admins,"], [["a,b"]], [[7]], ["x".repeat(65)], ["é"], [7], [{ a: 1 }], [Array.from({ length: 65 }, (_, i) => `g${i}`)]];
  test.each(bad)("%p is refused with a message", (input) => {
    expect(parseGroups(input)).toHaveProperty("problem");
  });
});

test("storedGroups reads a record's names, none for no record", () => {
  const record: UserGroupsRecord = Object.freeze({ id: "u", created_at: "2017-10-16T04:23:04", updated_at: "2017-10-16T04:23:04", groups: "admins,ops" });
  expect(storedGroups(record)).toEqual(["admins", "ops"]);
  expect(storedGroups(record)).toBe(storedGroups(record));
  expect(storedGroups(null)).toEqual([]);
});
