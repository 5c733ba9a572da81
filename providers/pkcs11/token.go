// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/miekg/pkcs11"
)

// token is a slot and the token in it.
type token struct {
	slot        uint
	label       string
	serial      string
	model       string
	maker       string
	flags       uint
	initialized bool
}

func (t token) String() string {
	s := fmt.Sprintf("slot %d (token %q, serial %q", t.slot, t.label, t.serial)
	if !t.initialized {
		s += ", not initialised"
	}
	return s + ")"
}

// where names the slot and token in messages: `on slot 3 (token "parsec")`.
func (t token) where() string {
	return fmt.Sprintf("on slot %d (token %q)", t.slot, t.label)
}

func listTokens(ts []token) string {
	if len(ts) == 0 {
		return "no token found in any slot"
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	return "tokens found: " + strings.Join(parts, ", ")
}

// tokens lists the slots that hold a token.
func tokens(ctx *pkcs11.Ctx) ([]token, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return nil, p11("C_GetSlotList", err)
	}
	var ts []token
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			// A token that vanished or cannot be read is not a candidate.
			continue
		}
		ts = append(ts, token{
			slot:        s,
			label:       strings.TrimSpace(ti.Label),
			serial:      strings.TrimSpace(ti.SerialNumber),
			model:       strings.TrimSpace(ti.Model),
			maker:       strings.TrimSpace(ti.ManufacturerID),
			flags:       ti.Flags,
			initialized: ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0,
		})
	}
	return ts, nil
}

// selectToken picks the configured token: by serial number (preferred),
// by label, by slot number, or, when none is set, the only slot holding an
// initialised token. A serial number or label that names another slot than
// slot_number wins, with a warning.
func selectToken(ctx *pkcs11.Ctx, o Options, log *slog.Logger) (token, error) {
	all, err := tokens(ctx)
	if err != nil {
		return token{}, err
	}
	var cands []token
	for _, t := range all {
		if t.initialized {
			cands = append(cands, t)
		}
	}
	byName := o.SerialNumber != "" || o.TokenLabel != ""
	if byName {
		var match []token
		for _, t := range cands {
			if o.SerialNumber != "" && t.serial != o.SerialNumber {
				continue
			}
			if o.TokenLabel != "" && t.label != o.TokenLabel {
				continue
			}
			match = append(match, t)
		}
		var want []string
		if o.SerialNumber != "" {
			want = append(want, fmt.Sprintf("serial number %q", o.SerialNumber))
		}
		if o.TokenLabel != "" {
			want = append(want, fmt.Sprintf("label %q", o.TokenLabel))
		}
		switch len(match) {
		case 0:
			return token{}, fmt.Errorf("no initialised token has %s (%s)", strings.Join(want, " and "), listTokens(all))
		case 1:
		default:
			if o.Slot != nil {
				for _, t := range match {
					if t.slot == *o.Slot {
						return t, nil
					}
				}
			}
			return token{}, fmt.Errorf("%d tokens have %s: set serial_number or slot_number to choose one (%s)",
				len(match), strings.Join(want, " and "), listTokens(match))
		}
		t := match[0]
		if o.Slot != nil && *o.Slot != t.slot && log != nil {
			log.Warn("PKCS#11 slot_number names another slot than serial_number/token_label; using the token they name",
				"slot_number", *o.Slot, "slot", t.slot, "token", t.label, "serial", t.serial)
		}
		return t, nil
	}
	if o.Slot != nil {
		for _, t := range all {
			if t.slot != *o.Slot {
				continue
			}
			if !t.initialized {
				return token{}, fmt.Errorf("the token in slot %d is not initialised (softhsm2-util --init-token, or the vendor's tool)", t.slot)
			}
			return t, nil
		}
		return token{}, fmt.Errorf("slot %d does not exist or holds no token (%s)", *o.Slot, listTokens(all))
	}
	switch len(cands) {
	case 1:
		return cands[0], nil
	case 0:
		return token{}, fmt.Errorf("no slot holds an initialised token (%s)", listTokens(all))
	}
	return token{}, errors.New("several slots hold an initialised token: set serial_number, token_label or slot_number to choose one (" + listTokens(cands) + ")")
}
