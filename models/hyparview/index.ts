export * from './config.ts';
export * from './messages.ts';
export * from './mutants.ts';
export * from './node.ts';
