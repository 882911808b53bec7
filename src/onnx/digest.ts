// A content digest stored in the model's own metadata: SHA-256 over the model as decoded and
// re-encoded without the digest entry — weights, graph, metadata (vocabulary, labels, config).
// Written by every highway-onnx writer of a model, checked on every load, so a bit flip in a
// weight (which still decodes, passes every structural check and predicts silently wrong) is
// caught. It guards against damage, not against an attacker, who can recompute it.
// Hashing the re-encoded message rather than the file's bytes makes the digest independent of
// how a protobuf library laid the fields out: only the content counts.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodeModel, encodeModel, type ModelProto } from './proto.js';
import { readMetadata } from './metadata.js';
import { ModelDigestError } from './errors.js';

/** The metadata key holding the digest: `sha256:` and 64 lower-case hex digits. */
export const DIGEST_KEY = 'highway_onnx.sha256';
const PREFIX = 'sha256:';

/** The model's bytes as the digest sees them: every field but the digest entry itself. */
function contentBytes(model: ModelProto): Uint8Array {
  const metadataProps = (model.metadataProps ?? []).filter((p) => p.key !== DIGEST_KEY);
  return encodeModel({ ...model, metadataProps });
}

/** `sha256:<hex>` of the model's content (see the file comment); the digest entry is left out. */
export function modelDigest(model: ModelProto): string {
  return PREFIX + bytesToHex(sha256(contentBytes(model)));
}

/**
 * Store the digest in the model's metadata (replacing an old one) and return the model. Call it
 * last, on the object about to be encoded: any later change to the model breaks the digest.
 */
export function stampDigest(model: ModelProto): ModelProto {
  // Hash the model as a reader will see it: decoded from the bytes about to be written.
  const digest = modelDigest(decodeModel(contentBytes(model), { allowExternalData: true }));
  model.metadataProps = [...(model.metadataProps ?? []).filter((p) => p.key !== DIGEST_KEY), { key: DIGEST_KEY, value: digest }];
  return model;
}

/** What a model's digest says about it. */
export type DigestStatus =
  | { state: 'verified'; digest: string }
  /** No digest: an imported model, or one written before digests existed; its content is unchecked. */
  | { state: 'absent' };

/**
 * Check the stored digest against the model's content. Throws ModelDigestError
 * (E_MODEL_DIGEST) on a mismatch or an unreadable digest; a model without one is 'absent'.
 */
export function verifyDigest(model: ModelProto): DigestStatus {
  const stored = readMetadata(model)[DIGEST_KEY];
  if (stored === undefined) return { state: 'absent' };
  if (!/^sha256:[0-9a-f]{64}$/.test(stored)) {
    throw new ModelDigestError(`the model's digest (metadata '${DIGEST_KEY}') is unreadable: expected 'sha256:' and 64 hex digits, found ${JSON.stringify(stored.slice(0, 80))}; the file is damaged`);
  }
  const actual = modelDigest(model);
  if (actual !== stored) {
    throw new ModelDigestError(
      `the model's content does not match the digest stored when it was written (metadata '${DIGEST_KEY}' is ${stored.slice(0, 19)}…, the content hashes to ${actual.slice(0, 19)}…): ` +
        'the file was damaged or changed after highway-onnx wrote it; use an intact copy, or re-export it from its checkpoint',
    );
  }
  return { state: 'verified', digest: stored };
}
