/**
 * The orders in which records list their fields, each kept once and numbered, so that a packed
 * record is written back with its fields as it had them. One record at a time: `start`, `add`
 * each field, `finish`.
 */
export class FieldOrders {
  /** Each order kept (field indexes), by its number. */
  private orders: number[][] = [];
  private numberByCode = new Map<number, number>();
  /** The record being added: how many fields so far, their order as a number, and which were seen. */
  private length = 0;
  private code = 0;
  private seen = 0;
  /** The order of the record added before. */
  private lastOrder: readonly number[] = [];

  /** `max` orders at most are kept; a record in an order beyond them is not numbered. */
  constructor(private readonly max: number) {}

  /** The field the record being added most likely has next: the next of the record before. */
  expected(): number | undefined {
    return this.lastOrder[this.length];
  }

  start(): void {
    this.length = 0;
    this.code = 0;
    this.seen = 0;
  }

  /** Adds the record's next field; false when the record has it already. */
  add(field: number): boolean {
    if (this.seen & (1 << field)) return false;
    this.seen |= 1 << field;
    this.length += 1;
    this.code = this.code * 10 + field + 1;
    return true;
  }

  /** True when the record being added has the field. */
  has(field: number): boolean {
    return (this.seen & (1 << field)) !== 0;
  }

  /** The number of the record's order, or -1 when it is new and `max` orders are kept already. */
  finish(): number {
    let number = this.numberByCode.get(this.code);
    if (number === undefined) {
      if (this.orders.length >= this.max) return -1;
      const order: number[] = [];
      for (let code = this.code; code > 0; code = Math.floor(code / 10)) order.unshift((code % 10) - 1);
      number = this.orders.push(order) - 1;
      this.numberByCode.set(this.code, number);
    }
    this.lastOrder = this.orders[number]!;
    return number;
  }

  /** The fields of the order with this number, in that order. */
  order(number: number): readonly number[] {
    return this.orders[number]!;
  }
}
