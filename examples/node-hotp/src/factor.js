"use strict";
// The HOTP factor (RFC 4226): an authenticator app holds a secret and a
// counter, and each code it shows is the next counter's. The factor accepts a
// code for the expected counter or up to look_ahead counters past it (presses
// that never reached us), then expects the counter after the one matched, so
// a code passes once: the same code again is RESULT_REPLAYED.
const crypto = require("node:crypto");
const { FactorError } = require("./errors");
const { hotp, base32Encode } = require("./hotp");
const state = require("./state");

const ENROLLMENT_TTL_MS = 10 * 60 * 1000;
const SECRET_LEN = 20;
const DEFAULTS = Object.freeze({ digits: 6, look_ahead: 5, issuer: "Factorgate" });

// settingsFrom reads an instance's settings (a JSON object) over the defaults.
function settingsFrom(json) {
  const text = json && json.length ? json.toString("utf8") : "{}";
  let raw;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FactorError("INVALID_SETTINGS", "settings must be a JSON object");
  }
  if (raw === null) raw = {};
  if (typeof raw !== "object" || Array.isArray(raw)) throw new FactorError("INVALID_SETTINGS", "settings must be a JSON object");
  const s = { ...DEFAULTS };
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in DEFAULTS)) throw new FactorError("INVALID_SETTINGS", `unknown setting "${key}" (known: ${Object.keys(DEFAULTS).join(", ")})`);
    s[key] = value;
  }
  if (s.digits !== 6 && s.digits !== 8) throw new FactorError("INVALID_SETTINGS", 'setting "digits": must be 6 or 8');
  if (!Number.isInteger(s.look_ahead) || s.look_ahead < 0 || s.look_ahead > 20) throw new FactorError("INVALID_SETTINGS", 'setting "look_ahead": must be an integer from 0 to 20');
  if (typeof s.issuer !== "string" || s.issuer.trim() === "" || s.issuer.includes(":") || s.issuer.length > 100) {
    throw new FactorError("INVALID_SETTINGS", 'setting "issuer": must be a short name without a colon');
  }
  return Object.freeze(s);
}

function describe() {
  return {
    name: "node-hotp",
    display_name: "Authenticator app (counter-based)",
    version: "0.1.0",
    amr: ["otp"],
    capabilities: ["CAPABILITY_ENROLL", "CAPABILITY_CONFIGURE"],
    enrollment_ttl: { seconds: String(ENROLLMENT_TTL_MS / 1000), nanos: 0 },
    confirms_without_proof: false,
    proof_kind: "PROOF_KIND_TYPED_CODE",
  };
}

// nowOf reads the host's clock from a request; every call carries it.
function nowOf(req) {
  if (!req.now) throw new FactorError("FACTOR_ERROR", "the request carries no time");
  return Number(req.now.seconds) * 1000 + Math.floor(req.now.nanos / 1e6);
}

function timestampOf(ms) {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

// Values of the states, rebuilt with their keys in canonical order.
function credentialValues(v, kind = "credential") {
  const secret = Buffer.from(String(v.secret), "base64");
  if (secret.length !== SECRET_LEN || secret.toString("base64") !== v.secret) throw new Error(`${kind} secret is not ${SECRET_LEN} bytes of base64`);
  if (v.digits !== 6 && v.digits !== 8) throw new Error("digits out of range");
  if (!Number.isInteger(v.look_ahead) || v.look_ahead < 0 || v.look_ahead > 20) throw new Error("look_ahead out of range");
  if (!Number.isSafeInteger(v.counter) || v.counter < 0) throw new Error("counter out of range");
  return { secret: v.secret, digits: v.digits, look_ahead: v.look_ahead, counter: v.counter };
}

function pendingValues(v) {
  const c = credentialValues({ ...v, counter: 0 }, "pending");
  if (!Number.isSafeInteger(v.expires_ms) || v.expires_ms <= 0) throw new Error("no valid expiry");
  return { secret: c.secret, digits: c.digits, look_ahead: c.look_ahead, expires_ms: v.expires_ms };
}

// match returns the counter in [from, from+window] whose code is typed, or -1.
function match(secret, digits, typed, from, window) {
  const code = String(typed || "").replace(/[\s-]/g, "");
  if (!/^[0-9]+$/.test(code) || code.length !== digits) return -1;
  let found = -1;
  for (let c = from; c <= from + window; c++) {
    // Compare every candidate in constant time, and all of them, so timing
    // tells nothing about which counter matched.
    if (crypto.timingSafeEqual(Buffer.from(hotp(secret, c, digits)), Buffer.from(code)) && found < 0) found = c;
  }
  return found;
}

// Factor is one configured instance.
class Factor {
  constructor(settings) {
    this.settings = settings;
  }

  describe() {
    return describe();
  }

  beginEnrollment(req) {
    const now = nowOf(req);
    const params = Object.keys(req.params || {});
    if (params.length > 0) throw new FactorError("INVALID_PARAMS", `unknown parameter "${params[0]}"; this factor takes none`);
    const { digits, look_ahead, issuer } = this.settings;
    const secret = crypto.randomBytes(SECRET_LEN);
    const expires = now + ENROLLMENT_TTL_MS;
    const label = encodeURIComponent(issuer) + ":" + encodeURIComponent((req.user && (req.user.name || req.user.id)) || "user");
    const query = new URLSearchParams({ secret: base32Encode(secret), issuer, algorithm: "SHA1", digits: String(digits), counter: "0" });
    return {
      pending_state: state.encode("node-hotp-pending", 1, pendingValues({ secret: secret.toString("base64"), digits, look_ahead, expires_ms: expires })),
      display: { secret: base32Encode(secret), uri: `otpauth://hotp/${label}?${query}`, expires_at: timestampOf(expires) },
    };
  }

  finishEnrollment(req) {
    const now = nowOf(req);
    const p = state.decode("node-hotp-pending", 1, req.pending_state, pendingValues);
    if (now >= p.expires_ms) return { result: "RESULT_EXPIRED", reason: "the enrollment has expired; start again" };
    const secret = Buffer.from(p.secret, "base64");
    const c = match(secret, p.digits, req.proof && req.proof.code, 0, p.look_ahead);
    if (c < 0) return { result: "RESULT_INVALID", reason: "the code is not correct" };
    const cred = credentialValues({ secret: p.secret, digits: p.digits, look_ahead: p.look_ahead, counter: c + 1 });
    return { result: "RESULT_OK", credential_state: state.encode("node-hotp-credential", 1, cred), display: { message: "Authenticator app added." } };
  }

  verify(req) {
    nowOf(req);
    const cred = state.decode("node-hotp-credential", 1, req.credential_state, credentialValues);
    const secret = Buffer.from(cred.secret, "base64");
    const typed = req.proof && req.proof.code;
    const c = match(secret, cred.digits, typed, cred.counter, cred.look_ahead);
    if (c >= 0) {
      const next = state.encode("node-hotp-credential", 1, { ...cred, counter: c + 1 });
      return { result: "RESULT_OK", credential_state: next };
    }
    if (cred.counter > 0 && match(secret, cred.digits, typed, cred.counter - 1, 0) >= 0) {
      return { result: "RESULT_REPLAYED", reason: "this code has already been used" };
    }
    return { result: "RESULT_INVALID", reason: "the code is not correct" };
  }
}

module.exports = { Factor, settingsFrom, DEFAULTS };
