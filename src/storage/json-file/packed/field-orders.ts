/**
 * The orders in which records list their fields, each kept once and numbered, so that a packed
 * record is written back with its fields as it had them. One record at a time: `start`, `add`
 * each field, `finish`. Exact for any number of fields: the orders are a trie walked one field at
 * a time (no number built from the fields, which would need a base and overflow), and a record's
 * fields are marked with the record's stamp (no bit mask, which holds 32).
 */
export class FieldOrders {
  /** Each order kept (field indexes), by its number. */
  private orders: number[][] = [];
  /**
   * The trie of the orders kept: node 0 is the empty order; the child of node n by field f is
   * children[n * fields + f] (0: none, as node 0 is no one's child), and nodes[n] is the number
   * of the order that ends there (-1: none). Nodes are made for kept orders only.
   */
  private children: number[] = [];
  private numbers: number[] = [];
  /** The record being added: its fields so far, the node they lead to, and how many of them the trie holds. */
  private fields: Int32Array;
  private length = 0;
  private node = 0;
  private depth = 0;
  /** stamps[f] === stamp: the record being added has field f. */
  private stamps: Int32Array;
  private stamp = 0;
  /** The order of the record added before. */
  private lastOrder: readonly number[] = [];

  /** Records have fields 0 to `fieldCount - 1`; `max` orders at most are kept, a record in an order beyond them is not numbered. */
  constructor(
    private readonly fieldCount: number,
    private readonly max: number,
  ) {
    this.fields = new Int32Array(fieldCount);
    this.stamps = new Int32Array(fieldCount);
    this.addNode();
  }

  /** The field the record being added most likely has next: the next of the record before. */
  expected(): number | undefined {
    return this.lastOrder[this.length];
  }

  start(): void {
    this.length = 0;
    this.node = 0;
    this.depth = 0;
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
  }

  /** Adds the record's next field; false when the record has it already. */
  add(field: number): boolean {
    if (this.stamps[field] === this.stamp) return false;
    this.stamps[field] = this.stamp;
    this.fields[this.length] = field;
    this.length += 1;
    if (this.depth === this.length - 1) {
      const child = this.children[this.node * this.fieldCount + field]!;
      if (child !== 0) {
        this.node = child;
        this.depth = this.length;
      }
    }
    return true;
  }

  /** True when the record being added has the field. */
  has(field: number): boolean {
    return this.stamps[field] === this.stamp;
  }

  /** The number of the record's order, or -1 when it is new and `max` orders are kept already. */
  finish(): number {
    let number = this.depth === this.length ? this.numbers[this.node]! : -1;
    if (number === -1) {
      if (this.orders.length >= this.max) return -1;
      let node = this.node;
      for (let i = this.depth; i < this.length; i++) {
        const at = node * this.fieldCount + this.fields[i]!;
        node = this.addNode();
        this.children[at] = node;
      }
      number = this.orders.push(Array.from(this.fields.subarray(0, this.length))) - 1;
      this.numbers[node] = number;
    }
    this.lastOrder = this.orders[number]!;
    return number;
  }

  /** The fields of the order with this number, in that order. */
  order(number: number): readonly number[] {
    return this.orders[number]!;
  }

  private addNode(): number {
    for (let field = 0; field < this.fieldCount; field++) this.children.push(0);
    return this.numbers.push(-1) - 1;
  }
}
