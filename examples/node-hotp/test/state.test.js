"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const state = require("../src/state");
const { FactorError } = require("../src/errors");

const build = (v) => {
  if (!Number.isInteger(v.counter)) throw new Error("no counter");
  return { secret: v.secret, counter: v.counter };
};

test("a state reads back as written", () => {
  const b = state.encode("sample", 1, { secret: "c2VjcmV0", counter: 7 });
  assert.deepEqual(state.decode("sample", 1, b, build), { secret: "c2VjcmV0", counter: 7 });
});

test("every flipped bit and every truncation is BAD_STATE", () => {
  const b = state.encode("sample", 1, { secret: "c2VjcmV0", counter: 7 });
  for (let i = 0; i < b.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const d = Buffer.from(b);
      d[i] ^= 1 << bit;
      assert.throws(() => state.decode("sample", 1, d, build), (err) => err instanceof FactorError && err.reason === "BAD_STATE");
    }
    assert.throws(() => state.decode("sample", 1, b.subarray(0, i), build), (err) => err.reason === "BAD_STATE");
  }
});

test("another kind, another version, another form are refused", () => {
  const cases = [
    ["other kind", state.encode("other", 1, { secret: "c2VjcmV0", counter: 7 }), /another kind/],
    ["other version", state.encode("sample", 2, { secret: "c2VjcmV0", counter: 7 }), /unknown version/],
    ["keys out of order", state.encode("sample", 1, { counter: 7, secret: "c2VjcmV0" }), /canonical/],
    ["extra key", state.encode("sample", 1, { secret: "c2VjcmV0", counter: 7, x: 1 }), /canonical/],
    ["bad value", state.encode("sample", 1, { secret: "c2VjcmV0", counter: "7" }), /no counter/],
    ["nothing", Buffer.alloc(0), /empty/],
  ];
  for (const [name, b, message] of cases) {
    assert.throws(() => state.decode("sample", 1, b, build), message, name);
  }
});

test("the envelope is the Go SDK's, byte for byte", () => {
  // What sdk.StateCodec[T]{Kind: "sample", Version: 1}.Encode writes for
  // {"secret":"c2VjcmV0","counter":7} in Go.
  const fromGo = Buffer.from(
    "666773310673616d706c6500017b22736563726574223a226332566a636d5630222c22636f756e746572223a377d32b775bdbb71b1f30414c82d237666da",
    "hex",
  );
  assert.deepEqual(state.encode("sample", 1, { secret: "c2VjcmV0", counter: 7 }), fromGo);
  assert.deepEqual(state.decode("sample", 1, fromGo, build), { secret: "c2VjcmV0", counter: 7 });
});
