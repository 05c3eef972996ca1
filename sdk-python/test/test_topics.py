"""caxton.topics under plain CPython, against fake bindings shaped like componentize-py's (refusals
raise componentize_py_types.Err carrying the WIT topic-error record). The real bindings are run
end to end by test/bus/topic-contract-net.test.ts."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_bindings as B  # noqa: E402

B.install()

from caxton import topics  # noqa: E402


class TopicsTest(unittest.TestCase):
    def setUp(self) -> None:
        B.TOPICS.reset()

    def test_a_filter_object_goes_as_compact_json_and_text_as_is(self) -> None:
        topics.subscribe("jobs.delivery", {"all": [{"field": "performative", "match": {"equals": "cfp"}}]})
        topics.subscribe("news", '{"all":[]}')
        topics.subscribe("all")
        topics.unsubscribe("news")
        self.assertEqual(B.TOPICS.calls, [
            ("subscribe", "jobs.delivery", '{"all":[{"field":"performative","match":{"equals":"cfp"}}]}'),
            ("subscribe", "news", '{"all":[]}'),
            ("subscribe", "all", None),
            ("unsubscribe", "news", None),
        ])

    def test_a_refusal_raises_topic_error_with_its_kind(self) -> None:
        B.TOPICS.refuse = B.TopicError(B.TopicErrorKind.INVALID_NAME, "not a topic name")
        with self.assertRaises(topics.TopicError) as caught:
            topics.subscribe("bad name")
        self.assertEqual(caught.exception.kind, topics.TopicErrorKind.INVALID_NAME)
        self.assertEqual(caught.exception.message, "not a topic name")
        B.TOPICS.refuse = B.TopicError(B.TopicErrorKind.QUOTA_EXCEEDED, "too many")
        with self.assertRaises(topics.TopicError) as caught:
            topics.unsubscribe("x")
        self.assertEqual(caught.exception.kind, topics.TopicErrorKind.QUOTA_EXCEEDED)


if __name__ == "__main__":
    unittest.main()
