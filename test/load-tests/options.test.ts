import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/flags.js';
import { parseLoadOptions } from '../../load-tests/options.js';

const parse = (args: string) => parseLoadOptions(args.split(' ').filter(Boolean));
/** The options of a command line that asks for a run, not for help. */
const run = (args: string) => {
  const options = parse(args);
  if (options === 'help') throw new Error(`expected a run from ${args}`);
  return options;
};

describe('parseLoadOptions', () => {
  it('reads the acceptance command: npm start started for a constant 2,000 events/s for 30 s', () => {
    const o = run('--target local --rate 2000 --duration 30');
    expect(o.target).toEqual({ kind: 'start' });
    expect(o.scenario.phases).toEqual([{ name: 'constant', eventsPerSec: 2_000, durationSec: 30 }]);
    expect(o.scenario.projects).toBe(3);
    expect(o).toMatchObject({
      gzipLevel: 6,
      maxRetries: 5,
      generate: 'ahead',
      sizes: 'spread',
      verify: true,
      probes: true,
    });
    expect(o.limits.maxEvents).toBe(500);
  });

  it('runs a tier’s ramp at a fraction of its rate', () => {
    const o = run('--tier 4 --scenario ramp --scale 0.01 --duration 60');
    expect(o.scenario.name).toBe('ramp');
    expect(o.scenario.phases.at(-1)?.eventsPerSec).toBe(3_000);
  });

  it('targets a deployed endpoint with one project per key', () => {
    const o = run('--url https://ingest.eu-west-1.example.com --api-key k1 --api-key k2 --rate 100');
    expect(o.target).toEqual({
      kind: 'url',
      url: 'https://ingest.eu-west-1.example.com',
      apiKeys: ['k1', 'k2'],
    });
    expect(o.scenario.projects).toBe(2);
  });

  it('targets a running npm start, making keys in its data directory', () => {
    const o = run('--target local --url http://127.0.0.1:8080 --rate 100');
    expect(o.target).toEqual({
      kind: 'running',
      url: 'http://127.0.0.1:8080',
      apiKeys: [],
      dataDir: '.evalforge',
    });
  });

  it('generates live when the requests would not fit in memory ahead', () => {
    const o = run('--tier 4 --duration 600');
    expect(o.generate).toBe('live');
  });

  it('answers --help', () => {
    expect(parse('--help')).toBe('help');
  });

  it.each([
    ['', /give --rate <events\/s> or --tier <1-4>/],
    ['--rate 10 --tier 1', /give --rate or --tier, not both/],
    ['--rate fast', /--rate: must be a number from 1 to/],
    ['--rate 0', /--rate: must be a number from 1 to 10000000; got 0/],
    ['--tier 5', /--tier: must be a whole number from 1 to 4; got 5/],
    ['--tier 1 --scenario soak', /--scenario: must be one of ceiling, ramp, burst; got "soak"/],
    ['--rate 10 --scale 0.5', /--scale: goes with --tier, not --rate/],
    ['--tier 1 --scale 0.0001', /under one event a second/],
    ['--rate 10 --duration 1.5', /--duration: must be a whole number/],
    ['--rate 10 --target cloud', /--target: must be one of local, url; got "cloud"/],
    ['--rate 10 --target url', /--url: required with --target url/],
    ['--rate 10 --url http://x.example', /--api-key: give one key per project for --target url/],
    ['--rate 10 --url ftp://x.example --api-key k', /--url: must be http or https/],
    ['--rate 10 --url http://x.example/v1/events --api-key k', /--url: give the base URL without a path/],
    ['--rate 10 --api-key k', /--api-key: a pipeline the load starts gets keys of its own/],
    [
      '--rate 10 --url http://x.example --api-key a --projects 3',
      /--projects: 3 projects but 1 --api-key given/,
    ],
    ['--rate 10 --gzip-level 10', /--gzip-level: must be a whole number from 0 to 9; got 10/],
    ['--rate 10 --batch 20000', /--batch: must be a whole number from 1 to 10000/],
    ['--rate 10 --generate later', /--generate: must be one of auto, ahead, live/],
    ['--tier 4 --duration 600 --generate ahead', /--generate: ahead would hold ~\d+ MiB/],
    ['--rate 10 --speed 3', /Unknown option '--speed'/],
    ['--rate 10 extra', /unexpected argument "extra"/],
  ])('rejects %j', (args, message) => {
    expect(() => parse(args)).toThrow(UsageError);
    expect(() => parse(args)).toThrow(message);
  });
});
