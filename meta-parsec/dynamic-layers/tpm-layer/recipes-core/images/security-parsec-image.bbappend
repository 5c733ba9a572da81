# meta-tpm is present: TPM 2.0 tools and swtpm (the oeqa TPM test runs a
# software TPM inside the guest on TCP ports 2321/2322).
IMAGE_INSTALL += "tpm2-tools swtpm"
