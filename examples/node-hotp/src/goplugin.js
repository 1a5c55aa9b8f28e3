"use strict";
// The hashicorp/go-plugin side of a gRPC plugin, for a host that launches it
// with AutoMTLS: the magic cookie, the protocol version, a fresh certificate
// answering the host's, the services go-plugin calls (health, controller,
// stdio) and the handshake line on stdout.
require("reflect-metadata"); // @peculiar/x509 needs the Reflect metadata API
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { webcrypto } = require("node:crypto");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");
const x509 = require("@peculiar/x509");
const log = require("./log");

const CORE_PROTOCOL_VERSION = 1;
const PROTO_DIR = path.join(__dirname, "..", "proto");
const LOADER_OPTIONS = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] };

function loadProto(file) {
  return grpc.loadPackageDefinition(protoLoader.loadSync(path.join(PROTO_DIR, file), LOADER_OPTIONS));
}

// certificate makes the plugin's self-signed certificate, as go-plugin does:
// valid for "localhost", for server and client authentication, a CA so the
// host can trust it as its own root.
async function certificate() {
  x509.cryptoProvider.set(webcrypto);
  const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.getRandomValues(new Uint8Array(16)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "7"),
    name: "CN=localhost",
    notBefore: new Date(Date.now() - 30_000),
    notAfter: new Date(Date.now() + 365 * 24 * 3600_000),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "localhost" }]),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey));
  const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString("base64").match(/.{1,64}/g).join("\n")}\n-----END PRIVATE KEY-----\n`;
  return { certPem: Buffer.from(cert.toString("pem")), keyPem: Buffer.from(keyPem), der: Buffer.from(cert.rawData) };
}

// exitWith explains why the process cannot serve and ends it.
function exitWith(message) {
  process.stderr.write(message + "\n");
  process.exit(1);
}

// serve runs the plugin: register adds the plugin's own services to the server.
async function serve({ cookieKey, cookieValue, appProtocolVersion, register }) {
  if (process.env[cookieKey] !== cookieValue) {
    exitWith("This binary is a Factorgate plugin. It is not meant to be run directly: the factorgate host starts it.");
  }
  const offered = (process.env.PLUGIN_PROTOCOL_VERSIONS || "").split(",").map(Number);
  if (!offered.includes(appProtocolVersion)) {
    exitWith(`The host speaks factor protocol versions ${process.env.PLUGIN_PROTOCOL_VERSIONS || "(none)"}; this plugin speaks ${appProtocolVersion}.`);
  }
  const clientCert = process.env.PLUGIN_CLIENT_CERT;
  if (!clientCert) exitWith("The host gave no PLUGIN_CLIENT_CERT: this plugin serves only over mutual TLS (go-plugin AutoMTLS).");

  const { certPem, keyPem, der } = await certificate();
  const server = new grpc.Server();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "factorgate-plugin-"));
  const socket = path.join(dir, "plugin.sock");
  const streams = new Set();
  const stop = () => {
    for (const call of streams) call.end();
    server.tryShutdown(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  };

  register(server);
  const health = loadProto("grpc/health/v1/health.proto").grpc.health.v1;
  server.addService(health.Health.service, {
    Check: (call, done) => done(null, { status: call.request.service === "plugin" || call.request.service === "" ? "SERVING" : "SERVICE_UNKNOWN" }),
  });
  const goPlugin = loadProto("plugin/go_plugin.proto").plugin;
  server.addService(goPlugin.GRPCController.service, {
    Shutdown: (_call, done) => {
      done(null, {});
      setImmediate(stop);
    },
  });
  server.addService(goPlugin.GRPCStdio.service, {
    // Nothing is written to stdout or stderr but the handshake and the log,
    // which the host reads from stderr itself: the stream stays open and empty.
    StreamStdio: (call) => {
      streams.add(call);
      call.on("cancelled", () => streams.delete(call));
    },
  });
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);

  const creds = grpc.ServerCredentials.createSsl(Buffer.from(clientCert), [{ private_key: keyPem, cert_chain: certPem }], true);
  server.bindAsync("unix:" + socket, creds, (err) => {
    if (err) exitWith(`listen on ${socket}: ${err.message}`);
    const serverCert = der.toString("base64").replace(/=+$/, "");
    process.stdout.write(`${CORE_PROTOCOL_VERSION}|${appProtocolVersion}|unix|${socket}|grpc|${serverCert}\n`);
    log.info("plugin serving", { network: "unix", protocol: appProtocolVersion });
  });
}

module.exports = { serve, loadProto };
