// The simulator's pending events, ordered by time and then by insertion, so that a run is a
// pure function of its seed. Times are whole milliseconds, so a calendar queue serves: one FIFO
// bucket per millisecond of a sliding window, and a heap for events beyond it. Push and pop are
// O(1) for the window's events (nearly all: latencies and timeouts are short), where a binary
// heap spent about 15% of a run's time in sift-down (BENCHMARKS.md, simulator).

const WINDOW = 1 << 13; // ms; longer than any latency or timeout the engine draws

interface Far<E> {
  readonly time: number;
  readonly seq: number;
  readonly item: E;
}

export interface QueueState<E> {
  readonly buckets: E[][];
  readonly heads: Int32Array;
  readonly waiting: Int32Array;
  readonly cursor: number;
  readonly inWindow: number;
  readonly far: Far<E>[];
  readonly seq: number;
  readonly next: number;
}

export class EventQueue<E> {
  private buckets: E[][] = Array.from({ length: WINDOW }, () => []);
  private heads: Int32Array = new Int32Array(WINDOW);
  /** Events left in each bucket: the search for the next one scans this, not the scattered buckets. */
  private waiting: Int32Array = new Int32Array(WINDOW);
  /** Every event in a bucket has its time in [cursor, cursor + WINDOW); no event is earlier than cursor. */
  private cursor = 0;
  private inWindow = 0;
  /** Events at cursor + WINDOW or later, a binary heap by (time, seq). */
  private far: Far<E>[] = [];
  private seq = 0;
  /** Time of the earliest event, once found; -1 when unknown. */
  private next = -1;

  get size(): number {
    return this.inWindow + this.far.length;
  }

  push(time: number, item: E): void {
    if (!Number.isInteger(time) || time < this.cursor) throw new RangeError(`event time ${time} is not a whole millisecond at or after ${this.cursor}`);
    if (time < this.cursor + WINDOW) {
      this.buckets[time & (WINDOW - 1)]!.push(item);
      this.waiting[time & (WINDOW - 1)]!++;
      this.inWindow++;
    } else {
      this.pushFar({ time, seq: this.seq, item });
    }
    this.seq++;
    if (this.next !== -1 && time < this.next) this.next = time;
  }

  /** Time of the earliest event, or Infinity. */
  peekTime(): number {
    if (this.size === 0) return Infinity;
    if (this.next === -1) this.next = this.findNext();
    return this.next;
  }

  /** The event `k` places behind the earliest, when it is due in the same millisecond. */
  ahead(k: number): E | undefined {
    if (this.next === -1) return undefined;
    const slot = this.next & (WINDOW - 1);
    return this.buckets[slot]![this.heads[slot]! + k];
  }

  /** Removes and returns the earliest event; the queue must not be empty. */
  pop(): E {
    const time = this.peekTime();
    this.advance(time);
    const slot = time & (WINDOW - 1);
    const bucket = this.buckets[slot]!;
    const item = bucket[this.heads[slot]!]!;
    this.waiting[slot]!--;
    if (++this.heads[slot]! === bucket.length) {
      // A fresh array, not length = 0: a runtime call, once per event where events are sparse (a
      // sequential build). Nor pops, which keep every bucket at its peak size (120 MiB more at 10^5 nodes).
      this.buckets[slot] = [];
      this.heads[slot] = 0;
      this.next = -1;
    }
    this.inWindow--;
    return item;
  }

  /** A copy whose events are deep copies (structured clone), so the two queues run apart. */
  clone(): EventQueue<E> {
    return EventQueue.attach(structuredClone(this.detach()));
  }

  /** The queue's parts, for another thread to take over (posting them copies the arrays). */
  detach(): QueueState<E> {
    const { buckets, heads, waiting, cursor, inWindow, far, seq, next } = this;
    return { buckets, heads, waiting, cursor, inWindow, far, seq, next };
  }

  static attach<E>(s: QueueState<E>): EventQueue<E> {
    const q = new EventQueue<E>();
    q.buckets = s.buckets;
    q.heads = s.heads;
    q.waiting = s.waiting;
    q.cursor = s.cursor;
    q.inWindow = s.inWindow;
    q.far = s.far;
    q.seq = s.seq;
    q.next = s.next;
    return q;
  }

  private findNext(): number {
    if (this.inWindow > 0) {
      for (let t = this.cursor; ; t++) {
        const slot = t & (WINDOW - 1);
        if (this.waiting[slot]! > 0) return t;
      }
    }
    return this.far[0]!.time;
  }

  /** Moves the window to start at `time`, taking in the far events it now covers, in (time, seq) order. */
  private advance(time: number): void {
    if (time === this.cursor) return;
    this.cursor = time;
    const end = time + WINDOW;
    while (this.far.length > 0 && this.far[0]!.time < end) {
      const e = this.popFar();
      this.buckets[e.time & (WINDOW - 1)]!.push(e.item);
      this.waiting[e.time & (WINDOW - 1)]!++;
      this.inWindow++;
    }
  }

  private before(a: Far<E>, b: Far<E>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private pushFar(e: Far<E>): void {
    const h = this.far;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(e, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private popFar(): Far<E> {
    const h = this.far;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= h.length) break;
      if (child + 1 < h.length && this.before(h[child + 1]!, h[child]!)) child++;
      if (!this.before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}
