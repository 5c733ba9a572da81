#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Starts a fresh swtpm (TPM 2.0) on a temporary state directory, loopback only.
#
#   test/scripts/swtpm.sh start [--unix] [--dir DIR]   start; print the settings
#   test/scripts/swtpm.sh stop DIR                     stop it and remove DIR
#
# start prints shell assignments (eval-able):
#   PARSEC_TEST_TCTI=swtpm:host=127.0.0.1,port=P   (--unix: swtpm:path=DIR/swtpm.sock)
#   SWTPM_DIR=DIR  SWTPM_PID=PID  SWTPM_CTRL_PORT=P+1 (or SWTPM_CTRL_SOCK=DIR/ctrl.sock)
# and, on stderr, the command that stops it. The swtpm runs as a daemon with
# --flags not-need-init,startup-clear, so it is powered on and started up.
# With --dir, the state directory is kept (a restart with the same DIR keeps
# the TPM's state, as a TPM reset test needs); otherwise a new one is made.
# swtpm is installed with apt-get when missing and running as root.
set -euo pipefail

die() { echo "swtpm.sh: $*" >&2; exit 1; }

ensure_swtpm() {
	command -v swtpm >/dev/null 2>&1 && return
	[ "$(id -u)" = 0 ] || die "swtpm is missing; run as root or: apt-get install swtpm swtpm-tools"
	command -v apt-get >/dev/null 2>&1 || die "swtpm is missing and there is no apt-get to install it"
	echo "swtpm.sh: installing swtpm swtpm-tools" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq --no-install-recommends swtpm swtpm-tools >/dev/null
	command -v swtpm >/dev/null 2>&1 || die "swtpm still missing after apt-get install"
}

start() {
	local unix=0 dir=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--unix) unix=1 ;;
		--dir) dir="${2:?--dir needs a directory}"; shift ;;
		*) die "start: unknown argument $1" ;;
		esac
		shift
	done
	ensure_swtpm
	if [ -z "$dir" ]; then
		dir=$(mktemp -d "${TMPDIR:-/tmp}/parsec-swtpm.XXXXXX")
	fi
	mkdir -p "$dir/state"
	local pidfile="$dir/swtpm.pid" log="$dir/swtpm.log"
	rm -f "$pidfile"
	local common=(--tpm2 --tpmstate "dir=$dir/state" --flags not-need-init,startup-clear
		--daemon --pid "file=$pidfile" --log "file=$log,level=1")
	if [ "$unix" = 1 ]; then
		rm -f "$dir/swtpm.sock" "$dir/ctrl.sock"
		swtpm socket "${common[@]}" --server "type=unixio,path=$dir/swtpm.sock" \
			--ctrl "type=unixio,path=$dir/ctrl.sock" >>"$log" 2>&1 ||
			die "swtpm failed to start (log: $log): $(tail -n 5 "$log")"
		wait_pid "$pidfile" "$log"
		echo "PARSEC_TEST_TCTI=swtpm:path=$dir/swtpm.sock"
		echo "SWTPM_CTRL_SOCK=$dir/ctrl.sock"
	else
		# Random ports in 20000-59999; retry when one is taken (swtpm binds
		# before it daemonizes, so a taken port makes it exit non-zero).
		local port="" try
		for try in $(seq 1 20); do
			local p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
			if swtpm socket "${common[@]}" --server "type=tcp,port=$p,bindaddr=127.0.0.1" \
				--ctrl "type=tcp,port=$((p + 1)),bindaddr=127.0.0.1" >>"$log" 2>&1; then
				port=$p
				break
			fi
		done
		[ -n "$port" ] || die "swtpm failed to start on a free port (log: $log): $(tail -n 5 "$log")"
		wait_pid "$pidfile" "$log"
		echo "PARSEC_TEST_TCTI=swtpm:host=127.0.0.1,port=$port"
		echo "SWTPM_CTRL_PORT=$((port + 1))"
	fi
	echo "SWTPM_DIR=$dir"
	echo "SWTPM_PID=$(cat "$pidfile")"
	echo "swtpm.sh: started $(swtpm --version | head -n1); stop it with: $0 stop $dir" >&2
}

wait_pid() {
	local i
	for i in $(seq 1 50); do
		[ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && return
		sleep 0.1
	done
	die "swtpm did not write its pid file (log: $2)"
}

stop() {
	local dir="${1:?stop needs the SWTPM_DIR that start printed}"
	[ -d "$dir" ] || die "stop: no directory $dir"
	[ -d "$dir/state" ] || die "stop: $dir is not a swtpm.sh directory"
	if [ -s "$dir/swtpm.pid" ]; then
		local pid i
		pid=$(cat "$dir/swtpm.pid")
		if kill "$pid" 2>/dev/null; then
			for i in $(seq 1 50); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	if [ "${2:-}" != --keep ]; then
		rm -rf "$dir"
	fi
}

case "${1:-}" in
start) shift; start "$@" ;;
stop) shift; stop "$@" ;;
*) die "usage: $0 start [--unix] [--dir DIR] | stop DIR [--keep]" ;;
esac
