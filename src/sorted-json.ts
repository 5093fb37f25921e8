/** The JSON text of every answer: Flask's jsonify output, keys sorted, two-space indent. */

/** Two-space indented JSON with object keys sorted, ending in a newline, as Flask's jsonify. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(sortedCopy(value), null, 2)}\n`;
}

/**
 * The value with every object's keys in order; cheaper than a replacer called for every value.
 * Objects already in order (users are built so) are used as they are.
 */
function sortedCopy(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return value;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let inOrder = true;
  for (let i = 0; i < keys.length; i++) {
    const item = record[keys[i]!];
    if ((i > 0 && keys[i - 1]! > keys[i]!) || (item !== null && typeof item === "object")) {
      inOrder = false;
      break;
    }
  }
  if (inOrder) return record;
  const sorted: Record<string, unknown> = {};
  for (const key of keys.sort()) sorted[key] = sortedCopy(record[key]);
  return sorted;
}
