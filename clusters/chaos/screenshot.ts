// npm run report:screenshot -- <report.html> <out.png>
// Opens a chaos report in headless chromium, saves a full-page screenshot and prints what the
// page showed. Exits 1 when the page logged errors, 2 when it could not be checked at all.
import { inspectReport } from './browser.ts';

async function main(argv: readonly string[]): Promise<number> {
  const [html, png] = argv;
  if (!html || !png || argv.length > 2) {
    console.error('usage: npm run report:screenshot -- <report.html> <out.png>');
    return 2;
  }
  const r = await inspectReport(html, png);
  console.log(`title: ${r.title}`);
  console.log(`plots: ${r.plots} (${r.nonBlankPlots} non-blank)`);
  console.log(`violation markers: ${r.violationMarkers}`);
  console.log(`console errors: ${r.consoleErrors.length}`);
  for (const e of r.consoleErrors) console.log(`  ${e}`);
  console.log(`screenshot: ${png}`);
  return r.consoleErrors.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`report:screenshot: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
