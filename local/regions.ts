import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { HELP_FLAG, parseFlags, readWholeNumber, stringFlags, UsageError } from '../cli/flags.js';
import { freePort } from '../cli/free-port.js';
import { isMainModule } from '../cli/main-module.js';
import { ensurePrivateDir } from '../cli/private-dir.js';
import { shellWord } from '../cli/shell-word.js';
import { authenticate, newApiKey, REGION_PATTERN } from '../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../functions/shared/auth/key-store-file.js';
import { DEV_PROJECT } from './dev-key.js';
import { type EvalForgeProcess, startEvalForgeProcess } from './evalforge-process.js';
import { CLIENT_REGION_HEADER, type RegionRouter, startRegionRouter } from './region-router.js';

/**
 * The local simulation across regions (`npm run regions`): one `npm start` process per region,
 * each with its own data directory, API port and Kinesis port, all sharing one key file (the
 * DynamoDB global table's stand-in) that homes project `proj-<region>` in each region, and the
 * region router (Route 53's stand-in) in front of them.
 */

export const DEFAULT_REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** The project the simulation homes in `region`. */
export const projectOf = (region: string): string => `proj-${region}`;

/** Where one region runs. */
export interface RegionPlan {
  readonly region: string;
  readonly dataDir: string;
  readonly port: number;
  readonly kinesisPort: number;
}

/** A project homed in a region, and its key. */
export interface RegionProject {
  readonly region: string;
  readonly projectId: string;
  readonly key: string;
  /** Where the key is saved (mode 0600), for curl and the demo. */
  readonly keyFile: string;
}

/** Free loopback ports, each distinct. */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** Each region's data directory (`<dir>/<region>`) and two free ports, its API's and its Kinesis API's. */
export async function planRegions(dir: string, regions: readonly string[]): Promise<RegionPlan[]> {
  for (const region of regions) {
    if (!REGION_PATTERN.test(region))
      throw new UsageError(`${region} is not an AWS region name like eu-west-1`);
  }
  if (new Set(regions).size !== regions.length)
    throw new UsageError(`a region is named twice: ${regions.join(', ')}`);
  const ports = await distinctFreePorts(regions.length * 2);
  return regions.map((region, i) => ({
    region,
    dataDir: join(resolve(dir), region),
    port: ports[2 * i] ?? 0,
    kinesisPort: ports[2 * i + 1] ?? 0,
  }));
}

/** The environment `npm start` gets to play `plan`'s region among `plans`. */
export function regionEnvironment(
  plan: RegionPlan,
  plans: readonly RegionPlan[],
  keysFile: string,
  devKey: string,
): Record<string, string> {
  const streams = Object.fromEntries(
    plans.filter((p) => p.region !== plan.region).map((p) => [p.region, `http://127.0.0.1:${p.kinesisPort}`]),
  );
  return {
    EVALFORGE_REGION: plan.region,
    EVALFORGE_KEYS_FILE: keysFile,
    EVALFORGE_KINESIS_PORT: String(plan.kinesisPort),
    EVALFORGE_REGION_STREAMS: JSON.stringify(streams),
    // One dev key for every region, registered before they start: no two processes write the key file.
    EVALFORGE_API_KEY: devKey,
  };
}

