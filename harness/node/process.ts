// Entry of a node process spawned by a cluster harness: only the `node` subcommand, so the
// process loads nothing of the cluster side (execa, esbuild). Same flags as main.ts.
import { Command } from 'commander';
import { registerNodeCommand } from './commands.ts';

const program = new Command('hyparview-harness').exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
registerNodeCommand(program);
await program.parseAsync();
