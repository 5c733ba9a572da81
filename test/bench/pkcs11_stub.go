// SPDX-License-Identifier: Apache-2.0
// Copyright The parsecd Authors

//go:build !cgo || !pkcs11

package main

import (
	"errors"
	"time"
)

func runPkcs11(string, time.Duration) error {
	return errors.New("this benchmark was built without PKCS#11 support: run it with CGO_ENABLED=1 go run -tags pkcs11 ./test/bench -pkcs11")
}

func runP11Module(string, string, time.Duration) error {
	return errors.New("this benchmark was built without cgo: run it with CGO_ENABLED=1 go run -tags pkcs11 ./test/bench -p11module bin/libparsec-pkcs11.so")
}
