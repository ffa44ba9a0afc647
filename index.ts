// The typed API: use the checker, the simulator, or a chaos cluster of real nodes, from your own ava or vitest tests.
export { check, type CheckHooks, type CheckResult, type Progress, type Violation } from './harness/checker/check.ts';
export { checkParallel } from './harness/checker/parallel.ts';
export { type CheckOptions, DEFAULT_OPTIONS, resolveOptions } from './harness/checker/options.ts';
export { decodeToken, encodeToken, formatTrace, replayPath, type Trace } from './harness/checker/trace.ts';
export { runMutant, mutantNames, type MutantResult } from './harness/checker/mutants.ts';
export * from './models/hyparview/index.ts';
export { type Chooser, seededChooser } from './models/chooser.ts';
export * from './properties/index.ts';
export { CHAOS_NODE_CONFIG, ChaosCluster, type ChaosClusterOptions, defaultBoundSeconds } from './clusters/chaos/cluster.ts';
export type { ChaosReport } from './clusters/chaos/report.ts';
export { simulate, type SimulateOptions, type SimulateResult, DEFAULT_SIMULATE, type OverlayStats, type MessageStats } from './harness/sim/simulate.ts';
export { Simulation, type EngineOptions, DEFAULT_ENGINE, type BroadcastRecord, Livelock } from './harness/sim/engine.ts';
export { makeProtocol, PROTOCOLS, type ProtocolName, type SimProtocol } from './harness/sim/protocols.ts';
