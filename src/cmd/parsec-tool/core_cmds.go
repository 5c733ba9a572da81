// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package main

import (
	"fmt"
	"math"

	"github.com/parsecd/parsecd/src/parsec"
	"github.com/parsecd/parsecd/src/status"
)

// Service-level subcommands: ping, list-*, delete-client, generate-random.

func coreCommands() []*command {
	return []*command{
		{
			name:  "ping",
			about: "Ping the Parsec service and prints the wire protocol version",
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					maj, min, err := a.c.Ping(a.ctx)
					if err != nil {
						return err
					}
					a.info("Service wire protocol version")
					fmt.Fprintf(a.stdout, "%d.%d\n", maj, min)
					return nil
				}
			},
		},
		{
			name:  "list-providers",
			about: "List the available providers supported by the Parsec service",
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					providers, err := a.c.ListAllProviders(a.ctx)
					if err != nil {
						return err
					}
					a.info("Available providers:")
					for _, p := range providers {
						fmt.Fprint(a.stdout, formatProvider(p))
					}
					return nil
				}
			},
		},
		{
			name:  "list-authenticators",
			about: "List the available authenticators supported by the Parsec service",
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					auths, err := a.c.ListAuthenticators(a.ctx)
					if err != nil {
						return err
					}
					a.info("Available authenticators:")
					for _, au := range auths {
						fmt.Fprint(a.stdout, formatAuthenticator(au))
					}
					return nil
				}
			},
		},
		{
			name:  "list-opcodes",
			about: "List the supported opcodes for a given provider",
			define: func(o *options) func(*app, []string) error {
				var provider uint64
				o.Uint(&provider, 'p', "provider", "", "ID of the provider", math.MaxUint8, false)
				return func(a *app, _ []string) error {
					p := a.implicitProvider()
					if o.IsSet("provider") {
						if id := parsec.ProviderID(provider); !id.Known() && !id.IsExtra() {
							return &interfaceErr{status.ProviderDoesNotExist}
						}
						p = parsec.ProviderID(provider)
					}
					opcodes, err := a.c.ListOpcodes(a.ctx, p)
					if err != nil {
						return err
					}
					a.info("Available opcodes for %v:", p)
					for _, op := range opcodes {
						fmt.Fprintln(a.stdout, formatOpcode(op))
					}
					return nil
				}
			},
		},
		{
			name:  "list-keys",
			about: "List all keys belonging to the application",
			auth:  true,
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					keys, err := a.c.ListAllKeys(a.ctx)
					if err != nil {
						return err
					}
					if len(keys) == 0 {
						a.info("No keys currently available.")
						return nil
					}
					a.info("Available keys:")
					names := a.extraNames(keys)
					for _, k := range keys {
						fmt.Fprintln(a.stdout, formatKey(k, names))
					}
					return nil
				}
			},
		},
		{
			name:  "generate-random",
			about: "Generate a sequence of random bytes",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var n uint64
				o.Uint(&n, 'n', "nbytes", "", "", math.MaxUint64, true)
				return func(a *app, _ []string) error {
					a.info("Generating %d random bytes...", n)
					if err := a.crypto(); err != nil {
						return err
					}
					b, err := a.c.GenerateRandom(a.ctx, int(min(n, math.MaxInt32)))
					if err != nil {
						return err
					}
					a.info("Random bytes:")
					fmt.Fprintln(a.stdout, formatRandom(b))
					return nil
				}
			},
		},
		{
			name:  "list-clients",
			about: "Lists all clients currently having data in the service (admin operation)",
			auth:  true,
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					clients, err := a.c.ListClients(a.ctx)
					if err != nil {
						return err
					}
					if len(clients) == 0 {
						a.info("No clients in the service.")
						return nil
					}
					a.info("Parsec clients:")
					for _, c := range clients {
						fmt.Fprintln(a.stdout, c)
					}
					return nil
				}
			},
		},
		{
			name:  "delete-client",
			about: "Delete all data a client has in the service (admin operation)",
			auth:  true,
			define: func(o *options) func(*app, []string) error {
				var name string
				o.String(&name, 'c', "client", "", "", true)
				return func(a *app, _ []string) error {
					if err := a.c.DeleteClient(a.ctx, name); err != nil {
						return err
					}
					a.info("Client %q deleted.", name)
					return nil
				}
			},
		},
	}
}
