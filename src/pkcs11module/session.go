// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package pkcs11module

import (
	"slices"
	"sync"
)

// session is one PKCS#11 session. mu serialises its operations (a session
// is used by one thread at a time per the specification, but a careless
// application must not corrupt it).
type session struct {
	slot uint
	rw   bool

	mu      sync.Mutex
	found   []uint // pending results of C_FindObjects
	finding bool
	sign    *op
	verify  *op
	decrypt *op
	digest  *op
}

// OpenSession is C_OpenSession. Every session is serial (v2.40 has no
// parallel sessions).
func (m *Module) OpenSession(slot, flags uint) (uint, RV) {
	if flags&CKF_SERIAL_SESSION == 0 {
		return 0, CKR_SESSION_PARALLEL_NOT_SUPP
	}
	if _, ok := m.slot(slot); !ok {
		return 0, CKR_SLOT_ID_INVALID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextSess++
	m.sessions[m.nextSess] = &session{slot: slot, rw: flags&CKF_RW_SESSION != 0}
	return m.nextSess, CKR_OK
}

// CloseSession is C_CloseSession.
func (m *Module) CloseSession(h uint) RV {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[h]
	if !ok {
		return CKR_SESSION_HANDLE_INVALID
	}
	delete(m.sessions, h)
	if !m.slotHasSessionsLocked(s.slot) {
		delete(m.loggedIn, s.slot)
	}
	return CKR_OK
}

// CloseAllSessions is C_CloseAllSessions.
func (m *Module) CloseAllSessions(slot uint) RV {
	if _, ok := m.slot(slot); !ok {
		return CKR_SLOT_ID_INVALID
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, s := range m.sessions {
		if s.slot == slot {
			delete(m.sessions, h)
		}
	}
	delete(m.loggedIn, slot)
	return CKR_OK
}

func (m *Module) slotHasSessionsLocked(slot uint) bool {
	for _, s := range m.sessions {
		if s.slot == slot {
			return true
		}
	}
	return false
}

func (m *Module) session(h uint) (*session, RV) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[h]
	if !ok {
		return nil, CKR_SESSION_HANDLE_INVALID
	}
	return s, CKR_OK
}

// SessionInfo is C_GetSessionInfo: slot, state and flags.
func (m *Module) SessionInfo(h uint) (slot, state, flags uint, rv RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return 0, 0, 0, rv
	}
	m.mu.Lock()
	in := m.loggedIn[s.slot]
	m.mu.Unlock()
	flags = CKF_SERIAL_SESSION
	switch {
	case s.rw && in:
		state, flags = CKS_RW_USER_FUNCTIONS, flags|CKF_RW_SESSION
	case s.rw:
		state, flags = CKS_RW_PUBLIC_SESSION, flags|CKF_RW_SESSION
	case in:
		state = CKS_RO_USER_FUNCTIONS
	default:
		state = CKS_RO_PUBLIC_SESSION
	}
	return s.slot, state, flags, CKR_OK
}

// Login is C_Login, a documented no-op: parsecd authenticates the calling
// process (Unix peer credentials), so there is no PIN. Any PIN is taken,
// and login twice is not an error (OpenSSH and libp11 retry it).
func (m *Module) Login(h, userType uint) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	if userType != CKU_USER && userType != CKU_CONTEXT_SPECIFIC && userType != CKU_SO {
		return CKR_USER_TYPE_INVALID
	}
	m.mu.Lock()
	m.loggedIn[s.slot] = true
	m.mu.Unlock()
	return CKR_OK
}

// Logout is C_Logout.
func (m *Module) Logout(h uint) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	m.mu.Lock()
	delete(m.loggedIn, s.slot)
	m.mu.Unlock()
	return CKR_OK
}

// FindObjectsInit is C_FindObjectsInit: it lists the slot's keys afresh.
func (m *Module) FindObjectsInit(h uint, template []Attribute) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finding {
		return CKR_OPERATION_ACTIVE
	}
	if rv := m.refresh(s.slot); rv != CKR_OK {
		return rv
	}
	var found []uint
	m.mu.Lock()
	for hd, o := range m.objects {
		if o.k.slot == s.slot && o.matches(template) {
			found = append(found, hd)
		}
	}
	m.mu.Unlock()
	slices.Sort(found)
	s.found, s.finding = found, true
	return CKR_OK
}

// FindObjects is C_FindObjects.
func (m *Module) FindObjects(h uint, max int) ([]uint, RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return nil, rv
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finding {
		return nil, CKR_OPERATION_NOT_INITIALIZED
	}
	n := min(max, len(s.found))
	out := s.found[:n]
	s.found = s.found[n:]
	return out, CKR_OK
}

// FindObjectsFinal is C_FindObjectsFinal.
func (m *Module) FindObjectsFinal(h uint) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.finding {
		return CKR_OPERATION_NOT_INITIALIZED
	}
	s.found, s.finding = nil, false
	return CKR_OK
}

// Attribute is one attribute of C_GetAttributeValue: its value, or
// CKR_ATTRIBUTE_SENSITIVE / CKR_ATTRIBUTE_TYPE_INVALID.
func (m *Module) Attribute(h, obj, t uint) ([]byte, RV) {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return nil, rv
	}
	o, ok := m.object(s.slot, obj)
	if !ok {
		return nil, CKR_OBJECT_HANDLE_INVALID
	}
	return o.attribute(t)
}

// ObjectValid tells C_GetAttributeValue whether obj is an object of the
// session's slot before it walks the template.
func (m *Module) ObjectValid(h, obj uint) RV {
	s, rv := m.session(h)
	if rv != CKR_OK {
		return rv
	}
	if _, ok := m.object(s.slot, obj); !ok {
		return CKR_OBJECT_HANDLE_INVALID
	}
	return CKR_OK
}
