SUMMARY = "Fixture: licenses and gomod entries of modules it does not compile (the shared-.inc mistake)"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://src/${GO_IMPORT}/LICENSE;md5=682c7b9c6212ab562ba69370e10636ad"
SRC_URI = "git://github.com/parsecd/parsecd;protocol=https;branch=main;destsuffix=${GO_SRCURI_DESTSUFFIX}"
SRCREV = "0123456789abcdef0123456789abcdef01234567"
GO_IMPORT = "github.com/parsecd/parsecd"
GO_INSTALL = "${GO_IMPORT}/cmd/demo"
CGO_ENABLED = "0"
inherit go-mod
SRC_URI += "gomod://golang.org/x/sys;version=v0.50.0;sha256sum=b115e8a144a7c9d1df3ffb8af20b283e162844b5b624a97ee342955cca69b9e6 \
    gomod://github.com/pelletier/go-toml/v2;version=v2.4.3;sha256sum=bc0de16d4942df8503be13bde0447e0b7ce1694f3bb1b840f485ce839f8974cf"
LICENSE += "& BSD-3-Clause & MIT & ISC"
LIC_FILES_CHKSUM += "file://pkg/mod/golang.org/x/sys@v0.50.0/LICENSE;md5=7998cb338f82d15c0eff93b7004d272a;spdx=BSD-3-Clause \
    file://pkg/mod/github.com/pelletier/go-toml/v2@v2.4.3/LICENSE;md5=390892c6562af0d807e527b06d635f94;spdx=MIT"
