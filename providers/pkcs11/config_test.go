// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build cgo && pkcs11

package pkcs11

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/parsecd/parsecd/src/config"
	"github.com/parsecd/parsecd/src/provider"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/storage/memory"
)

func ptr[T any](v T) *T { return &v }

func TestConfigOptions(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openPinFile := filepath.Join(dir, "open-pin")
	if err := os.WriteFile(openPinFile, []byte("4321\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := Config{LibraryPath: " /lib.so "}
	with := func(f func(*Config)) Config { c := base; f(&c); return c }
	tests := []struct {
		name    string
		c       Config
		check   func(t *testing.T, o Options)
		wantErr string
	}{
		{"defaults", base, func(t *testing.T, o Options) {
			if o.Name != DefaultName || o.LibraryPath != "/lib.so" || o.Slot != nil || o.HasPIN || !o.AllowExport ||
				o.SoftwarePublicOperations || o.SessionPoolSize != DefaultSessionPoolSize {
				t.Errorf("defaults: %v", o)
			}
		}, ""},
		{"everything", with(func(c *Config) {
			c.Name, c.SlotNumber, c.SerialNumber, c.TokenLabel = "hsm", ptr(uint64(7)), ptr("  0123abcd "), ptr(" parsec ")
			c.UserPin, c.SoftwarePublicOperations, c.AllowExport, c.SessionPoolSize = ptr("str:1234"), true, ptr(false), ptr(9)
		}), func(t *testing.T, o Options) {
			if o.Name != "hsm" || *o.Slot != 7 || o.SerialNumber != "0123abcd" || o.TokenLabel != "parsec" || o.PIN != "1234" ||
				!o.HasPIN || !o.SoftwarePublicOperations || o.AllowExport || o.SessionPoolSize != 9 {
				t.Errorf("parsed: %v", o)
			}
		}, ""},
		{"plain PIN", with(func(c *Config) { c.UserPin = ptr("9876") }), func(t *testing.T, o Options) {
			if o.PIN != "9876" {
				t.Error("plain PIN not taken as is")
			}
		}, ""},
		{"str: PIN with a colon", with(func(c *Config) { c.UserPin = ptr("str:hex:12") }), func(t *testing.T, o Options) {
			if o.PIN != "hex:12" {
				t.Error("str: prefix not stripped once")
			}
		}, ""},
		{"hex PIN", with(func(c *Config) { c.UserPin = ptr("hex:31323334") }), func(t *testing.T, o Options) {
			if o.PIN != "1234" {
				t.Error("hex PIN not decoded")
			}
		}, ""},
		{"file PIN", with(func(c *Config) { c.UserPin = ptr("file:" + pinFile) }), func(t *testing.T, o Options) {
			if o.PIN != "s3cret" || o.PINFileWarning != "" {
				t.Errorf("file PIN: warning %q", o.PINFileWarning)
			}
		}, ""},
		{"world-readable file PIN", with(func(c *Config) { c.UserPin = ptr("file:" + openPinFile) }), func(t *testing.T, o Options) {
			if o.PIN != "4321" || !strings.Contains(o.PINFileWarning, "chmod 600") {
				t.Errorf("world-readable PIN file: warning %q", o.PINFileWarning)
			}
		}, ""},
		{"empty PIN is a PIN", with(func(c *Config) { c.UserPin = ptr("") }), func(t *testing.T, o Options) {
			if !o.HasPIN || o.PIN != "" {
				t.Error("empty user_pin")
			}
		}, ""},
		{"no library", Config{}, nil, "library_path is required"},
		{"bad hex", with(func(c *Config) { c.UserPin = ptr("hex:zz") }), nil, "user_pin: the hex: value"},
		{"missing PIN file", with(func(c *Config) { c.UserPin = ptr("file:" + filepath.Join(dir, "none")) }), nil, "reading the PIN file"},
		{"file: without a path", with(func(c *Config) { c.UserPin = ptr("file:") }), nil, "file: needs a path"},
		{"pool size 0", with(func(c *Config) { c.SessionPoolSize = ptr(0) }), nil, "session_pool_size 0 is out of range"},
		{"pool size too large", with(func(c *Config) { c.SessionPoolSize = ptr(1000) }), nil, "session_pool_size 1000 is out of range"},
		{"empty serial", with(func(c *Config) { c.SerialNumber = ptr("  ") }), nil, "serial_number is empty"},
		{"empty label", with(func(c *Config) { c.TokenLabel = ptr("") }), nil, "token_label is empty"},
	}
	errKey := map[string]string{"no library": "library_path", "bad hex": "user_pin", "missing PIN file": "user_pin",
		"file: without a path": "user_pin", "pool size 0": "session_pool_size", "pool size too large": "session_pool_size",
		"empty serial": "serial_number", "empty label": "token_label"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.c.Options()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				// The daemon points at the key's line by the
				// *config.KeyError, not by the words.
				if ke := (*config.KeyError)(nil); !errors.As(err, &ke) || ke.Key != errKey[tc.name] {
					t.Errorf("error %v is not a *config.KeyError about %q", err, errKey[tc.name])
				}
				if strings.Contains(err.Error(), "zz") && tc.name == "bad hex" {
					t.Error("the error quotes the PIN")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
			if s := o.String(); o.PIN != "" && strings.Contains(s, o.PIN) {
				t.Errorf("Options.String shows the PIN: %s", s)
			}
		})
	}
}

// entry builds the [[provider]] entry the core hands to the factory.
func entry(t *testing.T, body string) config.Provider {
	t.Helper()
	text := fmt.Sprintf(`[core_settings]
[listener]
listener_type = "DomainSocket"
timeout = 200
socket_path = "/tmp/x.sock"
[authenticator]
auth_type = "Direct"
[[key_manager]]
name = "k"
manager_type = "Bbolt"
path = "/tmp/k.db"
[[provider]]
provider_type = "Pkcs11"
key_info_manager = "k"
%s`, body)
	c, err := config.Parse("cfg.toml", []byte(text))
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	return c.Providers[0]
}

func build(t *testing.T, body string) (provider.Provider, error) {
	t.Helper()
	p, err := provider.Build(context.Background(), "cfg.toml", entry(t, body), provider.Deps{Keys: memory.New()})
	if err == nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// TestFactory goes through the registry with config.toml text.
func TestFactory(t *testing.T) {
	p, err := build(t, fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = \"str:%s\"\nsession_pool_size = 2\n", testLib, testLabel, testPIN))
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if p.Name() != DefaultName || p.Info().UUID != UUID {
		t.Errorf("built %q %+v", p.Name(), p.Info())
	}
	kp := p.(provider.KeyManagement)
	wantCode(t, kp.GenerateKey(context.Background(), appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey")
	p.Close()

	for _, tc := range []struct{ name, body, want string }{
		{"unknown key", fmt.Sprintf("library_path = %q\nbogus = 1\n", testLib), `cfg.toml:16:1: [[provider]] #1 (Pkcs11): unknown key "bogus"`},
		{"Parsec's label key name", fmt.Sprintf("library_path = %q\nlabel = \"x\"\n", testLib), `cfg.toml:16:1: [[provider]] #1 (Pkcs11): unknown key "label"`},
		{"no library", "slot_number = 1\n", "library_path is required"},
		{"mistyped slot", fmt.Sprintf("library_path = %q\nslot_number = \"1\"\n", testLib), `cfg.toml:16:1: [[provider]] #1 (Pkcs11): key "slot_number": `},
		{"negative slot", fmt.Sprintf("library_path = %q\nslot_number = -1\n", testLib), `cfg.toml:16:1: [[provider]] #1 (Pkcs11): key "slot_number": `},
		{"missing library", "library_path = \"/nonexistent/libp11.so\"\n", "pkcs11 provider: library /nonexistent/libp11.so: cannot load the module"},
		{"not a module", "library_path = \"/etc/hostname\"\n", "pkcs11 provider: library /etc/hostname: cannot load the module: dlopen failed"},
	} {
		_, err := build(t, tc.body)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

// TestWrongPIN: the start-up error names the library, the slot, the token
// and the return value in plain words.
func TestWrongPIN(t *testing.T) {
	o := testOptions()
	o.PIN = "0000"
	_, err := New(context.Background(), o, depsOn(memory.New()))
	if err == nil {
		t.Fatal("a wrong PIN was accepted")
	}
	p := newTestProvider(t, testOptions(), nil) // to learn the slot
	want := fmt.Sprintf(`pkcs11 provider: library %s: C_Login on slot %d (token %q): CKR_PIN_INCORRECT (wrong user PIN)`, testLib, p.tok.slot, testLabel)
	if err.Error() != want {
		t.Errorf("error:\n  %v\nwant:\n  %s", err, want)
	}
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_PIN_INCORRECT)) || !errors.Is(err, status.PsaErrorNotPermitted) {
		t.Errorf("error chain %v lacks CKR_PIN_INCORRECT / PsaErrorNotPermitted", err)
	}
	if strings.Contains(err.Error(), "0000") {
		t.Error("the error quotes the PIN")
	}
}

func TestPINFromFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(file, []byte(testPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := build(t, fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = \"file:%s\"\n", testLib, testLabel, file))
	if err != nil {
		t.Fatalf("PIN from a file: %v", err)
	}
	_, err = p.(provider.AsymSign).SignHash(context.Background(), appA, "none", ecdsa256(), make([]byte, 32))
	wantCode(t, err, status.PsaErrorDoesNotExist, "SignHash")
	_, err = build(t, fmt.Sprintf("library_path = %q\ntoken_label = %q\nuser_pin = \"hex:%x\"\n", testLib, testLabel, testPIN))
	if err != nil {
		t.Fatalf("hex PIN: %v", err)
	}
}

// TestNoPIN: without a PIN sessions are not logged in; private keys are
// unusable on SoftHSM (login required), and that is not taken for a deletion.
func TestNoPIN(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	p, err := New(ctx, testOptions(), depsOn(store))
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, p.GenerateKey(ctx, appA, "k", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey")
	// The login is the token's, for the whole process: only a provider
	// alone on the module is really without one.
	p.Close()
	o := testOptions()
	o.HasPIN, o.PIN = false, ""
	q := newTestProvider(t, o, store)
	_, err = q.SignHash(ctx, appA, "k", ecdsa256(), make([]byte, 32))
	wantCode(t, err, status.PsaErrorNotPermitted, "SignHash without a login")
	wantCode(t, q.DestroyKey(ctx, appA, "k"), status.PsaErrorNotPermitted, "DestroyKey without a login")
	if _, err := q.ExportPublicKey(ctx, appA, "k"); err != nil {
		t.Fatalf("public objects are visible without a login: %v", err)
	}
	_, err = q.GenerateRandom(ctx, 8)
	wantCode(t, err, status.Success, "GenerateRandom without a login")
	p = newTestProvider(t, testOptions(), store)
	_, err = p.SignHash(ctx, appA, "k", ecdsa256(), make([]byte, 32))
	wantCode(t, err, status.Success, "the key is intact for a logged-in provider")
}

// TestTokenSelection runs against two tokens, parsec-a and parsec-b.
func TestTokenSelection(t *testing.T) {
	useConf(t, multiConf)
	ctx := context.Background()
	open := func(f func(o *Options)) (*Provider, error) {
		o := testOptions()
		o.TokenLabel = ""
		f(&o)
		p, err := New(ctx, o, depsOn(memory.New()))
		if err == nil {
			t.Cleanup(func() { p.Close() })
		}
		return p, err
	}
	a, err := open(func(o *Options) { o.TokenLabel = "parsec-a" })
	if err != nil {
		t.Fatal(err)
	}
	b, err := open(func(o *Options) { o.TokenLabel = "parsec-b" })
	if err != nil {
		t.Fatal(err)
	}
	if a.tok.slot == b.tok.slot || a.tok.label != "parsec-a" || b.tok.label != "parsec-b" {
		t.Fatalf("label selection: %v and %v", a.tok, b.tok)
	}
	bySerial, err := open(func(o *Options) { o.SerialNumber = b.tok.serial })
	if err != nil || bySerial.tok.slot != b.tok.slot {
		t.Fatalf("serial selection: %v %v", bySerial, err)
	}
	bySlot, err := open(func(o *Options) { o.Slot = &a.tok.slot })
	if err != nil || bySlot.tok.slot != a.tok.slot {
		t.Fatalf("slot selection: %v", err)
	}
	serialWins, err := open(func(o *Options) { o.Slot = &a.tok.slot; o.SerialNumber = b.tok.serial })
	if err != nil || serialWins.tok.slot != b.tok.slot {
		t.Fatalf("serial_number does not win over slot_number: %v", err)
	}
	both, err := open(func(o *Options) { o.SerialNumber = a.tok.serial; o.TokenLabel = "parsec-a" })
	if err != nil || both.tok.slot != a.tok.slot {
		t.Fatalf("serial and label: %v", err)
	}

	// Keys live on the token they were made on.
	wantCode(t, a.GenerateKey(ctx, appA, "on-a", signAttrs(psa.KeyEccPair, 256, allUsage, ecdsa256())), status.Success, "GenerateKey on a")
	k, _ := a.load(ctx, appA, "on-a")
	hb := rawSession(t, b)
	if n := len(objectsWith(t, b, hb, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))); n != 0 {
		t.Fatalf("token b holds %d objects of a key made on token a", n)
	}

	for _, tc := range []struct {
		name string
		f    func(o *Options)
		want []string
	}{
		{"nothing set, two tokens", func(o *Options) {}, []string{"several slots hold an initialised token", `token "parsec-a"`, `token "parsec-b"`, "set serial_number, token_label or slot_number"}},
		{"unknown label", func(o *Options) { o.TokenLabel = "nope" }, []string{`no initialised token has label "nope"`, `token "parsec-a"`, `token "parsec-b"`}},
		{"unknown serial", func(o *Options) { o.SerialNumber = "ffff" }, []string{`no initialised token has serial number "ffff"`, "tokens found"}},
		{"label and serial of different tokens", func(o *Options) { o.SerialNumber = a.tok.serial; o.TokenLabel = "parsec-b" }, []string{"no initialised token has serial number"}},
		{"missing slot", func(o *Options) { o.Slot = ptr(uint(4242)) }, []string{"slot 4242 does not exist or holds no token", `token "parsec-a"`}},
		{"uninitialised slot", func(o *Options) { o.Slot = ptr(emptySlot(t, a)) }, []string{"is not initialised"}},
	} {
		_, err := open(tc.f)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		for _, w := range append(tc.want, "pkcs11 provider: library "+testLib+": ") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not contain %q", tc.name, err, w)
			}
		}
	}
}

// emptySlot finds SoftHSM's spare slot with an uninitialised token.
func emptySlot(t *testing.T, p *Provider) uint {
	t.Helper()
	ts, err := tokens(p.mod.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range ts {
		if !tok.initialized {
			return tok.slot
		}
	}
	t.Fatal("no uninitialised slot")
	return 0
}

// TestSingleTokenDefault: with no selection, the only initialised token is taken.
func TestSingleTokenDefault(t *testing.T) {
	useConf(t, mainConf)
	o := testOptions()
	o.TokenLabel = ""
	p := newTestProvider(t, o, nil)
	if p.tok.label != testLabel {
		t.Fatalf("picked %v", p.tok)
	}
}

// TestValidate: what parsecd --check-config runs on a Pkcs11 entry. The
// module is never loaded (a library that does not exist passes), errors
// point at the line of the key they are about (the entry starts on line
// 12, its own keys on line 15), and the start-up warnings come back as
// notes.
func TestValidate(t *testing.T) {
	dir := t.TempDir()
	openPIN := filepath.Join(dir, "open-pin")
	if err := os.WriteFile(openPIN, []byte("8642\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	const lib = "library_path = \"/nonexistent/libp11.so\"\n"
	for _, tc := range []struct {
		name, body string
		want       []string // one per error line, in order; none = valid
		notes      []string
	}{
		{"not loaded", lib + "user_pin = \"str:1234\"\n", nil, nil},
		{"no PIN", lib, nil, []string{"cfg.toml:12:3: [[provider]] #1 (Pkcs11): no user_pin configured"}},
		{"PIN file others can read", lib + "user_pin = \"file:" + openPIN + "\"\n", nil,
			[]string{"cfg.toml:12:3: [[provider]] #1 (Pkcs11): the PIN file " + openPIN + " has mode -rw-r--r--"}},
		{"no library", "token_label = \"t\"\n", []string{"cfg.toml:12:3: [[provider]] #1 (Pkcs11): library_path is required"}, nil},
		{"unknown key", lib + "label = \"t\"\n", []string{`cfg.toml:16:1: [[provider]] #1 (Pkcs11): unknown key "label"`}, nil},
		{"mistyped slot", lib + "slot_number = \"0\"\n", []string{`cfg.toml:16:1: [[provider]] #1 (Pkcs11): key "slot_number": `}, nil},
		{"odd hex PIN", lib + "user_pin = \"hex:313\"\n", []string{"cfg.toml:16:1: [[provider]] #1 (Pkcs11): user_pin: the hex: value is not"}, nil},
		{"file PIN without a path", lib + "user_pin = \"file:\"\n", []string{"cfg.toml:16:1: [[provider]] #1 (Pkcs11): user_pin: file: needs a path"}, nil},
		{"missing PIN file", lib + "user_pin = \"file:" + filepath.Join(dir, "none") + "\"\n",
			[]string{"cfg.toml:16:1: [[provider]] #1 (Pkcs11): user_pin: reading the PIN file: "}, nil},
		{"every error reported", "token_label = \" \"\nsession_pool_size = 0\n", []string{
			"cfg.toml:12:3: [[provider]] #1 (Pkcs11): library_path is required",
			"cfg.toml:15:1: [[provider]] #1 (Pkcs11): token_label is empty",
			"cfg.toml:16:1: [[provider]] #1 (Pkcs11): session_pool_size 0 is out of range",
		}, nil},
	} {
		notes, err := provider.Validate("cfg.toml", entry(t, tc.body))
		var lines []string
		if err != nil {
			lines = strings.Split(err.Error(), "\n")
		}
		wantPrefixes(t, tc.name+": errors", lines, tc.want)
		wantPrefixes(t, tc.name+": notes", notes, tc.notes)
		// The PIN is 1234 (hex 31323334); a shorter probe would match the
		// random digits of a temporary directory's name.
		if err != nil && (strings.Contains(err.Error(), "1234") || strings.Contains(err.Error(), "31323334")) {
			t.Errorf("%s: the error shows the PIN: %v", tc.name, err)
		}
	}
}

// wantPrefixes checks that got has one line per want, each starting with it.
func wantPrefixes(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %q, want %d", what, got, len(want))
		return
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("%s: %q, want it to start with %q", what, got[i], w)
		}
	}
}
