SUMMARY = "PARSEC command-line client (parsecd's parsec-tool)"
DESCRIPTION = "parsec-tool, the command-line client of the PARSEC security \
service (parsecd edition, same subcommands and outputs as parsec-tool 0.7), \
and parsec-cli-tests.sh, an end-to-end test of the service's providers \
that checks the results with openssl."
SECTION = "security"

require recipes-parsec/parsec-service/parsec-source.inc

SRC_URI += "file://parsec-cli-tests.sh"

GO_INSTALL = "${GO_IMPORT}/src/cmd/parsec-tool"
# A static binary (no cgo, no PIE: see parsec-source.inc).
CGO_ENABLED = "0"

inherit go-mod

do_install() {
    install -d ${D}${bindir}
    install -m 0755 ${B}/${GO_BUILD_BINDIR}/parsec-tool ${D}${bindir}/parsec-tool
    install -m 0755 ${UNPACKDIR}/parsec-cli-tests.sh ${D}${bindir}/parsec-cli-tests.sh
}

# parsec-cli-tests.sh checks the service's results with openssl.
RDEPENDS:${PN} += "openssl-bin"
