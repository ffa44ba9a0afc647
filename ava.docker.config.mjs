// The Docker tests (after `npm run setup:docker`): real containers and the real Toxiproxy, one
// file at a time, since they share the Docker engine and compose's fixed ports.
import base from './ava.config.mjs';

export default { ...base, files: ['test/docker/**/*.test.ts'], concurrency: 1, timeout: '10m' };
