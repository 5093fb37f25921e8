/**
 * A small Prometheus registry: counters, gauges and histograms with fixed label names and fixed
 * buckets, written out in the text exposition format (version 0.0.4) with HELP and TYPE lines.
 * Recording is a Map lookup and an addition; every string is made when the metrics are read.
 */

export type LabelValues = readonly string[];

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value as the format writes it: backslash, double quote and line feed escaped. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n") : value;
}

/** HELP text: backslash and line feed escaped (quotes stay). */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

/** A sample value: Go's float syntax for the three special values, shortest round trip else. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}

function labelText(names: readonly string[], values: LabelValues, extra?: string): string {
  const parts: string[] = [];
  for (let i = 0; i < names.length; i++) parts.push(`${names[i]}="${escapeLabelValue(values[i] ?? "")}"`);
  if (extra !== undefined) parts.push(extra);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** The key a set of label values is kept under (no label value holds a NUL that matters here). */
function keyOf(values: LabelValues): string {
  return values.length === 1 ? values[0]! : values.join("\u0000");
}

abstract class Family<Child> {
  protected readonly children = new Map<string, { values: LabelValues; child: Child }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`bad metric name ${JSON.stringify(name)}`);
    for (const label of labelNames) if (!LABEL.test(label) || label.startsWith("__") || label === "le") throw new Error(`bad label name ${JSON.stringify(label)}`);
  }

  abstract readonly type: "counter" | "gauge" | "histogram";
  protected abstract make(): Child;
  protected abstract samples(labels: LabelValues, child: Child): string[];

  /** The child for these label values (as many as the label names), made at first use. */
  labels(...values: string[]): Child {
    const key = keyOf(values);
    let entry = this.children.get(key);
    if (entry === undefined) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name} takes ${this.labelNames.length} label values, not ${values.length}`);
      entry = { values: [...values], child: this.make() };
      this.children.set(key, entry);
    }
    return entry.child;
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    for (const { values, child } of this.children.values()) lines.push(...this.samples(values, child));
    return `${lines.join("\n")}\n`;
  }
}

export class CounterChild {
  value = 0;
  inc(by = 1): void {
    // A counter only goes up: a negative or NaN step is a bug of the caller's, dropped.
    if (by > 0) this.value += by;
  }
}

export class Counter extends Family<CounterChild> {
  readonly type = "counter";
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    if (!name.endsWith("_total")) throw new Error(`a counter's name ends in _total: ${name}`);
    super(name, help, labelNames);
  }
  protected make(): CounterChild {
    return new CounterChild();
  }
  protected samples(labels: LabelValues, child: CounterChild): string[] {
    return [`${this.name}${labelText(this.labelNames, labels)} ${formatValue(child.value)}`];
  }
  /** Shorthand for a counter without labels, or one child. */
  inc(by = 1, ...values: string[]): void {
    this.labels(...values).inc(by);
  }
}

export class GaugeChild {
  value = 0;
  set(value: number): void {
    this.value = value;
  }
  inc(by = 1): void {
    this.value += by;
  }
  dec(by = 1): void {
    this.value -= by;
  }
}

export class Gauge extends Family<GaugeChild> {
  readonly type = "gauge";
  /** Read at each exposition, for values that cost nothing to ask for (memory in use). */
  private collector: (() => void) | null = null;
  protected make(): GaugeChild {
    return new GaugeChild();
  }
  protected samples(labels: LabelValues, child: GaugeChild): string[] {
    return [`${this.name}${labelText(this.labelNames, labels)} ${formatValue(child.value)}`];
  }
  set(value: number, ...values: string[]): void {
    this.labels(...values).set(value);
  }
  collect(read: () => void): this {
    this.collector = read;
    return this;
  }
  override expose(): string {
    this.collector?.();
    return super.expose();
  }
}

export class HistogramChild {
  /** Per bucket, not cumulative: one increment per observation; summed when written out. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }
}

export class Histogram extends Family<HistogramChild> {
  readonly type = "histogram";
  readonly buckets: readonly number[];
  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames);
    const sorted = [...buckets].sort((a, b) => a - b);
    if (sorted.length === 0 || sorted.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound === sorted[i - 1]))) throw new Error(`${name}: buckets must be distinct finite numbers`);
    this.buckets = sorted;
  }
  protected make(): HistogramChild {
    return new HistogramChild(this.buckets);
  }
  protected samples(labels: LabelValues, child: HistogramChild): string[] {
    const lines: string[] = [];
    let cumulative = 0;
    for (let i = 0; i <= this.buckets.length; i++) {
      cumulative += child.counts[i]!;
      const le = i < this.buckets.length ? formatValue(this.buckets[i]!) : "+Inf";
      lines.push(`${this.name}_bucket${labelText(this.labelNames, labels, `le="${le}"`)} ${cumulative}`);
    }
    lines.push(`${this.name}_sum${labelText(this.labelNames, labels)} ${formatValue(child.sum)}`);
    lines.push(`${this.name}_count${labelText(this.labelNames, labels)} ${child.count}`);
    return lines;
  }
  observe(value: number, ...values: string[]): void {
    this.labels(...values).observe(value);
  }
}

/** The metrics of one server, written out in the order they were made. */
export class Registry {
  private readonly families = new Map<string, Family<unknown>>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  // biome-ignore lint: any child type
  private add<F extends Family<any>>(family: F): F {
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} registered twice`);
    this.families.set(family.name, family as unknown as Family<unknown>);
    return family;
  }

  /** The text exposition format. */
  expose(): string {
    let text = "";
    for (const family of this.families.values()) text += family.expose();
    return text;
  }
}

/** The Content-Type of the text format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
