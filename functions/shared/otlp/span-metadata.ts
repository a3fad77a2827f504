import { EVENT_LIMITS } from '../contract/event.js';
import { normaliseMetadata } from '../contract/metadata.js';
import type { AttributeValue } from './attributes.js';

/** How many notes an event's metadata lists (`otlp.notes`); more are counted in the last one. */
export const MAX_NOTES = 8;
const MAX_NOTE_CHARS = 240;
/** Paths kept when metadata is over its byte limit: the span's own facts and the notes. */
const PROTECTED = new Set(['span.kind', 'span.status_code', 'span.status_message', 'otlp']);
const NUMBER_LIMIT = 2 ** 63;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depthOf(child));
  return deepest + 1;
}

/**
 * An event's metadata, built so that it is already in the store's model (the contract's
 * normalisation leaves it as it is) and within the contract's limits. What cannot be kept as
 * sent is not a reason to reject a span; it is changed or left out, and `otlp.notes` says what:
 *
 * - a dotted key is a path (`service.name` → `service` → `name`), as the contract stores it;
 * - a key path deeper than the contract's depth is left out; a structured value (list, map)
 *   that would end deeper, or that the store could not keep, is kept as its JSON text;
 * - two keys naming one path, or a path both a value and an object: the first is kept;
 * - empty values (null) are left out, as the contract leaves them out;
 * - past the byte limit, the largest values are left out first (never `span.kind`, the status
 *   or the notes).
 */
export class MetadataBuilder {
  private readonly root: JsonObject = {};
  private readonly notes: string[] = [];
  private extraNotes = 0;

  note(text: string): void {
    if (this.notes.length < MAX_NOTES) {
      this.notes.push(text.length > MAX_NOTE_CHARS ? `${text.slice(0, MAX_NOTE_CHARS - 1)}…` : text);
    } else {
      this.extraNotes++;
    }
  }

  /** Puts `value` at `base` followed by `key` split on its dots; notes name it by its label. */
  put(base: readonly string[], key: string, value: AttributeValue | undefined): void {
    if (value === null || value === undefined) return;
    // Most keys are one or a few segments and no __proto__: the common path allocates one array.
    const segments = key.includes('.') ? [...base, ...key.split('.')] : [...base, key];
    if (key.includes('__proto__') && segments.includes('__proto__')) {
      this.note(`${labelOf(base, key)}: the key "__proto__" is not kept`);
      return;
    }
    // The metadata object is level 1; the object holding the last segment is at segments.length.
    if (segments.length > EVENT_LIMITS.metadataMaxDepth) {
      this.note(
        `${labelOf(base, key)}: not kept, nested deeper than ${EVENT_LIMITS.metadataMaxDepth} levels`,
      );
      return;
    }
    const stored =
      typeof value === 'string' || typeof value === 'boolean'
        ? value
        : this.storeValue(value, segments.length, base, key);
    if (stored === undefined) return;
    let node = this.root;
    for (let i = 0; i < segments.length - 1; i++) {
      const segment = segments[i] as string;
      const next = Object.hasOwn(node, segment) ? node[segment] : undefined;
      if (next === undefined) {
        const child: JsonObject = {};
        node[segment] = child;
        node = child;
      } else if (isObject(next)) {
        node = next;
      } else {
        this.note(
          `${labelOf(base, key)}: not kept, ${segments.slice(0, i + 1).join('.')} is already a value`,
        );
        return;
      }
    }
    const last = segments[segments.length - 1] as string;
    if (Object.hasOwn(node, last)) {
      this.note(`${labelOf(base, key)}: not kept, the path is already given`);
      return;
    }
    node[last] = stored;
  }

  /** A value as the store keeps it, at a key held by an object of depth `holderDepth`. */
  private storeValue(
    value: AttributeValue,
    holderDepth: number,
    base: readonly string[],
    key: string,
  ): Json | undefined {
    if (typeof value === 'number') {
      return Number.isFinite(value) && Math.abs(value) < NUMBER_LIMIT ? value + 0 : String(value);
    }
    if (typeof value !== 'object' || value === null) return value;
    const wrapped = normaliseMetadata({ v: value as Json });
    const normalised = wrapped.ok ? (wrapped.value.v as Json | undefined) : undefined;
    if (wrapped.ok && normalised === undefined) return undefined; // an empty map
    if (wrapped.ok && holderDepth + depthOf(normalised) <= EVENT_LIMITS.metadataMaxDepth) return normalised;
    this.note(
      `${labelOf(base, key)}: kept as JSON text, ${wrapped.ok ? 'nested too deep' : wrapped.message.replace(/:.*$/s, '')}`,
    );
    return JSON.stringify(value);
  }

