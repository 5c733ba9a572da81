// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package bolt

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"

	bbolt "go.etcd.io/bbolt"

	"github.com/parsecd/parsecd/storage"
)

// What parsecd check-store reads and repairs. The repair never deletes: a
// record it cannot keep in place moves, byte for byte, to the quarantine
// tree, where an operator (or a later release that can read it) finds it:
//
//	quarantine → <provider> → <application bucket> → <key name>[#n] → the raw value
//
// Older releases ignore the quarantine tree, so a repaired store stays
// readable after a rollback.
var bucketQuarantine = []byte("quarantine")

// Inventory is everything a store holds, damaged or not.
type Inventory struct {
	// Committed is every key record, sorted by provider, application and
	// name; Err is set on the records that cannot be read.
	Committed []storage.Entry
	// Pending is every reservation a crash left (all providers).
	Pending []storage.KeyTriple
	// Malformed names the application buckets whose name cannot be parsed
	// ("<tree>/<provider>/<bucket>"): their keys belong to no application.
	Malformed []MalformedBucket
	// Quarantined counts the records already in quarantine.
	Quarantined int
}

// MalformedBucket is an application bucket whose name is not
// "<auth type>/<application>".
type MalformedBucket struct {
	Tree, Provider, Bucket string
}

func (m MalformedBucket) String() string {
	return fmt.Sprintf("%s/%s/%q", m.Tree, m.Provider, m.Bucket)
}

// Inventory reads the whole store in one transaction.
func (s *Store) Inventory() (Inventory, error) {
	var inv Inventory
	err := s.view("inventory", func(tx *bbolt.Tx) error {
		if err := eachApp(tx, bucketKeys, &inv, func(k storage.KeyTriple, raw []byte) {
			e := storage.Entry{KeyTriple: k}
			if raw == nil {
				e.Err = s.badValue(k, errStrayBucket)
			} else if v, err := decodeValue(raw); err != nil {
				e.Err = s.badValue(k, err)
			} else {
				e.KeyInfo = v
			}
			inv.Committed = append(inv.Committed, e)
		}); err != nil {
			return err
		}
		if err := eachApp(tx, bucketPending, &inv, func(k storage.KeyTriple, _ []byte) {
			inv.Pending = append(inv.Pending, k)
		}); err != nil {
			return err
		}
		if q := tx.Bucket(bucketQuarantine); q != nil {
			return q.ForEachBucket(func(p []byte) error {
				return q.Bucket(p).ForEachBucket(func(a []byte) error {
					return q.Bucket(p).Bucket(a).ForEach(func(_, _ []byte) error { inv.Quarantined++; return nil })
				})
			})
		}
		return nil
	})
	if err != nil {
		return Inventory{}, err
	}
	byTriple := func(a, b storage.KeyTriple) int {
		return cmp.Or(cmp.Compare(a.Provider, b.Provider), cmp.Compare(a.Auth, b.Auth), cmp.Compare(a.App, b.App), cmp.Compare(a.Key, b.Key))
	}
	slices.SortFunc(inv.Committed, func(a, b storage.Entry) int { return byTriple(a.KeyTriple, b.KeyTriple) })
	slices.SortFunc(inv.Pending, byTriple)
	return inv, nil
}

// eachApp calls fn for every record under root, and notes the application
// buckets it cannot parse.
func eachApp(tx *bbolt.Tx, root []byte, inv *Inventory, fn func(storage.KeyTriple, []byte)) error {
	r := tx.Bucket(root)
	if r == nil {
		return nil
	}
	return r.ForEachBucket(func(provider []byte) error {
		p := r.Bucket(provider)
		return p.ForEachBucket(func(name []byte) error {
			c, err := parseAppName(name)
			if err != nil {
				inv.Malformed = append(inv.Malformed, MalformedBucket{string(root), string(provider), string(name)})
				return nil
			}
			return p.Bucket(name).ForEach(func(key, raw []byte) error {
				fn(c.Key(string(provider), string(key)), raw)
				return nil
			})
		})
	})
}

// Quarantine moves a committed key record, readable or not, to the
// quarantine tree: its name is free again and its bytes are kept.
func (s *Store) Quarantine(k storage.KeyTriple) error {
	return s.update("quarantine", func(tx *bbolt.Tx) error {
		a := appBucket(tx, bucketKeys, k)
		if a == nil {
			return storage.ErrNotFound
		}
		raw := a.Get([]byte(k.Key))
		var nested *bbolt.Bucket
		if raw == nil {
			if nested = a.Bucket([]byte(k.Key)); nested == nil {
				return storage.ErrNotFound
			}
			raw = []byte{} // a stray bucket keeps its name, not its contents
		}
		if err := quarantinePut(tx, k.Provider, string(appName(k.Auth, k.App)), k.Key, raw); err != nil {
			return err
		}
		if nested != nil {
			if err := a.DeleteBucket([]byte(k.Key)); err != nil {
				return err
			}
			return dropEmpty(tx, bucketKeys, k.Provider, appName(k.Auth, k.App))
		}
		_, err := del(tx, bucketKeys, k)
		return err
	})
}

// QuarantineBucket moves every record of a malformed application bucket to
// the quarantine tree, under the bucket's own name.
func (s *Store) QuarantineBucket(m MalformedBucket) error {
	return s.update("quarantine", func(tx *bbolt.Tx) error {
		r := tx.Bucket([]byte(m.Tree))
		if r == nil || r.Bucket([]byte(m.Provider)) == nil {
			return storage.ErrNotFound
		}
		a := r.Bucket([]byte(m.Provider)).Bucket([]byte(m.Bucket))
		if a == nil {
			return storage.ErrNotFound
		}
		err := a.ForEach(func(key, raw []byte) error {
			if raw == nil {
				raw = []byte{}
			}
			return quarantinePut(tx, m.Provider, m.Bucket, string(key), raw)
		})
		if err != nil {
			return err
		}
		if err := r.Bucket([]byte(m.Provider)).DeleteBucket([]byte(m.Bucket)); err != nil {
			return err
		}
		return dropEmpty(tx, []byte(m.Tree), m.Provider, nil)
	})
}

// quarantinePut stores raw under quarantine/provider/app/key, adding #n to
// the key name when an earlier repair already used it.
func quarantinePut(tx *bbolt.Tx, provider, app, key string, raw []byte) error {
	q, err := tx.CreateBucketIfNotExists(bucketQuarantine)
	if err != nil {
		return err
	}
	p, err := q.CreateBucketIfNotExists([]byte(provider))
	if err != nil {
		return err
	}
	a, err := p.CreateBucketIfNotExists([]byte(app))
	if err != nil {
		return err
	}
	name := key
	for n := 2; a.Get([]byte(name)) != nil; n++ {
		name = key + "#" + strconv.Itoa(n)
	}
	return a.Put([]byte(name), raw)
}

// dropEmpty deletes an application bucket (when app is not nil) and then
// its provider bucket when they hold nothing, as del does.
func dropEmpty(tx *bbolt.Tx, root []byte, provider string, app []byte) error {
	r := tx.Bucket(root)
	p := r.Bucket([]byte(provider))
	if p == nil {
		return nil
	}
	if app != nil {
		if a := p.Bucket(app); a != nil && empty(a) {
			if err := p.DeleteBucket(app); err != nil {
				return err
			}
		}
	}
	if empty(p) {
		return r.DeleteBucket([]byte(provider))
	}
	return nil
}
