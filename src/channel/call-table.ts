/**
 * The calls a lane has in flight, by id: the submitter's Calls, the loop's
 * jobs. Ids are handed out in sequence and mostly settle in order, so a
 * power-of-two array indexed by `id & mask` holds them with no hashing and no
 * entry objects. A call whose slot is still taken (by a long-running older
 * call) waits in a small Map instead; the array doubles only when it is half
 * full, so memory follows the most calls in flight at once (16 bytes each; it
 * does not shrink after a burst).
 *
 * Not a Map, because a Map that fills and empties with every burst rehashes
 * on both, and each old table points to its successor (for live iterators):
 * once one table survives a young-generation GC, the chain behind it, and
 * every call its entries held, survived the next ones too (the loop copied
 * ~150 bytes per task that way at 10k tasks in flight).
 */
import { callIdAfter } from './protocol.js';

export class CallTable<T extends { readonly id: number } = { readonly id: number }> {
  private slots: (T | undefined)[] = new Array<T | undefined>(256).fill(undefined);
  private mask = 255;
  private inSlots = 0;
  private readonly overflow = new Map<number, T>();

  get size(): number {
    return this.inSlots + this.overflow.size;
  }

  add(call: T): void {
    if (this.inSlots * 2 >= this.slots.length) this.grow();
    const i = call.id & this.mask;
    if (this.slots[i] === undefined) {
      this.slots[i] = call;
      this.inSlots++;
    } else {
      this.overflow.set(call.id, call);
    }
  }

  /** Removes and returns the call with this id, if it is here. */
  take(id: number): T | undefined {
    const i = id & this.mask;
    const call = this.slots[i];
    if (call !== undefined && call.id === id) {
      this.slots[i] = undefined;
      this.inSlots--;
      return call;
    }
    if (this.overflow.size === 0) return undefined;
    const other = this.overflow.get(id);
    if (other !== undefined) this.overflow.delete(id);
    return other;
  }

  /** Removes and returns every call, oldest first (ids compared as serial numbers: they wrap). */
  takeAll(): T[] {
    return this.collect().sort((a, b) => (callIdAfter(a.id, b.id) ? 1 : callIdAfter(b.id, a.id) ? -1 : 0));
  }

  /** Every call, in no particular order; the table keeps them. */
  list(): T[] {
    const out = this.slots.filter((c): c is T => c !== undefined);
    for (const call of this.overflow.values()) out.push(call);
    return out;
  }

  private grow(): void {
    const calls = this.collect();
    this.slots = new Array<T | undefined>(this.slots.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const call of calls) this.add(call);
  }

  /** Empties the table, returning what it held in no particular order. */
  private collect(): T[] {
    const out = this.list();
    this.slots.fill(undefined);
    this.inSlots = 0;
    this.overflow.clear();
    return out;
  }
}
