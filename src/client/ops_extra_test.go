// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package client_test

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"

	"github.com/parsecd/parsecd/src/interface/pbwire"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/client/clienttest"
	"github.com/parsecd/parsecd/src/interface/ops/candocrypto"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeaddecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaaeadencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaalgorithm"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psacipherencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psamaccompute"
	"github.com/parsecd/parsecd/src/interface/ops/psamacverify"
	"github.com/parsecd/parsecd/src/interface/ops/psarawkeyagreement"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

var (
	gcm      = psa.Aead{Alg: psa.AeadGcm}
	gcmShort = psa.Aead{Alg: psa.AeadGcm, Shortened: true, TagLength: 8}
	hmac256  = psa.Mac{Kind: psa.MacHmac, Hash: psa.HashSHA256}
	cmac8    = psa.Mac{Kind: psa.MacCmac, Truncated: true, Length: 8}
)

// The typed wrappers put the native psa types on the wire as the
// protobuf contracts say, and return the result fields.
func TestSymmetricOpsEncoding(t *testing.T) {
	type want struct {
		op  pbwire.Message // expected operation
		res pbwire.Message // canned result
	}
	cases := map[parsec.Opcode]want{
		parsec.OpPsaAeadEncrypt: {&psaaeadencrypt.Operation{KeyName: "k", Nonce: []byte("n"), AdditionalData: []byte("ad"), Plaintext: []byte("p"),
			Alg: &psaalgorithm.Algorithm_Aead{Variant: &psaalgorithm.Algorithm_Aead_AeadWithDefaultLengthTag_{AeadWithDefaultLengthTag: psaalgorithm.Algorithm_Aead_GCM}}},
			&psaaeadencrypt.Result{Ciphertext: []byte("aead-ct")}},
		parsec.OpPsaAeadDecrypt: {&psaaeaddecrypt.Operation{KeyName: "k", Nonce: []byte("n"), Ciphertext: []byte("c"),
			Alg: &psaalgorithm.Algorithm_Aead{Variant: &psaalgorithm.Algorithm_Aead_AeadWithShortenedTag_{AeadWithShortenedTag: &psaalgorithm.Algorithm_Aead_AeadWithShortenedTag{
				AeadAlg: psaalgorithm.Algorithm_Aead_GCM, TagLength: 8}}}},
			&psaaeaddecrypt.Result{Plaintext: []byte("aead-pt")}},
		parsec.OpPsaCipherEncrypt: {&psacipherencrypt.Operation{KeyName: "k", Alg: psaalgorithm.Algorithm_CBC_PKCS7, Plaintext: []byte("p")},
			&psacipherencrypt.Result{Ciphertext: []byte("cipher-ct")}},
		parsec.OpPsaCipherDecrypt: {&psacipherdecrypt.Operation{KeyName: "k", Alg: psaalgorithm.Algorithm_CTR, Ciphertext: []byte("c")},
			&psacipherdecrypt.Result{Plaintext: []byte("cipher-pt")}},
		parsec.OpPsaMacCompute: {&psamaccompute.Operation{KeyName: "k", Input: []byte("i"), Alg: &psaalgorithm.Algorithm_Mac{
			Variant: &psaalgorithm.Algorithm_Mac_FullLength_{FullLength: &psaalgorithm.Algorithm_Mac_FullLength{
				Variant: &psaalgorithm.Algorithm_Mac_FullLength_Hmac_{Hmac: &psaalgorithm.Algorithm_Mac_FullLength_Hmac{HashAlg: psaalgorithm.Algorithm_SHA_256}}}}}},
			&psamaccompute.Result{Mac: []byte("mac")}},
		parsec.OpPsaMacVerify: {&psamacverify.Operation{KeyName: "k", Input: []byte("i"), Mac: []byte("m"), Alg: &psaalgorithm.Algorithm_Mac{
			Variant: &psaalgorithm.Algorithm_Mac_Truncated_{Truncated: &psaalgorithm.Algorithm_Mac_Truncated{MacLength: 8,
				MacAlg: &psaalgorithm.Algorithm_Mac_FullLength{Variant: &psaalgorithm.Algorithm_Mac_FullLength_Cmac_{Cmac: &psaalgorithm.Algorithm_Mac_FullLength_Cmac{}}}}}}},
			nil},
		parsec.OpPsaRawKeyAgreement: {&psarawkeyagreement.Operation{Alg: psaalgorithm.Algorithm_KeyAgreement_ECDH, PrivateKeyName: "k", PeerKey: []byte("peer")},
			&psarawkeyagreement.Result{SharedSecret: []byte("secret")}},
		parsec.OpCanDoCrypto: {&candocrypto.Operation{CheckType: candocrypto.CheckType_IMPORT, Attributes: psa.AttributesToProto(eccP256Sign)}, nil},
	}
	mux := clienttest.Mux{}
	for op, w := range cases {
		mux[op] = func(req *wire.Request) *wire.Response {
			got := reflect.New(reflect.TypeOf(w.op).Elem()).Interface().(pbwire.Message)
			if err := pbwire.Unmarshal(req.Body, got); err != nil || !reflect.DeepEqual(got, w.op) {
				t.Errorf("%v: sent %v (%v), want %v", op, got, err, w.op)
			}
			return clienttest.Reply(req, w.res)
		}
	}
	c := newClient(t, clienttest.NewServer(t, mux.Handle), client.WithAuth(client.DirectAuth("app")), client.WithProvider(parsec.ProviderMbedCrypto))
	expect := func(what string, got []byte, err error, want string) {
		t.Helper()
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", what, got, err, want)
		}
	}
	got, err := c.AeadEncrypt(ctx, "k", gcm, []byte("n"), []byte("ad"), []byte("p"))
	expect("AeadEncrypt", got, err, "aead-ct")
	got, err = c.AeadDecrypt(ctx, "k", gcmShort, []byte("n"), nil, []byte("c"))
	expect("AeadDecrypt", got, err, "aead-pt")
	got, err = c.CipherEncrypt(ctx, "k", psa.CipherCbcPkcs7, []byte("p"))
	expect("CipherEncrypt", got, err, "cipher-ct")
	got, err = c.CipherDecrypt(ctx, "k", psa.CipherCtr, []byte("c"))
	expect("CipherDecrypt", got, err, "cipher-pt")
	got, err = c.MacCompute(ctx, "k", hmac256, []byte("i"))
	expect("MacCompute", got, err, "mac")
	if err := c.MacVerify(ctx, "k", cmac8, []byte("i"), []byte("m")); err != nil {
		t.Errorf("MacVerify: %v", err)
	}
	got, err = c.RawKeyAgreement(ctx, psa.KeyAgreementEcdh, "k", []byte("peer"))
	expect("RawKeyAgreement", got, err, "secret")
	if err := c.CanDoCrypto(ctx, psa.CheckImport, eccP256Sign); err != nil {
		t.Errorf("CanDoCrypto: %v", err)
	}
}

