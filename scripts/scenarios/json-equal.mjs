// Compares two JSON texts as the scenarios do: ids and timestamps are masked, all else must match.
const MASKED = new Set(["id", "created_at", "updated_at"]);

function mask(value) {
  if (Array.isArray(value)) return value.map(mask);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((key) => [key, MASKED.has(key) ? "<masked>" : mask(value[key])]));
  }
  return value;
}

const [expectedText, actualText] = process.argv.slice(2);
let actual;
try {
  actual = JSON.parse(actualText);
} catch {
  console.error(`not JSON: ${actualText}`);
  process.exit(1);
}
const expected = JSON.stringify(mask(JSON.parse(expectedText)), null, 2);
const got = JSON.stringify(mask(actual), null, 2);
if (expected !== got) {
  console.error(`expected:\n${expected}\ngot:\n${got}`);
  process.exit(1);
}
