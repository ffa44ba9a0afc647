// A chaos run: a seeded schedule of faults and heals against a cluster behind Toxiproxy.
// Snapshots are taken every sampleMs and judged with the always-properties; after every
// heal, within the bound, the quiescent properties (symmetry, one component, no isolated or
// dead neighbour) must hold twice in a row and a probe broadcast must reach every live node.
// Crashes and pauses must also be seen: the victims out of every live active view within the bound.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MutantName } from '../../models/hyparview/mutants.ts';
import { makeNodeConfig, type NodeConfigInput } from '../../harness/node/config.ts';
import { EXIT_ERROR, EXIT_FAIL, EXIT_PASS } from '../../harness/node/errors.ts';
import { judge } from '../local/check.ts';
import { nodeId } from '../links.ts';
import { phaseParams } from '../nemesis/faults.ts';
import { makeSchedule, type PartitionShape } from '../nemesis/schedule.ts';
import { CHAOS_NODE_CONFIG, ChaosCluster, defaultBoundSeconds } from './cluster.ts';
import { renderReportHtml } from './html.ts';
import type { ChaosReport, FaultKind, HealCheck, PlannedPhase, Probe, ReportViolation, Sample, TimelineEvent } from './report.ts';

export interface ChaosOptions {
  readonly backend: 'docker' | 'local';
  readonly nodes: number;
  readonly durationSeconds: number;
  readonly faults: readonly FaultKind[];
  readonly seed: number;
  readonly out: string;
  readonly hold: readonly [number, number];
  /** Recovery bound in seconds; default 3 shuffle periods plus the keepalive deadline. */
  readonly boundSeconds?: number | undefined;
  readonly sampleMs: number;
  readonly variant: 'reference' | 'paper';
  /** Single decisions overridden on top of the variant. */
  readonly decisions?: Readonly<Record<string, string>> | undefined;
  readonly mutant?: MutantName | undefined;
  readonly shapes?: readonly PartitionShape[] | undefined;
  /** Node settings (default CHAOS_NODE_CONFIG); variant and mutant are applied on top. */
  readonly config?: NodeConfigInput | undefined;
  readonly configFile?: string | undefined;
  readonly json: boolean;
  /** Stop the schedule at the first violation (the report then covers the phases run). */
  readonly failFast?: boolean | undefined;
}

/** The command line that reruns this schedule. */
export function chaosCommand(o: ChaosOptions): string {
  const flags = [`--backend ${o.backend}`, `--nodes ${o.nodes}`, `--duration ${o.durationSeconds}`, `--faults ${o.faults.join(',')}`, `--seed ${o.seed}`, `--hold ${o.hold[0]}-${o.hold[1]}`];
  if (o.boundSeconds !== undefined) flags.push(`--bound ${o.boundSeconds}`);
  if (o.failFast) flags.push('--fail-fast');
  if (o.variant !== 'reference') flags.push(`--variant ${o.variant}`);
  for (const [key, choice] of Object.entries(o.decisions ?? {})) flags.push(`--decide ${key}=${choice}`);
  if (o.mutant) flags.push(`--mutant ${o.mutant}`);
  if (o.shapes) flags.push(`--shapes ${o.shapes.join(',')}`);
  if (o.configFile) flags.push(`--config ${o.configFile}`);
  flags.push(`--out ${o.out}`);
  return `npx hyparview-harness chaos ${flags.join(' ')}`;
}

export function nodeConfigFor(o: Pick<ChaosOptions, 'config' | 'variant' | 'decisions' | 'mutant'>): NodeConfigInput {
  const base = o.config ?? CHAOS_NODE_CONFIG;
  const decisions = { ...base.protocol?.decisions, ...o.decisions } as NonNullable<NonNullable<NodeConfigInput['protocol']>['decisions']>;
  return { ...base, protocol: { ...base.protocol, variant: o.variant, decisions, ...(o.mutant ? { mutant: o.mutant } : {}) } };
}

/** The schedule a run with these options follows (no cluster needed). */
export function scheduleFor(o: ChaosOptions): { schedule: PlannedPhase[]; boundSeconds: number } {
  const boundSeconds = o.boundSeconds ?? defaultBoundSeconds(makeNodeConfig(nodeConfigFor(o)));
  const ids = Array.from({ length: o.nodes }, (_, i) => nodeId(i));
  return { schedule: makeSchedule({ seed: o.seed, ids, faults: o.faults, durationSeconds: o.durationSeconds, hold: o.hold, boundSeconds, shapes: o.shapes }), boundSeconds };
}

