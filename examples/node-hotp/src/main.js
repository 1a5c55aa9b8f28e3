"use strict";
// The node-hotp factor plugin: FactorService of factor.proto over go-plugin.
const { serve, loadProto } = require("./goplugin");
const { FactorError, toStatus } = require("./errors");
const { Factor, settingsFrom } = require("./factor");
const log = require("./log");

// The handshake both sides agree on (plugin/plugin.go in the Go code).
const MAGIC_COOKIE_KEY = "FACTORGATE_PLUGIN";
const MAGIC_COOKIE_VALUE = "d3b2a1c4-factorgate-factor-plugin-7f9e";
const FACTOR_PROTOCOL_VERSION = 1;

// factorService answers FactorService: Configure keeps each instance by name;
// every other call names one (or none: the plugin's defaults).
function factorService() {
  const base = new Factor(settingsFrom(null));
  const instances = new Map();
  const factorOf = (name) => {
    if (!name) return base;
    const f = instances.get(name);
    if (!f) throw new FactorError("NOT_CONFIGURED", `factor instance "${name}" is not configured`);
    return f;
  };
  // handle turns a method of an instance into a gRPC handler; whatever it
  // throws goes back as a factor error, never as a crash.
  const handle = (method) => (call, done) => {
    try {
      done(null, method(factorOf(call.request.instance), call.request));
    } catch (err) {
      if (!(err instanceof FactorError)) log.error("factor failed", { method: method.name, error: String(err && err.message) });
      done(toStatus(err));
    }
  };
  return {
    Describe: handle(function Describe(f) {
      return f.describe();
    }),
    Configure: (call, done) => {
      try {
        if (!call.request.instance) throw new FactorError("INVALID_SETTINGS", "an instance name is required");
        const f = new Factor(settingsFrom(call.request.settings_json));
        instances.set(call.request.instance, f);
        done(null, { description: f.describe() });
      } catch (err) {
        done(toStatus(err));
      }
    },
    BeginEnrollment: handle(function BeginEnrollment(f, req) {
      return f.beginEnrollment(req);
    }),
    FinishEnrollment: handle(function FinishEnrollment(f, req) {
      return f.finishEnrollment(req);
    }),
    Challenge: handle(function Challenge() {
      throw new FactorError("UNSUPPORTED", "challenge: not supported by this factor");
    }),
    Verify: handle(function Verify(f, req) {
      return f.verify(req);
    }),
  };
}

serve({
  cookieKey: MAGIC_COOKIE_KEY,
  cookieValue: MAGIC_COOKIE_VALUE,
  appProtocolVersion: FACTOR_PROTOCOL_VERSION,
  register: (server) => {
    const factorv1 = loadProto("factor.proto").factorgate.factor.v1;
    server.addService(factorv1.FactorService.service, factorService());
  },
}).catch((err) => {
  log.error("plugin failed to start", { error: String(err && err.message) });
  process.exit(1);
});
