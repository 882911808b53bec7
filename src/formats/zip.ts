/**
 * A minimal, bounds-checked zip reader. torch.save writes STORED (uncompressed) entries; an
 * archive re-packed by a zip tool has DEFLATE ones, inflated here by fflate. Reads the central
 * directory (zip64 included), checks each entry's local header and CRC-32; STORED entries are
 * zero-copy views. Encrypted entries and other methods are refused, and so are entries that
 * overlap one another or the central directory, so the CRC work never exceeds the file's own
 * size plus the inflated bytes, and those are bounded (see ZipLimits).
 */
import { Inflate } from 'fflate';
import { InteropError } from './errors.js';

const CODE = 'E_ZIP';
const EOCD_SIG = 0x06054b50;
const EOCD64_LOCATOR_SIG = 0x07064b50;
const EOCD64_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function fail(message: string): never {
  throw new InteropError(CODE, `zip: ${message}`);
}

class Reader {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(pos: number, len: number, what: string): void {
    if (pos < 0 || len < 0 || pos + len > this.bytes.length) {
      fail(`${what} at offset ${pos} (${len} bytes) lies outside the ${this.bytes.length}-byte file`);
    }
  }
  u16(pos: number): number { return this.dv.getUint16(pos, true); }
  u32(pos: number): number { return this.dv.getUint32(pos, true); }
  u64(pos: number, what: string): number {
    const v = this.dv.getBigUint64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is too large`);
    return Number(v);
  }
}

/** DEFLATE cannot expand its input more than about 1032 times (258-byte matches in 2-bit codes). */
export const MAX_DEFLATE_RATIO = 1032;

/** Bounds on what a zip archive may inflate to. */
export interface ZipLimits {
  /** All DEFLATE entries together may inflate to at most this many bytes (default 2 GiB − 1, the largest weights file read). */
  maxInflatedBytes?: number;
}

const STORED = 0;
const DEFLATE = 8;

/**
 * Reads every entry of a zip archive. STORED entries are views into `bytes` (not copies);
 * DEFLATE entries are inflated into buffers of their declared size.
 * @throws InteropError E_ZIP: a malformed or truncated archive, an encrypted entry, a method
 *   other than STORED/DEFLATE, a declared size DEFLATE cannot reach from the compressed size
 *   (over MAX_DEFLATE_RATIO), inflated sizes over `limits.maxInflatedBytes` in all, a stream
 *   that inflates to more or fewer bytes than declared, or a CRC-32 mismatch.
 */
export function readZipEntries(bytes: Uint8Array, limits: ZipLimits = {}): Map<string, Uint8Array> {
  const maxInflated = limits.maxInflatedBytes ?? 2 ** 31 - 1;
  const r = new Reader(bytes);
  const eocd = findEocd(r);
  let count = r.u16(eocd + 10);
  let cdSize = r.u32(eocd + 12);
  let cdOffset = r.u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || r.u32(loc) !== EOCD64_LOCATOR_SIG) fail('zip64 end-of-central-directory locator missing');
    const e64 = r.u64(loc + 8, 'zip64 end-of-central-directory offset');
    r.need(e64, 56, 'zip64 end-of-central-directory record');
    if (r.u32(e64) !== EOCD64_SIG) fail(`expected the zip64 end-of-central-directory signature at offset ${e64}`);
    count = r.u64(e64 + 32, 'zip64 entry count');
    cdSize = r.u64(e64 + 40, 'zip64 central directory size');
    cdOffset = r.u64(e64 + 48, 'zip64 central directory offset');
  }
  r.need(cdOffset, cdSize, 'central directory');
  if (count > cdSize / 46) fail(`central directory of ${cdSize} bytes cannot hold ${count} entries`);

  const names = new TextDecoder('utf-8', { fatal: true });
  // First every record (cheap), then the layout, then the CRCs: a directory whose records all
  // point at one large entry is refused before any of them is checksummed again.
  const records: { name: string; crc: number; start: number; dataStart: number; compSize: number; size: number; method: number }[] = [];
  let inflated = 0;
  const seen = new Set<string>();
  let p = cdOffset;
  const cdEnd = cdOffset + cdSize;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdEnd) fail(`central directory ends inside entry ${i} of ${count}`);
    if (r.u32(p) !== CENTRAL_SIG) fail(`expected a central directory entry signature at offset ${p}`);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc = r.u32(p + 16);
    let compSize = r.u32(p + 20);
    let size = r.u32(p + 24);
    const nameLen = r.u16(p + 28);
    const extraLen = r.u16(p + 30);
    const commentLen = r.u16(p + 32);
    let localOffset = r.u32(p + 42);
    if (p + 46 + nameLen + extraLen + commentLen > cdEnd) fail(`central directory entry ${i} runs past the directory`);
    let name: string;
    try {
      name = names.decode(r.bytes.subarray(p + 46, p + 46 + nameLen));
    } catch {
      fail(`entry ${i} has a name that is not valid UTF-8`);
    }
    // zip64 extended information: the 0xffffffff fields, in this order
    for (let x = p + 46 + nameLen, xEnd = x + extraLen; x + 4 <= xEnd; ) {
      const id = r.u16(x);
      const len = r.u16(x + 2);
      if (x + 4 + len > xEnd) fail(`entry '${name}' has a malformed extra field`);
      if (id === 0x0001) {
        let q = x + 4;
        const take = (what: string): number => {
          if (q + 8 > x + 4 + len) fail(`entry '${name}': zip64 extra field lacks the ${what}`);
          const v = r.u64(q, `entry '${name}' zip64 ${what}`);
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('size');
        if (compSize === 0xffffffff) compSize = take('compressed size');
        if (localOffset === 0xffffffff) localOffset = take('local header offset');
      }
      x += 4 + len;
    }
    p += 46 + nameLen + extraLen + commentLen;

    if (flags & 1) fail(`entry '${name}' is encrypted`);
    if (method !== STORED && method !== DEFLATE) fail(`entry '${name}' is compressed with method ${method}; only STORED (0) and DEFLATE (8) entries are supported`);
    if (method === STORED && compSize !== size) fail(`entry '${name}' is STORED but its sizes differ (${compSize} vs ${size})`);
    if (method === DEFLATE) {
      // Refused before anything is allocated: a size no DEFLATE stream of this length can reach is a lie.
      if (size > compSize * MAX_DEFLATE_RATIO + 1024) {
        fail(`entry '${name}' claims to inflate ${compSize} bytes to ${size}, more than DEFLATE's ${MAX_DEFLATE_RATIO}:1 maximum`);
      }
      inflated += size;
      if (inflated > maxInflated) fail(`entries inflate to more than ${maxInflated} bytes in all (at '${name}', declared ${size} bytes)`);
    }
    if (seen.has(name)) fail(`entry '${name}' appears twice`);
    seen.add(name);
    r.need(localOffset, 30, `local header of '${name}'`);
    if (r.u32(localOffset) !== LOCAL_SIG) fail(`expected the local header of '${name}' at offset ${localOffset}`);
    const dataStart = localOffset + 30 + r.u16(localOffset + 26) + r.u16(localOffset + 28);
    r.need(dataStart, compSize, `data of '${name}'`);
    records.push({ name, crc, start: localOffset, dataStart, compSize, size, method });
  }
  checkLayout(records, cdOffset, cdEnd);

  const entries = new Map<string, Uint8Array>();
  for (const { name, crc, dataStart, compSize, size, method } of records) {
    const raw = bytes.subarray(dataStart, dataStart + compSize);
    const data = method === DEFLATE ? inflateExactly(raw, size, name) : raw;
    const actual = crc32(data);
    if (actual !== crc) fail(`entry '${name}' fails its CRC-32 check (stored ${hex(crc)}, computed ${hex(actual)})`);
    entries.set(name, data);
  }
  return entries;
}

