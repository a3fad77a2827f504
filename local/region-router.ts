import {
  Agent,
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { HEALTH_PATH } from '../functions/shared/http.js';

/**
 * The local stand-in for Route 53 latency routing with health checks, in front of the `npm start`
 * processes that play the regions: each request goes to the client's nearest healthy region. A
 * client says where it is with `x-evalforge-client-region` (the first region when it does not);
 * its own region is the nearest, then the others in the order given.
 */
export const CLIENT_REGION_HEADER = 'x-evalforge-client-region';
/** Set on every answer: the region that gave it. */
export const SERVED_BY_HEADER = 'x-evalforge-region';

export interface RegionTarget {
  /** An AWS region name, e.g. `us-east-1`. */
  readonly region: string;
  /** The region's API, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
}

export interface RegionRouterOptions {
  /** In order of preference after the client's own region; the first is the default client region. */
  readonly regions: readonly RegionTarget[];
  /** @default 0 - a free port */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** How often each region's `GET /v1/health` is called. @default 300 */
  readonly healthIntervalMs?: number;
  /** A check not answered within this fails. @default 1000 */
  readonly healthTimeoutMs?: number;
  /**
   * Failed checks in a row that take a region out (Route 53's failure threshold); a refused
   * connection takes it out at once, and one passing check brings it back. @default 2
   */
  readonly failureThreshold?: number;
  /**
   * Request bodies up to this size are kept while they are sent, so a request whose region
   * failed before answering can be sent to the next one. @default 16 MiB
   */
  readonly maxReplayBytes?: number;
  readonly log?: (line: string) => void;
}

export interface RegionHealth {
  readonly region: string;
  readonly healthy: boolean;
  /** Checks failed in a row. */
  readonly failures: number;
  /** Requests this router sent there. */
  readonly requests: number;
}

export interface RegionRouter {
  readonly url: string;
  readonly port: number;
  health(): RegionHealth[];
  /** Resolves after the next check of every region has finished. */
  checked(): Promise<void>;
  close(): Promise<void>;
}

interface RegionState {
  readonly target: RegionTarget;
  readonly agent: Agent;
  healthy: boolean;
  failures: number;
  requests: number;
}

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/** The regions a client in `clientRegion` is sent to, nearest first: its own, then the others in order. */
export function regionOrder(regions: readonly string[], clientRegion: string | undefined): string[] {
  const own = clientRegion ?? regions[0];
  return own === undefined ? [] : [own, ...regions.filter((r) => r !== own)];
}

/** Connection errors after which nobody answered: the region is down, not merely slow. */
const REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Starts the router on loopback. Bodies stream both ways; status and headers pass through. A
 * request whose connection to a region fails before any byte of the answer is sent once to the
 * next healthy region (the SDK's Idempotency-Key makes the resend safe, and the loader drops a
 * request it already has). With no healthy region the answer is 503 with Retry-After.
 */
export async function startRegionRouter(options: RegionRouterOptions): Promise<RegionRouter> {
  if (options.regions.length === 0) throw new Error('the region router needs at least one region');
  const names = options.regions.map((r) => r.region);
  if (new Set(names).size !== names.length) throw new Error(`regions named twice: ${names.join(', ')}`);
  const log = options.log ?? (() => undefined);
  const intervalMs = options.healthIntervalMs ?? 300;
  const timeoutMs = options.healthTimeoutMs ?? 1_000;
  const threshold = options.failureThreshold ?? 2;
  const maxReplayBytes = options.maxReplayBytes ?? 16 * 1024 * 1024;
  const states = new Map<string, RegionState>(
    options.regions.map((target) => [
      target.region,
      {
        target,
        agent: new Agent({ keepAlive: true, maxSockets: 64 }),
        healthy: true,
        failures: 0,
        requests: 0,
      },
    ]),
  );

  const markDown = (state: RegionState, reason: string) => {
    if (state.healthy)
      log(`router: ${state.target.region} is unhealthy (${reason}); skipped until it passes`);
    state.healthy = false;
  };
  const markUp = (state: RegionState) => {
    if (!state.healthy) log(`router: ${state.target.region} is healthy again`);
    state.healthy = true;
    state.failures = 0;
  };

  const check = (state: RegionState): Promise<void> =>
    new Promise((resolve) => {
      const url = new URL(HEALTH_PATH, state.target.url);
      let settled = false;
      const done = (ok: boolean, reason: string, refused = false) => {
        if (settled) return;
        settled = true;
        if (ok) markUp(state);
        else {
          state.failures++;
          if (refused || state.failures >= threshold) markDown(state, reason);
        }
        resolve();
      };
      // A connection of its own: a check must not wait behind requests on the pooled sockets.
      const req = httpRequest(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        const ok = res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 400;
        done(ok, `GET ${HEALTH_PATH} answered ${res.statusCode}`);
      });
      req.on('timeout', () => {
        req.destroy();
        done(false, `GET ${HEALTH_PATH} not answered within ${timeoutMs} ms`);
      });
      req.on('error', (error: NodeJS.ErrnoException) =>
        done(false, error.code ?? error.message, REFUSED.has(error.code ?? '')),
      );
      req.end();
    });

  let round: Promise<void> = Promise.resolve();
  let roundsDone = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const checkAll = () => {
    round = Promise.all([...states.values()].map(check)).then(() => {
      roundsDone++;
    });
    void round.then(() => {
      if (!stopped) timer = setTimeout(checkAll, intervalMs);
    });
  };
  checkAll();
  await round;

  const server: Server = createServer((req, res) => route(req, res));

  function answer(res: ServerResponse, status: number, code: string, message: string, headers = {}): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { code, message } }));
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const asked = req.headers[CLIENT_REGION_HEADER];
    const clientRegion = Array.isArray(asked) ? asked[0] : asked;
    if (clientRegion !== undefined && !states.has(clientRegion)) {
      req.resume();
      answer(
        res,
        400,
        'unknown_client_region',
        `${CLIENT_REGION_HEADER} names no region of this router: ${JSON.stringify(clientRegion)}; the regions are ${names.join(', ')}`,
      );
      return;
    }
    const candidates = regionOrder(names, clientRegion)
      .map((name) => states.get(name))
      .filter((s): s is RegionState => s?.healthy === true);
    if (candidates.length === 0) {
      req.resume();
      answer(res, 503, 'no_healthy_region', `no region is healthy (${names.join(', ')}); retry later`, {
        'retry-after': '1',
      });
      return;
    }
    forward(req, res, candidates);
  }

  /** Sends the request to `candidates[0]`, and once to `candidates[1]` if no answer came back. */
  function forward(req: IncomingMessage, res: ServerResponse, candidates: readonly RegionState[]): void {
    const kept: Buffer[] = [];
    let keptBytes = 0;
    let replayable = true;
    let ended = false;
    let answered = false;
    let upstream: ClientRequest | undefined;

    req.on('data', (chunk: Buffer) => {
      if (replayable) {
        kept.push(chunk);
        keptBytes += chunk.length;
        if (keptBytes > maxReplayBytes) {
          replayable = false;
          kept.length = 0;
        }
      }
      if (upstream && !upstream.write(chunk)) {
        req.pause();
        upstream.once('drain', () => req.resume());
      }
    });
    req.on('end', () => {
      ended = true;
      upstream?.end();
    });
    // The client went away: so does the request to the region.
    res.on('close', () => {
      if (!res.writableFinished) upstream?.destroy();
    });

    const attempt = (index: number) => {
      const state = candidates[index];
      if (!state) return;
      state.requests++;
      const target = new URL(req.url ?? '/', state.target.url);
      const headers = { ...forwardable(req.headers), host: target.host };
      const up = httpRequest(target, { method: req.method, headers, agent: state.agent }, (upRes) => {
        answered = true;
        const passed = forwardable(upRes.headers);
        res.writeHead(upRes.statusCode ?? 502, { ...passed, [SERVED_BY_HEADER]: state.target.region });
        upRes.pipe(res);
        upRes.on('error', () => res.destroy());
      });
      upstream = up;
      up.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) {
          res.destroy(error);
          return;
        }
        const reason = error.code ?? error.message;
        if (REFUSED.has(error.code ?? '')) markDown(state, reason);
        const next = candidates[index + 1];
        if (index === 0 && next && replayable) {
          log(
            `router: ${state.target.region} failed a request before answering (${reason}); sent to ${next.target.region}`,
          );
          req.resume();
          attempt(index + 1);
          return;
        }
        req.resume();
        answer(
          res,
          502,
          'region_unreachable',
          `${state.target.region} failed before answering (${reason}); retry the request`,
          { 'retry-after': '1' },
        );
      });
      for (const chunk of kept) up.write(chunk);
      if (ended) up.end();
    };
    attempt(0);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as { port: number };
  const host = options.host ?? '127.0.0.1';

  return {
    url: `http://${host}:${port}`,
    port,
    health: () =>
      [...states.values()].map((s) => ({
        region: s.target.region,
        healthy: s.healthy,
        failures: s.failures,
        requests: s.requests,
      })),
    checked: async () => {
      // The round in flight may have begun before the caller's change: wait for the one after it.
      const target = roundsDone + 2;
      while (roundsDone < target && !stopped) await new Promise((r) => setTimeout(r, 10));
    },
    close: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await round;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      for (const s of states.values()) s.agent.destroy();
    },
  };
}
