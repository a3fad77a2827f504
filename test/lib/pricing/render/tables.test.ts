import { describe, expect, it } from 'vitest';
import { markdownTable, textTable } from '../../../../lib/pricing/render/tables.js';

describe('textTable', () => {
  it('pads every column to its widest cell, the right ones to the right, without trailing spaces', () => {
    expect(
      textTable(
        ['name', 'usd'],
        [
          ['a', '1'],
          ['longer', '100'],
        ],
        [1],
      ),
    ).toBe(['name    usd', '------  ---', 'a         1', 'longer  100'].join('\n'));
  });
});

describe('markdownTable', () => {
  it('aligns the right columns and escapes pipes in cells', () => {
    expect(markdownTable(['Line', 'USD'], [['a | b', '$1']], [1])).toBe(
      ['| Line | USD |', '| --- | ---: |', '| a \\| b | $1 |'].join('\n'),
    );
  });
});
