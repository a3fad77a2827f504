/**
 * `npm run docs`: rewrites every file the code renders, so none can drift from it:
 *   docs/capacity.md                      what each tier's parts carry (lib/capacity-report.ts)
 *   docs/cost-report.md, cost-chart.svg   what each tier costs (lib/pricing/cost-cli.ts)
 *   README.md                             the tiers table and the cost table, between their markers
 * Prints each file it changed; `--check` changes nothing and exits 1 naming the files that differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative as relativePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainModule } from '../cli/main-module.js';
import { renderCapacityReport } from './capacity-report.js';
import {
  CHART_PATH,
  REPORT_PATH,
  renderFiles,
  type TemplateSource,
  templateFor,
} from './pricing/cost-cli.js';
import { renderTierTable } from './tier-table.js';

const README_PATH = new URL('../README.md', import.meta.url);
const CAPACITY_PATH = new URL('../docs/capacity.md', import.meta.url);

export interface GeneratedFile {
  readonly path: URL;
  readonly content: string;
}

/** Raised when a file's generated block is missing or malformed; the message names it. */
export class GeneratedBlockError extends Error {
  override name = 'GeneratedBlockError';
}

/**
 * `text` with the block `name` holding `content`. The markers stay, so the next run finds them;
 * a marker missing or given twice is an error rather than a file rewritten in the wrong place.
 */
export function replaceGeneratedBlock(text: string, name: string, content: string): string {
  const start = `<!-- generated: ${name} -->`;
  const end = '<!-- end generated -->';
  const from = text.indexOf(start);
  if (from < 0) throw new GeneratedBlockError(`no "${start}" marker`);
  if (text.indexOf(start, from + 1) >= 0) throw new GeneratedBlockError(`"${start}" is given twice`);
  const to = text.indexOf(end, from);
  if (to < 0) throw new GeneratedBlockError(`"${start}" has no "${end}" after it`);
  return `${text.slice(0, from + start.length)}\n\n${content}\n\n${text.slice(to)}`;
}

/**
 * A markdown table with its columns padded to their widest cell, as a formatter lays it out:
 * right-aligned columns (`---:`) are padded on the left, the others on the right.
 */
export function alignMarkdownTable(table: string): string {
  const rows = table
    .trim()
    .split('\n')
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
  const delimiter = rows[1] ?? [];
  const right = delimiter.map((cell) => /^-+:$/.test(cell));
  const widths = delimiter.map((_, column) =>
    Math.max(3, ...rows.filter((_, i) => i !== 1).map((row) => (row[column] ?? '').length)),
  );
  return rows
    .map((row, i) => {
      const cells = widths.map((width, column) => {
        if (i === 1) return right[column] ? `${'-'.repeat(width - 1)}:` : '-'.repeat(width);
        const cell = row[column] ?? '';
        return right[column] ? cell.padStart(width) : cell.padEnd(width);
      });
      return `| ${cells.join(' | ')} |`;
    })
    .join('\n');
}

/** Every generated file as the code renders it now; tier templates come from `templateOf`. */
export function renderGeneratedFiles(
  templateOf: TemplateSource = templateFor,
  readme: string = readFileSync(README_PATH, 'utf8'),
): GeneratedFile[] {
  const cost = renderFiles(templateOf);
  const withTiers = replaceGeneratedBlock(readme, 'tiers', alignMarkdownTable(renderTierTable()));
  const newReadme = replaceGeneratedBlock(withTiers, 'cost', alignMarkdownTable(cost.readmeTable));
  return [
    { path: CAPACITY_PATH, content: renderCapacityReport() },
    { path: REPORT_PATH, content: cost.markdown },
    { path: CHART_PATH, content: cost.svg },
    { path: README_PATH, content: newReadme },
  ];
}

/** The generated files whose content on disk differs from what the code renders. */
export function staleFiles(files: readonly GeneratedFile[]): GeneratedFile[] {
  return files.filter((file) => {
    try {
      return readFileSync(file.path, 'utf8') !== file.content;
    } catch {
      return true;
    }
  });
}

const relative = (path: URL) =>
  relativePath(fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(path));

/** Runs the command; returns the exit code. */
export function main(argv: readonly string[], write: (text: string) => void): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    write(`docs: unknown argument ${unknown.join(' ')} (the only flag is --check)\n`);
    return 2;
  }
  const stale = staleFiles(renderGeneratedFiles());
  if (check) {
    for (const file of stale) write(`out of date: ${relative(file.path)}\n`);
    return stale.length > 0 ? 1 : 0;
  }
  for (const file of stale) {
    writeFileSync(file.path, file.content);
    write(`wrote ${relative(file.path)}\n`);
  }
  if (stale.length === 0) write('every generated file is up to date\n');
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2), (text) => process.stdout.write(text));
}
