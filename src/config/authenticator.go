// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

package config

import (
	"slices"
	"strings"
)

// Authenticator is one authenticator: Parsec's single [authenticator]
// table, or one entry of parsecd's [[authenticator]] array.
type Authenticator struct {
	Type   string // "UnixPeerCredentials", "Direct" or "JwtSvid"
	Admins []string
	// WorkloadEndpoint is the SPIFFE Workload API (JwtSvid only), e.g.
	// "unix:///run/spire/sockets/agent.sock".
	WorkloadEndpoint string
}

// NoSpiffe says why a build without the spiffe tag has no JwtSvid
// authenticator and how to get one.
const NoSpiffe = "this parsecd was built without SPIFFE support; build it with the spiffe tag (go build -tags spiffe ./src/cmd/parsecd, or make build-spiffe)"

// authTypes are the auth_type values parsecd serves.
var authTypes = []string{"UnixPeerCredentials", "Direct", "JwtSvid"}

// Default is the default authenticator (the first), the one Parsec's
// clients pick; nil when none could be read.
func (c *Config) Default() *Authenticator {
	if len(c.Authenticators) == 0 {
		return nil
	}
	return &c.Authenticators[0]
}

// readAuthenticators reads root["authenticator"]: a table (Parsec's one
// authenticator) or an array of tables (several at once, the first the
// default). An auth_type given twice is refused: a request names its
// authenticator by type alone.
func readAuthenticators(r *reader, root map[string]any, note func(string, ...any)) []Authenticator {
	v, ok := root["authenticator"]
	if !ok {
		r.bad("", "missing section [authenticator]")
		return nil
	}
	var ts []*table
	switch arr := v.(type) {
	case map[string]any:
		ts = []*table{r.section(root, "authenticator")}
	case []any:
		ts = r.entries(root, "authenticator")
		if len(arr) == 0 {
			r.bad("authenticator", "authenticator: expected at least one authenticator, found an empty array")
		}
	default:
		r.bad("authenticator", "authenticator: expected a table ([authenticator]) or an array of tables ([[authenticator]]), found %s", describeValue(v))
		return nil
	}
	var out []Authenticator
	seen := map[string]bool{}
	for _, t := range ts {
		a, ok := readAuthenticator(r, t, note)
		if !ok {
			continue
		}
		if seen[a.Type] {
			r.bad(t.path+".auth_type", "authenticator.auth_type: %q is configured twice: each auth_type may appear once (a request names its authenticator by type)", a.Type)
			continue
		}
		seen[a.Type] = true
		out = append(out, a)
	}
	return out
}

func readAuthenticator(r *reader, t *table, note func(string, ...any)) (Authenticator, bool) {
	var a Authenticator
	ok := true
	at := t.str("auth_type")
	switch {
	case at == nil:
		if _, present := t.m["auth_type"]; !present {
			r.bad(t.path, "authenticator.auth_type is missing: expected one of %s", quoteList(authTypes))
		}
		ok = false
	case slices.Contains(authTypes, *at):
		a.Type = *at
		if a.Type == "JwtSvid" && !spiffeBuilt {
			r.bad(t.path+".auth_type", "authenticator.auth_type: \"JwtSvid\": %s", NoSpiffe)
			ok = false
		}
	default:
		r.bad(t.path+".auth_type", "authenticator.auth_type: %q is not one of %s", *at, quoteList(authTypes))
		ok = false
	}
	if we := t.str("workload_endpoint"); we != nil {
		switch {
		case a.Type != "JwtSvid":
			note("authenticator.workload_endpoint is only used by JwtSvid and is ignored")
		case !strings.HasPrefix(*we, "unix://") && !strings.HasPrefix(*we, "tcp://"):
			r.bad(t.path+".workload_endpoint", "authenticator.workload_endpoint: expected a \"unix:///path\" or \"tcp://ip:port\" address, found %q", *we)
			ok = false
		default:
			a.WorkloadEndpoint = *we
		}
	} else if a.Type == "JwtSvid" {
		if _, present := t.m["workload_endpoint"]; !present {
			r.bad(t.path, "authenticator.workload_endpoint is missing: JwtSvid needs the SPIFFE Workload API, e.g. workload_endpoint = \"unix:///run/spire/sockets/agent.sock\"")
		}
		ok = false
	}
	if v, present := t.get("admins"); present {
		a.Admins = readAdmins(r, t.path+".admins", v)
	}
	t.done()
	return a, ok
}
