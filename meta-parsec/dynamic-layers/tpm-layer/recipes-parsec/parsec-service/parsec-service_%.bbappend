# meta-tpm is present: a parsecd with the TPM option recommends tpm2-tools
# (provisioning and inspecting the TPM the provider uses).
RRECOMMENDS:${PN} += "${@bb.utils.contains('PACKAGECONFIG', 'tpm', 'tpm2-tools', '', d)}"
