/**
 * The command line's changes in the audit trail, with `actor: "cli"`: written to AUDIT_LOG when
 * it is set (standard output is the command's own, for its answer).
 */
import { type AuditEvent, type AuditFields, openAuditTrail } from "../audit.ts";
import type { Config } from "../config.ts";

export function recordCliEvents(config: Pick<Config, "auditLog">, events: readonly (readonly [AuditEvent, AuditFields])[]): void {
  if (config.auditLog === null || events.length === 0) return;
  const trail = openAuditTrail(config.auditLog, "none");
  for (const [event, fields] of events) trail.record(event, { actor: "cli", ...fields });
  trail.close();
}
