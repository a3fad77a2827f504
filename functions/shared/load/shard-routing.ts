/**
 * Which shard owns a project, exactly as ClickHouse's `Distributed(…, cityHash64(project_id))`
 * picks it with every shard at weight 1: `cityHash64(project_id) % shards`. ClickHouse's
 * `cityHash64` of one String is CityHash64 v1.0.2 (its `contrib/cityhash102`) of the UTF-8 bytes;
 * a test holds this port to the embedded engine's own answers.
 */

const M64 = (1n << 64n) - 1n;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;
const k3 = 0xc949d7c7509e6557n;
const kMul = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint) => (a * b) & M64;
const add = (...xs: bigint[]) => xs.reduce((s, x) => s + x, 0n) & M64;
const sub = (a: bigint, b: bigint) => (a - b) & M64;
const rotate = (v: bigint, shift: number) =>
  shift === 0 ? v : ((v >> BigInt(shift)) | (v << BigInt(64 - shift))) & M64;
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, kMul);
  a ^= a >> 47n;
  let b = mul(v ^ a, kMul);
  b ^= b >> 47n;
  return mul(b, kMul);
}

function hashLen0to16(s: Buffer, f64: (at: number) => bigint): bigint {
  const len = s.length;
  if (len > 8) {
    const a = f64(0);
    const b = f64(len - 8);
    return hashLen16(a, rotate(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = BigInt(s.readUInt32LE(0));
    return hashLen16(add(BigInt(len), a << 3n), BigInt(s.readUInt32LE(len - 4)));
  }
  if (len > 0) {
    const a = s[0] as number;
    const b = s[len >> 1] as number;
    const c = s[len - 1] as number;
    const y = BigInt((a + (b << 8)) >>> 0);
    const z = BigInt((len + (c << 2)) >>> 0);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2);
  }
  return k2;
}

function hashLen17to32(len: number, f64: (at: number) => bigint): bigint {
  const a = mul(f64(0), k1);
  const b = f64(8);
  const c = mul(f64(len - 8), k2);
  const d = mul(f64(len - 16), k0);
  return hashLen16(
    add(rotate(sub(a, b), 43), rotate(c, 30), d),
    sub(add(a, rotate(b ^ k3, 20), BigInt(len)), c),
  );
}

function hashLen33to64(len: number, f64: (at: number) => bigint): bigint {
  let z = f64(24);
  let a = add(f64(0), mul(add(BigInt(len), f64(len - 16)), k0));
  let b = rotate(add(a, z), 52);
  let c = rotate(a, 37);
  a = add(a, f64(8));
  c = add(c, rotate(a, 7));
  a = add(a, f64(16));
  const vf = add(a, z);
  const vs = add(b, rotate(a, 31), c);
  a = add(f64(16), f64(len - 32));
  z = f64(len - 8);
  b = rotate(add(a, z), 52);
  c = rotate(a, 37);
  a = add(a, f64(len - 24));
  c = add(c, rotate(a, 7));
  a = add(a, f64(len - 16));
  const wf = add(a, z);
  const ws = add(b, rotate(a, 31), c);
  const r = shiftMix(add(mul(add(vf, ws), k2), mul(add(wf, vs), k0)));
  return mul(shiftMix(add(mul(r, k0), vs)), k2);
}

function weakHashLen32WithSeeds(f64: (at: number) => bigint, at: number, seedA: bigint, seedB: bigint) {
  const w = f64(at);
  const x = f64(at + 8);
  const y = f64(at + 16);
  const z = f64(at + 24);
  let a = add(seedA, w);
  let b = rotate(add(seedB, a, z), 21);
  const c = a;
  a = add(a, x, y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)] as const;
}

/** CityHash64 v1.0.2 of `input` (a string is hashed as its UTF-8 bytes), as ClickHouse's `cityHash64` answers it. */
export function cityHash64(input: string | Buffer): bigint {
  const s = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const f64 = (at: number) => s.readBigUInt64LE(at);
  const length = s.length;
  if (length <= 16) return hashLen0to16(s, f64);
  if (length <= 32) return hashLen17to32(length, f64);
  if (length <= 64) return hashLen33to64(length, f64);

  let x = f64(0);
  let y = f64(length - 16) ^ k1;
  let z = f64(length - 56) ^ k0;
  let v = weakHashLen32WithSeeds(f64, length - 64, BigInt(length), y);
  let w = weakHashLen32WithSeeds(f64, length - 32, mul(BigInt(length), k1), k0);
  z = add(z, mul(shiftMix(v[1]), k1));
  x = mul(rotate(add(z, x), 39), k1);
  y = mul(rotate(y, 33), k1);
  let at = 0;
  let left = (length - 1) & ~63;
  do {
    x = mul(rotate(add(x, y, v[0], f64(at + 16)), 37), k1);
    y = mul(rotate(add(y, v[1], f64(at + 48)), 42), k1);
    x ^= w[1];
    y ^= v[0];
    z = rotate(z ^ w[0], 33);
    v = weakHashLen32WithSeeds(f64, at, mul(v[1], k1), add(x, w[0]));
    w = weakHashLen32WithSeeds(f64, at + 32, add(z, w[1]), y);
    [z, x] = [x, z];
    at += 64;
    left -= 64;
  } while (left !== 0);
  return hashLen16(add(hashLen16(v[0], w[0]), mul(shiftMix(y), k1), z), add(hashLen16(v[1], w[1]), x));
}

/** The index (0-based) of the shard that owns `projectId` among `shards` shards of equal weight. */
export function shardOf(projectId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RangeError(`shards must be a positive integer, not ${shards}`);
  return Number(cityHash64(projectId) % BigInt(shards));
}
