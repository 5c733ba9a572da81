#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# parsec-cli-tests.sh: end-to-end test of a running PARSEC service with
# parsec-tool, results checked with openssl (part of meta-parsec).
#
# usage: parsec-cli-tests.sh [-N] [--no-oaep] [--rsa-key-size N] [-d] [-p ID]
#   -N               test only one provider: the default one (or -p ID)
#   -p ID            the provider to test with -N (decimal id)
#   --no-oaep        skip RSA OAEP encryption (providers or tokens without it)
#   --rsa-key-size N RSA key size in bits (default 2048)
#   -d               debug: print every command and keep the work directory
# Environment: PARSEC_TOOL (default parsec-tool), OPENSSL (default openssl),
# PARSEC_SERVICE_ENDPOINT (parsec-tool's endpoint).
# Exit status: 0 when every test passed, 1 otherwise.

set -u

TOOL=${PARSEC_TOOL:-parsec-tool}
OPENSSL=${OPENSSL:-openssl}
ONE=0
ONE_ID=
OAEP=1
RSA_BITS=2048
DEBUG=0

usage() {
	sed -n '4,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-N) ONE=1 ;;
	-p) [ $# -ge 2 ] || usage; ONE_ID=$2; shift ;;
	--no-oaep) OAEP=0 ;;
	--rsa-key-size) [ $# -ge 2 ] || usage; RSA_BITS=$2; shift ;;
	--rsa-key-size=*) RSA_BITS=${1#*=} ;;
	-d) DEBUG=1 ;;
	-h | --help) usage ;;
	*) echo "unknown option: $1" >&2; usage ;;
	esac
	shift
done
case "$RSA_BITS" in
'' | *[!0-9]*) echo "--rsa-key-size: not a number: $RSA_BITS" >&2; exit 2 ;;
esac

