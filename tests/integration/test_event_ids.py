"""Event ids keep growing across a restart whatever the wall clock does: a
start seeds its first id from the wall clock in microseconds or, when that
is lower (the clock was set back), from the high-water mark the last start
reserved in state_dir/event-id. Here the mark is put well ahead of the
clock (as a clock set back by a day leaves it), and the first event of the
next start has an id above it (it used to start from the clock, below ids
a client had already seen); the mark is reserved ahead of the ids used."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from agentlib import Agent, Checker, open_private  # noqa: E402
from sselib import Stream  # noqa: E402

TEST_EVENT = "/redfish/v1/EventService/Actions/EventService.SubmitTestEvent"
c = Checker("event_ids")


def one_event(a, marker):
    stream = Stream(a, "MessageId eq 'CxlAgent.1.0.%s'" % marker)
    c.eq(stream.status, 200, "%s: stream opens" % marker)
    r = a.curl("POST", TEST_EVENT, body={"MessageId": "CxlAgent.1.0.%s" % marker,
                                         "Message": marker})
    c.eq(r.status, 204, "%s: test event submitted" % marker)
    got = stream.next(timeout=10)
    stream.close()
    c.check(got, "%s: the event arrives" % marker)
    return int(got[1]) if got else 0


with Agent(start=False) as a:
    mark_path = os.path.join(a.state, "event-id")
    os.makedirs(a.state, mode=0o700, exist_ok=True)
    # A day ahead of the wall clock: what a start before the clock was set
    # back by a day would have reserved.
    mark = int(time.time() * 1e6) + 86400 * 10**6
    with open_private(mark_path) as f:
        f.write("%d\n" % mark)
    a.start()
    first = one_event(a, "AfterClockSetBack")
    c.check(first >= mark, "the first event's id %d is not below the mark %d" % (first, mark))
    with open(mark_path) as f:
        reserved = int(f.read())
    c.check(reserved > first, "ids are reserved ahead of use (%d > %d)" % (reserved, first))
    c.eq(os.stat(mark_path).st_mode & 0o777, 0o600, "the mark is private")
    a.stop()
    a.start()
    second = one_event(a, "NextStart")
    c.check(second > first, "the next start's ids follow (%d > %d)" % (second, first))
c.finish()
