SUMMARY = "PARSEC security service (parsecd, Go implementation)"
DESCRIPTION = "parsecd is a Go implementation of the PARSEC security service \
(Platform AbstRaction for SECurity): a small static daemon that lends the \
platform's crypto back ends (software, PKCS#11, TPM) to client applications \
over a Unix socket, each with its own key store. It speaks the Parsec wire \
protocol, so parsec-tool and the Parsec client libraries work unchanged."
SECTION = "security"

require parsec-source.inc

# Replacing meta-security's parsec-service (the Rust Parsec, PV 1.x) on an
# existing device: the same package name, daemon path (/usr/libexec/parsec/parsec),
# config path (/etc/parsec/config.toml), service name (parsec.service), user
# and groups, so a package feed or an image update swaps one for the other
# with nothing left behind; no RPROVIDES/RREPLACES/RCONFLICTS is needed for
# one package name. The epoch makes 1:0.1.0+git sort above 0:1.x, so a
# package-managed device upgrades from Parsec to parsecd. parsecd reads
# Parsec's config.toml unchanged and migrates its OnDisk or SQLite key store
# (and the Mbed Crypto key files in /var/lib/parsec) once at start, never
# writing Parsec's files (docs/migration.md in the source).
PE = "1"

GO_INSTALL = "${GO_IMPORT}/src/cmd/parsecd"

SRC_URI += "file://drop-tpm-provider.awk file://config-from-parsec.toml"

inherit go-mod go-mod-update-modules systemd update-rc.d useradd

# tpm: the TPM 2.0 provider is pure Go and in every build (no tpm2-tss, no
# cgo). The option decides whether the device config uses it: with it (the
# default on tpm2 distros) config.toml lists the TPM provider first, on
# /dev/tpmrm0, skipped at start when the device has no TPM; without it the
# TPM provider's paragraph is removed from the installed config
# (files/drop-tpm-provider.awk). It also recommends the kernel's TPM drivers.
# pkcs11: the PKCS#11 provider (cgo: dlopen()s the token's module), built
# with -tags pkcs11; the binary is then dynamically linked. SoftHSM is
# recommended when meta-oe is present (dynamic-layers/openembedded-layer).
PACKAGECONFIG ??= "${@bb.utils.contains('DISTRO_FEATURES', 'tpm2', 'tpm', '', d)}"
PACKAGECONFIG[tpm] = ",,,,kernel-module-tpm-tis kernel-module-tpm-crb"
PACKAGECONFIG[pkcs11] = ",,,"

CGO_ENABLED = "${@bb.utils.contains('PACKAGECONFIG', 'pkcs11', '1', '0', d)}"
GOBUILDFLAGS:append = "${@bb.utils.contains('PACKAGECONFIG', 'pkcs11', ' -tags=pkcs11', '', d)}"
PARSEC_BUILD_TAGS = "${@bb.utils.contains('PACKAGECONFIG', 'pkcs11', 'pkcs11', 'none', d)}"

# The device configuration installed as /etc/parsec/config.toml: the
# project's rootfs/etc/parsec/config.toml unless local.conf points elsewhere.
PARSEC_CONFIG ?= "${S}/src/${GO_IMPORT}/rootfs/etc/parsec/config.toml"

# System user parsec (group parsec, member of tss for /dev/tpmrm0) and group
# parsec-clients, as rootfs/usr/lib/sysusers.d/parsec.conf declares them.
USERADD_PACKAGES = "${PN}"
GROUPADD_PARAM:${PN} = "--system tss; --system parsec; --system parsec-clients"
USERADD_PARAM:${PN} = "--system --gid parsec --groups tss --shell /usr/sbin/nologin \
    --home-dir /var/lib/parsec --no-create-home parsec"

SYSTEMD_PACKAGES = "${PN}"
SYSTEMD_SERVICE:${PN} = "parsec.service parsec.socket"

INITSCRIPT_PACKAGES = "${PN}"
INITSCRIPT_NAME = "parsec"
INITSCRIPT_PARAMS = "defaults 85 15"

