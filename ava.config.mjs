// Unit, model, checker, real-node and local-cluster tests (`npm test` runs these and, side by
// side, the Docker ones through ava.docker.config.mjs: test/suites.mjs). tsx loads the .ts
// files; it needs child processes.
export default {
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  workerThreads: false,
  files: ['test/**/*.test.ts', '!test/docker/**'],
  timeout: '2m',
};
