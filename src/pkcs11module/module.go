// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

// Package pkcs11module is the logic of libparsec-pkcs11.so, the PKCS#11
// v2.40 module backed by parsecd: slots are parsecd's crypto providers,
// objects its keys, and signing, decryption, key generation and random
// numbers are parsecd operations made through the Go client (src/client)
// as the calling process. The C ABI (function list, C structures, fork
// detection) lives in src/cmd/libparsec-pkcs11; this package speaks Go
// types only, so it builds and is tested without cgo.
package pkcs11module

import (
	"context"
	"crypto"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/parsecd/parsecd/src/client"
	"github.com/parsecd/parsecd/src/internal/version"
	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
)

// Timeout bounds each parsecd request of the module.
const Timeout = 30 * time.Second

// Module is the state between C_Initialize and C_Finalize. It is safe for
// concurrent use (CKF_OS_LOCKING_OK): mu guards the maps, each session
// serialises its own operations, and no lock is held across a parsecd
// round trip except the session's own.
type Module struct {
	mu       sync.Mutex
	c        *client.Client
	slots    []client.ProviderInfo // the crypto providers, as last listed
	sessions map[uint]*session
	nextSess uint
	objects  map[uint]object
	keys     map[keyRef]*key
	nextObj  uint
	loggedIn map[uint]bool // per slot, for CKS_*_USER_FUNCTIONS only
}

type keyRef struct {
	slot uint
	name string
}

// New connects nothing yet: the client talks to parsecd at endpoint (the
// calling process's PARSEC_SERVICE_ENDPOINT; "" for the default socket)
// and finds its authenticator with ListAuthenticators on first use, as
// the calling process.
func New(endpoint string) (*Module, RV) {
	opts := []client.Option{client.WithTimeout(Timeout), client.WithAppName(appName())}
	if endpoint != "" {
		opts = append(opts, client.WithEndpoint(endpoint))
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, CKR_GENERAL_ERROR
	}
	return &Module{
		c: c, sessions: map[uint]*session{}, objects: map[uint]object{},
		keys: map[keyRef]*key{}, loggedIn: map[uint]bool{},
	}, CKR_OK
}

// appName is the application name under the Direct authenticator: the
// same as parsec-tool's, so a key made with either is the other's too.
func appName() string { return "parsec-tool" }

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), Timeout)
}

// rvOf maps a parsecd failure to the nearest CK_RV.
func rvOf(err error) RV {
	var se *status.Error
	if !errors.As(err, &se) {
		return CKR_DEVICE_ERROR
	}
	switch se.Code {
	case status.PsaErrorNotPermitted:
		return CKR_KEY_FUNCTION_NOT_PERMITTED
	case status.PsaErrorNotSupported, status.DeprecatedPrimitive:
		return CKR_FUNCTION_FAILED
	case status.PsaErrorInvalidArgument:
		return CKR_DATA_INVALID
	case status.PsaErrorInvalidSignature:
		return CKR_SIGNATURE_INVALID
	case status.PsaErrorInvalidPadding:
		return CKR_ENCRYPTED_DATA_INVALID
	case status.PsaErrorDoesNotExist:
		return CKR_KEY_HANDLE_INVALID
	case status.PsaErrorAlreadyExists:
		return CKR_ATTRIBUTE_VALUE_INVALID
	case status.PsaErrorInsufficientMemory, status.PsaErrorInsufficientStorage:
		return CKR_DEVICE_MEMORY
	case status.PsaErrorBufferTooSmall:
		return CKR_BUFFER_TOO_SMALL
	}
	return CKR_DEVICE_ERROR
}

// Info is CK_INFO's variable part.
type Info struct {
	Manufacturer, Description string
	Major, Minor              uint8
}

// LibraryInfo is C_GetInfo.
func LibraryInfo() Info {
	v := version.Triple()
	return Info{Manufacturer: "parsecd", Description: "parsecd PKCS#11 module", Major: uint8(v[0]), Minor: uint8(v[1])}
}

// SlotList is C_GetSlotList: one slot per crypto provider, its ID the
// provider ID (stable across restarts). An unreachable parsecd is a
// module without slots, not an error: p11-kit's proxy would otherwise
// fail every module it aggregates while parsecd is down.
func (m *Module) SlotList() []uint {
	cx, cancel := ctx()
	defer cancel()
	ps, err := m.c.ListProviders(cx)
	if err != nil {
		return nil
	}
	var slots []client.ProviderInfo
	var ids []uint
	for _, p := range ps {
		if p.ID == parsec.ProviderCore {
			continue
		}
		slots = append(slots, p)
		ids = append(ids, uint(p.ID))
	}
	m.mu.Lock()
	m.slots = slots
	m.mu.Unlock()
	return ids
}

func (m *Module) slot(id uint) (client.ProviderInfo, bool) {
	m.mu.Lock()
	known := m.slots
	m.mu.Unlock()
	if known == nil {
		m.SlotList()
		m.mu.Lock()
		known = m.slots
		m.mu.Unlock()
	}
	for _, p := range known {
		if uint(p.ID) == id {
			return p, true
		}
	}
	return client.ProviderInfo{}, false
}

// SlotInfo is CK_SLOT_INFO's variable part.
type SlotInfo struct {
	Description, Manufacturer string
	FwMajor, FwMinor          uint8
}

