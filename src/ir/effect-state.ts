/**
 * A stream's state between blocks as plain data (numbers, flags, strings, typed-array
 * copies, arrays and records of them), what `EffectStream.checkpoint()` returns and
 * `restore()` takes, and its byte encoding. The encoding is deterministic (the same state
 * gives the same bytes, so a checkpoint is a content-addressed object like any other) and
 * keeps every float's bits (−0, NaN), so a restored stream continues bit for bit.
 *
 * `captureFields` / `restoreFields` read and write the state of objects built from classes
 * (a delay line, a filter's integrators, a detector's deque): every own field that is data,
 * recursively, functions skipped. Restoring writes numbers back and copies arrays into the
 * arrays the object already holds, so the object keeps its identity and its buffers.
 */

export type EffectState =
  | number
  | boolean
  | string
  | null
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | readonly EffectState[]
  | { readonly [field: string]: EffectState };

/** A state that does not fit the stream it is given (another effect's, another version's): the caller renders from the start instead. */
export class StateMismatchError extends Error {
  constructor(readonly path: string, detail: string) {
    super(`state does not fit at '${path}': ${detail}`);
    this.name = 'StateMismatchError';
  }
}

type TypedArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** Typed arrays by their tag in the encoding; a tag's position never changes. */
const ARRAY_KINDS = [Float32Array, Float64Array, Int8Array, Int16Array, Int32Array, Uint8Array, Uint16Array, Uint32Array] as const;

function arrayKind(value: unknown): number {
  for (let k = 0; k < ARRAY_KINDS.length; k++) if (value instanceof ARRAY_KINDS[k]) return k;
  return -1;
}

/**
 * The data fields of `holder`, recursively: numbers, booleans, strings and null as they are,
 * typed arrays copied, arrays and objects walked. Functions are not state (they close over
 * objects reached through fields). `skip`: top-level fields left out (constant tables too
 * large to copy, e.g. an impulse response's spectrum).
 */
export function captureFields(holder: object, skip: readonly string[] = []): EffectState {
  return captureValue(holder, 'state', new Set(), skip);
}

function captureValue(value: unknown, path: string, open: Set<object>, skip: readonly string[] = []): EffectState {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value !== 'object') throw new StateMismatchError(path, `a ${typeof value} is not state data`);
  if (arrayKind(value) >= 0) return (value as TypedArray).slice();
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) throw new StateMismatchError(path, `${value.constructor.name} is not state data`);
  if (open.has(value)) throw new StateMismatchError(path, 'the object refers back to itself');
  open.add(value);
  try {
    if (Array.isArray(value)) return value.map((item, i) => captureValue(item, `${path}.${i}`, open));
    const record: Record<string, EffectState> = {};
    for (const [field, item] of Object.entries(value)) {
      if (typeof item === 'function' || skip.includes(field)) continue;
      record[field] = captureValue(item, `${path}.${field}`, open);
    }
    return record;
  } finally {
    open.delete(value);
  }
}

/** Write a state captured by `captureFields` (same `skip`) back into an object of the same shape. */
export function restoreFields(holder: object, state: EffectState, skip: readonly string[] = []): void {
  if (Array.isArray(holder)) restoreValue(holder, state, 'state');
  else restoreRecord(holder as Record<string, unknown>, state, 'state', skip);
}

function restoreRecord(target: Record<string, unknown>, state: EffectState, path: string, skip: readonly string[] = []): void {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || ArrayBuffer.isView(state)) throw new StateMismatchError(path, 'expected a record');
  const record = state as Record<string, EffectState>;
  const fields = Object.keys(target).filter((field) => typeof target[field] !== 'function' && !skip.includes(field));
  if (fields.length !== Object.keys(record).length) throw new StateMismatchError(path, `${Object.keys(record).length} fields for ${fields.length}`);
  for (const field of fields) {
    if (!(field in record)) throw new StateMismatchError(`${path}.${field}`, 'missing');
    const next = restoreValue(target[field], record[field], `${path}.${field}`);
    if (next !== target[field]) target[field] = next;
  }
}

/** The value to hold after restoring `state` over `current`: containers are filled in place and returned as they were. */
function restoreValue(current: unknown, state: EffectState, path: string): unknown {
  if (current === null || current === undefined) {
    if (state !== null) throw new StateMismatchError(path, 'expected nothing');
    return current;
  }
  if (typeof current === 'number' || typeof current === 'boolean' || typeof current === 'string') {
    if (typeof state !== typeof current) throw new StateMismatchError(path, `expected a ${typeof current}`);
    return state;
  }
  const kind = arrayKind(current);
  if (kind >= 0) {
    const array = current as TypedArray;
    if (arrayKind(state) !== kind || (state as TypedArray).length !== array.length) throw new StateMismatchError(path, `expected ${array.length} values of ${ARRAY_KINDS[kind].name}`);
    array.set(state as never);
    return current;
  }
  if (Array.isArray(current)) {
    if (!Array.isArray(state) || state.length !== current.length) throw new StateMismatchError(path, `expected ${current.length} items`);
    for (let i = 0; i < current.length; i++) {
      const next = restoreValue(current[i], (state as readonly EffectState[])[i], `${path}.${i}`);
      if (next !== current[i]) current[i] = next;
    }
    return current;
  }
  restoreRecord(current as Record<string, unknown>, state, path);
  return current;
}

