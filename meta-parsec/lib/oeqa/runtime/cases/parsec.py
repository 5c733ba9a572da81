# SPDX-License-Identifier: Apache-2.0
# Copyright The parsecd Authors

# Runtime tests of the PARSEC service (parsecd) for testimage, suite "parsec".
# Part of meta-parsec; meta-security's security-test-image runs it when the
# parsec-layer collection is present.

import re

from oeqa.runtime.case import OERuntimeTestCase
from oeqa.core.decorator.depends import OETestDepends
from oeqa.runtime.decorator.package import OEHasPackage

CONFIG = '/etc/parsec/config.toml'
SWTPM_DIR = '/var/lib/parsec-oeqa-swtpm'
SOFTHSM_LIB = '/usr/lib/softhsm/libsofthsm2.so'
SOFTHSM_TOKENS = '/var/lib/softhsm/tokens'
SOFTHSM_PIN = '123456'


class ParsecTest(OERuntimeTestCase):
    """parsecd is up, answers parsec-tool, and every provider passes
    parsec-cli-tests.sh; TPM (swtpm over TCP) and PKCS#11 (SoftHSM)
    providers are configured in the guest and tested in turn."""

    @classmethod
    def setUpClass(cls):
        cls.initd = False
        cls.systemd = False
        status, _ = cls.tc.target.run('test -d /run/systemd/system')
        if status == 0:
            cls.systemd = True
        else:
            status, _ = cls.tc.target.run('test -x /etc/init.d/parsec')
            cls.initd = status == 0
        # Keep the shipped configuration to restore it after each case.
        cls.tc.target.run('cp -p %s %s.oeqa-orig' % (CONFIG, CONFIG))

    @classmethod
    def tearDownClass(cls):
        cls.tc.target.run('if [ -f %s.oeqa-orig ]; then mv %s.oeqa-orig %s; fi'
                          % (CONFIG, CONFIG, CONFIG))
        cls.tc.target.run('pkill -x swtpm')

    def run_ok(self, cmd, msg=None):
        status, output = self.target.run(cmd)
        self.assertEqual(status, 0, msg or 'command failed: %s\n%s' % (cmd, output))
        return output

    def restart_parsec(self):
        if self.systemd:
            self.run_ok('systemctl restart parsec')
        elif self.initd:
            self.run_ok('/etc/init.d/parsec restart')
        else:
            self.skipTest('neither systemd nor /etc/init.d/parsec on the image')
        # Wait for the socket (at most 10 s).
        self.run_ok('i=0; while [ $i -lt 50 ] && ! parsec-tool ping >/dev/null 2>&1; '
                    'do sleep 0.2; i=$((i+1)); done; parsec-tool ping')

    def provider_ids(self):
        output = self.run_ok('parsec-tool list-providers')
        return [int(h, 16) for h, _ in re.findall(r'^ID: 0x([0-9a-fA-F]+) \(([^)]*)\)', output, re.M)
                if int(h, 16) != 0]

    def provider_listed(self, name):
        output = self.run_ok('parsec-tool list-providers')
        self.assertIn('(%s)' % name, output, 'provider "%s" not listed:\n%s' % (name, output))
        return output

    def cli_tests(self, provider_id, extra=''):
        cmd = 'parsec-cli-tests.sh -N -p %d %s' % (provider_id, extra)
        status, output = self.target.run(cmd, timeout=600)
        self.assertEqual(status, 0, 'parsec-cli-tests.sh failed for provider %d:\n%s'
                         % (provider_id, output))

    def append_provider(self, block):
        # A heredoc keeps the TOML as written; then reload parsecd.
        self.run_ok("cat >> %s <<'PARSEC_OEQA_EOF'\n%s\nPARSEC_OEQA_EOF" % (CONFIG, block))
        self.run_ok('parsec-tool ping >/dev/null; /usr/libexec/parsec/parsecd --check-config -c %s'
                    % CONFIG)
        self.restart_parsec()

    def restore_config(self):
        self.target.run('cp -p %s.oeqa-orig %s' % (CONFIG, CONFIG))
        self.restart_parsec()

    @OEHasPackage(['parsec-service'])
    @OETestDepends(['ssh.SSHTest.test_ssh'])
    def test_parsec_service(self):
        if self.systemd:
            status, output = self.target.run('systemctl is-active parsec.socket')
            self.assertEqual(status, 0, 'parsec.socket is not active:\n%s' % output)
            # Socket activation: the first request starts parsec.service.
            self.run_ok('parsec-tool ping')
            self.run_ok('systemctl status parsec --no-pager', 'parsec.service is not running')
        else:
            self.run_ok('parsec-tool ping >/dev/null 2>&1 || /etc/init.d/parsec start')
            self.run_ok('pgrep -x parsecd', 'parsecd is not running')
        self.run_ok('parsec-tool ping')

    @OEHasPackage(['parsec-tool'])
    @OETestDepends(['parsec.ParsecTest.test_parsec_service'])
    def test_all_providers(self):
        ids = self.provider_ids()
        self.assertTrue(ids, 'the service lists no provider')
        for pid in ids:
            self.cli_tests(pid)

    def point_tpm_provider_at(self, tcti):
        """The device config (PACKAGECONFIG tpm) has a TPM provider on
        /dev/tpmrm0 that is skipped when there is no TPM: point it at tcti
        and make a failure to reach it an error. Without that block, add
        one (parsecd serves one provider per type)."""
        status, _ = self.target.run("grep -q '^provider_type = \"Tpm\"' %s" % CONFIG)
        if status != 0:
            self.append_provider('\n'.join([
                '[[provider]]',
                'provider_type = "Tpm"',
                'name = "tpm-provider"',
                'key_info_manager = "bbolt-manager"',
                'tcti = "%s"' % tcti,
                'owner_hierarchy_auth = ""',
            ]))
            return
        self.run_ok("sed -i -e 's|^tcti = .*|tcti = \"%s\"|' "
                    "-e 's|^skip_if_no_tpm = .*|skip_if_no_tpm = false|' %s" % (tcti, CONFIG))
        self.run_ok('/usr/libexec/parsec/parsecd --check-config -c %s' % CONFIG)
        self.restart_parsec()

    @OEHasPackage(['swtpm'])
    @OETestDepends(['parsec.ParsecTest.test_parsec_service'])
    def test_tpm_provider(self):
        # A software TPM on TCP ports 2321 (commands) and 2322 (control).
        self.run_ok('mkdir -p %s && chown parsec:parsec %s' % (SWTPM_DIR, SWTPM_DIR))
        self.run_ok('swtpm socket --tpm2 --daemon --flags not-need-init,startup-clear '
                    '--tpmstate dir=%s --server type=tcp,port=2321 --ctrl type=tcp,port=2322'
                    % SWTPM_DIR)
        if self.systemd:
            # parsec.service only speaks AF_UNIX: allow TCP for the swtpm TCTI.
            self.run_ok('mkdir -p /run/systemd/system/parsec.service.d && '
                        'printf "[Service]\\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\\n" '
                        '> /run/systemd/system/parsec.service.d/oeqa-swtpm.conf && '
                        'systemctl daemon-reload')
        try:
            self.point_tpm_provider_at('swtpm:port=2321')
            self.provider_listed('TPM provider')
            self.cli_tests(3, '--rsa-key-size 2048')
        finally:
            self.target.run('rm -rf /run/systemd/system/parsec.service.d/oeqa-swtpm.conf; '
                            'systemctl daemon-reload 2>/dev/null')
            self.target.run('pkill -x swtpm')
            self.restore_config()

    @OEHasPackage(['softhsm'])
    @OETestDepends(['parsec.ParsecTest.test_parsec_service'])
    def test_pkcs11_provider(self):
        status, output = self.target.run('/usr/libexec/parsec/parsecd --version')
        if 'pkcs11' not in output:
            self.skipTest('parsecd built without PACKAGECONFIG pkcs11 (%s)' % output.strip())
        self.run_ok('softhsm2-util --init-token --free --label parsec-oeqa '
                    '--pin %s --so-pin %s' % (SOFTHSM_PIN, SOFTHSM_PIN))
        output = self.run_ok('softhsm2-util --show-slots')
        slots = re.findall(r'^Slot (\d+)\s*\n(?:\s+.*\n)*?\s+Label:\s+parsec-oeqa\s*$', output, re.M)
        self.assertTrue(slots, 'no SoftHSM slot with token parsec-oeqa:\n%s' % output)
        self.run_ok('chown -R parsec:parsec %s' % SOFTHSM_TOKENS)
        try:
            self.append_provider('\n'.join([
                '[[provider]]',
                'provider_type = "Pkcs11"',
                'name = "pkcs11-provider"',
                'key_info_manager = "bbolt-manager"',
                'library_path = "%s"' % SOFTHSM_LIB,
                'slot_number = %s' % slots[0],
                'user_pin = "%s"' % SOFTHSM_PIN,
            ]))
            self.provider_listed('PKCS #11 provider')
            self.cli_tests(2)
        finally:
            self.restore_config()
