"""A backend that answers before it has read the request body, keeps the connection open, and
then reads nothing for longer than the backend timeout: fulcrum gives up sending the body, relays
the early answer, and must not pool that connection, which is in the middle of a request body.
Another request sent on it would be read by the backend as the rest of that body."""

import socket
import threading
import time

import harness

BODY_SIZE = 64 * harness.MiB  # more than the socket buffers hold, so fulcrum's send stalls


def early_answer_then_slow_discard(conn):
    """The first request: answers at once from its head, waits 2 s without reading, then reads
    and drops the body by its Content-Length. Every later request is answered with its target."""
    head = conn.read_until(b"\r\n\r\n")
    if not head:
        return
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    if head.startswith(b"POST"):
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
        time.sleep(2)
        conn.sock.settimeout(5)
        while length > 0:
            try:
                data = conn.sock.recv(min(length, 1 << 20))
            except OSError:
                return
            if not data:
                return
            length -= len(data)
    else:
        body = head.split(b" ", 2)[1]
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    while True:
        request = conn.next_request()
        if request is None:
            return
        body = request.target.encode()
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


class EarlyResponsePoolingTest(harness.TestCase):
    def test_connection_left_mid_body_is_not_reused(self):
        backend = self.start_scripted_backend(early_answer_then_slow_discard)
        proxy = self.start_proxy([backend], ["--backend-timeout", "1s", "--no-health-checks", "--retries", "0"])
        uploader = self.connect(proxy)

        def upload():
            try:
                uploader.send(b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % BODY_SIZE)
                chunk = b"u" * (1 << 20)
                for _ in range(BODY_SIZE // len(chunk)):
                    uploader.send(chunk)
            except OSError:
                pass  # fulcrum closes the connection once it answered

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        response = uploader.read_response()
        self.assertEqual((response.status, response.body), (200, b"early"), response)
        self.assertClosedWithin(uploader, 10)
        uploader.sock.close()
        sender.join(10)
        # Another client's request gets its own answer, at once, on a fresh connection.
        started = time.monotonic()
        response = self.connect(proxy).request("GET", "/second")
        self.assertEqual((response.status, response.body), (200, b"/second"), response)
        self.assertLess(time.monotonic() - started, 1.0)


if __name__ == "__main__":
    import unittest

    unittest.main()
