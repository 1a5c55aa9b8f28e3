"use strict";
// Factor errors in the form the host reads: a gRPC status carrying one
// google.rpc.ErrorInfo detail in the domain "factorgate.dev/factor", sent in
// the grpc-status-details-bin trailer. A status without it would be taken for
// a dead process.
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protobuf = require("protobufjs");

const DOMAIN = "factorgate.dev/factor";

// Each reason the host knows, with the gRPC code it travels with.
const REASONS = {
  BAD_STATE: grpc.status.INVALID_ARGUMENT,
  INVALID_PARAMS: grpc.status.INVALID_ARGUMENT,
  INVALID_SETTINGS: grpc.status.INVALID_ARGUMENT,
  UNSUPPORTED: grpc.status.UNIMPLEMENTED,
  NOT_CONFIGURED: grpc.status.FAILED_PRECONDITION,
  TEMPORARY: grpc.status.UNAVAILABLE,
  FACTOR_ERROR: grpc.status.INTERNAL,
};

const root = protobuf.loadSync(path.join(__dirname, "..", "proto", "google", "rpc", "status.proto"));
const Status = root.lookupType("google.rpc.Status");
const ErrorInfo = root.lookupType("google.rpc.ErrorInfo");

class FactorError extends Error {
  constructor(reason, message) {
    super(message);
    if (!(reason in REASONS)) throw new Error(`unknown factor error reason ${reason}`);
    this.reason = reason;
  }
}

// toStatus turns any error into the status object grpc-js sends.
function toStatus(err) {
  const reason = err instanceof FactorError ? err.reason : "FACTOR_ERROR";
  const code = REASONS[reason];
  const info = ErrorInfo.encode(ErrorInfo.create({ reason, domain: DOMAIN })).finish();
  const details = Status.encode(Status.create({
    code,
    message: err.message,
    details: [{ type_url: "type.googleapis.com/google.rpc.ErrorInfo", value: info }],
  })).finish();
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(details));
  return { code, details: err.message, metadata };
}

module.exports = { FactorError, toStatus, DOMAIN };
