// Type-checked (tsc --noEmit) in the consumer project against the published .d.ts files.
import { check, type CheckResult, simulate, type SimulateResult, type ClusterSnapshot } from 'hyparview-harness';

const r: CheckResult = check({ nodes: 2 });
const verdict: 'pass' | 'fail' = r.verdict;
const s: SimulateResult = simulate({ protocol: 'cyclon', nodes: 50, seed: 1 });
const reliability: number = s.afterFailure.messages[0]?.reliability ?? 0;
const snapshot: ClusterSnapshot | undefined = undefined;
// @ts-expect-error nodes is a number
check({ nodes: 'two' });
// @ts-expect-error there is no such protocol
simulate({ protocol: 'plumtree', nodes: 50, seed: 1 });
export { verdict, reliability, snapshot };
