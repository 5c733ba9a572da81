package clienttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"slices"
	"strconv"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/parsecd/parsecd/src/interface/ops/deleteclient"
	"github.com/parsecd/parsecd/src/interface/ops/listauthenticators"
	"github.com/parsecd/parsecd/src/interface/ops/listclients"
	"github.com/parsecd/parsecd/src/interface/ops/listkeys"
	"github.com/parsecd/parsecd/src/interface/ops/listopcodes"
	"github.com/parsecd/parsecd/src/interface/ops/listproviders"
	"github.com/parsecd/parsecd/src/interface/ops/ping"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricdecrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psaasymmetricencrypt"
	"github.com/parsecd/parsecd/src/interface/ops/psadestroykey"
	"github.com/parsecd/parsecd/src/interface/ops/psaexportpublickey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneratekey"
	"github.com/parsecd/parsecd/src/interface/ops/psageneraterandom"
	"github.com/parsecd/parsecd/src/interface/ops/psasignhash"
	"github.com/parsecd/parsecd/src/interface/ops/psaverifyhash"
	"github.com/parsecd/parsecd/src/psa"
	"github.com/parsecd/parsecd/src/status"
	"github.com/parsecd/parsecd/src/wire"
)

// Service is a small software Parsec service for client tests: the core
// operations, and RSA / ECC SECP-R1 key generation, public export, hash
// signing and verification, asymmetric encryption, random bytes in a single
// crypto provider. It is not a reference for service behaviour beyond that.
type Service struct {
	Providers     []*listproviders.ProviderInfo // in ListProviders order
	Authenticator wire.AuthType                 // the one configured authenticator
	Admins        []string                      // application names allowed admin ops

	mu   sync.Mutex
	keys map[string]map[string]*softKey // app -> key name -> key
}

type softKey struct {
	attrs psa.KeyAttributes
	priv  crypto.Signer // *rsa.PrivateKey or *ecdsa.PrivateKey
}

// MbedCryptoInfo and CoreInfo are the ListProviders entries NewService uses.
var (
	MbedCryptoInfo = &listproviders.ProviderInfo{Uuid: "1c1139dc-ad7c-47dc-ad6b-db6fdb466552",
		Description: "User space software provider", Vendor: "Arm", VersionMaj: 0, VersionMin: 1, VersionRev: 0, Id: 1}
	CoreInfo = &listproviders.ProviderInfo{Uuid: "47049873-2a43-4845-9d72-831eab668784",
		Description: "Software provider that implements only administrative (i.e. no cryptographic) operations",
		VersionMaj:  1, VersionMin: 5, VersionRev: 0, Id: 0}
)

// NewService returns a service with the Mbed Crypto provider (id 1) then
// the core provider, and the Direct authenticator.
func NewService() *Service {
	return &Service{
		Providers:     []*listproviders.ProviderInfo{MbedCryptoInfo, CoreInfo},
		Authenticator: wire.AuthDirect,
		keys:          map[string]map[string]*softKey{},
	}
}

// Start serves s on a new fake server that stops when the test ends.
func (s *Service) Start(t testing.TB) *Server { return NewServer(t, s.Handle) }

var coreOpcodes = []wire.Opcode{wire.OpPing, wire.OpListProviders, wire.OpListOpcodes, wire.OpListAuthenticators, wire.OpListKeys}

var cryptoOpcodes = []wire.Opcode{wire.OpPsaGenerateKey, wire.OpPsaDestroyKey, wire.OpPsaSignHash, wire.OpPsaVerifyHash,
	wire.OpPsaExportPublicKey, wire.OpPsaAsymmetricEncrypt, wire.OpPsaAsymmetricDecrypt, wire.OpPsaGenerateRandom}

func (s *Service) configured(p wire.ProviderID) bool {
	for _, pi := range s.Providers {
		if pi.Id == uint32(p) {
			return true
		}
	}
	return false
}

