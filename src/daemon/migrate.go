// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package daemon

import (
	"fmt"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/migrate"
	"github.com/parsecd/parsecd/storage/bolt"
)

// migrateParsec opens the bbolt store of every Parsec key manager (OnDisk,
// SQLite) that a provider uses, and migrates the Parsec store into it
// once (docs/migration.md). Stores go into g.stores for build to use.
func (d *Daemon) migrateParsec(cfg *config.Config, g *graph, prev *graph) error {
	used := map[string]bool{}
	for _, pc := range cfg.Providers {
		used[pc.KeyManager] = true
	}
	for _, km := range cfg.KeyManagers {
		// A Parsec store no provider uses is left alone: migrating keys
		// that nothing would serve only costs start-up time.
		if km.Parsec == nil || !used[km.Name] {
			continue
		}
		// On a reload the running graph's handle is reused: the file is
		// locked by it (see graph.stores).
		store, ok := g.stores[km.Path]
		if !ok && prev != nil {
			store, ok = prev.stores[km.Path]
		}
		if !ok {
			s, err := bolt.Open(km.Path, bolt.Options{})
			if err != nil {
				return fmt.Errorf("opening key store %q: %w", km.Name, plain(err))
			}
			store = s
		}
		g.stores[km.Path] = store
		bs, ok := store.(*bolt.Store)
		if !ok {
			return fmt.Errorf("key store %q is not a bbolt store", km.Name)
		}
		if err := migrate.Run(bs, cfg, km, d.log.With("key_manager", km.Name)); err != nil {
			return err
		}
	}
	return nil
}
