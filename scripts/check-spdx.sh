#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# check-spdx.sh - every source file (code, build files, scripts, units, man
# pages) names its license in an SPDX line within its first three lines.
# Run by `make lint`.  Data, fixtures and prose are not source: skipped.
set -eu
cd "$(dirname "$0")/.."
bad=0
for f in $(git ls-files -- '*.[ch]' '*.sh' '*.in' '*.map' '*.mk' Makefile \
	'man/*' 'contrib/*' '.ci/*' 'debian/rules' 'debian/*.post*' 'debian/*.pre*' \
	'etc/*' 'tests/helpers/pg-*' ':!tests/data/*' ':!tests/fuzz/corpus/*'); do
	[ -f "$f" ] || continue
	want="SPDX-License-Identifier: BSD-2-Clause"
	case "$f" in *.bpf.c) want="SPDX-License-Identifier: BSD-2-Clause OR GPL-2.0-only" ;; esac
	if ! head -n 3 "$f" | grep -qF "$want"; then
		echo "$f: no '$want' line in its first three lines" >&2
		bad=1
	fi
done
exit $bad
