# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=sh
# lib-kernel.sh - what the kernel path's tests share, sourced after lib.sh:
#
#   kernel_scratch NAME     CG2 (the cgroup v2 hierarchy), ORIG_CG (this script's
#                           cgroup), CG=$CG2/pgt-NAME-$$ (not made yet: mkdir it once
#                           the trap is set) and PINS=/sys/fs/bpf/pgt-NAME-$$, on a
#                           bpffs mounted over /sys/fs/bpf in this script's own mount
#                           namespace; skips the script where one is missing.
#   kernel_scratch_remove   unload what PINS holds, move the processes left in CG
#                           back to ORIG_CG and remove CG: for the script's trap.
#
# SAFETY: the programs are attached to CG only, never to the root; the pins can never
# reach the host's /sys/fs/bpf.

kernel_scratch() {
	CG2=$(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo |
		head -n 1)
	if [ -z "$CG2" ] || ! [ -d "$CG2" ]; then
		skip_all "no cgroup v2 hierarchy mounted"
	fi
	ORIG_CG=$CG2$(sed -n 's/^0:://p' /proc/self/cgroup)
	[ -d "$ORIG_CG" ] || ORIG_CG=$CG2
	CG=$CG2/pgt-$1-$$
	mount -t bpf -o mode=0700 "pgt-$1" /sys/fs/bpf ||
		skip_all "cannot mount a private bpffs at /sys/fs/bpf"
	PINS=/sys/fs/bpf/pgt-$1-$$
}

kernel_scratch_remove() {
	"$PG" kernel unload --pin-dir "$PINS" >/dev/null 2>&1
	[ -d "$CG" ] || return 0
	while read -r _p; do
		echo "$_p" >"$ORIG_CG/cgroup.procs" 2>/dev/null
	done <"$CG/cgroup.procs"
	rmdir "$CG" 2>/dev/null
	return 0
}
