// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage"
	"github.com/parsecd/parsecd/storage/storetest"
)

func roundTrip(t *testing.T, v storage.KeyInfo) {
	t.Helper()
	enc := encodeValue(v)
	got, err := decodeValue(enc)
	if err != nil {
		t.Fatalf("decode(encode(%+v)): %v", v, err)
	}
	if !bytes.Equal(got.ID, v.ID) || got.Attributes != v.Attributes {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, v)
	}
	if again := encodeValue(got); !bytes.Equal(again, enc) {
		t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, enc)
	}
}

func TestCodecRoundTrip(t *testing.T) {
	for _, v := range []storage.KeyInfo{
		{},
		{ID: []byte{0}},
		{ID: bytes.Repeat([]byte{0xa5}, 200)}, // two-byte length
		{ID: []byte("handle"), Attributes: storetest.RichAttributes()},
	} {
		roundTrip(t, v)
	}
}

// leaves returns the settable scalar fields of a KeyAttributes value.
func leaves(t *testing.T, v reflect.Value, path string, out map[string]reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			leaves(t, v.Field(i), path+"."+v.Type().Field(i).Name, out)
		}
	case reflect.Bool, reflect.Uint8, reflect.Uint16, reflect.Uint32:
		out[path] = v
	default:
		t.Fatalf("%s has kind %s: the codec does not know it", path, v.Kind())
	}
}

func setMax(v reflect.Value) {
	if v.Kind() == reflect.Bool {
		v.SetBool(true)
		return
	}
	v.SetUint(1<<v.Type().Bits() - 1)
}

// TestCodecEveryField sets one field at a time to the largest value of its
// type, so that a field the codec forgets, swaps or truncates (say, after a
// field is added to psa.Algorithm or widened) fails the round trip.
func TestCodecEveryField(t *testing.T) {
	var probe psa.KeyAttributes
	fields := map[string]reflect.Value{}
	leaves(t, reflect.ValueOf(&probe).Elem(), "KeyAttributes", fields)
	if len(fields) < 25 {
		t.Fatalf("found only %d fields", len(fields))
	}
	for path := range fields {
		t.Run(path, func(t *testing.T) {
			var a psa.KeyAttributes
			one := map[string]reflect.Value{}
			leaves(t, reflect.ValueOf(&a).Elem(), "KeyAttributes", one)
			setMax(one[path])
			roundTrip(t, storage.KeyInfo{ID: []byte{7}, Attributes: a})
		})
	}
	var all psa.KeyAttributes
	every := map[string]reflect.Value{}
	leaves(t, reflect.ValueOf(&all).Elem(), "KeyAttributes", every)
	for _, v := range every {
		setMax(v)
	}
	roundTrip(t, storage.KeyInfo{ID: []byte{7}, Attributes: all})
}

// golden is the version 1 encoding of goldenValue. It must never change:
// stores written by released daemons hold these bytes. A new layout needs
// a new format version (and a decoder for version 1 kept alongside).
const golden = "01" + // format version
	"0b" + "07" + "ac02" + // Type: EccPair, BrainpoolPR1, DhFamily 300
	"8003" + // Bits 384
	"8107" + // Usage (897): Export|SignHash|VerifyHash|Derive
	"06" + "08" + // Alg.Kind AsymSign, Alg.Hash SHA384
	"01" + "09" + "14" + // Mac: Hmac, SHA512, Length 20
	"08" + // Cipher CbcPkcs7
	"03" + "0c" + // Aead: Chacha20Poly1305, TagLength 12
	"06" + "07" + // Sign: DeterministicEcdsa, SHA256
	"02" + "06" + // Encrypt: RsaOaep, SHA224
	"02" + "03" + "0d" + // KeyAgreement: Ecdh, Tls12PskToMs, SHA3_256
	"01" + "0f" + // Kdf: Hkdf, SHA3_512
	"0f" + // flags: Mac.Truncated|Aead.Shortened|Sign.AnyHash|KeyAgreement.HasKdf
	"04" + "deadbeef" // ID

var goldenValue = storage.KeyInfo{ID: []byte{0xde, 0xad, 0xbe, 0xef}, Attributes: storetest.RichAttributes()}

func TestCodecGolden(t *testing.T) {
	want, err := hex.DecodeString(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got := encodeValue(goldenValue); !bytes.Equal(got, want) {
		t.Errorf("encodeValue(golden value):\n got %x\nwant %x\n(the version 1 format must not change)", got, want)
	}
	got, err := decodeValue(want)
	if err != nil {
		t.Fatalf("decodeValue(golden): %v", err)
	}
	if !bytes.Equal(got.ID, goldenValue.ID) || got.Attributes != goldenValue.Attributes {
		t.Errorf("decodeValue(golden) = %+v, want %+v", got, goldenValue)
	}
}

func TestCodecErrors(t *testing.T) {
	good := encodeValue(storage.KeyInfo{ID: []byte("SECRETKEYBYTES"), Attributes: storetest.RichAttributes()})
	idLen := len(good) - len("SECRETKEYBYTES") - 1 // offset of the ID length
	flags := idLen - 1
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name, want string
		b          []byte
	}{
		{"empty", "empty value", nil},
		{"version 0", "unknown format version 0", mutate(func(b []byte) []byte { b[0] = 0; return b })},
		{"version 2", "unknown format version 2", mutate(func(b []byte) []byte { b[0] = 2; return b })},
		{"version 255", "unknown format version 255", []byte{0xff}},
		{"only version", "truncated attributes", []byte{formatV1}},
		{"truncated attributes", "truncated attributes", good[:flags]},
		{"truncated id", "truncated key id", good[:len(good)-1]},
		{"trailing bytes", "trailing bytes", append(bytes.Clone(good), 0)},
		{"unknown flag", "unknown attribute flags", mutate(func(b []byte) []byte { b[flags] |= 0x10; return b })},
		{"bits overflow", "integer out of range", append([]byte{formatV1, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x10}, good[9:]...)},
		{"usage overflow", "integer out of range", []byte{formatV1, 0, 0, 0, 0, 0x80, 0x80, 0x04}},
		{"overlong", "non-canonical integer", []byte{formatV1, 0, 0, 0x80, 0x00}},
		{"varint too long", "integer out of range", append([]byte{formatV1, 0, 0}, bytes.Repeat([]byte{0xff}, 11)...)},
		{"huge id length", "truncated key id", append(good[:idLen:idLen], 0xff, 0xff, 0xff, 0xff, 0x0f, 'x')},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeValue(tc.b)
			if err == nil {
				t.Fatal("no error")
			}
			if status.CodeOf(err) != status.KeyInfoManagerError {
				t.Errorf("status %v, want KeyInfoManagerError", status.CodeOf(err))
			}
			var se *status.Error
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to mention %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") || strings.Contains(err.Error(), hex.EncodeToString([]byte("SECRET"))) {
				t.Errorf("error %q quotes the key id", err)
			}
		})
	}
}

func FuzzDecodeValue(f *testing.F) {
	g, _ := hex.DecodeString(golden)
	f.Add(g)
	f.Add(encodeValue(storage.KeyInfo{}))
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := decodeValue(b)
		if err != nil {
			if status.CodeOf(err) != status.KeyInfoManagerError {
				t.Fatalf("status %v", status.CodeOf(err))
			}
			return
		}
		// The format is canonical: a value that decodes re-encodes to the same bytes.
		if enc := encodeValue(v); !bytes.Equal(enc, b) {
			t.Fatalf("encode(decode(%x)) = %x", b, enc)
		}
	})
}
