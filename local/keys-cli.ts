import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { HELP_FLAG, parseFlags, stringFlags, UsageError } from '../cli/flags.js';
import { isMainModule } from '../cli/main-module.js';
import {
  API_KEY_PATTERN,
  type ApiKeyRecord,
  hashApiKey,
  type KeyAdmin,
  newApiKey,
  REGION_PATTERN,
} from '../functions/shared/auth/api-keys.js';
import { DynamoDbKeyStore } from '../functions/shared/auth/key-store-dynamodb.js';
import { FileKeyStore } from '../functions/shared/auth/key-store-file.js';
import { PROJECT_ID_PATTERN } from '../functions/shared/contract/event.js';

/**
 * `npm run keys -- <create|revoke|list>`: manages API keys in the local key file (what
 * `npm start` authenticates against) or in a deployment's DynamoDB table.
 */

/** The key file used when neither `--file`, `--table` nor their env vars say otherwise. */
export const DEFAULT_KEYS_FILE = '.evalforge/keys.json';

export const USAGE = `Usage: npm run keys -- <command> [options]

Commands:
  create --project <id> [--home-region <region>]
                           create an API key for a project; the key is printed once, only its hash is
                           stored. --home-region: in a deployment across regions, the region whose
                           store keeps the project's events (default: the region that accepts them)
  revoke --key-id <id>     revoke a key by its key id
  revoke --key <api key>   revoke a key given the whole key
  list [--project <id>]    list keys: key id, project, home region, created, revoked

Key store (default: the local file ${DEFAULT_KEYS_FILE} under the current directory):
  --file <path>            a local key file; env EVALFORGE_KEYS_FILE
  --table <name>           a DynamoDB table, with the default AWS credentials and region;
                           env EVALFORGE_KEYS_TABLE
  -h, --help               show this help
`;

export type KeyStoreLocation =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'dynamodb'; readonly tableName: string };

/** Where output goes: `process.stdout` or anything with a `write`. */
export interface TextSink {
  write(text: string): unknown;
}

export interface KeysCommandDeps {
  /** Opens the key store the arguments chose. */
  readonly openStore: (location: KeyStoreLocation) => KeyAdmin;
  readonly now: () => Date;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Read for EVALFORGE_KEYS_FILE and EVALFORGE_KEYS_TABLE. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Relative key file paths resolve against it. */
  readonly cwd: string;
}

type Command =
  | { readonly name: 'help' }
  | {
      readonly name: 'create';
      readonly location: KeyStoreLocation;
      readonly projectId: string;
      readonly homeRegion?: string;
    }
  | {
      readonly name: 'revoke';
      readonly location: KeyStoreLocation;
      readonly keyId: string;
      readonly key?: string;
    }
  | { readonly name: 'list'; readonly location: KeyStoreLocation; readonly projectId?: string };

const OPTIONS = {
  ...stringFlags('project', 'home-region', 'key-id', 'key', 'file', 'table'),
  ...HELP_FLAG,
} as const;

/** The options each command takes, besides the store options. */
const COMMAND_OPTIONS = {
  create: ['project', 'home-region'],
  revoke: ['key-id', 'key'],
  list: ['project'],
} as const satisfies Record<string, readonly (keyof typeof OPTIONS)[]>;

const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;

/** Runs one key command; returns the process exit code (0 ok, 1 failed, 2 bad arguments). */
export async function runKeysCommand(argv: readonly string[], deps: KeysCommandDeps): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv, deps);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.name === 'help') {
    deps.stdout.write(USAGE);
    return 0;
  }
  try {
    const store = deps.openStore(command.location);
    let text: string;
    switch (command.name) {
      case 'create':
        text = await create(store, command, deps.now);
        break;
      case 'revoke':
        text = await revoke(store, command, deps.now);
        break;
      case 'list':
        text = await list(store, command);
        break;
    }
    deps.stdout.write(text);
    return 0;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    deps.stderr.write(`error: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    return 1;
  }
}

function parseCommand(argv: readonly string[], deps: KeysCommandDeps): Command {
  const { values, positionals } = parseFlags({
    args: [...argv],
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { name: 'help' };
  const [name, ...extra] = positionals;
  if (name === undefined) throw new UsageError('missing command: create, revoke or list');
  if (!(name === 'create' || name === 'revoke' || name === 'list')) {
    throw new UsageError(`unknown command "${name}": use create, revoke or list`);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra.join(' ')}"`);
  const allowed: readonly string[] = COMMAND_OPTIONS[name];
  for (const option of Object.keys(values)) {
    if (option !== 'file' && option !== 'table' && !allowed.includes(option)) {
      throw new UsageError(`${name} does not take --${option}`);
    }
  }
  const location = storeLocation(values.file, values.table, deps);

  if (name === 'create') {
    if (values.project === undefined) throw new UsageError('create needs --project <id>');
    const homeRegion = values['home-region'];
    if (homeRegion !== undefined && !REGION_PATTERN.test(homeRegion)) {
      throw new UsageError(
        `--home-region "${homeRegion}" is not an AWS region name: regions look like us-east-1 or ap-southeast-1`,
      );
    }
    return {
      name,
      location,
      projectId: projectId(values.project),
      ...(homeRegion === undefined ? {} : { homeRegion }),
    };
  }
  if (name === 'list') {
    return values.project === undefined
      ? { name, location }
      : { name, location, projectId: projectId(values.project) };
  }
  const keyIdValue = values['key-id'];
  const key = values.key;
  if ((keyIdValue === undefined) === (key === undefined)) {
    throw new UsageError('revoke needs exactly one of --key-id <id> or --key <api key>');
  }
  if (key !== undefined) {
    const keyId = API_KEY_PATTERN.exec(key)?.[1];
    if (keyId === undefined) {
      throw new UsageError('--key is not an EvalForge API key: keys look like efk_<16 hex>_<43 characters>');
    }
    return { name, location, keyId, key };
  }
  if (keyIdValue === undefined || !KEY_ID_PATTERN.test(keyIdValue)) {
    throw new UsageError(
      `--key-id "${keyIdValue ?? ''}" is not a key id: key ids are 16 lowercase hex characters`,
    );
  }
  return { name, location, keyId: keyIdValue };
}

