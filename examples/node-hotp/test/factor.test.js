"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const { Factor, settingsFrom } = require("../src/factor");
const { hotp, base32Decode } = require("../src/hotp");

const now = Date.UTC(2030, 0, 2, 3, 4, 0);
const at = (ms) => ({ seconds: String(Math.floor(ms / 1000)), nanos: 0 });

function enrolled(f) {
  const begin = f.beginEnrollment({ user: { id: "u", name: "ann" }, params: {}, now: at(now) });
  const secret = base32Decode(begin.display.secret);
  const finish = f.finishEnrollment({ pending_state: begin.pending_state, proof: { code: hotp(secret, 0, 6) }, now: at(now + 60_000) });
  assert.equal(finish.result, "RESULT_OK");
  return { begin, secret, cred: finish.credential_state };
}

test("settings: defaults, known keys, refusals", () => {
  assert.deepEqual({ ...settingsFrom(null) }, { digits: 6, look_ahead: 5, issuer: "Factorgate" });
  assert.equal(settingsFrom(Buffer.from('{"digits":8}')).digits, 8);
  for (const [json, message] of [
    ['{"digitz":8}', /unknown setting "digitz"/],
    ['{"digits":7}', /must be 6 or 8/],
    ['{"look_ahead":-1}', /look_ahead/],
    ['{"issuer":"a:b"}', /without a colon/],
    ["[1]", /JSON object/],
    ["{", /JSON object/],
  ]) {
    assert.throws(() => settingsFrom(Buffer.from(json)), (err) => err.reason === "INVALID_SETTINGS" && message.test(err.message), json);
  }
});

test("enrollment shows an otpauth hotp URI and refuses wrong and late codes", () => {
  const f = new Factor(settingsFrom(null));
  const begin = f.beginEnrollment({ user: { id: "u", name: "ann" }, params: {}, now: at(now) });
  assert.match(begin.display.uri, /^otpauth:\/\/hotp\/Factorgate:ann\?secret=[A-Z2-7]+&issuer=Factorgate&algorithm=SHA1&digits=6&counter=0$/);
  const secret = base32Decode(begin.display.secret);
  const code = hotp(secret, 0, 6);
  const wrong = code.slice(0, 5) + String((Number(code[5]) + 1) % 10);
  assert.equal(f.finishEnrollment({ pending_state: begin.pending_state, proof: { code: wrong }, now: at(now) }).result, "RESULT_INVALID");
  assert.equal(f.finishEnrollment({ pending_state: begin.pending_state, proof: { code }, now: at(now + 11 * 60_000) }).result, "RESULT_EXPIRED");
  assert.throws(() => f.beginEnrollment({ params: { phone: "1" }, now: at(now) }), (err) => err.reason === "INVALID_PARAMS");
});

test("a code passes once, within the look-ahead window", () => {
  const f = new Factor(settingsFrom(null));
  const { secret, cred } = enrolled(f);
  const verify = (state, counter) => f.verify({ credential_state: state, proof: { code: hotp(secret, counter, 6) }, now: at(now) });
  const ok = verify(cred, 4); // presses 1-3 never reached the factor
  assert.equal(ok.result, "RESULT_OK");
  assert.equal(verify(ok.credential_state, 4).result, "RESULT_REPLAYED");
  assert.equal(verify(ok.credential_state, 2).result, "RESULT_INVALID");
  assert.equal(verify(ok.credential_state, 11).result, "RESULT_INVALID");
  assert.equal(verify(ok.credential_state, 10).result, "RESULT_OK");
});

test("unreadable credential state is BAD_STATE", () => {
  const f = new Factor(settingsFrom(null));
  const { cred } = enrolled(f);
  const damaged = Buffer.from(cred);
  damaged[damaged.length - 20] ^= 1;
  assert.throws(() => f.verify({ credential_state: damaged, proof: { code: "000000" }, now: at(now) }), (err) => err.reason === "BAD_STATE");
});
