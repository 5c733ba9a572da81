// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/miekg/pkcs11"
)

// A PKCS#11 module may be initialised only once per process, but a reload
// (SIGHUP) builds the new providers while the old ones still serve, and
// several providers may share a module. So modules are shared: the first
// user loads the module and calls C_Initialize, the last one to let go
// calls C_Finalize. The loaded library itself is never unloaded (dlclose
// of some modules crashes the process later); a later user initialises it again.

type module struct {
	key  string // the module's resolved path
	path string // as configured
	ctx  *pkcs11.Ctx
	refs int
	// finalize is false when someone else in the process had already
	// initialised the module: it is theirs to finalise.
	finalize bool
	// objMu keeps object lookups and uses (read lock) apart from object
	// creation and destruction (write lock), across all the providers on
	// the module: SoftHSM 2.6 fails at random (CKR_GENERAL_ERROR,
	// CKR_TEMPLATE_INCONSISTENT) when a session creates token objects while
	// others search them (Parsec#264). Key creation is rare; operations
	// with keys still run in parallel with each other.
	objMu sync.RWMutex
	// objGen moves whenever this process may have been given or may have
	// freed an object handle (handles.go): creations, destructions, searches.
	objGen atomic.Uint64
}

var (
	modMu   sync.Mutex
	modules = map[string]*module{} // initialised modules, by resolved path
	loaded  = map[string]*pkcs11.Ctx{}
)

// openModule returns the initialised module at path, loading and
// initialising it if this is its first user.
func openModule(path string) (*module, error) {
	key := path
	if abs, err := filepath.Abs(path); err == nil {
		key = abs
	}
	if r, err := filepath.EvalSymlinks(key); err == nil {
		key = r
	}
	modMu.Lock()
	defer modMu.Unlock()
	if m := modules[key]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := loaded[key]
	if ctx == nil {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("cannot load the module: %w", err)
		}
		if fi.IsDir() {
			return nil, errors.New("cannot load the module: it is a directory")
		}
		if ctx = pkcs11.New(path); ctx == nil {
			return nil, errors.New("cannot load the module: dlopen failed or it has no C_GetFunctionList " +
				"(is it a PKCS#11 module built for this architecture, with its dependencies installed?)")
		}
		loaded[key] = ctx
	}
	m := &module{key: key, path: path, ctx: ctx, refs: 1, finalize: true}
	if err := ctx.Initialize(); err != nil {
		if !isCKR(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			return nil, p11("C_Initialize", err)
		}
		m.finalize = false
	}
	modules[key] = m
	return m, nil
}

// release drops one user; the last one finalises the module.
func (m *module) release() error {
	modMu.Lock()
	defer modMu.Unlock()
	m.refs--
	if m.refs > 0 {
		return nil
	}
	delete(modules, m.key)
	if !m.finalize {
		return nil
	}
	return p11("C_Finalize", m.ctx.Finalize())
}

// moduleUsers reports how many providers use the module at path (tests).
func moduleUsers(path string) int {
	modMu.Lock()
	defer modMu.Unlock()
	n := 0
	for _, m := range modules {
		if m.path == path {
			n += m.refs
		}
	}
	return n
}
