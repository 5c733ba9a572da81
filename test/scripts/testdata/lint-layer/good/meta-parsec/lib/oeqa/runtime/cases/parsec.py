from oeqa.runtime.case import OERuntimeTestCase


class ParsecTest(OERuntimeTestCase):
    def test_parsec_service(self):
        status, output = self.target.run('pgrep parsec')
        self.assertEqual(status, 0, msg=output)
