/**
 * Builds the dashboard, a static single-page site: `index.html`, one ES module bundle and one
 * stylesheet. Synchronous because a CDK asset's local bundling calls it; `npm start` calls it too.
 * `config.json` (where the API is) is not part of the build: whoever serves the site writes it.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

/** The dashboard's source folder, absolute. */
export const DASHBOARD_DIR: string = dirname(fileURLToPath(import.meta.url));

/** The bundle's base name: `app.js` and `app.css`, which `index.html` names. */
const ENTRY_NAME = 'app';

/**
 * Builds the site into `outDir` (created if missing): bundled, minified ES2022 modules with source
 * maps, and `index.html` copied as is.
 * @returns the files written, relative to `outDir`, sorted
 */
export function buildDashboardSync(outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const result = buildSync({
    entryPoints: { [ENTRY_NAME]: join(DASHBOARD_DIR, 'src', 'main.ts') },
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    absWorkingDir: DASHBOARD_DIR,
  });
  copyFileSync(join(DASHBOARD_DIR, 'index.html'), join(outDir, 'index.html'));
  const written = Object.keys(result.metafile.outputs).map((file) =>
    relative(outDir, join(DASHBOARD_DIR, file)),
  );
  return [...written, 'index.html'].sort();
}