async function savedKey(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The key file's keys: project `proj-<region>` homed in each region, and a dev key without a home
 * region. Each key is saved under `<dir>/keys/`; a key saved by an earlier run that still works is
 * used again.
 */
export async function ensureRegionKeys(
  dir: string,
  keysFile: string,
  regions: readonly string[],
  now: Date,
): Promise<{ projects: RegionProject[]; devKey: string }> {
  const store = new FileKeyStore(keysFile);
  const keyDir = join(dir, 'keys');
  await mkdir(keyDir, { recursive: true, mode: 0o700 });
  const ensure = async (projectId: string, homeRegion: string | undefined): Promise<string> => {
    const file = join(keyDir, `${projectId}.key`);
    const saved = await savedKey(file);
    if (saved !== undefined) {
      const auth = await authenticate(store, `Bearer ${saved}`);
      if (auth.ok && auth.projectId === projectId && auth.homeRegion === homeRegion) return saved;
    }
    const created = newApiKey(projectId, now, homeRegion);
    await store.put(created.record);
    await writeFile(file, `${created.key}\n`, { mode: 0o600 });
    return created.key;
  };
  const projects: RegionProject[] = [];
  for (const region of regions) {
    const projectId = projectOf(region);
    const key = await ensure(projectId, region);
    projects.push({ region, projectId, key, keyFile: join(keyDir, `${projectId}.key`) });
  }
  return { projects, devKey: await ensure(DEV_PROJECT, undefined) };
}

export interface LocalRegionsOptions {
  /** Holds a data directory per region, the shared key file and the saved keys. */
  readonly dir: string;
  /** @default DEFAULT_REGIONS */
  readonly regions?: readonly string[];
  /** The router's port. @default 0 - a free port */
  readonly routerPort?: number;
  /** More environment for every region (EVALFORGE_SHARDS…). */
  readonly env?: Readonly<Record<string, string>>;
  /** The router's health checks. @default 300 */
  readonly healthIntervalMs?: number;
  /** Regions in process groups of their own, stopped by this process only. @default false */
  readonly ownProcessGroups?: boolean;
  readonly log?: (line: string) => void;
  readonly now?: () => Date;
}

/** Regions started, their router, and the means to take a region down and bring it back. */
export class LocalRegions {
  private readonly running = new Map<string, EvalForgeProcess>();

  private constructor(
    private readonly options: LocalRegionsOptions,
    readonly plans: readonly RegionPlan[],
    readonly keysFile: string,
    readonly projects: readonly RegionProject[],
    readonly devKey: string,
    readonly router: RegionRouter,
  ) {}

  /** Keys first, then every region at once, then the router once each region is ready. */
  static async start(options: LocalRegionsOptions): Promise<LocalRegions> {
    const dir = resolve(options.dir);
    await ensurePrivateDir(dir);
    const regions = options.regions ?? DEFAULT_REGIONS;
    const plans = await planRegions(dir, regions);
    const keysFile = join(dir, 'keys.json');
    const { projects, devKey } = await ensureRegionKeys(
      dir,
      keysFile,
      regions,
      (options.now ?? (() => new Date()))(),
    );
    const log = options.log ?? (() => undefined);
    const started = await Promise.allSettled(
      plans.map((plan) => LocalRegions.spawn(options, plan, plans, keysFile, devKey)),
    );
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) {
      for (const s of started) if (s.status === 'fulfilled') s.value.child.kill('SIGKILL');
      throw (failed as PromiseRejectedResult).reason;
    }
    const router = await startRegionRouter({
      regions: plans.map((p) => ({ region: p.region, url: `http://127.0.0.1:${p.port}` })),
      port: options.routerPort ?? 0,
      healthIntervalMs: options.healthIntervalMs ?? 300,
      log,
    });
    const regionsRunning = new LocalRegions(options, plans, keysFile, projects, devKey, router);
    started.forEach((s, i) => {
      const plan = plans[i];
      if (s.status === 'fulfilled' && plan) regionsRunning.running.set(plan.region, s.value);
    });
    return regionsRunning;
  }

  private static spawn(
    options: LocalRegionsOptions,
    plan: RegionPlan,
    plans: readonly RegionPlan[],
    keysFile: string,
    devKey: string,
  ): Promise<EvalForgeProcess> {
    return startEvalForgeProcess({
      dataDir: plan.dataDir,
      port: plan.port,
      env: { ...options.env, ...regionEnvironment(plan, plans, keysFile, devKey) },
      ownProcessGroup: options.ownProcessGroups ?? false,
    });
  }

  plan(region: string): RegionPlan {
    const plan = this.plans.find((p) => p.region === region);
    if (!plan)
      throw new Error(
        `no region ${region} in this simulation (${this.plans.map((p) => p.region).join(', ')})`,
      );
    return plan;
  }

  /** The region's own API, not through the router. */
  url(region: string): string {
    return `http://127.0.0.1:${this.plan(region).port}`;
  }

  project(region: string): RegionProject {
    const project = this.projects.find((p) => p.region === region);
    if (!project) throw new Error(`no project homed in ${region}`);
    return project;
  }

  process(region: string): EvalForgeProcess | undefined {
    return this.running.get(region);
  }

  /** Whether the region's process runs. */
  isUp(region: string): boolean {
    const child = this.running.get(region)?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** An outage: SIGKILL, nothing drained; resolves once the process is gone. */
  async kill(region: string): Promise<void> {
    const running = this.running.get(region);
    if (!running) return;
    if (this.isUp(region)) running.child.kill('SIGKILL');
    await running.exited();
  }

  /** Starts the region again, on the same data directory and ports; resolves once it serves. */
  async restart(region: string): Promise<EvalForgeProcess> {
    if (this.isUp(region)) throw new Error(`${region} is running`);
    const started = await LocalRegions.spawn(
      this.options,
      this.plan(region),
      this.plans,
      this.keysFile,
      this.devKey,
    );
    this.running.set(region, started);
    return started;
  }

  /**
   * Stops every region, then the router. With `drain` (the default) each is sent SIGINT and loads,
   * archives and forwards what it accepted before it exits (a forwarder whose home region is
   * already stopped leaves those records for the next start); without, SIGKILL.
   * Resolves with each region's exit code.
   */
  async stop(options: { drain: boolean } = { drain: true }): Promise<Record<string, number | null>> {
    const codes: Record<string, number | null> = {};
    await Promise.all(
      [...this.running.entries()].map(async ([region, running]) => {
        if (this.isUp(region)) running.child.kill(options.drain ? 'SIGINT' : 'SIGKILL');
        codes[region] = await running.exited();
      }),
    );
    await this.router.close();
    return codes;
  }
}

export const USAGE = `Usage: npm run regions -- [options]

Starts one npm start per region, each with its own data directory and ports, sharing one key
file that homes project proj-<region> in each region, and a router in front of them that sends
each request to the client's nearest healthy region (header ${CLIENT_REGION_HEADER}; the first
region when it is absent).

Options:
  --regions <a,b,…>   the regions, 2 or 3 (default ${DEFAULT_REGIONS.join(',')})
  --port <port>       the router's port (default 8080)
  -h, --help          show this help
Environment: EVALFORGE_DATA_DIR (default .evalforge-regions) holds every region's data.

While it runs, type "down <region>" (SIGKILL, an outage), "up <region>" (start it again) or
"status"; Ctrl-C stops every region after it loaded and forwarded what it accepted.`;

async function main(): Promise<void> {
  const { values } = parseFlags({
    options: { ...stringFlags('regions', 'port'), ...HELP_FLAG },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const regions = (values.regions ?? DEFAULT_REGIONS.join(',')).split(',').map((r) => r.trim());
  if (regions.length < 2 || regions.length > 3) throw new UsageError('--regions takes 2 or 3 regions');
  const routerPort = values.port === undefined ? 8080 : readWholeNumber(values.port, 0, 65_535);
  if (routerPort === undefined) throw new UsageError(`--port must be a port number; got ${values.port}`);
  const dir = resolve(process.env.EVALFORGE_DATA_DIR ?? '.evalforge-regions');
  const log = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  log(`starting ${regions.join(', ')} in ${dir}…`);
  const sim = await LocalRegions.start({ dir, regions, routerPort, ownProcessGroups: true, log });
  const url = sim.router.url;
  const lines = sim.plans.map((p) => {
    const project = sim.project(p.region);
    return `  ${p.region.padEnd(15)} API http://127.0.0.1:${p.port}  Kinesis http://127.0.0.1:${p.kinesisPort}  data ${p.dataDir}\n  ${''.padEnd(15)} project ${project.projectId}, key in ${project.keyFile}`;
  });
  const [first, second] = sim.projects;
  console.log(`
Regions ready, router at ${url}:
${lines.join('\n')}

Send an event of ${second?.projectId} as a client in ${first?.region} (accepted there, stored in ${second?.region}):
  curl -s ${url}/v1/events -H "${CLIENT_REGION_HEADER}: ${first?.region}" \\
    -H "Authorization: Bearer $(cat ${shellWord(second?.keyFile ?? '')})" -H 'content-type: application/json' \\
    -d '{"events":[{"trace_id":"'$(openssl rand -hex 16)'","span_id":"'$(openssl rand -hex 8)'","timestamp":"'$(date -u +%FT%TZ)'","model":"gpt-4o-mini","latency_ms":420}]}'
Read it back from its home region:
  curl -s "http://127.0.0.1:${sim.plan(second?.region ?? '').port}/v1/calls?window=15m" -H "Authorization: Bearer $(cat ${shellWord(second?.keyFile ?? '')})"

Type "down <region>", "up <region>" or "status". Ctrl-C stops every region.
`);

  const input = createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const [command, region] = line.trim().split(/\s+/);
    const run = async () => {
      if (command === 'status') {
        for (const h of sim.router.health()) {
          log(
            `${h.region}: ${sim.isUp(h.region) ? 'running' : 'down'}, router sees it ${h.healthy ? 'healthy' : 'unhealthy'}, ${h.requests} requests routed`,
          );
        }
      } else if (command === 'down' && region) {
        await sim.kill(region);
        log(
          `${region} killed (SIGKILL): its clients go to the next region, its projects' events wait in transit`,
        );
      } else if (command === 'up' && region) {
        log(`starting ${region} again…`);
        await sim.restart(region);
        log(`${region} is back: the other regions' forwarders deliver what waited for it`);
      } else if (command !== '' && command !== undefined) {
        log('commands: down <region>, up <region>, status');
      }
    };
    run().catch((error: unknown) => log(`${command}: ${(error as Error).message}`));
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    input.close();
    log('stopping every region after it loaded and forwarded what it accepted…');
    sim
      .stop({ drain: true })
      .then((codes) => {
        log(
          `stopped: ${Object.entries(codes)
            .map(([r, c]) => `${r} exit ${c}`)
            .join(', ')}`,
        );
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error(`regions: stopping failed: ${(error as Error).message}`);
        process.exit(1);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isMainModule(import.meta.url)) {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`regions: ${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`regions: ${(error as Error).message}`);
    process.exit(1);
  });
}
