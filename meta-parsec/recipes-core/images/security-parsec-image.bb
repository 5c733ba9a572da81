SUMMARY = "A small image with the PARSEC security service (parsecd)"
DESCRIPTION = "core-image-minimal plus packagegroup-security-parsec; with \
meta-tpm present also tpm2-tools and swtpm, with meta-oe SoftHSM (see \
dynamic-layers/). Runs the oeqa suite parsec (TEST_SUITES)."
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"

require recipes-core/images/core-image-minimal.bb

IMAGE_INSTALL += " \
    packagegroup-security-parsec \
    openssl-bin \
"

# Room for the key store, swtpm's state and SoftHSM tokens during the tests.
IMAGE_ROOTFS_EXTRA_SPACE = "65536"

# testimage talks to the guest over ssh.
IMAGE_FEATURES += "ssh-server-dropbear"
TEST_SUITES ?= "ping ssh parsec"
