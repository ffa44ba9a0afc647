// `node --import tsx clusters/images/build.ts`: builds the node image unless this source's
// image is already there (setup.sh's last step), and points :latest at it. One progress line
// on stdout naming the tag; on failure one line on stderr and exit 2.
import { nodeImage } from './images.ts';

try {
  await nodeImage({ log: (line) => process.stdout.write(`${line}\n`) });
} catch (e) {
  process.stderr.write(`node image: ${(e as Error).message.split('\n')[0]}\n`);
  process.exit(2);
}
