/** The User endpoints. */
import { requestOrigin } from "../../audit.ts";
import { readJson } from "../../http/body.ts";
import { HttpError, json, jsonArray, jsonText } from "../../http/responses.ts";
import { formatTimestamp } from "../../domain/base.ts";
import { andThen } from "../../maybe-promise.ts";
import { UniqueConstraintError } from "../../storage/record-store.ts";
import { FIELD_LIMITS, fieldProblem, isAdmin, isValidEmail, newUser, passwordProblem, publicUserJson, storable, toPublicUser, type UserRecord } from "../../domain/user.ts";
import { parseGroups } from "../../domain/user-groups.ts";
import { type GroupStore, groupsOf, setGroups } from "../../storage/group-store.ts";
import { stringifySorted } from "../../sorted-json.ts";
import type { ApiDeps, ApiRouter } from "./context.ts";

const NOT_FOUND = "Not found";
const LIST_BATCH = 1000;
const MAX_PER_PAGE = 1000;
const WRONG_FORMAT = "Wrong format";

export function registerUserRoutes(router: ApiRouter, { users, groups, config, clock, deleteUser, audit }: ApiDeps): void {
  /**
   * Under USERS_API=admin, managing users is for admins: everyone else may only read and rename
   * themselves, and gets 403 for the rest. `open` is the original's rule: any signed-in user.
   */
  const adminsOnly = config.usersApi === "admin";
  const requireAdmin = (currentUser: UserRecord | null) => {
    if (adminsOnly && (currentUser === null || !isAdmin(currentUser))) throw new HttpError(403, "Forbidden");
  };
  const requireSelfOrAdmin = (currentUser: UserRecord | null, id: string) => {
    if (adminsOnly && currentUser?.id !== id) requireAdmin(currentUser);
  };

  // Streamed in batches: a long list costs one batch of memory and never holds up other requests.
  router.add("GET", "/api/v1/users", ({ request, currentUser }) => {
    requireAdmin(currentUser);
    return jsonArray(publicJsonBatches(users.batches({ size: LIST_BATCH, ...paging(request.url) })));
  });

  // `me` is the guard's user: answered without waiting.
  router.add("GET", "/api/v1/users/:id", ({ params, currentUser }) => {
    if (params.id === "me") return userResponse(groups, currentUser);
    requireSelfOrAdmin(currentUser, params.id!);
    return andThen(users.get(storedId(params.id!)), (user) => userResponse(groups, user));
  });

  router.add("POST", "/api/v1/users", async ({ request, currentUser, clientAddress }) => {
    requireAdmin(currentUser);
    const body = await readJson(request, config.maxBodyBytes);
    if (!isObject(body)) throw new HttpError(400, WRONG_FORMAT);
    const email = storableField("email", requiredString(body.email, "email missing").trim());
    if (!isValidEmail(email)) throw new HttpError(400, "invalid email");
    const password = requiredString(body.password, "password missing");
    const problem = passwordProblem(password, config.passwordMinLength);
    if (problem !== null) throw new HttpError(400, problem);
    const newGroups = groupsField(body.groups);
    const user = await newUser(
      { email, password, first_name: optionalName(body.first_name, "first_name"), last_name: optionalName(body.last_name, "last_name") },
      clock,
    );
    try {
      await users.save(user);
    } catch (error) {
      if (error instanceof UniqueConstraintError) throw new HttpError(400, "email already exists");
      throw error;
    }
    audit.record("user.created", { ...requestOrigin(request, clientAddress), user_id: user.id, actor: currentUser?.id ?? null });
    if (newGroups !== null) await setGroups(groups, user.id, newGroups, clock);
    return withGroups(user, newGroups ?? [], 201);
  });

  router.add("PUT", "/api/v1/users/:id", async ({ request, params, currentUser, clientAddress }) => {
    requireSelfOrAdmin(currentUser, params.id!);
    if ((await users.get(storedId(params.id!))) === null) throw new HttpError(404, NOT_FOUND);
    const body = await readJson(request, config.maxBodyBytes);
    if (!isObject(body)) throw new HttpError(400, WRONG_FORMAT);
    // Groups decide what the access rules let a user reach: under USERS_API=admin, admins set them.
    const newGroups = groupsField(body.groups);
    if (newGroups !== null) requireAdmin(currentUser);
    // Only the fields given change, on the record as stored when the body has arrived: a user
    // deleted or given a new password meanwhile stays that way.
    const changes: Partial<UserRecord> = { updated_at: formatTimestamp(clock()) };
    const firstName = optionalName(body.first_name, "first_name");
    const lastName = optionalName(body.last_name, "last_name");
    if (firstName !== null) changes.first_name = firstName;
    if (lastName !== null) changes.last_name = lastName;
    const updated = await users.update(params.id!, changes);
    if (!updated) throw new HttpError(404, NOT_FOUND);
    audit.record("user.changed", { ...requestOrigin(request, clientAddress), user_id: updated.id, actor: currentUser?.id ?? null, fields: Object.keys(changes).filter((field) => field !== "updated_at").join(",") });
    if (newGroups !== null) await setGroups(groups, updated.id, newGroups, clock);
    return withGroups(updated, newGroups ?? (await groupsOf(groups, updated.id)));
  });

  router.add("DELETE", "/api/v1/users/:id", async ({ request, params, currentUser, clientAddress }) => {
    requireAdmin(currentUser);
    const userId = storedId(params.id!);
    const { removed, sessions } = await deleteUser(userId);
    if (!removed) throw new HttpError(404, NOT_FOUND);
    const origin = requestOrigin(request, clientAddress);
    const actor = currentUser?.id ?? null;
    audit.record("user.deleted", { ...origin, user_id: userId, actor });
    if (sessions > 0) audit.record("session.ended", { ...origin, user_id: userId, actor, reason: "user_deleted", count: sessions });
    return json({});
  });
}

