// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"
	"os"

	"github.com/parsecd/parsecd/src/psa"
)

// Key management subcommands that parsec-tool 0.7 does not have:
// import-key, create-key (symmetric and X25519 keys), export-key.

func importCommands() []*command {
	return []*command{
		keySpecCommand(command{name: "import-key",
			about: "Import a key from a PEM file (PKCS#1, PKCS#8, SPKI, SEC1) or raw bytes in the PSA format"},
			anyKeyType, false, func(o *options) keySpecAction {
				var in, hexData string
				o.String(&in, 0, "in", "FILE", "File holding the key: PEM, or raw bytes in the PSA import format", false)
				o.String(&hexData, 0, "hex", "HEX", "The key as hex bytes in the PSA import format", false)
				return func(a *app, name string, attrs psa.KeyAttributes) error {
					if o.IsSet("in") == o.IsSet("hex") {
						return usagef("exactly one of --in <FILE> and --hex <HEX> is required")
					}
					var input []byte
					var err error
					if o.IsSet("in") {
						if input, err = os.ReadFile(in); err != nil {
							return incorrectData("cannot read the key file: %v", err)
						}
					} else if input, err = decodeHex("key", hexData); err != nil {
						return err
					}
					data, err := importMaterial(&attrs, input)
					if err != nil {
						return err
					}
					return a.makeKey(name, attrs, data, fmt.Sprintf("%s key (%s)", keyTypeName(attrs.Type), debugAlg(attrs.Policy.Alg)))
				}
			}),
		keySpecCommand(command{name: "create-key", about: "Create a symmetric (AES, ChaCha20, HMAC, raw data) or X25519 key"},
			creatable, true, func(*options) keySpecAction {
				return func(a *app, name string, attrs psa.KeyAttributes) error {
					return a.makeKey(name, attrs, nil, fmt.Sprintf("%s key (%d bits, %s)", keyTypeName(attrs.Type), attrs.Bits, debugAlg(attrs.Policy.Alg)))
				}
			}),
		exportCommand(command{name: "export-key", about: "Export a key: PEM for RSA and ECC keys, hex for the others (needs the export usage flag)", extra: true},
			"hex", "Print the PSA export format in hex, even for RSA and ECC keys",
			func(a *app, name string) ([]byte, error) { return a.c.ExportKey(a.ctx, name) }, exportText),
	}
}

// keySpecAction runs import-key or create-key with the key name and the
// template of the key specification flags.
type keySpecAction func(a *app, name string, attrs psa.KeyAttributes) error

// keySpecCommand completes c into a parsecd subcommand that creates key
// --key-name from the key specification flags (defineKeySpec with keep;
// defaultBits as for keySpecFlags.attributes). define registers the other
// flags.
func keySpecCommand(c command, keep func(keyTypeSpec) bool, defaultBits bool, define func(o *options) keySpecAction) *command {
	c.auth, c.extra = true, true
	c.define = func(o *options) func(*app, []string) error {
		var name string
		extraKeyNameFlag(o, &name)
		spec := defineKeySpec(o, keep)
		action := define(o)
		return func(a *app, _ []string) error {
			attrs, err := spec.attributes(defaultBits)
			if err != nil {
				return err
			}
			return action(a, name, attrs)
		}
	}
	return &c
}

// makeKey creates key name with attrs: generated (PsaGenerateKey) when data
// is nil, else imported from data (PsaImportKey); what describes the key in
// the log.
func (a *app) makeKey(name string, attrs psa.KeyAttributes, data []byte, what string) error {
	if data == nil {
		a.info("Creating %s...", what)
		if err := a.crypto(); err != nil {
			return err
		}
		if err := a.c.GenerateKey(a.ctx, name, attrs); err != nil {
			return err
		}
		a.info("Key %q created.", name)
		return nil
	}
	a.info("Importing %s...", what)
	if err := a.crypto(); err != nil {
		return err
	}
	if err := a.c.ImportKey(a.ctx, name, attrs, data); err != nil {
		return err
	}
	a.info("Key %q imported.", name)
	return nil
}

// keyWithPolicy looks a key up and checks that its policy algorithm is of
// kind want, which the operation (use, for the error) needs.
func (a *app) keyWithPolicy(name string, want psa.AlgKind, use string) (psa.KeyAttributes, error) {
	attrs, err := a.keyAttributes(name)
	if err != nil {
		return attrs, err
	}
	if attrs.Policy.Alg.Kind != want {
		return attrs, keyAlgorithmError(name, attrs.Policy.Alg, use)
	}
	return attrs, nil
}
