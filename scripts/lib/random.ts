/** A seeded generator of hostile inputs, so that a failing case can be replayed from its seed. */

export class Random {
  private state: number;

  constructor(readonly seed: number = Math.floor(Math.random() * 2 ** 31)) {
    this.state = seed >>> 0;
  }

  /** mulberry32 */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** A string from nasty pieces: controls, quotes, separators, escapes, unicode, surrogates. */
  nasty(maxPieces = 12): string {
    const pieces = [
      "a", "Z", "0", " ", "\t", "\r\n", "\0", ";", "=", ",", '"', "'", "\\", "/", "//", "..", "%", "%2", "%zz", "%00",
      "%2F", "%2e%2e", "%E2%82", "%C3%A9", "+", "&", "?", "#", ":", "é", "日本", "🔑", "\uD800", "\uDFFF", "\uFFFD", "\u202E",
      "null", "{", "}", "[", "]", "true", "-1", "1e309", "__proto__", "constructor", "<script>", "Basic ", "me",
    ];
    return Array.from({ length: this.int(maxPieces + 1) }, () => this.pick(pieces)).join("");
  }

  /** A random printable ASCII + unicode string without the nasty bias. */
  text(maxLength = 24): string {
    return Array.from({ length: this.int(maxLength + 1) }, () =>
      this.chance(0.9) ? String.fromCharCode(32 + this.int(95)) : String.fromCodePoint(0xa0 + this.int(0x2000)),
    ).join("");
  }
}
