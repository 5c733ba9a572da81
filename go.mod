module github.com/parsecd/parsecd

go 1.26.0

require (
	github.com/ProtonMail/go-crypto v1.5.2
	github.com/cloudflare/circl v1.6.5
	github.com/decred/dcrd/dcrec/secp256k1/v4 v4.4.1
	github.com/google/go-tpm v0.9.8
	github.com/miekg/pkcs11 v1.1.2
	github.com/pelletier/go-toml/v2 v2.4.3
	go.etcd.io/bbolt v1.5.0
	golang.org/x/crypto v0.59.0
	golang.org/x/sys v0.50.0
	google.golang.org/protobuf v1.36.12
)
