// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Data subcommands that parsec-tool 0.7 does not have: hashes, MACs, AEAD,
// ciphers, key agreement and capability checks. The key's policy gives the
// algorithm, as for sign and encrypt. Binary results are printed in hex
// (digests, MACs, secrets) or base64 (ciphertexts); checks print "valid".

func symCommands() []*command {
	return []*command{
		{
			name: "hash", about: "Compute the hash of data in the service (hex)", args: []string{"INPUT_DATA"}, auth: true, extra: true,
			define: func(o *options) func(*app, []string) error {
				alg := hashFlag(o)
				return func(a *app, pos []string) error {
					h, err := parseHash(*alg)
					if err != nil {
						return err
					}
					a.info("Hashing data with %v...", h)
					return a.printHex(a.c.HashCompute(a.ctx, h, []byte(pos[0])))
				}
			},
		},
		{
			name: "hash-compare", about: "Check the hash of data in the service", args: []string{"INPUT_DATA"}, auth: true, extra: true,
			define: func(o *options) func(*app, []string) error {
				alg := hashFlag(o)
				var want string
				o.String(&want, 0, "hash", "HEX", "The expected hash, in hex", true)
				return func(a *app, pos []string) error {
					h, err := parseHash(*alg)
					if err != nil {
						return err
					}
					d, err := decodeHex("hash", want)
					if err != nil {
						return err
					}
					a.info("Comparing %v hash...", h)
					return a.valid(a.c.HashCompare(a.ctx, h, []byte(pos[0]), d))
				}
			},
		},
		policyCommand(command{name: "mac", about: "Compute a MAC of data with the algorithm of the key (hex)", args: []string{"INPUT_DATA"}},
			psa.AlgMac, "MAC computation", "Computing MAC", func(*options) policyAction {
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					return a.printHex(a.c.MacCompute(a.ctx, key, k.Policy.Alg.Mac, []byte(pos[0])))
				}
			}),
		policyCommand(command{name: "mac-verify", about: "Check a MAC of data with the algorithm of the key", args: []string{"INPUT_DATA"}},
			psa.AlgMac, "MAC verification", "Verifying MAC", func(o *options) policyAction {
				var macHex string
				o.String(&macHex, 0, "mac", "HEX", "The MAC to check, in hex", true)
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					mac, err := decodeHex("MAC", macHex)
					if err != nil {
						return err
					}
					return a.valid(a.c.MacVerify(a.ctx, key, k.Policy.Alg.Mac, []byte(pos[0]), mac))
				}
			}),
		policyCommand(command{name: "aead-encrypt", about: "Encrypt and authenticate data with the AEAD algorithm of the key (base64)", args: []string{"INPUT_DATA"}},
			psa.AlgAead, "AEAD encryption", "Encrypting data", func(o *options) policyAction {
				f := defineAead(o)
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					nonce, err := f.nonce()
					if err != nil {
						return err
					}
					var prefix []byte
					if nonce == nil {
						nonce = make([]byte, aeadNonceSize(k.Policy.Alg.Aead.Alg))
						_, _ = rand.Read(nonce)
						prefix = nonce
					}
					ct, err := a.c.AeadEncrypt(a.ctx, key, k.Policy.Alg.Aead, nonce, []byte(f.ad), []byte(pos[0]))
					if err != nil {
						return err
					}
					return a.printBase64(append(prefix, ct...), nil)
				}
			}),
		policyCommand(command{name: "aead-decrypt", about: "Check and decrypt data (base64) with the AEAD algorithm of the key", args: []string{"INPUT_DATA"}},
			psa.AlgAead, "AEAD decryption", "Decrypting data", func(o *options) policyAction {
				f := defineAead(o)
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					ct, err := decodeBase64Text("ciphertext", pos[0])
					if err != nil {
						return err
					}
					nonce, err := f.nonce()
					if err != nil {
						return err
					}
					if nonce == nil {
						n := aeadNonceSize(k.Policy.Alg.Aead.Alg)
						if len(ct) < n {
							return incorrectData("the input is shorter than the %d-byte nonce that should start it", n)
						}
						nonce, ct = ct[:n], ct[n:]
					}
					return a.printText(a.c.AeadDecrypt(a.ctx, key, k.Policy.Alg.Aead, nonce, []byte(f.ad), ct))
				}
			}),
		policyCommand(command{name: "cipher-encrypt", about: "Encrypt data with the cipher algorithm of the key (base64 of IV and ciphertext)", args: []string{"INPUT_DATA"}},
			psa.AlgCipher, "cipher encryption", "Encrypting data", func(*options) policyAction {
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					return a.printBase64(a.c.CipherEncrypt(a.ctx, key, k.Policy.Alg.Cipher, []byte(pos[0])))
				}
			}),
		policyCommand(command{name: "cipher-decrypt", about: "Decrypt data (base64 of IV and ciphertext) with the cipher algorithm of the key", args: []string{"INPUT_DATA"}},
			psa.AlgCipher, "cipher decryption", "Decrypting data", func(*options) policyAction {
				return func(a *app, key string, k psa.KeyAttributes, pos []string) error {
					ct, err := decodeBase64Text("ciphertext", pos[0])
					if err != nil {
						return err
					}
					return a.printText(a.c.CipherDecrypt(a.ctx, key, k.Policy.Alg.Cipher, ct))
				}
			}),
		policyCommand(command{name: "key-agreement", about: "Compute a raw shared secret (ECDH) with a private key and a peer's public key (hex)"},
			psa.AlgKeyAgreement, "key agreement", "Computing shared secret", func(o *options) policyAction {
				var peer string
				o.String(&peer, 0, "peer", "FILE|HEX", "The peer's public key: a PEM file, a file of raw bytes in the PSA format, or hex", true)
				return func(a *app, key string, k psa.KeyAttributes, _ []string) error {
					pub, err := peerKey(peer, k.Type)
					if err != nil {
						return err
					}
					return a.printHex(a.c.RawKeyAgreement(a.ctx, k.Policy.Alg.KeyAgreement.Raw, key, pub))
				}
			}),
		{
			name: "can-do-crypto", about: "Ask whether the provider supports a key template (prints \"supported\")", auth: true, extra: true,
			define: func(o *options) func(*app, []string) error {
				var check string
				o.String(&check, 0, "check", "CHECK", "What to check: use, generate, import or derive", true)
				spec := defineKeySpec(o, anyKeyType)
				return func(a *app, _ []string) error {
					ct, err := parseCheck(check)
					if err != nil {
						return err
					}
					attrs, err := spec.attributes(true)
					if err != nil {
						return err
					}
					a.info("Checking %v of a %d-bit %s key with %s...", ct, attrs.Bits, keyTypeName(attrs.Type), debugAlg(attrs.Policy.Alg))
					return a.answer(a.c.CanDoCrypto(a.ctx, ct, attrs))
				}
			},
		},
	}
}

