"use strict";
// A prover for `factorgate plugins check`: an authenticator app for otpauth://
// URIs. It reads what the factor showed as JSON on stdin and prints the code
// valid at "now": for TOTP the time step's, for HOTP the counter's (the
// enrollment is confirmed with the URI's counter and the next press shows the
// one after it). It checks this example and the built-in totp factor:
//
//   factorgate plugins check bin/plugins/factorgate-factor-node-hotp --prover "node examples/node-hotp/prover.js"
const { hotp, base32Decode } = require("./src/hotp");

function codeFor(input) {
  const shown = input.step === "enroll" ? input.display : input.enrollment.begin;
  const uri = new URL(shown.uri);
  const q = uri.searchParams;
  const secret = base32Decode(q.get("secret"));
  const digits = Number(q.get("digits") || 6);
  const algorithm = (q.get("algorithm") || "SHA1").toLowerCase();
  if (uri.host === "totp") {
    const period = Number(q.get("period") || 30);
    return hotp(secret, Math.floor(Date.parse(input.now) / 1000 / period), digits, algorithm);
  }
  if (uri.host === "hotp") {
    const counter = Number(q.get("counter") || 0) + (input.step === "verify" ? 1 : 0);
    return hotp(secret, counter, digits, algorithm);
  }
  throw new Error(`not an otpauth URI this app knows: ${uri.protocol}//${uri.host}`);
}

let text = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  try {
    process.stdout.write(codeFor(JSON.parse(text)) + "\n");
  } catch (err) {
    process.stderr.write(`prover: ${err.message}\n`);
    process.exit(1);
  }
});