// GetSlotInfo is C_GetSlotInfo.
func (m *Module) GetSlotInfo(id uint) (SlotInfo, RV) {
	p, ok := m.slot(id)
	if !ok {
		return SlotInfo{}, CKR_SLOT_ID_INVALID
	}
	return SlotInfo{Description: "parsecd provider " + p.Description, Manufacturer: vendor(p),
		FwMajor: uint8(p.VersionMaj), FwMinor: uint8(p.VersionMin)}, CKR_OK
}

func vendor(p client.ProviderInfo) string {
	if p.Vendor == "" {
		return "parsecd"
	}
	return p.Vendor
}

// TokenInfo is CK_TOKEN_INFO's variable part.
type TokenInfo struct {
	Label, Manufacturer, Model, Serial string
	Flags                              uint
	Sessions, RwSessions               uint
	FwMajor, FwMinor                   uint8
}

// GetTokenInfo is C_GetTokenInfo: the label is the provider's description,
// the serial the first 16 hex digits of its UUID (stable: the UUID is the
// provider kind's).
func (m *Module) GetTokenInfo(id uint) (TokenInfo, RV) {
	p, ok := m.slot(id)
	if !ok {
		return TokenInfo{}, CKR_SLOT_ID_INVALID
	}
	serial := strings.ReplaceAll(p.UUID, "-", "")
	if len(serial) > 16 {
		serial = serial[:16]
	}
	ti := TokenInfo{Label: p.Description, Manufacturer: vendor(p), Model: "parsecd", Serial: serial,
		Flags:   CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED,
		FwMajor: uint8(p.VersionMaj), FwMinor: uint8(p.VersionMin)}
	m.mu.Lock()
	for _, s := range m.sessions {
		if s.slot == id {
			ti.Sessions++
			if s.rw {
				ti.RwSessions++
			}
		}
	}
	m.mu.Unlock()
	return ti, CKR_OK
}

// Mechanisms is C_GetMechanismList.
func (m *Module) Mechanisms(id uint) ([]uint, RV) {
	if _, ok := m.slot(id); !ok {
		return nil, CKR_SLOT_ID_INVALID
	}
	return mechanisms, CKR_OK
}

// MechanismInfo is C_GetMechanismInfo: key sizes and CKF_ flags.
func (m *Module) MechanismInfo(id, mech uint) (min, max, flags uint, rv RV) {
	if _, ok := m.slot(id); !ok {
		return 0, 0, 0, CKR_SLOT_ID_INVALID
	}
	mi, ok := mechTable[mech]
	if !ok {
		return 0, 0, 0, CKR_MECHANISM_INVALID
	}
	return mi.min, mi.max, mi.flags, CKR_OK
}

// refresh lists the slot's keys (ListKeys) and fetches the public key of
// those not cached yet; keys gone from parsecd lose their objects.
func (m *Module) refresh(slot uint) RV {
	cx, cancel := ctx()
	defer cancel()
	all, err := m.c.ListKeys(cx)
	if err != nil {
		return rvOf(err)
	}
	seen := map[string]bool{}
	pc := m.c.UsingProvider(parsec.ProviderID(slot))
	for _, ki := range all {
		if uint(ki.Provider) != slot {
			continue
		}
		t := ki.Attributes.Type
		if !t.IsRSA() && !(t.IsECC() && servedCurve(int(ki.Attributes.Bits)) && t.EccFamily == psa.EccSecpR1) {
			continue // not a key type PKCS#11 consumers of this module use
		}
		seen[ki.Name] = true
		m.mu.Lock()
		k := m.keys[keyRef{slot, ki.Name}]
		m.mu.Unlock()
		if k != nil && k.attrs == ki.Attributes {
			continue
		}
		data, err := pc.ExportPublicKey(cx, ki.Name)
		if err != nil {
			continue // destroyed meanwhile, or not exportable: not listed
		}
		pub, err := client.ParsePublicKey(ki.Attributes, data)
		if err != nil {
			continue
		}
		m.addKey(slot, ki.Name, ki.Attributes, pub)
	}
	m.mu.Lock()
	for ref, k := range m.keys {
		if ref.slot == slot && !seen[ref.name] {
			m.dropLocked(k)
		}
	}
	m.mu.Unlock()
	return CKR_OK
}

// addKey caches a key, keeping the handles of a key it replaces (the same
// name with new attributes: deleted and made again elsewhere).
func (m *Module) addKey(slot uint, name string, attrs psa.KeyAttributes, pub crypto.PublicKey) *key {
	m.mu.Lock()
	defer m.mu.Unlock()
	ref := keyRef{slot, name}
	k := m.keys[ref]
	if k == nil {
		k = &key{slot: slot, name: name}
		m.keys[ref] = k
		m.nextObj++
		k.public = m.nextObj
		m.objects[k.public] = object{k, CKO_PUBLIC_KEY}
	}
	k.attrs, k.pub = attrs, pub
	if attrs.Type.IsPair() && k.priv == 0 {
		m.nextObj++
		k.priv = m.nextObj
		m.objects[k.priv] = object{k, CKO_PRIVATE_KEY}
	}
	return k
}

// dropLocked forgets a key and its handles (m.mu held).
func (m *Module) dropLocked(k *key) {
	delete(m.keys, keyRef{k.slot, k.name})
	delete(m.objects, k.public)
	if k.priv != 0 {
		delete(m.objects, k.priv)
	}
}

// object returns the object behind a handle, if it is in slot.
func (m *Module) object(slot, h uint) (object, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objects[h]
	if !ok || o.k.slot != slot {
		return object{}, false
	}
	return o, true
}
