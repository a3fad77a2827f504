import type { JsonPath } from './json-text.js';

/**
 * Metadata as the store keeps it. ClickHouse's `JSON` column reads an object as a set of paths:
 * a key with dots is a path (`{"a.b":1}` is `{"a":{"b":1}}`), a null or an empty object leaves
 * no path, and two keys naming the same path, or a path that is both a value and an object,
 * cannot be stored. The contract normalises metadata to that model before anything is
 * acknowledged, so what the engine stores is what the contract said, and what it cannot store
 * is rejected with the path at fault:
 *
 * - keys with dots are expanded into nested objects (`"a..b"` has an empty key between the dots);
 * - in objects, keys whose value is null or an object left empty are dropped; in arrays, nulls and
 *   empty objects stay (`[null, {}]`);
 * - lone UTF-16 surrogates in keys and strings become U+FFFD, as a UTF-8 encoder writes them;
 * - numbers must be finite with a magnitude below 2^63, the engine's 64-bit integers (larger values
 *   belong in a string); -0 becomes 0;
 * - `__proto__` is refused as a key: JavaScript readers would take it for the object's prototype.
 */

/** Magnitudes from here on are past the engine's Int64 and would be refused or rounded. */
const METADATA_NUMBER_LIMIT = 2 ** 63;

export type MetadataResult =
  | {
      readonly ok: true;
      readonly value: Record<string, unknown>;
      /** Whether the value differs from the input (so the client's text is not what is stored). */
      readonly changed: boolean;
    }
  | { readonly ok: false; readonly path: JsonPath; readonly message: string };

class MetadataProblem extends Error {
  constructor(
    readonly path: JsonPath,
    message: string,
  ) {
    super(message);
  }
}

const DROP = Symbol('drop');

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

interface State {
  changed: boolean;
}

function normaliseString(value: string, state: State): string {
  if (value.isWellFormed()) return value;
  state.changed = true;
  return value.toWellFormed();
}

function normaliseValue(value: unknown, path: JsonPath, state: State, inArray: boolean): unknown {
  if (value === null) {
    if (inArray) return null;
    state.changed = true;
    return DROP;
  }
  switch (typeof value) {
    case 'string':
      return normaliseString(value, state);
    case 'boolean':
      return value;
    case 'number': {
      if (!Number.isFinite(value) || Math.abs(value) >= METADATA_NUMBER_LIMIT) {
        const what = Number.isFinite(value)
          ? `${value} is too large`
          : 'is past the largest number JSON readers hold';
        throw new MetadataProblem(
          path,
          `${what}: metadata numbers must be below 2^63 (9223372036854775808) in magnitude; send larger values as strings`,
        );
      }
      if (Object.is(value, -0)) {
        state.changed = true;
        return 0;
      }
      return value;
    }
    case 'object': {
      if (Array.isArray(value))
        return value.map((item, i) => normaliseValue(item, [...path, i], state, true));
      const object = normaliseObject(value as Record<string, unknown>, path, state);
      if (!inArray && Object.keys(object).length === 0) {
        state.changed = true;
        return DROP;
      }
      return object;
    }
    default:
      throw new MetadataProblem(path, `must be JSON: ${typeof value} is not a JSON value`);
  }
}

function collision(path: JsonPath): MetadataProblem {
  return new MetadataProblem(
    path,
    'is given twice: keys with dots are paths ("a.b" is "b" inside "a"), and two keys here name this same path or make it both a value and an object; keep one',
  );
}

/** Puts `value` at `segments` under `target`, merging objects and refusing any other overlap. */
function place(
  target: Record<string, unknown>,
  segments: readonly string[],
  value: unknown,
  base: JsonPath,
): void {
  let node = target;
  const path: (string | number)[] = [...base];
  for (let i = 0; i < segments.length; i++) {
    const key = segments[i] as string;
    path.push(key);
    const last = i === segments.length - 1;
    const existing = Object.hasOwn(node, key) ? node[key] : undefined;
    if (last) {
      if (existing === undefined) node[key] = value;
      else if (isPlainObject(existing) && isPlainObject(value)) merge(existing, value, path);
      else throw collision(path);
      return;
    }
    if (existing === undefined) {
      const child: Record<string, unknown> = {};
      node[key] = child;
      node = child;
    } else if (isPlainObject(existing)) {
      node = existing;
    } else {
      throw collision(path);
    }
  }
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>, path: JsonPath): void {
  for (const [key, value] of Object.entries(source)) place(target, [key], value, path);
}

function normaliseObject(
  object: Record<string, unknown>,
  path: JsonPath,
  state: State,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [rawKey, rawValue] of Object.entries(object)) {
    const key = normaliseString(rawKey, state);
    const segments = key.includes('.') ? key.split('.') : [key];
    if (segments.length > 1) state.changed = true;
    if (segments.includes('__proto__')) {
      throw new MetadataProblem(
        [...path, key],
        'the key "__proto__" is not accepted: JavaScript readers take it for an object\'s prototype',
      );
    }
    const value = normaliseValue(rawValue, [...path, ...segments], state, false);
    if (value === DROP) continue;
    place(out, segments, value, path);
  }
  return out;
}

/**
 * Whether normalising would leave this value as it is (and find nothing to reject): no dotted or
 * `__proto__` key, no null or empty object outside arrays, every string whole, every number in
 * range. Checked first without allocating, as almost all metadata is already in the store's model.
 */
function isFixedPoint(value: unknown, inArray: boolean): boolean {
  if (value === null) return inArray;
  switch (typeof value) {
    case 'string':
      return value.isWellFormed();
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && Math.abs(value) < METADATA_NUMBER_LIMIT && !Object.is(value, -0);
    case 'object': {
      if (Array.isArray(value)) {
        for (const item of value) if (!isFixedPoint(item, true)) return false;
        return true;
      }
      let keys = 0;
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        keys++;
        if (key.includes('.') || key === '__proto__' || !key.isWellFormed()) return false;
        if (!isFixedPoint((value as Record<string, unknown>)[key], false)) return false;
      }
      return keys > 0 || inArray;
    }
    default:
      return false;
  }
}

/** Metadata as the store keeps it, or the path at fault and why. `metadata` is a parsed JSON object. */
export function normaliseMetadata(metadata: Record<string, unknown>): MetadataResult {
  // As an object in an array, the metadata object may be empty ({} is the default).
  if (isFixedPoint(metadata, true)) return { ok: true, value: metadata, changed: false };
  const state: State = { changed: false };
  try {
    const value = normaliseObject(metadata, [], state);
    return { ok: true, value, changed: state.changed };
  } catch (error) {
    if (error instanceof MetadataProblem) return { ok: false, path: error.path, message: error.message };
    throw error;
  }
}