  /**
   * Puts what `fill` puts, from a copy of what it put in a builder of its own the first time it
   * was asked for `owner` (a span's resource, say, the same for every span of a request). The
   * copy is taken only when the builder holds none of its top-level keys yet, so that it is what
   * `fill` would have put here; otherwise `fill` puts it.
   */
  putShared(owner: object, fill: (meta: MetadataBuilder) => void): void {
    let shared = SHARED.get(owner);
    if (shared === undefined) {
      const own = new MetadataBuilder();
      fill(own);
      shared = { tree: own.root, notes: own.notes, extraNotes: own.extraNotes };
      SHARED.set(owner, shared);
    }
    const keys = Object.keys(shared.tree);
    if (keys.some((key) => Object.hasOwn(this.root, key))) {
      fill(this);
      return;
    }
    for (const key of keys) this.root[key] = copyJson(shared.tree[key] as Json);
    for (const text of shared.notes) this.note(text);
    this.extraNotes += shared.extraNotes;
  }

  /** The metadata, within the byte limit, with its notes. */
  build(): Record<string, unknown> {
    let result = this.withNotes();
    let bytes = byteLength(result);
    // Most spans fit: their values are neither measured nor sorted.
    if (bytes <= EVENT_LIMITS.metadataMaxBytes) return result;
    const leaves = collectLeaves(this.root, []).sort((a, b) => b.bytes - a.bytes);
    let next = 0;
    // Largest first, as many as the excess calls for at a time, then measured again: a note per
    // value left out also takes room.
    while (bytes > EVENT_LIMITS.metadataMaxBytes && next < leaves.length) {
      let freed = 0;
      while (next < leaves.length && freed < bytes - EVENT_LIMITS.metadataMaxBytes) {
        const leaf = leaves[next++] as Leaf;
        removeLeaf(this.root, leaf.path);
        freed += leaf.bytes - MAX_NOTE_CHARS;
        this.note(
          `${leaf.path.join('.')}: not kept, metadata is limited to ${EVENT_LIMITS.metadataMaxBytes} bytes`,
        );
      }
      result = this.withNotes();
      bytes = byteLength(result);
    }
    return result;
  }

  private withNotes(): Record<string, unknown> {
    if (this.notes.length === 0) return this.root;
    const notes = this.extraNotes ? [...this.notes, `and ${this.extraNotes} more`] : [...this.notes];
    const otlp = isObject(this.root.otlp) ? this.root.otlp : {};
    return { ...this.root, otlp: { ...otlp, notes } };
  }
}

/** What `putShared` put for an owner: the tree, and the notes it made and counted past the list. */
const SHARED = new WeakMap<
  object,
  { readonly tree: JsonObject; readonly notes: readonly string[]; readonly extraNotes: number }
>();

function copyJson(value: Json): Json {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(copyJson);
  const out: JsonObject = {};
  for (const key of Object.keys(value)) out[key] = copyJson(value[key] as Json);
  return out;
}

/** How notes name a value: its base and key, dotted. Written only for a note. */
function labelOf(base: readonly string[], key: string): string {
  return `${base.join('.')}${base.length ? '.' : ''}${key}`;
}

const byteLength = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

interface Leaf {
  readonly path: readonly string[];
  readonly bytes: number;
}

function collectLeaves(node: JsonObject, path: readonly string[]): Leaf[] {
  const leaves: Leaf[] = [];
  for (const [key, value] of Object.entries(node)) {
    const at = [...path, key];
    if (PROTECTED.has(at.join('.'))) continue;
    if (isObject(value)) leaves.push(...collectLeaves(value, at));
    else
      leaves.push({ path: at, bytes: Buffer.byteLength(JSON.stringify(value)) + Buffer.byteLength(key) + 4 });
  }
  return leaves;
}

function removeLeaf(root: JsonObject, path: readonly string[]): void {
  const parents: JsonObject[] = [];
  let node: JsonObject = root;
  for (const segment of path.slice(0, -1)) {
    parents.push(node);
    const next = node[segment];
    if (!isObject(next)) return;
    node = next;
  }
  delete node[path[path.length - 1] as string];
  // Objects left empty go too: the store keeps no path for them.
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = parents[i] as JsonObject;
    const child = parent[path[i] as string];
    if (isObject(child) && Object.keys(child).length === 0) delete parent[path[i] as string];
    else break;
  }
}
