#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# proxy-targets.sh - issue 5's targets for `portgate proxy`, as ratios within
# each run of ../shared/bench/peers.sh, from the tables those runs printed.
#
#   bench/proxy-targets.sh peers-run-1.txt [peers-run-2.txt ...]
#
# Each FILE is one run's standard output (or its PB_RAW_OUT file holding one
# run).  For each run and each backend kind (tcp, unix) it prints:
#   ka    portgate req/s with keep-alive      / haproxy's      (target >= 1)
#   close portgate req/s with new connections / haproxy's      (target >= 1)
#   bulk  portgate MB/s                       / proxyd's        (target >= 1)
#   p99   portgate p99 with keep-alive        / haproxy's      (target <= 1)
#   rss   portgate peak RSS                   / proxyd's        (target <= 1)
# a `*` marks a ratio that misses its target; then, over all runs, the median
# of each ratio and how many runs met it.  "haproxy" is the haproxy-tcp/-unix
# row (default configuration), "proxyd" systemd-socket-proxyd.
# Exit status: 0, or 2 when a file lacks one of the rows.
set -eu

[ $# -ge 1 ] || {
	echo "usage: proxy-targets.sh PEERS-OUTPUT..." >&2
	exit 2
}

awk '
function ratio(a, b) { return (a == "nan" || b == "nan" || b == 0) ? "nan" : a / b }
# The first table only: a row name, then six fields that are numbers or "-".
$1 ~ /^(haproxy|proxyd|portgate)-(tcp|unix)$/ && NF == 7 && $2 ~ /^[0-9]+$/ &&
    !((FILENAME, $1) in seen) {
	seen[FILENAME, $1] = 1
	for (i = 2; i <= 7; i++)
		val[FILENAME, $1, i] = $i
	if (!(FILENAME in order)) {
		order[FILENAME] = ++nfiles
		files[nfiles] = FILENAME
	}
}
END {
	ntarget = split("ka close bulk p99 rss", tname, " ")
	# column of the table, peer, and whether lower is better
	split("2 3 5 4 7", tcol, " ")
	split("haproxy haproxy proxyd haproxy proxyd", tpeer, " ")
	split("0 0 0 1 1", tlow, " ")
	printf "%-24s", "run"
	for (k = 1; k <= 2; k++)
		for (t = 1; t <= ntarget; t++)
			printf " %8s", tname[t] "-" (k == 1 ? "tcp" : "unix")
	printf "\n"
	for (f = 1; f <= nfiles; f++) {
		fn = files[f]
		printf "%-24s", (length(fn) > 24 ? "..." substr(fn, length(fn) - 20) : fn)
		for (k = 1; k <= 2; k++) {
			kind = k == 1 ? "tcp" : "unix"
			for (t = 1; t <= ntarget; t++) {
				r = ratio(row_of(fn, "portgate-" kind, tcol[t]), row_of(fn, tpeer[t] "-" kind, tcol[t]))
				miss = r == "nan" || (tlow[t] ? r > 1 : r < 1)
				key = kind SUBSEP t
				if (r != "nan")
					all[key, ++n[key]] = r
				if (!miss)
					met[key]++
				printf " %7.2f%s", r, miss ? "*" : " "
			}
		}
		printf "\n"
	}
	printf "%-24s", "median"
	for (k = 1; k <= 2; k++)
		for (t = 1; t <= ntarget; t++)
			printf " %8.2f", median(k == 1 ? "tcp" : "unix", t)
	printf "\n%-24s", "runs meeting the target"
	for (k = 1; k <= 2; k++)
		for (t = 1; t <= ntarget; t++)
			printf " %8s", (met[(k == 1 ? "tcp" : "unix") SUBSEP t] + 0) "/" nfiles
	printf "\n"
	exit bad ? 2 : 0
}
function row_of(fn, name, col) {
	if (!((fn, name) in seen)) {
		printf "proxy-targets: %s: no %s row\n", fn, name > "/dev/stderr"
		bad = 1
		return "nan"
	}
	return val[fn, name, col]
}
function median(kind, t,    key, m, i, j, x, a) {
	key = kind SUBSEP t
	m = n[key] + 0
	if (m == 0)
		return "nan"
	for (i = 1; i <= m; i++)
		a[i] = all[key, i]
	for (i = 2; i <= m; i++) {	# insertion sort: a handful of runs
		x = a[i]
		for (j = i - 1; j >= 1 && a[j] > x; j--)
			a[j + 1] = a[j]
		a[j + 1] = x
	}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
' "$@"
