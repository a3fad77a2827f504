import type { OtlpAnyValue, OtlpKeyValue } from './otlp-types.js';

/** An attribute value as JSON: `null` is the empty `AnyValue`. */
export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

/**
 * An `AnyValue` as JSON: int64 as a number when it is a safe integer and as its decimal text
 * otherwise; NaN and infinities as their names; bytes as base64; a key-value list as an object
 * (a key given twice keeps the last, as OpenTelemetry SDKs do).
 */
export function attributeValue(value: OtlpAnyValue | null | undefined): AttributeValue {
  if (!value) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) {
    const n = Number(value.intValue);
    return Number.isSafeInteger(n) ? n : value.intValue;
  }
  if (value.doubleValue !== undefined) {
    return Number.isFinite(value.doubleValue) ? value.doubleValue : String(value.doubleValue);
  }
  if (value.arrayValue) return value.arrayValue.values.map(attributeValue);
  if (value.kvlistValue) return attributeObject(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue).toString('base64');
  return null;
}

export function attributeObject(list: readonly OtlpKeyValue[]): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of list) {
    if (kv.key === '__proto__') continue;
    out[kv.key] = attributeValue(kv.value);
  }
  return out;
}

/**
 * A span's attributes as a map that remembers which ones were mapped to event fields: what is
 * left goes to metadata.
 */
export class AttributeBag {
  private readonly values = new Map<string, AttributeValue>();
  private readonly taken = new Set<string>();

  constructor(list: readonly OtlpKeyValue[]) {
    for (const kv of list) this.values.set(kv.key, attributeValue(kv.value));
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** The value without taking it. */
  peek(key: string): AttributeValue | undefined {
    return this.values.get(key);
  }

  /** The value, marked as mapped to a field. */
  take(key: string): AttributeValue | undefined {
    if (!this.values.has(key)) return undefined;
    this.taken.add(key);
    return this.values.get(key);
  }

  /** Keys starting with `prefix`, in the order they were sent. */
  keysWithPrefix(prefix: string): string[] {
    return [...this.values.keys()].filter((k) => k.startsWith(prefix));
  }

  /** Every attribute not mapped to a field. */
  rest(): [string, AttributeValue][] {
    return [...this.values].filter(([k]) => !this.taken.has(k));
  }
}
