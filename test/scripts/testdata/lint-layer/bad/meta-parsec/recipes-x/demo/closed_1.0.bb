SUMMARY = "Fixture: CLOSED inside a license expression"
LICENSE = "CLOSED"
LICENSE += "& MIT"
LIC_FILES_CHKSUM = "file://${COMMON_LICENSE_DIR}/MIT;md5=0835ade698e0bcf8506ecda2f7b4f302"
