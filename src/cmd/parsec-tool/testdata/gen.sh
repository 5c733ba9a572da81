#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors
# Regenerates the PEM fixtures of keyconv_test.go with OpenSSL 3, and the
# PSA-format expectations (hex) next to them. The keys are test keys only.
set -e
cd "$(dirname "$0")"
openssl ecparam -name secp384r1 -genkey -out ec-p384-sec1.pem             # EC PARAMETERS + EC PRIVATE KEY (SEC1)
openssl pkey -in ec-p384-sec1.pem -out ec-p384-pkcs8.pem                  # PRIVATE KEY (PKCS#8)
openssl pkey -in ec-p384-sec1.pem -pubout -out ec-p384-spki.pem           # PUBLIC KEY (SPKI)
openssl genpkey -algorithm X25519 -out x25519-pkcs8.pem
openssl pkey -in x25519-pkcs8.pem -pubout -out x25519-spki.pem
openssl genrsa -traditional -out rsa-1024-pkcs1.pem 1024                  # RSA PRIVATE KEY (PKCS#1)
openssl pkey -in rsa-1024-pkcs1.pem -out rsa-1024-pkcs8.pem
openssl rsa -in rsa-1024-pkcs1.pem -RSAPublicKey_out -out rsa-1024-pkcs1-pub.pem  # RSA PUBLIC KEY
openssl pkey -in rsa-1024-pkcs1.pem -pubout -out rsa-1024-spki.pem
# PSA formats: the private scalar / X25519 bytes, the public point / bytes,
# DER RSAPrivateKey and RSAPublicKey, all in hex.
hexof() { od -An -v -tx1 | tr -d ' \n'; echo; }
openssl ec -in ec-p384-sec1.pem -text -noout 2>/dev/null | awk '/priv:/{p=1;next}/pub:/{p=0}p' | tr -d ' :\n' | sed 's/^00\(.\{96\}\)$/\1/' > ec-p384.priv.hex; echo >> ec-p384.priv.hex
openssl ec -in ec-p384-sec1.pem -pubout -outform DER 2>/dev/null | tail -c 97 | hexof > ec-p384.pub.hex
openssl pkey -in x25519-pkcs8.pem -outform DER | tail -c 32 | hexof > x25519.priv.hex
openssl pkey -in x25519-pkcs8.pem -pubout -outform DER | tail -c 32 | hexof > x25519.pub.hex
openssl rsa -in rsa-1024-pkcs1.pem -traditional -outform DER 2>/dev/null | hexof > rsa-1024.priv.hex
openssl rsa -in rsa-1024-pkcs1.pem -RSAPublicKey_out -outform DER 2>/dev/null | hexof > rsa-1024.pub.hex