// ---- round trips through the real back end and software provider ----

func serviceClient(t *testing.T) *client.Client {
	t.Helper()
	return newClient(t, clienttest.NewService().Start(t), client.WithAppName("ops-test"))
}

func symKey(kind psa.KeyKind, bits uint32, usage psa.UsageFlags, alg psa.Algorithm) psa.KeyAttributes {
	return psa.KeyAttributes{Type: psa.KeyType{Kind: kind}, Bits: bits, Policy: psa.KeyPolicy{Usage: usage, Alg: alg}}
}

func wantCode(t *testing.T, what string, err error, code status.Code) {
	t.Helper()
	var se *status.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Errorf("%s: err = %v, want %v", what, err, code)
	}
}

func TestImportExportRoundTrips(t *testing.T) {
	c := serviceClient(t)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	xKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	for name, key := range map[string]any{"rsa": rsaKey, "ecc": ecKey, "x25519": xKey} {
		t.Run(name, func(t *testing.T) {
			typ, bits, data, err := client.KeyData(key)
			if err != nil {
				t.Fatal(err)
			}
			attrs := psa.KeyAttributes{Type: typ, Bits: bits, Policy: psa.KeyPolicy{Usage: psa.UsageExport, Alg: psa.Algorithm{Kind: psa.AlgNone}}}
			if err := c.ImportKey(ctx, name, attrs, data); err != nil {
				t.Fatalf("ImportKey: %v", err)
			}
			out, err := c.ExportKey(ctx, name)
			if err != nil || !bytes.Equal(out, data) {
				t.Fatalf("ExportKey = %x, %v; want %x", out, err, data)
			}
			priv, err := client.ParsePrivateKey(attrs, out)
			if err != nil || !sameKey(priv, key) {
				t.Fatalf("ParsePrivateKey: %v", err)
			}
			pubData, err := c.ExportPublicKey(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := client.ParsePublicKey(attrs, pubData)
			if err != nil || !sameKey(pub, publicOf(priv)) {
				t.Fatalf("ParsePublicKey: %v", err)
			}
		})
	}
	t.Run("aes", func(t *testing.T) {
		secret := bytes.Repeat([]byte{7}, 32)
		if err := c.ImportKey(ctx, "aes", symKey(psa.KeyAes, 0, psa.UsageExport, psa.Algorithm{Kind: psa.AlgAead, Aead: gcm}), secret); err != nil {
			t.Fatalf("ImportKey: %v", err)
		}
		if out, err := c.ExportKey(ctx, "aes"); err != nil || !bytes.Equal(out, secret) {
			t.Fatalf("ExportKey = %x, %v", out, err)
		}
	})
	t.Run("no-export-flag", func(t *testing.T) {
		if err := c.GenerateKey(ctx, "sealed", eccP256Sign); err != nil {
			t.Fatal(err)
		}
		_, err := c.ExportKey(ctx, "sealed")
		wantCode(t, "ExportKey without the flag", err, status.PsaErrorNotPermitted)
	})
}

func TestMessageSignatureAndHash(t *testing.T) {
	c := serviceClient(t)
	if err := c.GenerateKey(ctx, "ecc", eccP256Sign); err != nil {
		t.Fatal(err)
	}
	alg := eccP256Sign.Policy.Alg.Sign
	msg := []byte("message to sign")
	sig, err := c.SignMessage(ctx, "ecc", alg, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyMessage(ctx, "ecc", alg, msg, sig); err != nil {
		t.Fatalf("VerifyMessage: %v", err)
	}
	k, err := c.Key(ctx, "ecc")
	if err != nil {
		t.Fatal(err)
	}
	der, _ := client.ECDSASignatureToASN1(sig)
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(k.Public().(*ecdsa.PublicKey), digest[:], der) {
		t.Fatal("SignMessage signature does not verify with crypto/ecdsa")
	}
	wantCode(t, "VerifyMessage of another message", c.VerifyMessage(ctx, "ecc", alg, []byte("other"), sig), status.PsaErrorInvalidSignature)

	h, err := c.HashCompute(ctx, psa.HashSHA256, msg)
	if err != nil || !bytes.Equal(h, digest[:]) {
		t.Fatalf("HashCompute = %x, %v", h, err)
	}
	if err := c.HashCompare(ctx, psa.HashSHA256, msg, h); err != nil {
		t.Fatalf("HashCompare: %v", err)
	}
	wantCode(t, "HashCompare mismatch", c.HashCompare(ctx, psa.HashSHA256, []byte("other"), h), status.PsaErrorInvalidSignature)
}

func TestCanDoCrypto(t *testing.T) {
	c := serviceClient(t)
	if err := c.CanDoCrypto(ctx, psa.CheckGenerate, eccP256Sign); err != nil {
		t.Errorf("generate P-256 ECDSA: %v", err)
	}
	if err := c.CanDoCrypto(ctx, client.CheckUse, eccP256Sign); err != nil {
		t.Errorf("use P-256 ECDSA (the client's constant): %v", err)
	}
	bad := eccP256Sign
	bad.Bits = 192
	wantCode(t, "generate P-192", c.CanDoCrypto(ctx, psa.CheckGenerate, bad), status.PsaErrorNotSupported)
	wrongAlg := symKey(psa.KeyAes, 256, psa.UsageEncrypt, eccP256Sign.Policy.Alg)
	wantCode(t, "ECDSA with an AES key", c.CanDoCrypto(ctx, psa.CheckUse, wrongAlg), status.PsaErrorNotSupported)
	wantCode(t, "derive", c.CanDoCrypto(ctx, psa.CheckDerive, eccP256Sign), status.PsaErrorNotSupported)
	aesGCM := symKey(psa.KeyAes, 256, psa.UsageEncrypt|psa.UsageDecrypt, psa.Algorithm{Kind: psa.AlgAead, Aead: gcm})
	if err := c.CanDoCrypto(ctx, psa.CheckGenerate, aesGCM); err != nil {
		t.Errorf("generate AES-256-GCM: %v", err)
	}
}

// The tests below need the software provider's symmetric families.

func TestAeadRoundTrip(t *testing.T) {
	c := serviceClient(t)
	enc := psa.UsageEncrypt | psa.UsageDecrypt
	keys := []struct {
		name  string
		kind  psa.KeyKind
		bits  uint32
		alg   psa.Aead
		nonce int
	}{
		{"gcm", psa.KeyAes, 128, gcm, 12},
		{"gcm8", psa.KeyAes, 256, gcmShort, 12},
		{"ccm", psa.KeyAes, 256, psa.Aead{Alg: psa.AeadCcm}, 13},
		{"chacha", psa.KeyChacha20, 256, psa.Aead{Alg: psa.AeadChacha20Poly1305}, 12},
	}
	for _, k := range keys {
		t.Run(k.name, func(t *testing.T) {
			if err := c.GenerateKey(ctx, k.name, symKey(k.kind, k.bits, enc, psa.Algorithm{Kind: psa.AlgAead, Aead: k.alg})); err != nil {
				t.Fatalf("GenerateKey: %v", err)
			}
			nonce := make([]byte, k.nonce)
			_, _ = rand.Read(nonce)
			ct, err := c.AeadEncrypt(ctx, k.name, k.alg, nonce, []byte("header"), []byte("plaintext"))
			if err != nil {
				t.Fatalf("AeadEncrypt: %v", err)
			}
			pt, err := c.AeadDecrypt(ctx, k.name, k.alg, nonce, []byte("header"), ct)
			if err != nil || string(pt) != "plaintext" {
				t.Fatalf("AeadDecrypt = %q, %v", pt, err)
			}
			ct[0] ^= 1
			_, err = c.AeadDecrypt(ctx, k.name, k.alg, nonce, []byte("header"), ct)
			wantCode(t, "tampered ciphertext", err, status.PsaErrorInvalidSignature)
		})
	}
}

func TestAeadMatchesCryptoCipher(t *testing.T) {
	c := serviceClient(t)
	secret := bytes.Repeat([]byte{0x42}, 16)
	attrs := symKey(psa.KeyAes, 128, psa.UsageEncrypt|psa.UsageDecrypt, psa.Algorithm{Kind: psa.AlgAead, Aead: gcm})
	if err := c.ImportKey(ctx, "aes", attrs, secret); err != nil {
		t.Fatalf("ImportKey: %v", err)
	}
	block, _ := aes.NewCipher(secret)
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, 12)
	want := aead.Seal(nil, nonce, []byte("hello"), []byte("ad"))
	got, err := c.AeadEncrypt(ctx, "aes", gcm, nonce, []byte("ad"), []byte("hello"))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("AeadEncrypt = %x, %v; want %x", got, err, want)
	}
}

