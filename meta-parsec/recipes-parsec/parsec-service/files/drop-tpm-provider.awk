# Prints a parsecd config.toml without its TPM provider, for images built
# without PACKAGECONFIG tpm: the blank-line separated paragraph whose lines
# include `provider_type = "Tpm"` goes, with the comments written right
# above that table (they are part of the paragraph). make test-rootfs runs
# it on rootfs/etc/parsec/config.toml and checks the result with parsecd.
BEGIN { RS = ""; ORS = "\n\n" }
!/(^|\n)provider_type = "Tpm"/
