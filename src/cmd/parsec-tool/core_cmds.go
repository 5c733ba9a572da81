package main

import (
	"fmt"
	"math"

	"github.com/parsecd/parsecd/src/wire"
)

// Service-level subcommands: ping, list-*, delete-client, generate-random.

// providerDebug is Rust's Debug of ProviderId, used in log lines.
var providerDebug = map[wire.ProviderID]string{
	wire.ProviderCore: "Core", wire.ProviderMbedCrypto: "MbedCrypto", wire.ProviderPkcs11: "Pkcs11",
	wire.ProviderTpm: "Tpm", wire.ProviderTrustedService: "TrustedService", wire.ProviderCryptoAuthLib: "CryptoAuthLib",
}

func coreCommands() []*command {
	return []*command{
		{
			name:  "ping",
			about: "Ping the Parsec service and prints the wire protocol version",
			define: func(*options) func(*app, []string) error {
				return func(a *app, _ []string) error {
					a.info("Pinging Parsec service...")
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
					providers, err := a.c.ListProviders(a.ctx)
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
				o.Uint(&provider, 'p', "provider", "PROVIDER", "ID of the provider (default: the global --provider, else the core provider)", math.MaxUint8, false)
				return func(a *app, _ []string) error {
					var p wire.ProviderID
					if o.IsSet("provider") {
						p = wire.ProviderID(provider)
					} else {
						var err error
						if p, err = a.c.Provider(a.ctx); err != nil {
							return err
						}
					}
					opcodes, err := a.c.ListOpcodes(a.ctx, p)
					if err != nil {
						return err
					}
					name, ok := providerDebug[p]
					if !ok {
						name = p.String()
					}
					a.info("Available opcodes for provider %s:", name)
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
					keys, err := a.c.ListKeys(a.ctx)
					if err != nil {
						return err
					}
					if len(keys) == 0 {
						a.info("No keys currently available.")
						return nil
					}
					a.info("Available keys:")
					for _, k := range keys {
						fmt.Fprintln(a.stdout, formatKey(k))
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
				o.Uint(&n, 'n', "nbytes", "NBYTES", "Number of random bytes to generate", math.MaxInt32, true)
				return func(a *app, _ []string) error {
					a.info("Generating %d random bytes...", n)
					b, err := a.c.GenerateRandom(a.ctx, int(n))
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
			about: "List all clients currently having data in the service (admin operation)",
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
				o.String(&name, 'c', "client", "CLIENT", "Name of the client (application) to delete", true)
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