func TestCipherRoundTrip(t *testing.T) {
	c := serviceClient(t)
	attrs := symKey(psa.KeyAes, 256, psa.UsageEncrypt|psa.UsageDecrypt, psa.Algorithm{Kind: psa.AlgCipher, Cipher: psa.CipherCbcPkcs7})
	if err := c.GenerateKey(ctx, "cbc", attrs); err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	ct, err := c.CipherEncrypt(ctx, "cbc", psa.CipherCbcPkcs7, []byte("seventeen bytes!!"))
	if err != nil {
		t.Fatalf("CipherEncrypt: %v", err)
	}
	if len(ct) != 16+32 {
		t.Errorf("IV ‖ ciphertext is %d bytes, want 48", len(ct))
	}
	pt, err := c.CipherDecrypt(ctx, "cbc", psa.CipherCbcPkcs7, ct)
	if err != nil || string(pt) != "seventeen bytes!!" {
		t.Fatalf("CipherDecrypt = %q, %v", pt, err)
	}
	_, err = c.CipherEncrypt(ctx, "cbc", psa.CipherCtr, []byte("x"))
	wantCode(t, "CTR with a CBC key", err, status.PsaErrorNotPermitted)
}

func TestMacRoundTrip(t *testing.T) {
	c := serviceClient(t)
	secret := []byte("an HMAC key of some length")
	attrs := symKey(psa.KeyHmac, 0, psa.UsageSignMessage|psa.UsageVerifyMessage, psa.Algorithm{Kind: psa.AlgMac, Mac: hmac256})
	if err := c.ImportKey(ctx, "hmac", attrs, secret); err != nil {
		t.Fatalf("ImportKey: %v", err)
	}
	mac, err := c.MacCompute(ctx, "hmac", hmac256, []byte("data"))
	h := hmac.New(sha256.New, secret)
	h.Write([]byte("data"))
	if err != nil || !bytes.Equal(mac, h.Sum(nil)) {
		t.Fatalf("MacCompute = %x, %v; want %x", mac, err, h.Sum(nil))
	}
	if err := c.MacVerify(ctx, "hmac", hmac256, []byte("data"), mac); err != nil {
		t.Fatalf("MacVerify: %v", err)
	}
	mac[0] ^= 1
	wantCode(t, "MacVerify of a wrong MAC", c.MacVerify(ctx, "hmac", hmac256, []byte("data"), mac), status.PsaErrorInvalidSignature)
}