export function describeSchedule(schedule: readonly PlannedPhase[]): string {
  return schedule.map((p) => `  ${String(p.index + 1).padStart(2)}. t=${p.at.toFixed(1).padStart(6)} s  hold ${p.holdSeconds.toFixed(1).padStart(4)} s  ${p.kind.padEnd(10)} ${p.description}`).join('\n');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

interface Recorder {
  readonly samples: Sample[];
  readonly probes: Probe[];
  readonly checks: HealCheck[];
  readonly timeline: TimelineEvent[];
  readonly violations: ReportViolation[];
}

/**
 * Runs the schedule; returns the report (also written to `o.out`) and the exit code. `log` gets
 * the events (faults, heals, verdicts), `status` a one-line summary of every snapshot.
 */
export async function runChaos(o: ChaosOptions, log: (line: string) => void, status: (line: string) => void = () => {}): Promise<{ report: ChaosReport; exitCode: number }> {
  const { schedule, boundSeconds } = scheduleFor(o);
  const input = nodeConfigFor(o);
  const config = makeNodeConfig(input);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'schedule.json'), `${JSON.stringify(schedule, null, 2)}\n`);
  const command = chaosCommand(o);
  log(`seed ${o.seed}: ${schedule.length} phases over about ${o.durationSeconds} s, recovery bound ${boundSeconds} s\n${describeSchedule(schedule)}\nrerun: ${command}`);

  const startedAt = new Date();
  const rec: Recorder = { samples: [], probes: [], checks: [], timeline: [], violations: [] };
  let error: string | undefined;
  let cluster: ChaosCluster | undefined;
  let interrupted = false;
  let t0 = performance.now();
  const now = (): number => Math.round((performance.now() - t0) / 100) / 10;
  const stamp = (): string => `[${now().toFixed(1).padStart(6)} s]`;
  const onSignal = (): void => {
    // Once: more signals while the cluster is being removed change nothing.
    if (!interrupted) log('interrupted: removing the cluster...');
    interrupted = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let stopSampling = (): Promise<void> => Promise.resolve();
  try {
    log(`starting ${o.nodes} nodes (${o.backend})...`);
    cluster = await ChaosCluster.start({ backend: o.backend, nodes: o.nodes, seed: o.seed, config: input });
    if (interrupted) throw new Interrupted();
    await cluster.joinAll();
    const formed = await cluster.converge(30_000);
    t0 = performance.now();
    if (!formed.converged) {
      for (const v of formed.violations) rec.violations.push({ t: 0, phase: null, property: v.property, message: `the cluster did not form within 30 s: ${v.message}` });
      log(`the cluster did not form within 30 s: ${formed.violations.map((v) => v.property).join(', ')}`);
    } else {
      log(`${o.nodes} nodes formed one overlay in ${formed.seconds.toFixed(1)} s; running the schedule`);
      let current: number | null = null;
      const phaseName = (): string => (current === null ? 'between phases' : `phase ${current + 1}/${schedule.length} ${schedule[current]!.kind}`);
      stopSampling = sample(cluster, o.sampleMs, now, rec, () => current, (x) =>
        status(`${stamp()} ${phaseName()} | ${x.live} up | ${x.components} component(s) | ${x.asymmetricPairs} asymmetric | active ${x.activeMin}-${x.activeMax} (mean ${x.activeMean}) | ${rec.violations.length} violation(s)`),
      );
      const failedFast = (): boolean => o.failFast === true && rec.violations.length > 0;
      for (const p of schedule) {
        if (failedFast()) {
          log(`${stamp()} stopping at the first violation (--fail-fast)`);
          break;
        }
        await sleepUntil(t0, p.at, () => interrupted);
        if (interrupted) throw new Interrupted();
        current = p.index;
        await cluster.nemesis.apply(p);
        rec.timeline.push({ t: now(), phase: p.index, event: 'fault', description: `${p.kind}: ${p.description}` });
        log(`${stamp()} phase ${p.index + 1}/${schedule.length} ${p.kind}: ${p.description}`);
        if (p.kind === 'crash' || p.kind === 'pause') await expectDropped(cluster, p, boundSeconds, now, rec, log);
        await sleepUntil(t0, p.at + p.holdSeconds, () => interrupted);
        if (interrupted) throw new Interrupted();
        await cluster.nemesis.undo(p);
        const healedAt = now();
        current = null;
        rec.timeline.push({ t: healedAt, phase: p.index, event: 'heal', description: `healed ${p.kind}` });
        const check = await expectRestored(cluster, p, healedAt, boundSeconds, now, rec, () => interrupted);
        rec.checks.push(check);
        rec.timeline.push({ t: now(), phase: p.index, event: check.restoredAt === null ? 'not-restored' : 'restored', description: check.restoredAt === null ? check.failures.join('; ') : `restored in ${check.seconds} s` });
        log(`${stamp()}   healed; ${check.restoredAt === null ? `NOT restored within ${boundSeconds} s: ${check.failures.join('; ')}` : `restored in ${check.seconds!.toFixed(1)} s`}`);
      }
    }
  } catch (e) {
    error = e instanceof Interrupted ? 'interrupted' : (e as Error).message.split('\n')[0]!;
    log(`${e instanceof Interrupted ? '' : 'error: '}${error}`);
  } finally {
    await stopSampling();
    if (cluster && (error !== undefined || rec.violations.length > 0)) {
      const logs = join(o.out, 'logs');
      await cluster.backend.saveLogs(logs).then(
        () => log(`node logs kept in ${logs}`),
        (e: unknown) => log(`could not keep the node logs: ${(e as Error).message.split('\n')[0]}`),
      );
    }
    await cluster?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const verdict = error !== undefined ? 'error' : rec.violations.length > 0 ? 'fail' : 'pass';
  const report: ChaosReport = {
    version: 1,
    verdict,
    command,
    backend: o.backend,
    seed: o.seed,
    nodes: o.nodes,
    durationSeconds: o.durationSeconds,
    faults: o.faults,
    boundSeconds,
    config: {
      activeSize: config.protocol.activeSize,
      passiveSize: config.protocol.passiveSize,
      shufflePeriodMs: config.shufflePeriodMs,
      keepaliveIntervalMs: config.keepaliveIntervalMs,
      keepaliveTimeoutMs: config.keepaliveTimeoutMs,
      variant: o.variant,
      decisions: { ...o.decisions },
      mutant: o.mutant ?? null,
    },
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    schedule,
    ...rec,
    ...(error !== undefined ? { error } : {}),
  };
  writeFileSync(join(o.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(o.out, 'report.html'), renderReportHtml(report));
  const exitCode = verdict === 'pass' ? EXIT_PASS : verdict === 'fail' ? EXIT_FAIL : EXIT_ERROR;
  return { report, exitCode };
}

class Interrupted extends Error {}

async function sleepUntil(t0: number, atSeconds: number, stop: () => boolean): Promise<void> {
  while (!stop()) {
    const left = t0 + atSeconds * 1000 - performance.now();
    if (left <= 0) return;
    await sleep(Math.min(left, 200));
  }
}

/** Snapshots every `ms` until stopped, each judged with the always-properties. */
function sample(cluster: ChaosCluster, ms: number, now: () => number, rec: Recorder, phase: () => number | null, onSample: (s: Sample) => void): () => Promise<void> {
  let running = true;
  const seen = new Set<string>();
  const loop = (async () => {
    while (running) {
      const next = performance.now() + ms;
      const live = await cluster.snapshot().catch(() => null);
      if (live) {
        const j = judge(live);
        const t = now();
        const up = live.snapshot.nodes.filter((n) => n.alive && !live.unreachable.includes(live.names[n.id]!) && cluster.members[n.id - 1]?.status === 'up');
        const sizes = up.map((n) => n.active.length);
        const taken: Sample = {
          t,
          phase: phase(),
          live: up.length,
          unreachable: live.unreachable.length,
          components: j.components,
          asymmetricPairs: j.asymmetricPairs,
          activeMin: sizes.length ? Math.min(...sizes) : 0,
          activeMean: sizes.length ? round2(sizes.reduce((a, b) => a + b, 0) / sizes.length) : 0,
          activeMax: sizes.length ? Math.max(...sizes) : 0,
          passiveMean: up.length ? round2(up.reduce((a, n) => a + n.passive.length, 0) / up.length) : 0,
          alwaysViolations: j.always.length,
        };
        rec.samples.push(taken);
        onSample(taken);
        for (const v of j.always) {
          const key = `${phase()}:${v.property}:${v.message}`;
          if (seen.has(key)) continue;
          seen.add(key);
          rec.violations.push({ t, phase: phase(), property: v.property, message: v.message });
        }
      }
      await sleep(next - performance.now());
    }
  })();
  return async () => {
    running = false;
    await loop;
  };
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** A crashed or paused node must leave every active view that is up within the bound. */
async function expectDropped(cluster: ChaosCluster, p: PlannedPhase, boundSeconds: number, now: () => number, rec: Recorder, log: (line: string) => void): Promise<void> {
  const { targets } = phaseParams(p);
  const start = now();
  let holders: string[] = [];
  while (now() - start <= boundSeconds) {
    const views = await cluster.views();
    holders = cluster.up.filter((id) => targets.some((x) => views.get(id)?.active.includes(x)));
    if (holders.length === 0) {
      log(`         ${targets.join(' ')} left every active view in ${(now() - start).toFixed(1)} s`);
      return;
    }
    await sleep(200);
  }
  const message = `${targets.join(' ')} (${p.kind === 'crash' ? 'crashed' : 'paused'}) still in the active view of ${holders.join(' ')} ${boundSeconds} s later`;
  rec.violations.push({ t: now(), phase: p.index, property: 'failure-detected', message });
  log(`         FAIL failure-detected: ${message}`);
}

export interface Restoration {
  /** Seconds from the call to the restoring probe's delivery, or null when not within the bound. */
  readonly seconds: number | null;
  /** What still failed at the bound ("property: message"); empty when restored. */
  readonly failures: string[];
  readonly probes: ReadonlyArray<{ readonly afterSeconds: number; readonly delivered: number; readonly live: number }>;
}

/**
 * Waits up to `boundSeconds` for the overlay to be whole again: the quiescent properties on two
 * snapshots in a row, then a probe broadcast that every node up delivers.
 */
export async function awaitRestored(cluster: ChaosCluster, boundSeconds: number, stop: () => boolean = () => false): Promise<Restoration> {
  const start = performance.now();
  const elapsed = (): number => (performance.now() - start) / 1000;
  const probes: Array<Restoration['probes'][number]> = [];
  let passes = 0;
  let failures: string[] = [];
  while (!stop() && elapsed() <= boundSeconds) {
    const j = judge(await cluster.snapshot());
    const ok = j.isQuiescent && j.quiescent.length === 0;
    passes = ok ? passes + 1 : 0;
    failures = ok ? [] : j.quiescent.length > 0 ? j.quiescent.map((v) => `${v.property}: ${v.message}`) : ['quiescence: requests or frames still in flight'];
    if (passes >= 2) {
      const probe = await cluster.probe(1000);
      probes.push({ afterSeconds: elapsed(), delivered: probe.delivered, live: probe.live });
      if (probe.missing.length === 0) return { seconds: elapsed(), failures: [], probes };
      failures = [`probe-reach: the probe broadcast missed ${probe.missing.join(' ')}${probe.disturbances.length > 0 ? ` (meanwhile ${probe.disturbances.join(', ')})` : ''}`];
      passes = 0;
    }
    await sleep(200);
  }
  return { seconds: null, failures, probes };
}

/** The restoration after phase `p`'s heal, recorded: a heal check, its probes, and a violation per failure. */
async function expectRestored(cluster: ChaosCluster, p: PlannedPhase, healedAt: number, boundSeconds: number, now: () => number, rec: Recorder, stop: () => boolean): Promise<HealCheck> {
  const r = await awaitRestored(cluster, boundSeconds, stop);
  for (const probe of r.probes) rec.probes.push({ t: round2(healedAt + probe.afterSeconds), phase: p.index, delivered: probe.delivered, live: probe.live, reach: probe.live === 0 ? 0 : round2(probe.delivered / probe.live) });
  for (const f of r.failures) {
    const [property, ...rest] = f.split(': ');
    rec.violations.push({ t: now(), phase: p.index, property: property!, message: `${rest.join(': ')} (${boundSeconds} s after healing ${p.kind})` });
  }
  const restoredAt = r.seconds === null ? null : round2(healedAt + r.seconds);
  return { phase: p.index, kind: p.kind, healedAt, restoredAt, seconds: r.seconds === null ? null : round2(r.seconds), boundSeconds, failures: r.failures };
}
