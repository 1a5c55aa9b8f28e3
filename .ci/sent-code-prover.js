"use strict";
// Prover for `factorgate plugins check --gateway` on factors that send codes
// through a webhook (sms, the emailotp example): it finds the message the
// gateway received for the challenge the factor showed and prints its code,
// as the user reading the message would.
let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", () => {
  const input = JSON.parse(text);
  const id = (input.display.extra || {}).challenge_id;
  const message = (input.messages || []).find((m) => m && m.challenge_id === id);
  const code = message && /\b[0-9]{6,10}\b/.exec(message.body || message.text || "");
  if (!code) {
    process.stderr.write(`no message carried a code for challenge ${id}\n`);
    process.exit(1);
  }
  process.stdout.write(code[0] + "\n");
});
