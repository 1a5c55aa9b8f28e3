"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { hotp, base32Encode, base32Decode } = require("../src/hotp");

test("HOTP matches the test values of RFC 4226 appendix D", () => {
  const secret = Buffer.from("12345678901234567890");
  const want = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
  assert.deepEqual(want.map((_, counter) => hotp(secret, counter, 6)), want);
});

test("TOTP with SHA-256 matches RFC 6238 appendix B", () => {
  const secret = Buffer.from("12345678901234567890123456789012");
  assert.equal(hotp(secret, Math.floor(59 / 30), 8, "sha256"), "46119246");
});

test("base32 round trip", () => {
  for (const n of [0, 1, 5, 19, 20]) {
    const b = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37) & 0xff));
    assert.deepEqual(base32Decode(base32Encode(b)), b);
  }
  assert.equal(base32Encode(Buffer.from("12345678901234567890")), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  assert.throws(() => base32Decode("not base32!"));
});
