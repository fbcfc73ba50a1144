#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# t0220-status.sh - portgate status: the policy, the kernel path and the broker
# in one answer, and its exit code (0 only when a valid policy is enforced by
# at least one path, and the kernel's copy is current); status --json and
# kernel status --json: the keys portgate(1) documents, the same exit codes.
#
# SAFETY: the kernel part attaches to a scratch cgroup made here, never the
# root, with pins in a bpffs private to this test's mount namespace; no
# process joins the cgroup.  The trap unloads and removes it.
# Users are pgt-st* so that other tests' users never collide with these.
# shellcheck disable=SC2016,SC2034,SC2119,SC2317
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${0%/*}/lib.sh"

[ -x "$PG" ] || skip_all "needs $PG (make all)"
require_cmd setpriv

make_user "pgt-stalice$SFX"
make_user "pgt-stbob$SFX"
ETC=$TMP/etc
mkdir -p "$ETC"
echo "pgt-stalice$SFX tcp://127.0.0.1:80" >"$ETC/portgate.conf"
chmod -R a+rX "$ETC"
export PORTGATE_CONFIG_DIR="$ETC" PORTGATE_AUTHBIND_DIR=
PGSOCK=$TMP/run/portgated.sock
export PORTGATE_SOCKET="$PGSOCK"
OUT=$TMP/out
# A pin directory that is never there, so the host's kernel policy (if any) is not read.
NOPINS=/nonexistent/pgt-t0220

status() {
	"$PG" status "$@" >"$OUT" 2>&1
}
has() {
	grep -F -- "$1" "$OUT" >/dev/null || { sed 's/^/# /' "$OUT"; return 1; }
}

test_expect_success 'nothing running: the policy is read, nothing enforces it, exit 1' '
	{ status --pin-dir $NOPINS; test $? = 1; } &&
	has "policy: $ETC: 1 rule in 1 file" &&
	has "kernel: not loaded" &&
	has "broker: not running (no socket at $PGSOCK" &&
	has "enforced: no: named ports are neither granted nor reserved"
'

start_portgated
PGD_UID=$(id -u "pgt-portgated$SFX")

test_expect_success 'with portgated: the broker line names its pid and user, exit 0' '
	status --pin-dir $NOPINS &&
	has "broker: running at $PGSOCK (pid $PGD_PID, user pgt-portgated$SFX)" &&
	has "enforced: yes, by the broker"
'

STATUS_KEYS="broker enforced enforced_by kernel kernel_stale policy"
test_expect_success 'status --json: the keys portgate(1) documents, the same exit code' '
	"$PG" status --json --pin-dir $NOPINS >"$OUT" &&
	/usr/bin/python3 -m json.tool "$OUT" >/dev/null &&
	json_keys "$OUT" "" "$STATUS_KEYS" &&
	json_keys "$OUT" "[\"policy\"]" "authbind_dir config_dir errors files rules state" &&
	json_keys "$OUT" "[\"kernel\"]" "all_programs bind4 bind6 cgroup in_sync pin_dir state" &&
	json_keys "$OUT" "[\"broker\"]" "pid socket state user" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
want = [d[\"policy\"][\"state\"], d[\"policy\"][\"rules\"], d[\"kernel\"][\"state\"],
        d[\"broker\"][\"state\"], d[\"broker\"][\"pid\"], d[\"broker\"][\"user\"],
        d[\"enforced\"], d[\"enforced_by\"]]
got = [\"ok\", 1, \"not-loaded\", \"running\", $PGD_PID, \"pgt-portgated$SFX\", True, [\"broker\"]]
sys.exit(0 if want == got else \"%s, want %s\" % (want, got))
" "$OUT"
'

test_expect_success 'an ordinary user gets the same answer about the broker' '
	as_user pgt-stbob$SFX "$PG" status --pin-dir $NOPINS >"$OUT" 2>&1 &&
	has "broker: running at $PGSOCK"
'

kill -9 "$PGD_PID"
wait "$PGD_PID" 2>/dev/null
test_expect_success 'a socket left by a killed portgated is told apart from none' '
	{ status --pin-dir $NOPINS; test $? = 1; } &&
	has "broker: not running ($PGSOCK is left from an earlier portgated"
'

test_expect_success 'a broken policy: the error count, a pointer to verify, exit 1' '
	cp "$ETC/portgate.conf" "$TMP/good.conf" &&
	printf "pgt-stalice$SFX tcp://127.0.0.1:80\npgt-nosuchuser tcp://*:81\n" >"$ETC/portgate.conf" &&
	{ status --pin-dir $NOPINS; test $? = 1; } &&
	has "has 1 error: nothing of it is enforced until they are fixed (run '"'"'portgate verify'"'"')" &&
	has "enforced: no (fix the policy first)" &&
	{ status --json --pin-dir $NOPINS; test $? = 1; } &&
	json_keys "$OUT" "" "$STATUS_KEYS" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if (d[\"policy\"][\"state\"], d[\"policy\"][\"errors\"], d[\"policy\"][\"rules\"],
               d[\"enforced\"]) == (\"errors\", 1, None, False) else d)
" "$OUT" &&
	cp "$TMP/good.conf" "$ETC/portgate.conf"
'

test_expect_code 100 'an unexpected argument is a usage error' '"$PG" status extra'
test_expect_code 100 'a relative --pin-dir is a usage error' '"$PG" status --pin-dir rel'
test_expect_success '--help prints the usage' '
	"$PG" status --help >"$OUT" && has "usage: portgate status [--pin-dir DIR] [--json]"
'
KSTATUS_KEYS="bind4 bind6 broker_running cgroup cgroup_id counters exempt generations_differ listeners loaded log pin_dir policy policy_files scope"
test_expect_success 'kernel status --json with nothing loaded: loaded false, the other keys null, exit 1' '
	{ "$PG" kernel status --json --pin-dir $NOPINS >"$OUT"; test $? = 1; } &&
	json_keys "$OUT" "" "$KSTATUS_KEYS" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d.pop(\"loaded\") is False and d.pop(\"pin_dir\") == sys.argv[2] and
         set(d.values()) == {None} else d)
" "$OUT" $NOPINS
'

# --- the kernel path, in a scratch cgroup ------------------------------------------

CG2=$(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -n 1)
if ! [ -r /sys/kernel/btf/vmlinux ] || [ -z "$CG2" ] || ! [ -d "$CG2" ] ||
	! mount -t bpf -o mode=0700 pgt-t0220 /sys/fs/bpf 2>/dev/null; then
	if [ "${PORTGATE_TEST_STRICT:-}" = 1 ]; then
		echo "Bail out! the kernel part needs BTF, cgroup v2 and a bpffs"
		exit 1
	fi
	echo "# skipping the kernel part: needs BTF, cgroup v2 and a private bpffs"
	test_done
fi
CG=$CG2/pgt-t0220-$$
PINS=/sys/fs/bpf/pgt-t0220-$$
status_cleanup() {
	"$PG" kernel unload --pin-dir "$PINS" >/dev/null 2>&1
	[ -d "$CG" ] && rmdir "$CG" 2>/dev/null
	_pg_cleanup
}
trap status_cleanup EXIT
mkdir "$CG" || { echo "Bail out! cannot create the scratch cgroup $CG"; exit 1; }
"$PG" kernel load --cgroup "$CG" --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT" 2>&1 ||
	{ sed 's/^/# /' "$OUT"; echo "Bail out! kernel load into the scratch cgroup failed"; exit 1; }

test_expect_success 'kernel loaded in a scratch cgroup: named, in sync, exit 0' '
	status --pin-dir "$PINS" &&
	has "kernel: loaded (bind4 and bind6) for the programs in $CG only; in sync with the policy files" &&
	has "enforced: yes, by the kernel"
'

test_expect_success 'status --json: the kernel enforces it, in sync' '
	status --json --pin-dir "$PINS" &&
	json_keys "$OUT" "" "$STATUS_KEYS" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
k = d[\"kernel\"]
got = (k[\"state\"], k[\"cgroup\"], k[\"all_programs\"], k[\"in_sync\"], d[\"enforced_by\"])
want = (\"loaded\", sys.argv[2], False, True, [\"kernel\"])
sys.exit(0 if got == want else \"%s, want %s\" % (got, want))
" "$OUT" "$CG"
'

test_expect_success 'kernel status --json: the keys portgate(1) documents, exit 0' '
	"$PG" kernel status --json --pin-dir "$PINS" --netns /proc/self/ns/net >"$OUT" &&
	/usr/bin/python3 -m json.tool "$OUT" >/dev/null &&
	json_keys "$OUT" "" "$KSTATUS_KEYS" &&
	json_keys "$OUT" "[\"bind4\"]" "link_id pin program_id program_name" &&
	json_keys "$OUT" "[\"policy\"]" "authbind_byuid_files authbind_entries entries hash loaded_at managed_ports rules" &&
	json_keys "$OUT" "[\"scope\"]" "all_netns netns_cookie unprivileged_port_start" &&
	json_keys "$OUT" "[\"log\"]" "burst grants rate" &&
	json_keys "$OUT" "[\"counters\"]" "denials dropped_rate_limit dropped_ring_full grants logged" &&
	json_keys "$OUT" "[\"listeners\"]" "entries judged managed netns netns_cookie sockets udp_listed violations" &&
	/usr/bin/python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
got = (d[\"loaded\"], d[\"cgroup\"], d[\"policy\"][\"rules\"], d[\"policy_files\"],
       d[\"log\"][\"grants\"], d[\"listeners\"][\"violations\"])
want = (True, sys.argv[2], 1, \"in-sync\", False, 0)
sys.exit(0 if got == want else \"%s, want %s\" % (got, want))
" "$OUT" "$CG"
'

test_expect_success 'the policy files changed since the load: say so, exit 1' '
	echo "pgt-stbob$SFX tcp://127.0.0.1:81" >>"$ETC/portgate.conf" &&
	{ status --pin-dir "$PINS"; test $? = 1; } &&
	has "the policy files CHANGED since: run '"'"'portgate kernel reload'"'"'" &&
	has "enforced: yes, by the kernel (the kernel with an older policy)"
'

test_expect_success 'after a reload it is in sync again' '
	"$PG" kernel reload --cgroup "$CG" --pin-dir "$PINS" --netns /proc/self/ns/net >/dev/null 2>&1 &&
	status --pin-dir "$PINS" && has "in sync with the policy files"
'

test_expect_success 'an ordinary user cannot read the pins: the answer says so' '
	as_user pgt-stbob$SFX "$PG" status --pin-dir "$PINS" >"$OUT" 2>&1
	has "kernel: cannot tell without root (run '"'"'sudo portgate status'"'"')"
'

test_done