func TestRawKeyAgreement(t *testing.T) {
	c := serviceClient(t)
	ecdhAlg := psa.Algorithm{Kind: psa.AlgKeyAgreement, KeyAgreement: psa.KeyAgreement{Raw: psa.KeyAgreementEcdh}}
	for _, curve := range []ecdh.Curve{ecdh.P256(), ecdh.X25519()} {
		name := "ka-" + curveName(curve)
		t.Run(name, func(t *testing.T) {
			mine, _ := curve.GenerateKey(rand.Reader)
			peer, _ := curve.GenerateKey(rand.Reader)
			typ, bits, data, err := client.KeyData(mine)
			if err != nil {
				t.Fatal(err)
			}
			attrs := psa.KeyAttributes{Type: typ, Bits: bits, Policy: psa.KeyPolicy{Usage: psa.UsageDerive, Alg: ecdhAlg}}
			if err := c.ImportKey(ctx, name, attrs, data); err != nil {
				t.Fatalf("ImportKey: %v", err)
			}
			_, _, peerData, _ := client.KeyData(peer.PublicKey())
			got, err := c.RawKeyAgreement(ctx, psa.KeyAgreementEcdh, name, peerData)
			want, _ := peer.ECDH(mine.PublicKey())
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("RawKeyAgreement = %x, %v; want %x", got, err, want)
			}
		})
	}
}

