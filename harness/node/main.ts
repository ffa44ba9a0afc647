// Entry point of a node process, independent of harness/cli.ts:
//   node --import tsx harness/node/main.ts node --id n1 --listen 127.0.0.1:7001 [...]
//   node --import tsx harness/node/main.ts cluster --backend local --nodes 16 [--check]
import { Command } from 'commander';
import { registerNodeCommands } from './commands.ts';

const program = new Command('hyparview-harness').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
registerNodeCommands(program);
await program.parseAsync();