function projectId(value: string): string {
  if (!PROJECT_ID_PATTERN.test(value)) {
    throw new UsageError(
      `--project "${value}" is not a valid project id: 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return value;
}

/** Flags first, then env; a table and a file at the same level is ambiguous, so refused. */
function storeLocation(
  file: string | undefined,
  table: string | undefined,
  deps: KeysCommandDeps,
): KeyStoreLocation {
  if (file !== undefined && table !== undefined) throw new UsageError('use --file or --table, not both');
  if (file !== undefined || table !== undefined) return location(file, table, '--file', '--table', deps.cwd);
  const envFile = deps.env.EVALFORGE_KEYS_FILE || undefined;
  const envTable = deps.env.EVALFORGE_KEYS_TABLE || undefined;
  if (envFile !== undefined && envTable !== undefined) {
    throw new UsageError(
      'EVALFORGE_KEYS_FILE and EVALFORGE_KEYS_TABLE are both set: unset one, or pass --file or --table',
    );
  }
  if (envFile !== undefined || envTable !== undefined) {
    return location(envFile, envTable, 'EVALFORGE_KEYS_FILE', 'EVALFORGE_KEYS_TABLE', deps.cwd);
  }
  return { kind: 'file', path: resolve(deps.cwd, DEFAULT_KEYS_FILE) };
}

function location(
  file: string | undefined,
  table: string | undefined,
  fileName: string,
  tableName: string,
  cwd: string,
): KeyStoreLocation {
  if (table !== undefined) {
    if (table.trim() === '') throw new UsageError(`${tableName} must not be empty`);
    return { kind: 'dynamodb', tableName: table };
  }
  if (file === undefined || file.trim() === '') throw new UsageError(`${fileName} must not be empty`);
  return { kind: 'file', path: resolve(cwd, file) };
}

function describe(location: KeyStoreLocation): string {
  return location.kind === 'file' ? `key file ${location.path}` : `DynamoDB table ${location.tableName}`;
}

// Each command returns what it prints; a failure throws, and is printed as the error.

async function create(
  store: KeyAdmin,
  command: Extract<Command, { name: 'create' }>,
  now: () => Date,
): Promise<string> {
  const { key, record } = newApiKey(command.projectId, now(), command.homeRegion);
  await store.put(record);
  return [
    `Created an API key in ${describe(command.location)}.`,
    `  key id:  ${record.keyId}`,
    `  project: ${record.projectId}`,
    ...(record.homeRegion === undefined ? [] : [`  home:    ${record.homeRegion}`]),
    `  key:     ${key}`,
    'The key is shown this once and cannot be recovered: only its SHA-256 is stored.',
    '',
  ].join('\n');
}

async function revoke(
  store: KeyAdmin,
  command: Extract<Command, { name: 'revoke' }>,
  now: () => Date,
): Promise<string> {
  if (command.key !== undefined) {
    // The key id alone would do; checking the whole key catches a mistyped or foreign key.
    const existing = await store.findByKeyId(command.keyId);
    if (existing && existing.keyHash !== hashApiKey(command.key)) {
      throw new Error(
        `the key given is not API key ${command.keyId} in ${describe(command.location)} (its secret differs); nothing revoked`,
      );
    }
  }
  const revokedAt = now().toISOString();
  const record = await store.revoke(command.keyId, revokedAt);
  if (!record) throw new Error(`no API key ${command.keyId} in ${describe(command.location)}`);
  const when = record.revokedAt ?? revokedAt;
  return when === revokedAt
    ? `Revoked API key ${record.keyId} (project ${record.projectId}) at ${when}.\n`
    : `API key ${record.keyId} (project ${record.projectId}) was already revoked at ${when}.\n`;
}

async function list(store: KeyAdmin, command: Extract<Command, { name: 'list' }>): Promise<string> {
  const records = (await store.list())
    .filter((record) => command.projectId === undefined || record.projectId === command.projectId)
    .sort(byCreation);
  if (records.length === 0) {
    const scope = command.projectId === undefined ? '' : ` for project ${command.projectId}`;
    return `No API keys${scope} in ${describe(command.location)}.\n`;
  }
  const rows = [
    ['KEY ID', 'PROJECT', 'HOME', 'CREATED', 'REVOKED'],
    ...records.map((record) => [
      record.keyId,
      record.projectId,
      record.homeRegion ?? '-',
      record.createdAt,
      record.revokedAt ?? '-',
    ]),
  ];
  const widths = [0, 1, 2, 3].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd(),
  );
  return `${lines.join('\n')}\n`;
}

function byCreation(a: ApiKeyRecord, b: ApiKeyRecord): number {
  return a.createdAt.localeCompare(b.createdAt) || a.keyId.localeCompare(b.keyId);
}

/** The stores behind the command: the key file, or DynamoDB through the default AWS chain. */
export function openKeyStore(location: KeyStoreLocation): KeyAdmin {
  return location.kind === 'file'
    ? new FileKeyStore(location.path)
    : new DynamoDbKeyStore(new DynamoDBClient({}), location.tableName);
}

if (isMainModule(import.meta.url)) {
  const code = await runKeysCommand(process.argv.slice(2), {
    openStore: openKeyStore,
    now: () => new Date(),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  });
  process.exit(code);
}
