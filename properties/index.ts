export * from './snapshot.ts';
export * from './invariants.ts';
export * from './sometimes.ts';
export * from './progress.ts';
export * from './messages.ts';
