package main

import (
	"errors"
	"reflect"
	"testing"
)

type rsaFlags struct {
	name             string
	sign, pss, oaep  bool
	bits             uint64
	bitsSet, nameSet bool
}

func parseRSA(args []string) (rsaFlags, []string, error) {
	var f rsaFlags
	f.bits = 2048
	o := newOptions("t")
	keyNameFlag(o, &f.name)
	o.Bool(&f.sign, 's', "for-signing", "")
	o.Bool(&f.pss, 'r', "for-signing-pss", "")
	o.Uint(&f.bits, 'b', "bits", "BITS", "", 1<<32-1, false)
	o.Bool(&f.oaep, 'o', "oaep", "")
	pos, err := o.parse(args, false)
	if err == nil {
		f.bitsSet, f.nameSet = o.IsSet("bits"), o.IsSet("key-name")
	}
	return f, pos, err
}

func TestParseFlagSyntax(t *testing.T) {
	cases := []struct {
		args []string
		want rsaFlags
		pos  []string
	}{
		{[]string{"-k", "k1"}, rsaFlags{name: "k1", bits: 2048, nameSet: true}, nil},
		{[]string{"-kk1"}, rsaFlags{name: "k1", bits: 2048, nameSet: true}, nil},
		{[]string{"-k=k1"}, rsaFlags{name: "k1", bits: 2048, nameSet: true}, nil},
		{[]string{"--key-name", "k1"}, rsaFlags{name: "k1", bits: 2048, nameSet: true}, nil},
		{[]string{"--key-name=k=1"}, rsaFlags{name: "k=1", bits: 2048, nameSet: true}, nil},
		{[]string{"-s", "-o", "-k", "k"}, rsaFlags{name: "k", sign: true, oaep: true, bits: 2048, nameSet: true}, nil},
		{[]string{"-so", "--key-name", "k"}, rsaFlags{name: "k", sign: true, oaep: true, bits: 2048, nameSet: true}, nil},
		{[]string{"-rk", "k", "-b1024"}, rsaFlags{name: "k", pss: true, bits: 1024, nameSet: true, bitsSet: true}, nil},
		{[]string{"--bits=4096", "--for-signing", "-k", "k"}, rsaFlags{name: "k", sign: true, bits: 4096, nameSet: true, bitsSet: true}, nil},
		{[]string{"--oaep=false", "-k", "-s"}, rsaFlags{name: "-s", bits: 2048, nameSet: true}, nil},
		{[]string{"data", "-k", "k", "more"}, rsaFlags{name: "k", bits: 2048, nameSet: true}, []string{"data", "more"}},
		{[]string{"-k", "k", "--", "-s", "--bits"}, rsaFlags{name: "k", bits: 2048, nameSet: true}, []string{"-s", "--bits"}},
		{[]string{"-", "-k", "k"}, rsaFlags{name: "k", bits: 2048, nameSet: true}, []string{"-"}},
	}
	for _, tc := range cases {
		got, pos, err := parseRSA(tc.args)
		if err != nil || got != tc.want || !reflect.DeepEqual(pos, tc.pos) {
			t.Errorf("parse(%q) = %+v %q %v; want %+v %q", tc.args, got, pos, err, tc.want, tc.pos)
		}
	}
	for _, bad := range [][]string{
		{"--unknown"}, {"-x"}, {"-sx"}, {"-k"}, {"--key-name"}, {"-b", "big"}, {"-b", "-1"},
		{"--bits=99999999999"}, {"--for-signing=maybe"},
	} {
		_, _, err := parseRSA(bad)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("parse(%q): err = %v, want a usage error", bad, err)
		}
	}
}

func TestParseRepeatable(t *testing.T) {
	for _, args := range [][]string{
		{"--san", "a.example", "--san", "10.0.0.1"},
		{"--san", "a.example", "10.0.0.1"},
		{"--san=a.example", "--san=10.0.0.1"},
	} {
		var san []string
		var key string
		o := newOptions("t")
		keyNameFlag(o, &key)
		o.Strings(&san, 0, "san", "SAN", "")
		pos, err := o.parse(append([]string{"-k", "k"}, args...), false)
		if err != nil || len(pos) != 0 || !reflect.DeepEqual(san, []string{"a.example", "10.0.0.1"}) {
			t.Errorf("parse(%q): san %q, pos %q, %v", args, san, pos, err)
		}
	}
}

func TestParseGlobalStopsAtSubcommand(t *testing.T) {
	var p, tmo uint64
	o := newOptions("g")
	o.Uint(&p, 'p', "provider", "PROVIDER", "", 255, false)
	o.Uint(&tmo, 't', "timeout", "TIMEOUT", "", 1<<32-1, false)
	rest, err := o.parse([]string{"-p", "2", "--timeout=5", "list-opcodes", "-p", "1"}, true)
	if err != nil || p != 2 || tmo != 5 || !reflect.DeepEqual(rest, []string{"list-opcodes", "-p", "1"}) {
		t.Fatalf("rest %q p %d t %d %v", rest, p, tmo, err)
	}
	if _, err := o.parse([]string{"-p", "256", "ping"}, true); err == nil {
		t.Fatal("provider 256 accepted")
	}
}

func TestRSAKeyTemplate(t *testing.T) {
	enc := rsaKeyAttributes(2048, false, false, false)
	if debugAlg(enc.Policy.Alg) != "AsymmetricEncryption(RsaPkcs1v15Crypt)" || enc.Bits != 2048 {
		t.Errorf("default: %+v", enc)
	}
	if a := rsaKeyAttributes(1024, false, false, true); debugAlg(a.Policy.Alg) != "AsymmetricEncryption(RsaOaep { hash_alg: Sha256 })" {
		t.Errorf("oaep: %s", debugAlg(a.Policy.Alg))
	}
	if a := rsaKeyAttributes(2048, true, true, true); debugAlg(a.Policy.Alg) != "AsymmetricSignature(RsaPkcs1v15Sign { hash_alg: Specific(Sha256) })" || a.Policy.Usage != signUsage {
		t.Errorf("-s wins: %s", debugAlg(a.Policy.Alg))
	}
	if a := rsaKeyAttributes(2048, false, true, false); debugAlg(a.Policy.Alg) != "AsymmetricSignature(RsaPss { hash_alg: Specific(Sha256) })" {
		t.Errorf("pss: %s", debugAlg(a.Policy.Alg))
	}
}