// app returns the application the request authenticates as ("" for none).
func (s *Service) app(req *wire.Request) (string, status.Code) {
	h := req.Header
	switch {
	case h.AuthType == wire.AuthNone:
		return "", status.Success
	case h.AuthType != s.Authenticator:
		return "", status.AuthenticatorNotRegistered
	case h.AuthType == wire.AuthDirect:
		if len(req.Auth) == 0 {
			return "", status.AuthenticationError
		}
		return string(req.Auth), status.Success
	case h.AuthType == wire.AuthUnixPeerCredentials:
		if len(req.Auth) != 4 {
			return "", status.AuthenticationError
		}
		uid := uint32(req.Auth[0]) | uint32(req.Auth[1])<<8 | uint32(req.Auth[2])<<16 | uint32(req.Auth[3])<<24
		return strconv.FormatUint(uint64(uid), 10), status.Success
	}
	return "", status.AuthenticatorNotRegistered
}

// Handle implements Handler.
func (s *Service) Handle(req *wire.Request) *wire.Response {
	h := req.Header
	app, code := s.app(req)
	if code != status.Success {
		return Fail(req, code)
	}
	if h.Provider != wire.ProviderCore && !s.configured(h.Provider) {
		return Fail(req, status.ProviderNotRegistered)
	}
	if h.Opcode.IsCore() != (h.Provider == wire.ProviderCore) {
		return Fail(req, status.PsaErrorNotSupported)
	}
	if h.Opcode.IsAdmin() {
		if app == "" {
			return Fail(req, status.NotAuthenticated)
		}
		if !slices.Contains(s.Admins, app) {
			return Fail(req, status.AdminOperation)
		}
	}
	if !h.Opcode.IsCore() && !slices.Contains(cryptoOpcodes, h.Opcode) {
		return Fail(req, status.PsaErrorNotSupported)
	}
	res, err := s.dispatch(req, app)
	if err != nil {
		return Fail(req, status.CodeOf(err))
	}
	return Reply(req, res)
}

func decode(req *wire.Request, m proto.Message) error {
	if err := proto.Unmarshal(req.Body, m); err != nil {
		return status.DeserializingBodyFailed
	}
	return nil
}

func needApp(app string) error {
	if app == "" {
		return status.NotAuthenticated
	}
	return nil
}

func (s *Service) dispatch(req *wire.Request, app string) (proto.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch req.Header.Opcode {
	case wire.OpPing:
		return &ping.Result{WireProtocolVersionMaj: 1}, nil
	case wire.OpListProviders:
		return &listproviders.Result{Providers: s.Providers}, nil
	case wire.OpListOpcodes:
		var op listopcodes.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		p := wire.ProviderID(op.ProviderId)
		if op.ProviderId > 0xFF || !p.Known() {
			return nil, status.ProviderDoesNotExist
		}
		list := cryptoOpcodes
		if p == wire.ProviderCore {
			list = coreOpcodes
		} else if !s.configured(p) {
			return nil, status.ProviderNotRegistered
		}
		res := &listopcodes.Result{}
		for _, o := range list {
			res.Opcodes = append(res.Opcodes, uint32(o))
		}
		return res, nil
	case wire.OpListAuthenticators:
		return &listauthenticators.Result{Authenticators: []*listauthenticators.AuthenticatorInfo{
			{Description: "fake " + s.Authenticator.String() + " authenticator", VersionMin: 1, Id: uint32(s.Authenticator)}}}, nil
	case wire.OpListKeys:
		if err := needApp(app); err != nil {
			return nil, err
		}
		res := &listkeys.Result{}
		names := make([]string, 0, len(s.keys[app]))
		for n := range s.keys[app] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			res.Keys = append(res.Keys, &listkeys.KeyInfo{ProviderId: s.Providers[0].Id, Name: n,
				Attributes: psa.AttributesToProto(s.keys[app][n].attrs)})
		}
		return res, nil
	case wire.OpListClients:
		res := &listclients.Result{}
		for a, ks := range s.keys {
			if len(ks) > 0 {
				res.Clients = append(res.Clients, a)
			}
		}
		slices.Sort(res.Clients)
		return res, nil
	case wire.OpDeleteClient:
		var op deleteclient.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		delete(s.keys, op.Client)
		return &deleteclient.Result{}, nil
	case wire.OpPsaGenerateRandom:
		var op psageneraterandom.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		if op.Size > wire.DefaultBodyLimit {
			return nil, status.ResponseTooLarge
		}
		b := make([]byte, op.Size)
		_, _ = rand.Read(b)
		return &psageneraterandom.Result{RandomBytes: b}, nil
	}
	if err := needApp(app); err != nil {
		return nil, err
	}
	return s.keyOp(req, app)
}

