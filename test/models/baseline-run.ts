// A seeded random run of a baseline overlay (Cyclon, Scamp) for their tests: nodes join one by
// one through a random live node, then rounds of one cycle per live node, every message
// delivered after each step; a send to a dead node is a linkDown at its sender. `check` runs
// after every step and names what is wrong with a node's state.
import { type Chooser, seededChooser } from '../../models/chooser.ts';
import type { BaselineContext, BaselineEffect, BaselineInput } from '../../models/baseline.ts';
import type { NodeId } from '../../models/hyparview/messages.ts';

export interface BaselineModel<S, C, M> {
  readonly init: (id: NodeId) => S;
  readonly step: (s: S, input: BaselineInput<M>, ctx: BaselineContext<C, M>) => void;
  readonly neighbours: (s: S) => readonly NodeId[];
  /** What is wrong with a node's state, one sentence each (none: nothing). */
  readonly check: (s: S) => string[];
}

export interface RunPlan {
  readonly n: number;
  readonly seed: number;
  readonly cycles: number;
  /** Before this round, `killFraction` of the nodes die (-1: nobody). */
  readonly killAt?: number;
  readonly killFraction?: number;
  /** Cycle the live nodes in a fresh random order each round (else in id order). */
  readonly shuffled?: boolean;
}

export interface RunResult<S> {
  readonly nodes: S[];
  readonly alive: boolean[];
  /** The first 20 problems `check` found, each naming its node. */
  readonly violations: string[];
  readonly messages: number;
  /** Mean view size of the live nodes once all have joined, then after each round. */
  readonly means: number[];
}

export function baselineRun<S, C, M>(model: BaselineModel<S, C, M>, config: C, plan: RunPlan): RunResult<S> {
  const chooser: Chooser = seededChooser(plan.seed);
  const nodes = Array.from({ length: plan.n }, (_, i) => model.init(i));
  const alive = nodes.map(() => false);
  const violations: string[] = [];
  const queue: Array<{ from: NodeId; to: NodeId; msg: M }> = [];
  let head = 0;
  const stepNode = (id: NodeId, input: BaselineInput<M>): void => {
    const out: BaselineEffect<M>[] = [];
    model.step(nodes[id]!, input, { config, chooser, out });
    for (const e of out) queue.push({ from: id, to: e.to, msg: e.msg });
    for (const problem of model.check(nodes[id]!)) if (violations.length < 20) violations.push(`node ${id}: ${problem}`);
  };
  const drain = (): void => {
    while (head < queue.length) {
      const m = queue[head++]!;
      if (alive[m.to]) stepNode(m.to, { t: 'message', from: m.from, msg: m.msg });
      else if (alive[m.from]) stepNode(m.from, { t: 'linkDown', peer: m.to });
    }
  };
  const meanView = () => {
    const live = nodes.filter((_, i) => alive[i]);
    return live.reduce((sum, s) => sum + model.neighbours(s).length, 0) / live.length;
  };
  alive[0] = true;
  for (let i = 1; i < plan.n; i++) {
    alive[i] = true;
    stepNode(i, { t: 'join', contact: chooser.pick(i) });
    drain();
  }
  const means = [meanView()];
  for (let c = 0; c < plan.cycles; c++) {
    if (c === (plan.killAt ?? -1)) {
      for (let i = 0; i < plan.n; i++) if (chooser.chance((plan.killFraction ?? 0) * 1000, 1000)) alive[i] = false;
    }
    const order = nodes.map((_, id) => id).filter((id) => alive[id]);
    if (plan.shuffled) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = chooser.pick(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    for (const id of order) stepNode(id, { t: 'cycle' });
    drain();
    means.push(meanView());
  }
  return { nodes, alive, violations, messages: queue.length, means };
}

/** Live nodes reachable from the first live node along views. */
export function reachable<S>(nodes: readonly S[], alive: readonly boolean[], neighbours: (s: S) => readonly NodeId[]): number {
  const start = alive.indexOf(true);
  const seen = new Set([start]);
  const stack = [start];
  while (stack.length > 0) {
    for (const p of neighbours(nodes[stack.pop()!]!)) {
      if (alive[p] && !seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return seen.size;
}