// policyAction runs a subcommand of policyCommand with the key (name and
// attributes) and the positional arguments.
type policyAction func(a *app, key string, k psa.KeyAttributes, pos []string) error

// policyCommand completes c (name, about, args) into a parsecd subcommand
// working with the key of --key-name, whose policy algorithm must be of
// kind: use names the operation in errors ("MAC computation"), doing in the
// log line ("Computing MAC"). define registers the other flags.
func policyCommand(c command, kind psa.AlgKind, use, doing string, define func(o *options) policyAction) *command {
	c.auth, c.extra = true, true
	c.define = func(o *options) func(*app, []string) error {
		var key string
		extraKeyNameFlag(o, &key)
		action := define(o)
		return func(a *app, pos []string) error {
			attrs, err := a.keyWithPolicy(key, kind, use)
			if err != nil {
				return err
			}
			a.info("%s with %s...", doing, debugAlg(attrs.Policy.Alg))
			return action(a, key, attrs, pos)
		}
	}
	return &c
}

func hashFlag(o *options) *string {
	alg := "sha256"
	o.String(&alg, 0, "alg", "HASH", "Hash algorithm, e.g. sha256, sha384, sha3-256 (default: sha256)", false)
	return &alg
}

func parseCheck(s string) (psa.CheckType, error) {
	for _, c := range []psa.CheckType{psa.CheckUse, psa.CheckGenerate, psa.CheckImport, psa.CheckDerive} {
		if strings.EqualFold(strings.TrimSpace(s), c.String()) {
			return c, nil
		}
	}
	return 0, usagef("invalid check %q (expected one of: use, generate, import, derive)", s)
}

