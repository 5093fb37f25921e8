/** The basic endpoints: status, stats, and the two error probes. */
import { HttpError, json, jsonText } from "../../http/responses.ts";
import { stringifySorted } from "../../sorted-json.ts";
import { type ApiDeps, type ApiRouter, PUBLIC } from "./context.ts";

/** The health check's answer never changes; it is serialised once. */
const STATUS_OK = stringifySorted({ status: "OK" });

export function registerIndexRoutes(router: ApiRouter, { users }: ApiDeps): void {
  router.add("GET", "/api/v1/status", () => jsonText(STATUS_OK), PUBLIC);
  router.add("GET", "/api/v1/stats", async () => json({ users: await users.count() }));
  router.add("GET", "/api/v1/unauthorized", () => {
    throw new HttpError(401, "Unauthorized");
  }, PUBLIC);
  router.add("GET", "/api/v1/forbidden", () => {
    throw new HttpError(403, "Forbidden");
  }, PUBLIC);
}
