SUMMARY = "Fixture recipe that builds this repository"
LICENSE = "Apache-2.0"
LIC_FILES_CHKSUM = "file://src/${GO_IMPORT}/LICENSE;md5=682c7b9c6212ab562ba69370e10636ad \
                    file://${S}/LICENSE;beginline=2;endline=2;md5=180b9bd7080eae56bfd73f0d5486ea50 \
                    file://pkg/mod/golang.org/x/sys@v0.50.0/LICENSE;md5=7998cb338f82d15c0eff93b7004d272a \
                    file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"
SRC_URI = "git://github.com/parsecd/parsecd;protocol=https;branch=main;destsuffix=${GO_SRCURI_DESTSUFFIX} \
           file://demo.conf \
           file://demo-init"
SRCREV = "0123456789abcdef0123456789abcdef01234567"
GO_IMPORT = "github.com/parsecd/parsecd"

inherit systemd

do_install() {
    install -d ${D}${sysconfdir}/demo
    install -m 0644 ${UNPACKDIR}/demo.conf ${D}${sysconfdir}/demo/
    if [ "${@bb.utils.contains('PACKAGECONFIG', 'tpm', 'yes', 'no', d)}" = yes ]; then
        echo tpm
    fi
}

python do_hello() {
    bb.note("hello")
}

def demo_helper(d):
    return "x"

RDEPENDS:${PN} += "${@demo_helper(d)}"