WORK=$(mktemp -d -t parsec-cli-tests.XXXXXX) || exit 1
cleanup() {
	if [ "$DEBUG" = 1 ]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

FAILED=0
PASSED=0
PREFIX="parsec-cli-tests-$$"

log() { echo "$*"; }
debug() { [ "$DEBUG" = 1 ] && echo "+ $*" >&2; return 0; }

# run CMD...: run a command, its output in $WORK/out, errors in $WORK/err.
run() {
	debug "$@"
	"$@" >"$WORK/out" 2>"$WORK/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "    command failed ($rc): $*" >&2
		sed 's/^/    | /' "$WORK/err" >&2
	fi
	return $rc
}

pass() { PASSED=$((PASSED + 1)); log "  PASS $1"; }
fail() { FAILED=$((FAILED + 1)); log "  FAIL $1"; }

# tool PROVIDER ARGS...: parsec-tool against one provider.
tool() {
	p=$1
	shift
	run "$TOOL" -p "$p" "$@"
}

b64dec() { "$OPENSSL" base64 -d -A; }
b64enc() { "$OPENSSL" base64 -A; }

test_random() {
	p=$1
	if tool "$p" generate-random --nbytes 32 && [ -s "$WORK/out" ]; then
		pass "generate-random"
	else
		fail "generate-random"
	fi
}

# test_rsa_encrypt PROVIDER oaep|pkcs1
test_rsa_encrypt() {
	p=$1 kind=$2
	key="$PREFIX-rsa-$kind"
	msg="parsec cli test $kind $$"
	flag=
	[ "$kind" = oaep ] && flag=--oaep
	if ! tool "$p" create-rsa-key -k "$key" -b "$RSA_BITS" $flag; then
		fail "RSA $kind: create-rsa-key"
		return
	fi
	ok=1
	# parsec-tool encrypts, the service decrypts.
	if tool "$p" encrypt -k "$key" "$msg" && cp "$WORK/out" "$WORK/ct" &&
		tool "$p" decrypt -k "$key" "$(tr -d '\n' <"$WORK/ct")" &&
		[ "$(cat "$WORK/out")" = "$msg" ]; then :; else
		ok=0
		echo "    encrypt/decrypt round trip failed" >&2
	fi
	# openssl encrypts with the exported public key, the service decrypts.
	if tool "$p" export-public-key -k "$key" && cp "$WORK/out" "$WORK/pub.pem"; then
		if [ "$kind" = oaep ]; then
			set -- -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256
		else
			set -- -pkeyopt rsa_padding_mode:pkcs1
		fi
		if printf '%s' "$msg" >"$WORK/msg" &&
			run "$OPENSSL" pkeyutl -encrypt -pubin -inkey "$WORK/pub.pem" "$@" -in "$WORK/msg" -out "$WORK/ct.bin" &&
			tool "$p" decrypt -k "$key" "$(b64enc <"$WORK/ct.bin")" &&
			[ "$(cat "$WORK/out")" = "$msg" ]; then :; else
			ok=0
			echo "    openssl-encrypted data did not decrypt" >&2
		fi
	else
		ok=0
	fi
	if [ $ok = 1 ]; then pass "RSA $kind encrypt/decrypt ($RSA_BITS bits, openssl cross-check)"; else fail "RSA $kind encrypt/decrypt"; fi
	tool "$p" delete-key -k "$key" || fail "delete-key $key"
}

test_ecc_sign() {
	p=$1
	key="$PREFIX-ecc"
	msg="parsec cli test ecdsa $$"
	if ! tool "$p" create-ecc-key -k "$key"; then
		fail "ECC: create-ecc-key"
		return
	fi
	if tool "$p" sign -k "$key" "$msg" && b64dec <"$WORK/out" >"$WORK/sig.der" &&
		tool "$p" export-public-key -k "$key" && cp "$WORK/out" "$WORK/ecpub.pem" &&
		printf '%s' "$msg" >"$WORK/msg" &&
		run "$OPENSSL" dgst -sha256 -verify "$WORK/ecpub.pem" -signature "$WORK/sig.der" "$WORK/msg"; then
		pass "ECDSA P-256 sign (verified by openssl)"
	else
		fail "ECDSA P-256 sign"
	fi
	# A CSR signed by the key: openssl checks its signature and public key.
	if tool "$p" create-csr -k "$key" --cn parsec-cli-test --o parsecd && cp "$WORK/out" "$WORK/req.pem" &&
		run "$OPENSSL" req -in "$WORK/req.pem" -noout -verify &&
		run "$OPENSSL" req -in "$WORK/req.pem" -noout -pubkey && cp "$WORK/out" "$WORK/csrpub.pem" &&
		run "$OPENSSL" pkey -pubin -in "$WORK/csrpub.pem" -outform DER -out "$WORK/a.der" &&
		run "$OPENSSL" pkey -pubin -in "$WORK/ecpub.pem" -outform DER -out "$WORK/b.der" &&
		cmp -s "$WORK/a.der" "$WORK/b.der"; then
		pass "create-csr (verified by openssl)"
	else
		fail "create-csr"
	fi
	if tool "$p" list-keys && grep -q "$key" "$WORK/out"; then
		pass "list-keys"
	else
		fail "list-keys"
	fi
	if tool "$p" delete-key -k "$key" && tool "$p" list-keys && ! grep -q "$key" "$WORK/out"; then
		pass "delete-key"
	else
		fail "delete-key"
	fi
}

test_provider() {
	p=$1
	log "Provider $p:"
	test_random "$p"
	test_rsa_encrypt "$p" pkcs1
	if [ "$OAEP" = 1 ]; then
		test_rsa_encrypt "$p" oaep
	else
		log "  SKIP RSA OAEP (--no-oaep)"
	fi
	test_ecc_sign "$p"
}

command -v "$TOOL" >/dev/null 2>&1 || { echo "$TOOL not found" >&2; exit 1; }
command -v "$OPENSSL" >/dev/null 2>&1 || { echo "$OPENSSL not found" >&2; exit 1; }

log "Service:"
if run "$TOOL" ping; then pass "ping ($(cat "$WORK/out"))"; else fail "ping"; fi
if run "$TOOL" list-providers; then
	pass "list-providers"
	cp "$WORK/out" "$WORK/providers"
else
	fail "list-providers"
	: >"$WORK/providers"
fi
# Provider ids (decimal), in the service's order, without the core provider.
ids=$(sed -n 's/^ID: 0x\([0-9a-fA-F][0-9a-fA-F]*\) .*/\1/p' "$WORK/providers" |
	while read -r h; do printf '%d\n' "0x$h"; done | grep -v '^0$')
if [ "$ONE" = 1 ]; then
	if [ -n "$ONE_ID" ]; then
		ids=$ONE_ID
	else
		ids=$(echo "$ids" | head -n 1)
	fi
fi
[ -n "$ids" ] || { fail "no provider to test"; ids=; }
for p in $ids; do
	test_provider "$p"
done

log "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
