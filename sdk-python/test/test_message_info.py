"""caxton.message_info under plain CPython, against fake bindings shaped like componentize-py's
(refusals raise componentize_py_types.Err carrying the WIT message-info-error record). The host's
side of the same calls runs for real in test/bus/message-info.test.ts (AssemblyScript, JavaScript)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings as B  # noqa: E402

B.install()

from caxton import AclMessage, AgentId, message_info  # noqa: E402


class MessageInfoTest(unittest.TestCase):
    def setUp(self) -> None:
        B.MESSAGE_INFO.reset()

    def test_all_receivers_pages_the_list_in_order(self) -> None:
        B.MESSAGE_INFO.message_receivers = [B.AgentId(f"r{i}", []) for i in range(600)]
        everyone = message_info.all_receivers()
        self.assertEqual([a.name for a in everyone], [f"r{i}" for i in range(600)])
        self.assertIsInstance(everyone[0], AgentId)
        self.assertEqual(B.MESSAGE_INFO.calls, [(0, 256), (256, 256), (512, 256)])
        self.assertEqual(message_info.receiver_count(), 600)

    def test_refusals_raise_typed_errors(self) -> None:
        with self.assertRaises(message_info.MessageInfoError) as no:
            message_info.receivers(0, 1)
        self.assertEqual(no.exception.kind, message_info.MessageInfoErrorKind.NO_MESSAGE)
        B.MESSAGE_INFO.message_receivers = [B.AgentId("a", [])]
        with self.assertRaises(message_info.MessageInfoError) as bad:
            message_info.receivers(0, 257)
        self.assertEqual(bad.exception.kind, message_info.MessageInfoErrorKind.INVALID_RANGE)
        self.assertEqual(message_info.all_receivers()[0].name, "a")

    def test_count_of_reads_the_parameter_or_the_list(self) -> None:
        m = AclMessage(receivers=[AgentId("me", [])])
        self.assertEqual(message_info.count_of(m), 1)
        m.user_params = [("X-caxton-receivers", "1000")]
        self.assertEqual(message_info.count_of(m), 1000)


if __name__ == "__main__":
    unittest.main()
