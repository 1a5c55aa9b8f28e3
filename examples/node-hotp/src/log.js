"use strict";
// Log lines in hclog's JSON form on stderr: the host re-logs each with its
// level and fields under the plugin's name. Never log a code or a secret.

function timestamp(d) {
  // hclog's one layout: 2006-01-02T15:04:05.000000Z07:00, in UTC.
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function log(level, message, fields = {}) {
  const line = { "@level": level, "@message": message, "@timestamp": timestamp(new Date()), ...fields };
  process.stderr.write(JSON.stringify(line) + "\n");
}

module.exports = {
  timestamp,
  info: (message, fields) => log("info", message, fields),
  warn: (message, fields) => log("warn", message, fields),
  error: (message, fields) => log("error", message, fields),
};
