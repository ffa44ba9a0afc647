#!/usr/bin/env bash
# The package as a user gets it: pack it, install the tarball into a fresh project, and there
# (a) run an ava test that imports it in plain Node, (b) type-check a TypeScript file against its
# published types, (c) run its CLI from node_modules/.bin. Used by .ci/run; `npm run test:consumer`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$repo"
tarball="$(npm pack --silent --pack-destination "$work" | tail -1)"
echo "consumer: packed $tarball ($(du -h "$work/$tarball" | cut -f1))"
mkdir "$work/project" && cd "$work/project"
cat > package.json <<'JSON'
{ "name": "consumer", "version": "1.0.0", "private": true, "type": "module" }
JSON
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "module": "NodeNext", "moduleResolution": "NodeNext", "target": "ES2022", "strict": true, "noEmit": true, "skipLibCheck": false, "types": ["node"] }, "files": ["types.ts"] }
JSON
cp "$repo/test/consumer/consumer.test.mjs" "$repo/test/consumer/types.ts" .
versions="$(cd "$repo" && node -p "const l=require('./package-lock.json').packages; ['ava','typescript','@types/node'].map(n=>n+'@'+l['node_modules/'+n].version).join(' ')")"
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$work/$tarball" $versions
echo "consumer: (a) ava test, plain Node ESM"
npx ava consumer.test.mjs
echo "consumer: (b) tsc against the published types"
npx tsc -p tsconfig.json
echo "consumer: (c) the CLI from node_modules/.bin"
./node_modules/.bin/hyparview-harness check --nodes 2 | tail -2
./node_modules/.bin/hyparview-harness simulate --nodes 100 --cycles 2 --fail 30 | tail -2
echo "consumer: all passed"
