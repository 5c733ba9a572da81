SUMMARY = "Fixture: non-generic license names without NO_GENERIC_LICENSE"
LICENSE = "LicenseRef-demo & Frobnicate-1.0 & MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"
