# Reads `go test -bench` output and prints, for every benchmark that has both
# an in-process and a plugin (or http-in-process / http-plugin) variant, the
# two ns/op figures and how many times slower the plugin path is.
/^Benchmark/ && / ns\/op/ {
  name = $1
  sub(/-[0-9]+$/, "", name)
  for (i = 2; i <= NF; i++) if ($(i) == "ns/op") ns[name] = $(i - 1)
  order[++n] = name
}
END {
  printed = 0
  for (k = 1; k <= n; k++) {
    name = order[k]
    if (name !~ /\/in-process$/) continue
    base = substr(name, 1, length(name) - length("/in-process"))
    other = base "/plugin-rpc"
    if (!(other in ns) || ns[name] == 0) continue
    if (!printed) { printf "\n%-48s %14s %14s %8s\n", "ratio (plugin / in-process)", "in-process", "plugin-rpc", "ratio"; printed = 1 }
    printf "%-48s %11.0f ns %11.0f ns %7.1fx\n", base, ns[name], ns[other], ns[other] / ns[name]
  }
}
