import { describe, expect, it } from 'vitest';
import { alignMarkdownTable, GeneratedBlockError, replaceGeneratedBlock } from '../../lib/docs.js';

const START = '<!-- generated: tiers -->';
const END = '<!-- end generated -->';

describe('replaceGeneratedBlock', () => {
  it('replaces what stands between the markers and keeps them, and the text around them', () => {
    const text = `# Title\n\n${START}\n\n| old |\n\n${END}\n\nAfter.\n`;
    expect(replaceGeneratedBlock(text, 'tiers', '| new |')).toBe(
      `# Title\n\n${START}\n\n| new |\n\n${END}\n\nAfter.\n`,
    );
  });

  it('is a fixed point: replacing with the same content changes nothing', () => {
    const once = replaceGeneratedBlock(`a\n${START}\nx\n${END}\nb`, 'tiers', '| t |');
    expect(replaceGeneratedBlock(once, 'tiers', '| t |')).toBe(once);
  });

  it('leaves another block alone', () => {
    const text = `${START}\n\n| a |\n\n${END}\n<!-- generated: cost -->\n\n| b |\n\n${END}\n`;
    expect(replaceGeneratedBlock(text, 'cost', '| c |')).toBe(
      `${START}\n\n| a |\n\n${END}\n<!-- generated: cost -->\n\n| c |\n\n${END}\n`,
    );
  });

  it.each([
    ['no start marker', 'text only', /no "<!-- generated: tiers -->" marker/],
    ['a start marker given twice', `${START}\n${END}\n${START}\n${END}`, /given twice/],
    ['no end marker after the start', `${END}\n${START}\n| t |`, /has no "<!-- end generated -->" after it/],
  ])('rejects a file with %s, naming the marker', (_, text, message) => {
    expect(() => replaceGeneratedBlock(text, 'tiers', '| t |')).toThrow(GeneratedBlockError);
    expect(() => replaceGeneratedBlock(text, 'tiers', '| t |')).toThrow(message);
  });
});

describe('alignMarkdownTable', () => {
  it('pads every column to its widest cell, right-aligned columns on the left', () => {
    const table = ['| Tier | Cost |', '| --- | ---: |', '| 1 | $768 |', '| 4 | $105,555 |'].join('\n');
    expect(alignMarkdownTable(table)).toBe(
      ['| Tier |     Cost |', '| ---- | -------: |', '| 1    |     $768 |', '| 4    | $105,555 |'].join('\n'),
    );
  });

  it('keeps every cell: aligning an aligned table changes nothing', () => {
    const aligned = alignMarkdownTable('| a | bb |\n| - | -: |\n| ccc | d |');
    expect(alignMarkdownTable(aligned)).toBe(aligned);
    expect(aligned.split('\n').map((row) => row.split('|').map((c) => c.trim()))).toEqual([
      ['', 'a', 'bb', ''],
      ['', '---', '--:', ''],
      ['', 'ccc', 'd', ''],
    ]);
  });
});