/**
 * Entries (local header through data) may not overlap one another or the central directory:
 * torch.save never writes that, and overlapping records would let a small file claim its
 * bytes many times over (each claim costing a CRC pass and, downstream, a copy).
 */
function checkLayout(records: { name: string; start: number; dataStart: number; compSize: number }[], cdOffset: number, cdEnd: number): void {
  const spans = records.map((e) => ({ name: `entry '${e.name}'`, start: e.start, end: e.dataStart + e.compSize }));
  spans.push({ name: 'the central directory', start: cdOffset, end: cdEnd });
  spans.sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1]!;
    const cur = spans[i]!;
    if (cur.start < prev.end) {
      fail(`${cur.name} (bytes ${cur.start}..${cur.end}) overlaps ${prev.name} (bytes ${prev.start}..${prev.end}); entries must not share bytes`);
    }
  }
}

/** Input fed to the inflater at a time: each push can yield at most ~1032× this before the size check. */
const INFLATE_CHUNK = 16 * 1024;

/**
 * Inflates a raw DEFLATE stream that must yield exactly `size` bytes; stops as soon as it
 * yields more, so a stream that lies about its size costs at most one chunk's expansion.
 */
function inflateExactly(raw: Uint8Array, size: number, name: string): Uint8Array {
  const out = new Uint8Array(size);
  let filled = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    if (filled + chunk.length > size) fail(`entry '${name}' inflates to more than its declared ${size} bytes`);
    out.set(chunk, filled);
    filled += chunk.length;
    if (final) ended = true;
  });
  try {
    for (let p = 0; p < raw.length || p === 0; p += INFLATE_CHUNK) {
      const end = Math.min(raw.length, p + INFLATE_CHUNK);
      inflater.push(raw.subarray(p, end), end === raw.length);
      if (end === raw.length) break;
    }
  } catch (e) {
    if (e instanceof InteropError) throw e;
    fail(`entry '${name}' is not a valid DEFLATE stream (${(e as Error).message})`);
  }
  if (!ended || filled !== size) fail(`entry '${name}' inflates to ${filled} bytes, not its declared ${size}`);
  return out;
}

function findEocd(r: Reader): number {
  const n = r.bytes.length;
  if (n < 22) fail(`file is ${n} bytes long, too short for a zip archive (at least 22)`);
  const stop = Math.max(0, n - 22 - 0xffff);
  for (let p = n - 22; p >= stop; p--) {
    if (r.u32(p) === EOCD_SIG && p + 22 + r.u16(p + 20) <= n) return p;
  }
  fail('no end-of-central-directory record found (not a zip archive, or truncated)');
}

function hex(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

let CRC_TABLE: Uint32Array | undefined;

export function crc32(data: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[i] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = CRC_TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