func (s *Service) key(app, name string) (*softKey, error) {
	k, ok := s.keys[app][name]
	if !ok {
		return nil, status.PsaErrorDoesNotExist
	}
	return k, nil
}

func (s *Service) keyOp(req *wire.Request, app string) (proto.Message, error) {
	switch req.Header.Opcode {
	case wire.OpPsaGenerateKey:
		var op psageneratekey.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		attrs, err := psa.AttributesFromProto(op.Attributes)
		if err != nil {
			return nil, err
		}
		if _, ok := s.keys[app][op.KeyName]; ok {
			return nil, status.PsaErrorAlreadyExists
		}
		priv, err := generate(attrs)
		if err != nil {
			return nil, err
		}
		if s.keys[app] == nil {
			s.keys[app] = map[string]*softKey{}
		}
		s.keys[app][op.KeyName] = &softKey{attrs: attrs, priv: priv}
		return &psageneratekey.Result{}, nil
	case wire.OpPsaDestroyKey:
		var op psadestroykey.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		if _, err := s.key(app, op.KeyName); err != nil {
			return nil, err
		}
		delete(s.keys[app], op.KeyName)
		return &psadestroykey.Result{}, nil
	case wire.OpPsaExportPublicKey:
		var op psaexportpublickey.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		k, err := s.key(app, op.KeyName)
		if err != nil {
			return nil, err
		}
		var data []byte
		switch pub := k.priv.Public().(type) {
		case *rsa.PublicKey:
			data = x509.MarshalPKCS1PublicKey(pub)
		case *ecdsa.PublicKey:
			if data, err = pub.Bytes(); err != nil {
				return nil, status.PsaErrorGenericError
			}
		}
		return &psaexportpublickey.Result{Data: data}, nil
	case wire.OpPsaSignHash:
		var op psasignhash.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		alg, err := psa.AsymSignFromProto(op.Alg)
		if err != nil {
			return nil, err
		}
		k, err := s.key(app, op.KeyName)
		if err != nil {
			return nil, err
		}
		hashLen := len(op.Hash)
		if alg.Kind == psa.SignEcdsaAny || alg.Kind == psa.SignRsaPkcs1v15Raw {
			hashLen = -1
		}
		if err := psa.CheckSign(k.attrs, psa.UsageSignHash, alg, hashLen); err != nil {
			return nil, err
		}
		sig, err := sign(k, alg, op.Hash)
		if err != nil {
			return nil, err
		}
		return &psasignhash.Result{Signature: sig}, nil
	case wire.OpPsaVerifyHash:
		var op psaverifyhash.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		alg, err := psa.AsymSignFromProto(op.Alg)
		if err != nil {
			return nil, err
		}
		k, err := s.key(app, op.KeyName)
		if err != nil {
			return nil, err
		}
		if err := psa.CheckSign(k.attrs, psa.UsageVerifyHash, alg, len(op.Hash)); err != nil {
			return nil, err
		}
		if !verify(k, alg, op.Hash, op.Signature) {
			return nil, status.PsaErrorInvalidSignature
		}
		return &psaverifyhash.Result{}, nil
	case wire.OpPsaAsymmetricEncrypt:
		var op psaasymmetricencrypt.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		alg, err := psa.AsymEncryptFromProto(op.Alg)
		if err != nil {
			return nil, err
		}
		k, err := s.key(app, op.KeyName)
		if err != nil {
			return nil, err
		}
		if err := psa.CheckEncrypt(k.attrs, psa.UsageEncrypt, alg); err != nil {
			return nil, err
		}
		pub := k.priv.Public().(*rsa.PublicKey)
		var ct []byte
		if alg.Kind == psa.EncRsaOaep {
			ct, err = rsa.EncryptOAEP(cryptoHash(alg.Hash).New(), rand.Reader, pub, op.Plaintext, op.Salt)
		} else {
			//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
			ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub, op.Plaintext)
		}
		if err != nil {
			return nil, status.PsaErrorInvalidArgument
		}
		return &psaasymmetricencrypt.Result{Ciphertext: ct}, nil
	case wire.OpPsaAsymmetricDecrypt:
		var op psaasymmetricdecrypt.Operation
		if err := decode(req, &op); err != nil {
			return nil, err
		}
		alg, err := psa.AsymEncryptFromProto(op.Alg)
		if err != nil {
			return nil, err
		}
		k, err := s.key(app, op.KeyName)
		if err != nil {
			return nil, err
		}
		if err := psa.CheckEncrypt(k.attrs, psa.UsageDecrypt, alg); err != nil {
			return nil, err
		}
		priv := k.priv.(*rsa.PrivateKey)
		var pt []byte
		if alg.Kind == psa.EncRsaOaep {
			pt, err = rsa.DecryptOAEP(cryptoHash(alg.Hash).New(), nil, priv, op.Ciphertext, op.Salt)
		} else {
			//lint:ignore SA1019 PKCS#1 v1.5 encryption is part of the Parsec/PSA contract (RsaPkcs1v15Crypt)
			pt, err = rsa.DecryptPKCS1v15(nil, priv, op.Ciphertext)
		}
		if err != nil {
			return nil, status.PsaErrorInvalidPadding
		}
		return &psaasymmetricdecrypt.Result{Plaintext: pt}, nil
	}
	return nil, status.PsaErrorNotSupported
}

