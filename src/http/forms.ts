/**
 * application/x-www-form-urlencoded parsing as the WHATWG URL standard defines it (section 5.1),
 * so that it agrees with URLSearchParams byte for byte, including malformed escapes.
 */

const MAX_FORM_FIELDS = 1000;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** name → value, first occurrence wins (as `request.form.get` did); never throws. */
export function parseForm(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  let start = 0;
  let count = 0;
  while (start <= body.length && count < MAX_FORM_FIELDS) {
    let end = body.indexOf("&", start);
    if (end === -1) end = body.length;
    if (end > start) {
      count += 1;
      const pair = body.slice(start, end);
      const equals = pair.indexOf("=");
      const name = decodeFormComponent(equals === -1 ? pair : pair.slice(0, equals));
      const value = equals === -1 ? "" : decodeFormComponent(pair.slice(equals + 1));
      if (!fields.has(name)) fields.set(name, value);
    }
    start = end + 1;
  }
  return fields;
}

/** `+` is a space; `%XX` is a byte; bytes are UTF-8 with U+FFFD for what does not decode. */
export function decodeFormComponent(component: string): string {
  // The standard parses UTF-8 bytes, in which a lone surrogate is already U+FFFD.
  const wellFormed = component.isWellFormed() ? component : component.toWellFormed();
  const spaced = wellFormed.indexOf("+") === -1 ? wellFormed : wellFormed.replaceAll("+", " ");
  if (spaced.indexOf("%") === -1) return spaced;
  const bytes = encoder.encode(spaced);
  const out = new Uint8Array(bytes.length);
  let length = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    const high = byte === 0x25 ? hexValue(bytes[i + 1]) : -1;
    const low = high === -1 ? -1 : hexValue(bytes[i + 2]);
    if (low === -1) {
      out[length++] = byte;
    } else {
      out[length++] = high * 16 + low;
      i += 2;
    }
  }
  return decoder.decode(out.subarray(0, length));
}

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}