// The encoding: a tag byte, then the value. Numbers are float64, lengths uint32, all little-endian.
const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_TRUE = 2;
const TAG_FALSE = 3;
const TAG_STRING = 4;
const TAG_LIST = 5;
const TAG_RECORD = 6;
/** Typed arrays: TAG_ARRAY + their kind's index, then the count and the elements' bytes. */
const TAG_ARRAY = 16;

const MAGIC = [0x6d, 0x78, 0x73, 0x31]; // 'mxs1': a mixdown state, encoding 1

/** The state as bytes: the same state always gives the same bytes. */
export function encodeState(state: EffectState): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [Uint8Array.from(MAGIC)];
  let size = MAGIC.length;
  const push = (bytes: Uint8Array) => {
    parts.push(bytes);
    size += bytes.byteLength;
  };
  const u32 = (n: number) => {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, n, true);
    push(bytes);
  };
  const text = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    u32(bytes.byteLength);
    push(bytes);
  };
  const visit = (value: EffectState): void => {
    if (value === null) return push(Uint8Array.of(TAG_NULL));
    if (typeof value === 'boolean') return push(Uint8Array.of(value ? TAG_TRUE : TAG_FALSE));
    if (typeof value === 'number') {
      const bytes = new Uint8Array(9);
      bytes[0] = TAG_NUMBER;
      new DataView(bytes.buffer).setFloat64(1, value, true);
      return push(bytes);
    }
    if (typeof value === 'string') {
      push(Uint8Array.of(TAG_STRING));
      return text(value);
    }
    const kind = arrayKind(value);
    if (kind >= 0) {
      const array = value as TypedArray;
      push(Uint8Array.of(TAG_ARRAY + kind));
      u32(array.length);
      return push(littleEndianBytes(array));
    }
    if (Array.isArray(value)) {
      push(Uint8Array.of(TAG_LIST));
      u32(value.length);
      for (const item of value as readonly EffectState[]) visit(item);
      return;
    }
    const entries = Object.entries(value as Record<string, EffectState>);
    push(Uint8Array.of(TAG_RECORD));
    u32(entries.length);
    for (const [field, item] of entries) {
      text(field);
      visit(item);
    }
  };
  visit(state);
  const out = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** Bytes made by `encodeState`, back to the state; a StateMismatchError when they are not such bytes. */
export function decodeState(bytes: Uint8Array): EffectState {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > bytes.byteLength) throw new StateMismatchError('bytes', 'truncated');
  };
  const u32 = () => {
    need(4);
    const n = view.getUint32(at, true);
    at += 4;
    return n;
  };
  const text = () => {
    const length = u32();
    need(length);
    const s = new TextDecoder().decode(bytes.subarray(at, at + length));
    at += length;
    return s;
  };
  need(MAGIC.length);
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) throw new StateMismatchError('bytes', 'not a mixdown state');
  at = MAGIC.length;
  const visit = (): EffectState => {
    need(1);
    const tag = bytes[at++];
    switch (tag) {
      case TAG_NULL:
        return null;
      case TAG_TRUE:
        return true;
      case TAG_FALSE:
        return false;
      case TAG_NUMBER: {
        need(8);
        const n = view.getFloat64(at, true);
        at += 8;
        return n;
      }
      case TAG_STRING:
        return text();
      case TAG_LIST: {
        const count = u32();
        const list: EffectState[] = [];
        for (let i = 0; i < count; i++) list.push(visit());
        return list;
      }
      case TAG_RECORD: {
        const count = u32();
        const record: Record<string, EffectState> = {};
        for (let i = 0; i < count; i++) {
          const field = text();
          record[field] = visit();
        }
        return record;
      }
    }
    const Kind = ARRAY_KINDS[tag - TAG_ARRAY];
    if (!Kind) throw new StateMismatchError('bytes', `unknown tag ${tag}`);
    const count = u32();
    need(count * Kind.BYTES_PER_ELEMENT);
    const array = fromLittleEndian(Kind, bytes.subarray(at, at + count * Kind.BYTES_PER_ELEMENT), count);
    at += count * Kind.BYTES_PER_ELEMENT;
    return array;
  };
  const state = visit();
  if (at !== bytes.byteLength) throw new StateMismatchError('bytes', 'trailing bytes');
  return state;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(array: TypedArray): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
  if (!LITTLE_ENDIAN) swapBytes(bytes, array.BYTES_PER_ELEMENT);
  return bytes;
}

function fromLittleEndian(Kind: (typeof ARRAY_KINDS)[number], bytes: Uint8Array, count: number): TypedArray {
  // Copied into a fresh buffer: the source may not be aligned for the element size.
  const copy = bytes.slice();
  if (!LITTLE_ENDIAN) swapBytes(copy, Kind.BYTES_PER_ELEMENT);
  return new Kind(copy.buffer, 0, count);
}

function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i < bytes.length; i += width) bytes.subarray(i, i + width).reverse();
}
