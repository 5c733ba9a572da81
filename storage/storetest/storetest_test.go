// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package storetest

import (
	"reflect"
	"testing"
)

// TestRichAttributesCoverEveryField fails when a field is added to
// psa.KeyAttributes without a non-zero value here, so that the round-trip
// tests of every store keep covering the whole struct.
func TestRichAttributesCoverEveryField(t *testing.T) {
	seen := map[reflect.Type]map[uint64]string{}
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				walk(path+"."+v.Type().Field(i).Name, v.Field(i))
			}
		case reflect.Bool:
			if !v.Bool() {
				t.Errorf("%s is false", path)
			}
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			x := v.Uint()
			if x == 0 {
				t.Errorf("%s is zero", path)
			}
			if seen[v.Type()] == nil {
				seen[v.Type()] = map[uint64]string{}
			}
			if other, dup := seen[v.Type()][x]; dup {
				t.Errorf("%s and %s have the same value %d; a swap would go unnoticed", other, path, x)
			}
			seen[v.Type()][x] = path
		default:
			t.Errorf("%s has kind %s, which this test does not know", path, v.Kind())
		}
	}
	walk("KeyAttributes", reflect.ValueOf(RichAttributes()))
}
