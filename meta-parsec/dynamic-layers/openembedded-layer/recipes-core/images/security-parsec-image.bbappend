# meta-oe is present: SoftHSM for the PKCS#11 provider and its oeqa test.
IMAGE_INSTALL += "softhsm"
