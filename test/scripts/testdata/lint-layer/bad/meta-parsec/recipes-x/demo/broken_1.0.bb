SUMMARY = "Fixture recipe with every kind of mistake"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://LICENSE;md5=00000000000000000000000000000000 \
                    file://pkg/mod/golang.org/x/sys@v0.50.0/LICENSE;beginline=1;endline=2;md5=7998cb338f82d15c0eff93b7004d272a"
SRC_URI = "git://github.com/parsecd/parsecd;protocol=https;branch=main \
           file://missing.conf"
SRCREV = "0123456789abcdef0123456789abcdef01234567"
require missing-common.inc
S = "/home/dev/parsecd"
export GOROOT = "/usr/local/go"

do_install() {
    if [ -d ${D} ]; then
        echo missing fi
}
