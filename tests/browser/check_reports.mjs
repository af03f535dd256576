// Opens mnet's HTML reports and SVG figures in Debian's headless chromium, offline, and checks
// that they render: the bars and points are there, no console error, no network request, hovering
// a bar or a point shows its row in the tooltip. Writes PNG screenshots to --out.
//
//   node check_reports.mjs --out DIR FILE.html|FILE.svg ...
//
// Each report: DIR/NAME.png (the charts, down to the first table); a profile with a roofline also
// DIR/NAME-roofline.png. Exit 0 when every file passed, 1 otherwise (one line per failure).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
if (outIndex < 0 || outIndex + 1 >= args.length || args.length < 3) {
  console.error('usage: node check_reports.mjs --out DIR FILE.html|FILE.svg ...');
  process.exit(2);
}
const outDir = args[outIndex + 1];
const files = args.filter((_, i) => i !== outIndex && i !== outIndex + 1);
fs.mkdirSync(outDir, { recursive: true });

// The flags that keep chromium off the network and quiet on a closed machine.
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'mnet-chromium-'));  // a new, empty --user-data-dir
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.MNET_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: flags,
  viewport: { width: 1400, height: 1000 },
});

let failures = 0;
let passed = 0;
function fail(file, what) {
  failures++;
  console.error(`FAIL ${file}: ${what}`);
}

async function check(file) {
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  const url = pathToFileURL(path.resolve(file)).href;
  await page.goto(url, { waitUntil: 'load' });
  const name = path.basename(file).replace(/\.(html|svg)$/, '');
  const before = failures;

  if (file.endsWith('.svg')) {
    const panels = await page.locator('g.panel').count();
    if (panels < 1) fail(file, 'no panel drawn');
    // The root <svg> element itself (a full-page shot of an SVG document never settles).
    await page.locator('svg').first().screenshot({ path: path.join(outDir, `${name}.png`) });
    console.log(`${file}: ${panels} panels`);
  } else {
    const layers = await page.locator('g.layer').count();
    const points = await page.locator('g.point').count();
    const kind = layers > 0 ? 'profile' : 'compare';
    if (kind === 'profile') {
      const madds = await page.locator('g.layer rect.bar[data-metric="madds"]').count();
      if (madds !== layers) fail(file, `${layers} layers but ${madds} MAdds bars`);
      // The layer with the largest share of multiply-adds: its bar is surely visible.
      const values = await page.locator('g.layer rect.bar[data-metric="madds"]').evaluateAll(
        (bars) => bars.map((b) => parseFloat(b.getAttribute('data-value'))));
      const top = values.indexOf(Math.max(...values));
      const layer = page.locator('g.layer').nth(top);
      await layer.locator('rect.bar[data-metric="madds"]').hover({ force: true });
      await checkTooltip(file, page, layer);
    } else {
      if (points < 1) fail(file, 'no model drawn');
      await checkTooltip(file, page, page.locator('g.point').first(), true);
    }
    // The charts: from the top of the page to the first table.
    const table = await page.locator('section.table').first().boundingBox();
    const height = table ? Math.ceil(table.y) : undefined;
    await page.mouse.move(0, 0);
    await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true,
      clip: height ? { x: 0, y: 0, width: 1400, height } : undefined });
    if (await page.locator('section#roofline').count())
      await page.locator('section#roofline').screenshot({ path: path.join(outDir, `${name}-roofline.png`) });
    console.log(`${file}: ${kind}, ${layers} layers, ${points} points`);
  }
  for (const e of errors) fail(file, `console error: ${e}`);
  for (const r of requests) fail(file, `network request made: ${r}`);
  if (failures === before) passed++;
  await page.close();
}

// Hovering `target` must show the tooltip box with exactly its data-tip text (its row).
async function checkTooltip(file, page, target, hover = false) {
  if (hover) await target.hover({ force: true });
  const tip = page.locator('#tip');
  if (!(await tip.isVisible())) return fail(file, 'hovering showed no tooltip');
  const shown = await tip.textContent();
  const expected = await target.getAttribute('data-tip');
  if (!expected || shown !== expected) fail(file, `tooltip "${shown}" is not the row "${expected}"`);
  else if (!/MAdds [0-9,]+/.test(shown)) fail(file, `tooltip "${shown}" has no multiply-adds`);
}

try {
  for (const f of files) {
    try {
      await check(f);
    } catch (e) {
      fail(f, String(e).split('\n')[0]);
    }
  }
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
console.log(`browser: ${passed} passed, ${failures ? files.length - passed : 0} failed`);
process.exit(failures ? 1 : 0);
