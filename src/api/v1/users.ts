/** The User endpoints. */
import { readJson } from "../../http/body.ts";
import { HttpError, json, jsonText } from "../../http/responses.ts";
import { formatTimestamp } from "../../models/base.ts";
import { andThen, UniqueConstraintError } from "../../models/record-store.ts";
import { newUser, publicUserJson, toPublicUser, type UserRecord } from "../../models/user.ts";
import type { ApiDeps, ApiRouter } from "./context.ts";

const NOT_FOUND = "Not found";
const WRONG_FORMAT = "Wrong format";

export function registerUserRoutes(router: ApiRouter, { users, config, clock, deleteUser }: ApiDeps): void {
  router.add("GET", "/api/v1/users", async () => json((await users.all()).map(toPublicUser)));

  // `me` is the guard's user: answered without waiting.
  router.add("GET", "/api/v1/users/:id", ({ params, currentUser }) => (params.id === "me" ? userResponse(currentUser) : andThen(users.get(params.id!), userResponse)));

  router.add("POST", "/api/v1/users", async ({ request }) => {
    const body = await readJson(request, config.maxBodyBytes);
    if (!isObject(body)) throw new HttpError(400, WRONG_FORMAT);
    const email = requiredString(body.email, "email missing");
    const password = requiredString(body.password, "password missing");
    const user = await newUser(
      { email, password, first_name: optionalName(body.first_name), last_name: optionalName(body.last_name) },
      clock,
    );
    try {
      await users.save(user);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new HttpError(400, "email already exists");
      throw error;
    }
    return json(toPublicUser(user), 201);
  });

  router.add("PUT", "/api/v1/users/:id", async ({ request, params }) => {
    if ((await users.get(params.id!)) === null) throw new HttpError(404, NOT_FOUND);
    const body = await readJson(request, config.maxBodyBytes);
    if (!isObject(body)) throw new HttpError(400, WRONG_FORMAT);
    // Only the fields given change, on the record as stored when the body has arrived: a user
    // deleted or given a new password meanwhile stays that way.
    const changes: Partial<UserRecord> = { updated_at: formatTimestamp(clock()) };
    const firstName = optionalName(body.first_name);
    const lastName = optionalName(body.last_name);
    if (firstName !== null) changes.first_name = firstName;
    if (lastName !== null) changes.last_name = lastName;
    const updated = await users.update(params.id!, changes);
    if (!updated) throw new HttpError(404, NOT_FOUND);
    return json(toPublicUser(updated));
  });

  router.add("DELETE", "/api/v1/users/:id", async ({ params }) => {
    if (!(await deleteUser(params.id!))) throw new HttpError(404, NOT_FOUND);
    return json({});
  });
}

function userResponse(user: UserRecord | null): Response {
  if (!user) throw new HttpError(404, NOT_FOUND);
  return jsonText(publicUserJson(user));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Missing, null or empty: `missing`; present but not a string: the body is malformed. */
function requiredString(value: unknown, missing: string): string {
  if (value === undefined || value === null || value === "") throw new HttpError(400, missing);
  if (typeof value !== "string") throw new HttpError(400, WRONG_FORMAT);
  return value;
}

/** A name is a string, or absent (undefined / null: left as it is). */
function optionalName(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new HttpError(400, WRONG_FORMAT);
  return value;
}
