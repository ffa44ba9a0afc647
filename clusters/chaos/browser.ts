// Opens a report.html in Debian's chromium (headless, through playwright-core) and says what
// a reader would see: how many uPlot plots, whether each really drew its series, how many
// violations are marked on the plots, the title, and every console or page error. Nothing
// leaves the machine: any request that is not file: or data: is refused and counted as an error.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ReportInspection {
  /** uPlot instances on the page. */
  plots: number;
  /** Plots whose canvas holds pixels in one of their series' colours (axes and shading alone do not count). */
  nonBlankPlots: number;
  /** Violations marked on every plot (distinct data-violation indices present in each). */
  violationMarkers: number;
  title: string;
  /** console.error messages, uncaught page errors, blocked network requests, a page that never became ready. */
  consoleErrors: string[];
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  return process.env.CHROMIUM_PATH || '/usr/bin/chromium';
}

interface PlotStats {
  seriesPixels: number;
  drawnPixels: number;
  markers: string[];
}

/**
 * Opens the file, or a page served on loopback (`http://127.0.0.1:PORT/`), in a fresh headless
 * chromium (temporary profile, removed afterwards), waits until the page says it is drawn, and
 * hands the page to `fn` along with the errors collected so far (the array keeps filling while
 * `fn` runs). Requests anywhere but the page's own origin are refused and counted as errors.
 */
export async function withReportPage<T>(htmlPath: string, fn: (page: import('playwright-core').Page, errors: string[]) => Promise<T>): Promise<T> {
  const served = /^http:\/\/127\.0\.0\.1:\d+\//.test(htmlPath);
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) throw new Error(`chromium not found at ${executablePath}; install Debian's chromium package`);
  const file = served ? '' : resolve(htmlPath);
  if (!served && !existsSync(file)) throw new Error(`report not found: ${file}`);
  const target = served ? htmlPath : pathToFileURL(file).href;
  const own = served ? new URL(htmlPath).origin : 'file:';

  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new Error('playwright-core is not installed (it is a devDependency): run npm install');
  }

  const userDataDir = await mkdtemp(join(tmpdir(), 'chaos-report-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
      timeout: 30_000,
    });
    try {
      const errors: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(own) || url.startsWith('data:')) return route.continue();
        errors.push(`network request blocked: ${url}`);
        return route.abort('blockedbyclient');
      });
      const page = context.pages()[0] ?? (await context.newPage());
      page.on('console', (msg) => {
        if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
      });
      page.on('pageerror', (err) => errors.push(`page error: ${err.message}`));
      page.on('dialog', (dialog) => {
        errors.push(`dialog opened (${dialog.type()}): ${dialog.message()}`);
        void dialog.dismiss().catch(() => {});
      });

      await page.goto(target, { waitUntil: 'load', timeout: 30_000 });
      const ready = await page
        .waitForFunction(() => document.documentElement.getAttribute('data-ready'), undefined, { timeout: 15_000 })
        .then((h) => h.jsonValue() as Promise<string>)
        .catch(() => null);
      if (ready === null) errors.push('report page did not signal data-ready within 15 s');
      else if (ready !== '1') errors.push(`report page signalled data-ready=${ready}`);
      return await fn(page, errors);
    } finally {
      await context.close();
    }
  } finally {
    await rm(userDataDir, { recursive: true, force: true });
  }
}

export async function inspectReport(htmlPath: string, screenshotPath?: string): Promise<ReportInspection> {
  return withReportPage(htmlPath, async (page, errors) => {
    const stats: PlotStats[] = await page.evaluate(() => {
      // No named helpers in here: the compiler may wrap them in ones that do not exist in the page.
      return [...document.querySelectorAll<HTMLElement>('.uplot')].map((root) => {
        const canvas = root.querySelector('canvas');
        const markers = [...root.querySelectorAll<HTMLElement>('.u-over .vmark')]
          .filter((m) => m.style.display !== 'none')
          .map((m) => m.getAttribute('data-violation') ?? '');
        if (!canvas || canvas.width === 0 || canvas.height === 0) return { seriesPixels: 0, drawnPixels: 0, markers };
        let colors: [number, number, number][] = [];
        try {
          for (const color of JSON.parse(root.getAttribute('data-series-colors') ?? '[]') as string[]) {
            const hex = /^#([0-9a-f]{6})$/i.exec(String(color).trim());
            const fn = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(String(color).trim());
            if (hex) {
              const n = Number.parseInt(hex[1]!, 16);
              colors.push([(n >> 16) & 255, (n >> 8) & 255, n & 255]);
            } else if (fn) colors.push([Number(fn[1]), Number(fn[2]), Number(fn[3])]);
          }
        } catch {
          colors = [];
        }
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let drawnPixels = 0;
        let seriesPixels = 0;
        for (let i = 0; i < px.length; i += 4) {
          const a = px[i + 3]!;
          if (a === 0) continue;
          const r = px[i]!, g = px[i + 1]!, b = px[i + 2]!;
          if (!(a === 255 && r === 255 && g === 255 && b === 255)) drawnPixels++;
          if (a < 160) continue;
          for (const c of colors) {
            if (Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(b - c[2]) <= 60) {
              seriesPixels++;
              break;
            }
          }
        }
        // A page that does not name its series colours is judged on drawn pixels alone.
        return { seriesPixels: colors.length ? seriesPixels : drawnPixels, drawnPixels, markers };
      });
    });

    // Violations marked on every plot: the first plot's markers that each other plot has too.
    const marked = new Set<string>(stats[0]?.markers ?? []);
    for (const s of stats.slice(1)) for (const m of [...marked]) if (!s.markers.includes(m)) marked.delete(m);

    if (screenshotPath) await page.screenshot({ path: resolve(screenshotPath), fullPage: true });
    return {
      plots: stats.length,
      nonBlankPlots: stats.filter((s) => s.seriesPixels >= 20).length,
      violationMarkers: marked.size,
      title: await page.title(),
      consoleErrors: errors,
    };
  });
}
