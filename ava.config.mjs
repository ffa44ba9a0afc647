// Unit, model, checker, real-node and local-cluster tests (`npm test` runs these, then the
// Docker ones through ava.docker.config.mjs). tsx loads the .ts files; it needs child processes.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  files: ['test/**/*.test.ts', '!test/docker/**'],
  timeout: '2m',
};
