SUMMARY = "Fixture: NO_GENERIC_LICENSE naming a file LIC_FILES_CHKSUM does not list"
LICENSE = "LicenseRef-demo"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"
NO_GENERIC_LICENSE[LicenseRef-demo] = "COPYRIGHT"
