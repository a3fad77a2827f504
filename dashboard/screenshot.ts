/**
 * The README's picture of the dashboard: signs in to a running `npm start` (after `npm run demo`,
 * so there is something to show) in headless chromium and saves the overview.
 *
 *   tsx dashboard/screenshot.ts [url] [key file] [png]
 *   defaults: http://127.0.0.1:8080  .evalforge/dev-api-key  docs/images/dashboard-overview.png
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const [
  url = 'http://127.0.0.1:8080',
  keyFile = '.evalforge/dev-api-key',
  out = 'docs/images/dashboard-overview.png',
] = process.argv.slice(2);

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  await page.getByLabel('API key').fill(readFileSync(keyFile, 'utf8').trim());
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.getByTestId('summary-requests').waitFor();
  await page.locator('.chart canvas').first().waitFor();
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(`saved ${out}`);
} finally {
  await browser.close();
}
