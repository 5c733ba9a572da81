// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package parsec holds the identifiers of the Parsec protocol: opcodes,
// provider ids and authentication types, with their names, and the one
// table of what each opcode is (core or provider, administrators only,
// acting for an application, listable). It imports nothing of parsecd, so
// that every package may use it: the providers and the key store name an
// authentication type or a provider id without depending on the framing
// code in src/wire.
package parsec

import "fmt"

// Opcode identifies an operation (u32 on the wire).
type Opcode uint32

// Opcodes of wire protocol 1.0 (0x1D is unassigned).
const (
	OpPing                  Opcode = 0x01
	OpPsaGenerateKey        Opcode = 0x02
	OpPsaDestroyKey         Opcode = 0x03
	OpPsaSignHash           Opcode = 0x04
	OpPsaVerifyHash         Opcode = 0x05
	OpPsaImportKey          Opcode = 0x06
	OpPsaExportPublicKey    Opcode = 0x07
	OpListProviders         Opcode = 0x08
	OpListOpcodes           Opcode = 0x09
	OpPsaAsymmetricEncrypt  Opcode = 0x0A
	OpPsaAsymmetricDecrypt  Opcode = 0x0B
	OpPsaExportKey          Opcode = 0x0C
	OpPsaGenerateRandom     Opcode = 0x0D
	OpListAuthenticators    Opcode = 0x0E
	OpPsaHashCompute        Opcode = 0x0F
	OpPsaHashCompare        Opcode = 0x10
	OpPsaAeadEncrypt        Opcode = 0x11
	OpPsaAeadDecrypt        Opcode = 0x12
	OpPsaRawKeyAgreement    Opcode = 0x13
	OpPsaCipherEncrypt      Opcode = 0x14
	OpPsaCipherDecrypt      Opcode = 0x15
	OpPsaMacCompute         Opcode = 0x16
	OpPsaMacVerify          Opcode = 0x17
	OpPsaSignMessage        Opcode = 0x18
	OpPsaVerifyMessage      Opcode = 0x19
	OpListKeys              Opcode = 0x1A
	OpListClients           Opcode = 0x1B
	OpDeleteClient          Opcode = 0x1C
	OpAttestKey             Opcode = 0x1E
	OpPrepareKeyAttestation Opcode = 0x1F
	OpCanDoCrypto           Opcode = 0x20
)

// opInfo is what parsecd knows about an opcode. Every rule about opcodes
// derives from this table: the back end's routing (core) and admin check,
// the client's choice of sending authentication (core and !auth), the
// ListOpcodes answers (listed), and the tests.
type opInfo struct {
	name  string
	core  bool // handled by the core provider (id 0)
	admin bool // needs an application in the admins list
	auth  bool // acts for an authenticated application (its keys)
	// listed is false for the opcodes that parsecd serves but never lists
	// in ListOpcodes: Parsec's interface crate (every release up to its
	// current head) has no Opcode for them and fails the whole ListOpcodes
	// answer with OpcodeDoesNotExist when one is present, which breaks
	// parsec-tool, the Rust client and Parsec's own test suite.
	listed bool
}