async function* publicJsonBatches(batches: AsyncIterable<UserRecord[]>): AsyncIterable<string[]> {
  for await (const batch of batches) yield batch.map(publicUserJson);
}

/**
 * `?page=N&per_page=M` (pages from 1; per_page 1 to 1000, 100 when only page is given): one page
 * of the list. Without either, the whole list, as the original gives it.
 */
function paging(url: string): { offset?: number; limit?: number } {
  const query = url.indexOf("?");
  if (query === -1) return {};
  const params = new URLSearchParams(url.slice(query + 1));
  const page = params.get("page");
  const perPage = params.get("per_page");
  if (page === null && perPage === null) return {};
  const pageNumber = page === null ? 1 : wholeNumber(page, "page", 1, Number.MAX_SAFE_INTEGER);
  const size = perPage === null ? 100 : wholeNumber(perPage, "per_page", 1, MAX_PER_PAGE);
  return { offset: (pageNumber - 1) * size, limit: size };
}

function wholeNumber(text: string, name: string, min: number, max: number): number {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}`);
  return value;
}

function userResponse(groups: GroupStore, user: UserRecord | null): Response | Promise<Response> {
  if (!user) throw new HttpError(404, NOT_FOUND);
  return andThen(groupsOf(groups, user.id), (names) => withGroups(user, names));
}

/** A user's public fields, with `groups` when the user has any (the original's users have none). */
function withGroups(user: UserRecord, names: readonly string[], status = 200): Response {
  if (names.length === 0) return status === 200 ? jsonText(publicUserJson(user)) : json(toPublicUser(user), status);
  return jsonText(stringifySorted({ ...toPublicUser(user), groups: names }), status);
}

/** `groups`: absent or null (left as they are), else a list of group names (400 for anything else). */
function groupsField(value: unknown): readonly string[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new HttpError(400, "groups must be a list of group names");
  const parsed = parseGroups(value);
  if ("problem" in parsed) throw new HttpError(400, parsed.problem);
  return parsed.groups;
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
function optionalName(value: unknown, field: "first_name" | "last_name"): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new HttpError(400, WRONG_FORMAT);
  return storableField(field, value);
}

/** Refused with 400 before it reaches a backend that could not store it, the same on every backend. */
function storableField(field: keyof typeof FIELD_LIMITS, value: string): string {
  const problem = fieldProblem(field, value);
  if (problem !== null) throw new HttpError(400, problem);
  return value;
}

/** An id no backend could hold names no user: 404 without asking the store. */
function storedId(id: string): string {
  if (storable(id, FIELD_LIMITS.id) !== null) throw new HttpError(404, NOT_FOUND);
  return id;
}
