// The simulator's pending events, ordered by time and then by insertion, so that a run is a
// pure function of its seed. A binary heap over parallel arrays: millions of events a run.

export class EventQueue<E> {
  private times: number[] = [];
  private seqs: number[] = [];
  private items: E[] = [];
  private seq = 0;

  /** A copy whose events are deep copies (structured clone), so the two queues run apart. */
  clone(): EventQueue<E> {
    const q = new EventQueue<E>();
    q.times = this.times.slice();
    q.seqs = this.seqs.slice();
    q.items = structuredClone(this.items);
    q.seq = this.seq;
    return q;
  }

  get size(): number {
    return this.items.length;
  }

  /** Time of the earliest event, or Infinity. */
  peekTime(): number {
    return this.items.length === 0 ? Infinity : this.times[0]!;
  }

  push(time: number, item: E): void {
    const { times, seqs, items } = this;
    let i = items.length;
    const seq = this.seq++;
    times.push(time);
    seqs.push(seq);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! < time || (times[parent] === time && seqs[parent]! < seq)) break;
      times[i] = times[parent]!;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Removes and returns the earliest event; the queue must not be empty. */
  pop(): E {
    const { times, seqs, items } = this;
    const top = items[0]!;
    const lastTime = times.pop()!;
    const lastSeq = seqs.pop()!;
    const last = items.pop()!;
    const n = items.length;
    if (n === 0) return top;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      const right = child + 1;
      if (right < n && (times[right]! < times[child]! || (times[right] === times[child] && seqs[right]! < seqs[child]!))) child = right;
      if (lastTime < times[child]! || (lastTime === times[child] && lastSeq < seqs[child]!)) break;
      times[i] = times[child]!;
      seqs[i] = seqs[child]!;
      items[i] = items[child]!;
      i = child;
    }
    times[i] = lastTime;
    seqs[i] = lastSeq;
    items[i] = last;
    return top;
  }
}