var opcodes = map[Opcode]opInfo{
	OpPing:                  {"Ping", true, false, false, true},
	OpPsaGenerateKey:        {"PsaGenerateKey", false, false, true, true},
	OpPsaDestroyKey:         {"PsaDestroyKey", false, false, true, true},
	OpPsaSignHash:           {"PsaSignHash", false, false, true, true},
	OpPsaVerifyHash:         {"PsaVerifyHash", false, false, true, true},
	OpPsaImportKey:          {"PsaImportKey", false, false, true, true},
	OpPsaExportPublicKey:    {"PsaExportPublicKey", false, false, true, true},
	OpListProviders:         {"ListProviders", true, false, false, true},
	OpListOpcodes:           {"ListOpcodes", true, false, false, true},
	OpPsaAsymmetricEncrypt:  {"PsaAsymmetricEncrypt", false, false, true, true},
	OpPsaAsymmetricDecrypt:  {"PsaAsymmetricDecrypt", false, false, true, true},
	OpPsaExportKey:          {"PsaExportKey", false, false, true, true},
	OpPsaGenerateRandom:     {"PsaGenerateRandom", false, false, false, true},
	OpListAuthenticators:    {"ListAuthenticators", true, false, false, true},
	OpPsaHashCompute:        {"PsaHashCompute", false, false, false, true},
	OpPsaHashCompare:        {"PsaHashCompare", false, false, false, true},
	OpPsaAeadEncrypt:        {"PsaAeadEncrypt", false, false, true, true},
	OpPsaAeadDecrypt:        {"PsaAeadDecrypt", false, false, true, true},
	OpPsaRawKeyAgreement:    {"PsaRawKeyAgreement", false, false, true, true},
	OpPsaCipherEncrypt:      {"PsaCipherEncrypt", false, false, true, true},
	OpPsaCipherDecrypt:      {"PsaCipherDecrypt", false, false, true, true},
	OpPsaMacCompute:         {"PsaMacCompute", false, false, true, false},
	OpPsaMacVerify:          {"PsaMacVerify", false, false, true, false},
	OpPsaSignMessage:        {"PsaSignMessage", false, false, true, true},
	OpPsaVerifyMessage:      {"PsaVerifyMessage", false, false, true, true},
	OpListKeys:              {"ListKeys", true, false, true, true},
	OpListClients:           {"ListClients", true, true, true, true},
	OpDeleteClient:          {"DeleteClient", true, true, true, true},
	OpAttestKey:             {"AttestKey", false, false, true, true},
	OpPrepareKeyAttestation: {"PrepareKeyAttestation", false, false, true, true},
	OpCanDoCrypto:           {"CanDoCrypto", false, false, true, true},
}

// Known reports whether the opcode is defined by the protocol.
func (o Opcode) Known() bool { _, ok := opcodes[o]; return ok }

// Listable reports whether the opcode may appear in a ListOpcodes answer,
// that is, whether every Parsec client can decode it.
func (o Opcode) Listable() bool { return opcodes[o].listed }

// IsCore reports whether the operation is served by the core provider (id 0).
func (o Opcode) IsCore() bool { return opcodes[o].core }

// IsAdmin reports whether the operation is reserved to administrators.
func (o Opcode) IsAdmin() bool { return opcodes[o].admin }

// NeedsAuth reports whether the operation acts for an authenticated application.
func (o Opcode) NeedsAuth() bool { return opcodes[o].auth }

func (o Opcode) String() string {
	if i, ok := opcodes[o]; ok {
		return i.name
	}
	return fmt.Sprintf("Opcode(%#x)", uint32(o))
}

// AllOpcodes lists every defined opcode in ascending order.
func AllOpcodes() []Opcode {
	out := make([]Opcode, 0, len(opcodes))
	for o := OpPing; o <= OpCanDoCrypto; o++ {
		if o.Known() {
			out = append(out, o)
		}
	}
	return out
}

// ProviderID identifies a provider type on the wire.
type ProviderID uint8

// Provider ids of the protocol.
const (
	ProviderCore           ProviderID = 0
	ProviderMbedCrypto     ProviderID = 1 // parsecd's software provider answers here
	ProviderPkcs11         ProviderID = 2
	ProviderTpm            ProviderID = 3
	ProviderTrustedService ProviderID = 4
	ProviderCryptoAuthLib  ProviderID = 5
)

var providerNames = [...]string{
	"Core provider", "Mbed Crypto provider", "PKCS #11 provider", "TPM provider",
	"Trusted Service provider", "CryptoAuthentication Library provider",
}

// Known reports whether the id is defined by the protocol.
func (p ProviderID) Known() bool { return int(p) < len(providerNames) }

func (p ProviderID) String() string {
	if p.Known() {
		return providerNames[p]
	}
	return fmt.Sprintf("Provider(%d)", uint8(p))
}

// AuthType says how the authentication field of a request is read.
type AuthType uint8

// Authentication types of the protocol.
const (
	AuthNone                AuthType = 0
	AuthDirect              AuthType = 1
	AuthJwt                 AuthType = 2
	AuthUnixPeerCredentials AuthType = 3
	AuthJwtSvid             AuthType = 4
)

var authNames = [...]string{"NoAuth", "Direct", "Jwt", "UnixPeerCredentials", "JwtSvid"}

// Known reports whether the type is defined by the protocol.
func (a AuthType) Known() bool { return int(a) < len(authNames) }

func (a AuthType) String() string {
	if a.Known() {
		return authNames[a]
	}
	return fmt.Sprintf("AuthType(%d)", uint8(a))
}
