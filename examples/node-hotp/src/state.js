"use strict";
// States in the same envelope as the Go SDK's StateCodec, so a damaged state is
// refused the same way in every language:
//
//   "fgs1" | kind length (1 byte) | kind | version (2 bytes, big endian) |
//   JSON | first 16 bytes of SHA-256 of all that precedes
//
// The JSON must be exactly what encode writes for the values it holds (keys
// in order, nothing missing or extra); the host seals every state at rest.
const crypto = require("node:crypto");
const { FactorError } = require("./errors");

const MAGIC = Buffer.from("fgs1");
const SUM_LEN = 16;
const MAX_LEN = 4096;

function sum(body) {
  return crypto.createHash("sha256").update(body).digest().subarray(0, SUM_LEN);
}

// encode writes values (an object whose keys are in their canonical order).
function encode(kind, version, values) {
  const head = Buffer.alloc(MAGIC.length + 1 + kind.length + 2);
  MAGIC.copy(head);
  head.writeUInt8(kind.length, MAGIC.length);
  head.write(kind, MAGIC.length + 1, "latin1");
  head.writeUInt16BE(version, MAGIC.length + 1 + kind.length);
  const body = Buffer.concat([head, Buffer.from(JSON.stringify(values))]);
  return Buffer.concat([body, sum(body)]);
}

// decode reads a state of kind and version, rebuilding it with build (which
// returns the values in canonical order and throws on a bad value).
function decode(kind, version, state, build) {
  const bad = (why) => new FactorError("BAD_STATE", `${kind} state: ${why}`);
  if (!state || state.length === 0) throw bad("empty");
  if (state.length > MAX_LEN) throw bad("too long");
  if (state.length < MAGIC.length + 3 + SUM_LEN || !state.subarray(0, MAGIC.length).equals(MAGIC)) throw bad("not a state envelope");
  const body = state.subarray(0, state.length - SUM_LEN);
  if (!crypto.timingSafeEqual(sum(body), state.subarray(state.length - SUM_LEN))) throw bad("checksum mismatch");
  const n = body.readUInt8(MAGIC.length);
  const at = MAGIC.length + 1;
  if (body.length < at + n + 2 || body.toString("latin1", at, at + n) !== kind) throw bad("another kind of state");
  if (body.readUInt16BE(at + n) !== version) throw bad("unknown version");
  const json = body.subarray(at + n + 2).toString("utf8");
  let values;
  try {
    values = build(JSON.parse(json));
  } catch (err) {
    throw bad(err.message);
  }
  if (JSON.stringify(values) !== json) throw bad("not in canonical form");
  return values;
}

module.exports = { encode, decode };