func generate(a psa.KeyAttributes) (crypto.Signer, error) {
	switch {
	case a.Type.Kind == psa.KeyRsaPair:
		if a.Bits != 1024 && a.Bits != 2048 && a.Bits != 3072 && a.Bits != 4096 {
			return nil, status.PsaErrorInvalidArgument
		}
		return rsa.GenerateKey(rand.Reader, int(a.Bits))
	case a.Type.Kind == psa.KeyEccPair && a.Type.EccFamily == psa.EccSecpR1:
		var c elliptic.Curve
		switch a.Bits {
		case 256:
			c = elliptic.P256()
		case 384:
			c = elliptic.P384()
		case 521:
			c = elliptic.P521()
		default:
			return nil, status.PsaErrorNotSupported
		}
		return ecdsa.GenerateKey(c, rand.Reader)
	}
	return nil, status.PsaErrorNotSupported
}

func cryptoHash(h psa.Hash) crypto.Hash {
	switch h {
	case psa.HashSHA224:
		return crypto.SHA224
	case psa.HashSHA256:
		return crypto.SHA256
	case psa.HashSHA384:
		return crypto.SHA384
	case psa.HashSHA512:
		return crypto.SHA512
	case psa.HashSHA1:
		return crypto.SHA1
	}
	return 0
}

func sign(k *softKey, alg psa.AsymSign, hash []byte) ([]byte, error) {
	switch priv := k.priv.(type) {
	case *rsa.PrivateKey:
		switch alg.Kind {
		case psa.SignRsaPkcs1v15:
			return rsa.SignPKCS1v15(nil, priv, cryptoHash(alg.Hash), hash)
		case psa.SignRsaPkcs1v15Raw:
			return rsa.SignPKCS1v15(nil, priv, 0, hash)
		case psa.SignRsaPss:
			return rsa.SignPSS(rand.Reader, priv, cryptoHash(alg.Hash), hash, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, priv, hash)
		if err != nil {
			return nil, err
		}
		size := (priv.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out, nil
	}
	return nil, status.PsaErrorNotSupported
}

func verify(k *softKey, alg psa.AsymSign, hash, sig []byte) bool {
	switch pub := k.priv.Public().(type) {
	case *rsa.PublicKey:
		switch alg.Kind {
		case psa.SignRsaPkcs1v15:
			return rsa.VerifyPKCS1v15(pub, cryptoHash(alg.Hash), hash, sig) == nil
		case psa.SignRsaPss:
			return rsa.VerifyPSS(pub, cryptoHash(alg.Hash), hash, sig, nil) == nil
		}
	case *ecdsa.PublicKey:
		size := (pub.Curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return false
		}
		r, s := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
		return ecdsa.Verify(pub, hash, r, s)
	}
	return false
}