// aeadFlags are the flags of aead-encrypt and aead-decrypt.
type aeadFlags struct {
	o            *options
	nonceHex, ad string
}

func defineAead(o *options) *aeadFlags {
	f := &aeadFlags{o: o}
	o.String(&f.nonceHex, 0, "nonce", "HEX", "Nonce in hex (default: a random nonce, written before the ciphertext in the output)", false)
	o.String(&f.ad, 0, "ad", "TEXT", "Additional data to authenticate (UTF-8 text, default: none)", false)
	return f
}

// nonce is the --nonce value, nil when absent.
func (f *aeadFlags) nonce() ([]byte, error) {
	if !f.o.IsSet("nonce") {
		return nil, nil
	}
	nonce, err := decodeHex("nonce", f.nonceHex)
	if err == nil && len(nonce) == 0 {
		err = incorrectData("the nonce is empty")
	}
	return nonce, err
}

// aeadNonceSize is the length of the nonces the tool makes: 13 bytes for
// CCM (the longest PSA allows), 12 for GCM and ChaCha20-Poly1305.
func aeadNonceSize(alg psa.AeadAlg) int {
	if alg == psa.AeadCcm {
		return 13
	}
	return 12
}

// ---- output ----

// The print helpers take the result of an operation as it comes, so that
// "return a.printHex(a.c.MacCompute(...))" prints the result or passes the
// error on.

// printHex prints b in lower-case hex.
func (a *app) printHex(b []byte, err error) error {
	return a.print(b, err, hex.EncodeToString)
}

// printBase64 prints b in standard base64, as parsec-tool prints signatures
// and ciphertexts.
func (a *app) printBase64(b []byte, err error) error {
	return a.print(b, err, base64.StdEncoding.EncodeToString)
}

// printText prints decrypted data as UTF-8 text, as parsec-tool's decrypt
// does (String::from_utf8_lossy).
func (a *app) printText(b []byte, err error) error {
	return a.print(b, err, lossyUTF8)
}

// lossyUTF8 is Rust's String::from_utf8_lossy: each maximal subpart of an
// ill-formed sequence becomes one U+FFFD.
func lossyUTF8(b []byte) string {
	var out strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r != utf8.RuneError || n > 1 {
			out.Write(b[:n])
			b = b[n:]
			continue
		}
		out.WriteRune(utf8.RuneError)
		b = b[maximalSubpart(b):]
	}
	return out.String()
}

// maximalSubpart is the length of the longest prefix of b that starts a
// well-formed UTF-8 sequence (at least 1).
func maximalSubpart(b []byte) int {
	lead := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case lead >= 0xC2 && lead <= 0xDF:
		need = 1
	case lead == 0xE0:
		need, lo = 2, 0xA0
	case lead == 0xED:
		need, hi = 2, 0x9F
	case lead >= 0xE1 && lead <= 0xEF:
		need = 2
	case lead == 0xF0:
		need, lo = 3, 0x90
	case lead == 0xF4:
		need, hi = 3, 0x8F
	case lead >= 0xF1 && lead <= 0xF3:
		need = 3
	default:
		return 1
	}
	n := 1
	for i := 1; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
		n++
	}
	return n
}

func (a *app) print(b []byte, err error, format func([]byte) string) error {
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, format(b))
	return err
}

// valid reports the result of a check: "valid" on stdout, or the error.
func (a *app) valid(err error) error {
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(a.stdout, "valid")
	return err
}

// answer prints the answer of can-do-crypto: "supported", or the PSA status
// of the refusal in words ("not supported: ... (PsaErrorNotSupported)"),
// which exits 1 without an error line. Other failures (no service,
// authentication, a provider without CanDoCrypto) stay errors.
func (a *app) answer(err error) error {
	var se *status.Error
	switch {
	case err == nil:
		_, err = fmt.Fprintln(a.stdout, "supported")
		return err
	case errors.As(err, &se) && se.Code >= status.PsaErrorGenericError:
		if _, err := fmt.Fprintf(a.stdout, "not supported: %s (%s)\n", se.Code.Description(), se.Code.String()); err != nil {
			return err
		}
		return errAnswered
	}
	return err
}

func decodeBase64Text(what, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, incorrectData("the %s is not valid base64: %v", what, err)
	}
	return b, nil
}
