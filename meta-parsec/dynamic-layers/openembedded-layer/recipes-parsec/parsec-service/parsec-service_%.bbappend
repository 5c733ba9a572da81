# meta-oe is present: a PKCS#11 build of parsecd recommends SoftHSM (a
# software token, also what the oeqa PKCS#11 test uses).
RRECOMMENDS:${PN} += "${@bb.utils.contains('PACKAGECONFIG', 'pkcs11', 'softhsm', '', d)}"
