SUMMARY = "PARSEC security service (parsecd) and its command-line client"
DESCRIPTION = "The packages of meta-parsec: parsec-service (parsecd) and \
parsec-tool (with parsec-cli-tests.sh), and recommended libparsec-pkcs11 \
(the PKCS#11 module). meta-security's security-test-image installs this \
packagegroup when the parsec-layer collection is present."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

inherit packagegroup

PACKAGES = "${PN}"

RDEPENDS:${PN} = " \
    parsec-service \
    parsec-tool \
"

# The PKCS#11 module: PKCS#11 software on the device uses parsecd's keys.
RRECOMMENDS:${PN} = "libparsec-pkcs11"