// sameKey compares two Go keys with their Equal methods.
func sameKey(a, b any) bool {
	switch k := a.(type) {
	case interface{ Equal(crypto.PrivateKey) bool }:
		return k.Equal(b)
	case interface{ Equal(crypto.PublicKey) bool }:
		return k.Equal(b)
	}
	return false
}

// publicOf is the public half of a Go private key.
func publicOf(priv any) crypto.PublicKey {
	return priv.(interface{ Public() crypto.PublicKey }).Public()
}

func curveName(c ecdh.Curve) string {
	if c == ecdh.X25519() {
		return "x25519"
	}
	return "p256"
}

// ---- key format conversions ----

func TestKeyDataConversions(t *testing.T) {
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 1024)
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	cases := []struct {
		key  any
		typ  psa.KeyType
		bits uint32
		size int
	}{
		{rsaKey, psa.KeyType{Kind: psa.KeyRsaPair}, 1024, -1},
		{&rsaKey.PublicKey, psa.KeyType{Kind: psa.KeyRsaPublic}, 1024, -1},
		{p224, psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, 224, 28},
		{&p521.PublicKey, psa.KeyType{Kind: psa.KeyEccPublic, EccFamily: psa.EccSecpR1}, 521, 1 + 2*66},
		{x, psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccMontgomery}, 255, 32},
		{x.PublicKey(), psa.KeyType{Kind: psa.KeyEccPublic, EccFamily: psa.EccMontgomery}, 255, 32},
	}
	for _, tc := range cases {
		typ, bits, data, err := client.KeyData(tc.key)
		if err != nil || typ != tc.typ || bits != tc.bits || (tc.size >= 0 && len(data) != tc.size) {
			t.Errorf("KeyData(%T) = %v, %d, %d bytes, %v", tc.key, typ, bits, len(data), err)
			continue
		}
		attrs := psa.KeyAttributes{Type: typ, Bits: bits}
		var back any
		if typ.IsPair() {
			back, err = client.ParsePrivateKey(attrs, data)
		} else {
			back, err = client.ParsePublicKey(attrs, data)
		}
		if err != nil || !sameKey(back, tc.key) {
			t.Errorf("%v: parse back: %v", typ, err)
		}
	}
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, _, d1, _ := client.KeyData(k256)
	e256, _ := k256.ECDH()
	if _, _, d2, _ := client.KeyData(e256); !bytes.Equal(d1, d2) {
		t.Error("ecdsa and ecdh forms of one P-256 key differ")
	}
	if _, _, _, err := client.KeyData("not a key"); !errors.Is(err, status.PsaErrorNotSupported) {
		t.Errorf("KeyData(string): %v", err)
	}
	if _, err := client.ParsePrivateKey(psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyAes}, Bits: 128}, make([]byte, 16)); !errors.Is(err, status.PsaErrorNotSupported) {
		t.Errorf("ParsePrivateKey(AES): %v", err)
	}
	if _, err := client.ParsePrivateKey(psa.KeyAttributes{Type: psa.KeyType{Kind: psa.KeyEccPair, EccFamily: psa.EccSecpR1}, Bits: 256}, []byte{1}); !errors.Is(err, status.InvalidEncoding) {
		t.Errorf("ParsePrivateKey(short scalar): %v", err)
	}
}
