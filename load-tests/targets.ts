import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../cli/free-port.js';
import { authenticate, newApiKey } from '../functions/shared/auth/api-keys.js';
import { FileKeyStore } from '../functions/shared/auth/key-store-file.js';
import { type EvalForgeProcess, startEvalForgeProcess } from '../local/evalforge-process.js';
import type { LoadProject } from './runner.js';

/**
 * Where a load goes: `npm start` started for the run (a fresh data directory, a free port, one key
 * per project), an `npm start` already running (keys made in its key file, which it re-reads), or
 * a deployed endpoint with the keys given.
 */

export interface Target {
  readonly url: string;
  readonly projects: readonly LoadProject[];
  /** What the report says the target was. */
  readonly description: string;
  /** The pipeline's process, when the run started it. */
  readonly pid?: number;
  /** Stops what the run started; nothing for a target it did not start. */
  stop(): Promise<void>;
}

/** The project ids a load's keys are made for on a local pipeline. */
export const loadProjectId = (index: number) => `load-${index + 1}`;

/** The file next to a local pipeline's key file where the load keeps its keys' plaintext (mode 0600). */
export const LOAD_KEYS_FILE = 'load-api-keys.json';

/**
 * Keys for `projects` load projects in a local pipeline's data directory: the ones an earlier run
 * saved when the key file still accepts them, new ones otherwise.
 */
export async function ensureLocalLoadKeys(dataDir: string, projects: number): Promise<LoadProject[]> {
  await mkdir(dataDir, { recursive: true });
  const store = new FileKeyStore(join(dataDir, 'keys.json'));
  const savedFile = join(dataDir, LOAD_KEYS_FILE);
  let saved: Record<string, string> = {};
  try {
    saved = JSON.parse(await readFile(savedFile, 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${savedFile} cannot be read (${(error as Error).message}); delete it to make new load keys`,
      );
    }
  }
  const result: LoadProject[] = [];
  let changed = false;
  for (let i = 0; i < projects; i++) {
    const projectId = loadProjectId(i);
    const existing = saved[projectId];
    const auth = existing ? await authenticate(store, `Bearer ${existing}`) : undefined;
    if (existing && auth?.ok && auth.projectId === projectId) {
      result.push({ apiKey: existing, label: projectId });
      continue;
    }
    const created = newApiKey(projectId, new Date());
    await store.put(created.record);
    saved[projectId] = created.key;
    changed = true;
    result.push({ apiKey: created.key, label: projectId });
  }
  if (changed) await writeFile(savedFile, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  return result;
}

/** How long a started pipeline may take to drain on Ctrl-C before it is killed. */
const DRAIN_TIMEOUT_MS = 60_000;

/** Starts `npm start` for the run; `stop()` drains it (Ctrl-C) and removes a data directory it made. */
export async function startLocalTarget(options: {
  readonly projects: number;
  /** @default a new temporary directory, removed at stop */
  readonly dataDir?: string;
  readonly port?: number;
  /** Each of the pipeline's status lines, as it prints them. */
  readonly onStatus?: (line: string) => void;
}): Promise<Target & { readonly process: EvalForgeProcess; readonly dataDir: string }> {
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'evalforge-load-')));
  const projects = await ensureLocalLoadKeys(dataDir, options.projects);
  const port = options.port ?? (await freePort());
  let started: EvalForgeProcess;
  try {
    started = await startEvalForgeProcess({
      dataDir,
      port,
      env: { EVALFORGE_STATUS_INTERVAL: '5' },
      ownProcessGroup: true,
    });
  } catch (error) {
    if (temporary) await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  started.child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n'))
      if (line.includes('ingest ')) options.onStatus?.(line.trim());
  });
  return {
    url: started.url,
    projects,
    description: `npm start on ${started.url} (data in ${dataDir})`,
    process: started,
    ...(started.child.pid === undefined ? {} : { pid: started.child.pid }),
    dataDir,
    async stop() {
      if (started.child.exitCode === null && started.child.signalCode === null) {
        started.child.kill('SIGINT');
        const timer = setTimeout(() => started.child.kill('SIGKILL'), DRAIN_TIMEOUT_MS);
        await started.exited();
        clearTimeout(timer);
      }
      if (temporary) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A pipeline already running (local or deployed), with the keys given or made in its data directory. */
export async function existingTarget(options: {
  readonly url: string;
  readonly apiKeys: readonly string[];
  /** For a local pipeline given no keys: its data directory, where the load's keys are made. */
  readonly dataDir?: string;
  readonly projects: number;
}): Promise<Target> {
  let projects: LoadProject[];
  if (options.apiKeys.length > 0) {
    projects = options.apiKeys.map((apiKey, i) => ({ apiKey, label: `key ${i + 1}` }));
  } else if (options.dataDir !== undefined) {
    projects = await ensureLocalLoadKeys(options.dataDir, options.projects);
  } else {
    throw new Error('--api-key: give one key per project for a target the load does not start');
  }
  return { url: options.url, projects, description: options.url, stop: async () => {} };
}