do_install() {
    rootfs=${PARSEC_SRC}/rootfs

    # The daemon (a service, not a user command) and upstream's path for it.
    install -d -m 0755 ${D}${libexecdir}/parsec
    install -m 0755 ${B}/${GO_BUILD_BINDIR}/parsecd ${D}${libexecdir}/parsec/parsecd
    ln -sf parsecd ${D}${libexecdir}/parsec/parsec

    # Configuration: readable by the service user only (a conffile).
    install -d -m 0755 ${D}${sysconfdir}/parsec
    if ${@bb.utils.contains('PACKAGECONFIG', 'tpm', 'true', 'false', d)}; then
        install -m 0400 ${PARSEC_CONFIG} ${D}${sysconfdir}/parsec/config.toml
    else
        awk -f ${UNPACKDIR}/drop-tpm-provider.awk ${PARSEC_CONFIG} >${D}${sysconfdir}/parsec/config.toml
        chmod 0400 ${D}${sysconfdir}/parsec/config.toml
    fi
    chown parsec:parsec ${D}${sysconfdir}/parsec/config.toml

    if ${@bb.utils.contains('DISTRO_FEATURES', 'systemd', 'true', 'false', d)}; then
        install -d ${D}${systemd_system_unitdir}
        install -m 0644 $rootfs/usr/lib/systemd/system/parsec.service ${D}${systemd_system_unitdir}/
        install -m 0644 $rootfs/usr/lib/systemd/system/parsec.socket ${D}${systemd_system_unitdir}/
        install -m 0644 $rootfs/usr/lib/systemd/system/parsec-commit-update.service ${D}${systemd_system_unitdir}/
        install -d ${D}${nonarch_libdir}/sysusers.d ${D}${nonarch_libdir}/tmpfiles.d
        install -m 0644 $rootfs/usr/lib/sysusers.d/parsec.conf ${D}${nonarch_libdir}/sysusers.d/parsec.conf
        install -m 0644 $rootfs/usr/lib/tmpfiles.d/parsec.conf ${D}${nonarch_libdir}/tmpfiles.d/parsec.conf
    fi

    if ${@bb.utils.contains('DISTRO_FEATURES', 'sysvinit', 'true', 'false', d)}; then
        install -d ${D}${INIT_D_DIR}
        install -m 0755 $rootfs/etc/init.d/parsec ${D}${INIT_D_DIR}/parsec
    fi
}

FILES:${PN} += " \
    ${libexecdir}/parsec \
    ${sysconfdir}/parsec \
    ${nonarch_libdir}/sysusers.d/parsec.conf \
    ${nonarch_libdir}/tmpfiles.d/parsec.conf \
"
CONFFILES:${PN} = "${sysconfdir}/parsec/config.toml"

# A package upgrade from Parsec must not replace Parsec's config.toml, even
# one left as installed (package managers replace an unmodified conffile):
# it names the key store parsecd migrates. An existing config whose key
# manager is Parsec's (OnDisk or SQLite) is kept; parsecd reads it as is.
pkg_preinst:${PN}() {
    cfg=$D${sysconfdir}/parsec/config.toml
    if [ -z "$D" ] && [ -f "$cfg" ] && grep -Eq '^[[:space:]]*manager_type[[:space:]]*=[[:space:]]*"(OnDisk|SQLite)"' "$cfg"; then
        cp -p "$cfg" "$cfg.from-parsec"
    fi
}
pkg_postinst:${PN}() {
    cfg=$D${sysconfdir}/parsec/config.toml
    if [ -z "$D" ] && [ -f "$cfg.from-parsec" ]; then
        mv -f "$cfg.from-parsec" "$cfg"
        chown parsec:parsec "$cfg" && chmod 0400 "$cfg"
    fi
}

# The CLI (parsec-tool) is its own recipe, as upstream's.
RRECOMMENDS:${PN} += "parsec-tool"
