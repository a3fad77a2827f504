import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../../cli/shell-word.js';

describe('shellWord', () => {
  it.each(['/tmp/evalforge/dev-api-key', 'a-b_c.d@e%f+g=h:i,j'])(
    'leaves %s bare: nothing in it is special',
    (text) => {
      expect(shellWord(text)).toBe(text);
    },
  );

  it.each(['/tmp/fresh x/.evalforge/dev-api-key', "it's", '$(rm -rf ~)', 'a"b`c\\d', ''])(
    'quotes %j so that a shell reads it back as one word, unchanged',
    (text) => {
      const echoed = execFileSync('sh', ['-c', `printf '%s' ${shellWord(text)}`], { encoding: 'utf8' });
      expect(echoed).toBe(text);
    },
  );
});
