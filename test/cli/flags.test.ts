import { describe, expect, it } from 'vitest';
import {
  HELP_FLAG,
  parseFlags,
  parseOnlyFlags,
  readNumber,
  readWholeNumber,
  stringFlags,
  UsageError,
} from '../../cli/flags.js';

const OPTIONS = { ...stringFlags('rate', 'api-key'), ...HELP_FLAG } as const;
const parse = (args: string[]) =>
  parseFlags({ args, options: OPTIONS, allowPositionals: false, strict: true });

describe('parseFlags', () => {
  it('reads string flags and -h', () => {
    expect(parse(['--rate', '200', '--api-key', 'k', '-h']).values).toEqual({
      rate: '200',
      'api-key': 'k',
      help: true,
    });
  });

  it.each([
    [['--rat', '1'], /'--rat'/],
    [['--rate'], /'--rate <value>' argument missing/],
    [['extra'], /'extra'/],
  ])('rejects %j with a UsageError naming the argument', (args, message) => {
    expect(() => parse(args)).toThrow(UsageError);
    expect(() => parse(args)).toThrow(message);
  });
});

describe('readNumber', () => {
  it.each([
    ['200', {}, 200],
    ['0.5', {}, 0.5],
    [' 7 ', {}, 7],
    ['1e3', { integer: true }, 1_000],
    ['-2', { integer: true }, -2],
  ])('reads %j (%j) as %d', (text, options, value) => {
    expect(readNumber(text, options)).toBe(value);
  });

  it.each([
    ['', {}],
    ['  ', {}],
    ['fast', {}],
    ['Infinity', {}],
    ['1.5', { integer: true }],
  ])('rejects %j (%j)', (text, options) => {
    expect(readNumber(text, options)).toBeUndefined();
  });
});

describe('readWholeNumber', () => {
  it.each([
    ['1', 1],
    ['65535', 65_535],
    ['08080', 8_080],
  ])('reads %j as %d from 1 to 65535', (text, value) => {
    expect(readWholeNumber(text, 1, 65_535)).toBe(value);
  });

  it.each(['0', '65536', '000001', '+1', '1e3', '0x10', ' 1', '1.0', ''])(
    'rejects %j from 1 to 65535',
    (text) => {
      expect(readWholeNumber(text, 1, 65_535)).toBeUndefined();
    },
  );
});

describe('parseOnlyFlags', () => {
  const options = { ...stringFlags('from'), ...HELP_FLAG };

  it('reads the flags', () => {
    expect(parseOnlyFlags(['--from', '1h', '-h'], options)).toEqual({ from: '1h', help: true });
  });

  it('rejects a stray word, naming it (cut and quoted) and what takes no arguments', () => {
    expect(() => parseOnlyFlags(['1h'], options)).toThrow(
      new UsageError('unexpected argument "1h": every option is a --flag'),
    );
    expect(() => parseOnlyFlags(['x'.repeat(70)], options, 'every option of redrive')).toThrow(
      `unexpected argument "${'x'.repeat(64)}…": every option of redrive is a --flag`,
    );
  });

  it('rejects an unknown flag as parseFlags does', () => {
    expect(() => parseOnlyFlags(['--to', 'now'], options)).toThrow(UsageError);
  });
});
