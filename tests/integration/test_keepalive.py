"""Persistent connections: pipelining, reuse of backend connections, HTTP/1.0 and closing."""

import fcntl
import os
import signal
import socket
import struct
import termios
import threading
import time

import harness
from harness import build_request, http_request


EARLY_ANSWER_BODY_SIZE = 64 * harness.MiB  # more than the socket buffers hold, so fulcrum's send stalls


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


def unacknowledged(sock):
    """Bytes (and a FIN) sent on sock that the peer's kernel has not acknowledged yet."""
    return struct.unpack("i", fcntl.ioctl(sock, termios.TIOCOUTQ, b"\0\0\0\0"))[0]


def stopped(pid):
    """Whether process pid is stopped (SIGSTOP)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


class ClientKeepAliveTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend(id="ka")
        self.proxy = self.start_proxy([self.backend])

    def test_two_requests_on_one_connection(self):
        conn = self.connect(self.proxy)
        first = conn.request("GET", "/one")
        self.assertEqual((first.status, first.json()["uri"]), (200, "/one"))
        self.assertNotIn("close", first.connection_tokens())
        second = conn.request("GET", "/two")
        self.assertEqual((second.status, second.json()["uri"]), (200, "/two"))
        self.assertFalse(conn.readable_within(0.2), "unexpected bytes or close after the responses")

    def test_pipelined_requests_are_answered_in_order(self):
        conn = self.connect(self.proxy)
        conn.send(
            build_request("GET", "/p1", host="h")
            + build_request("POST", "/p2", body=b"second", host="h")
            + build_request("GET", "/p3", host="h")
        )
        uris = []
        for _ in range(3):
            response = conn.read_response()
            self.assertEqual(response.status, 200)
            uris.append(response.json()["uri"])
        self.assertEqual(uris, ["/p1", "/p2", "/p3"])

    def test_many_pipelined_requests_with_mixed_bodies(self):
        conn = self.connect(self.proxy)
        requests = b""
        expected = []
        for i in range(20):
            if i % 3 == 0:
                requests += build_request("GET", "/bytes/%d" % (i * 100), host="h")
                expected.append(("bytes", i * 100))
            elif i % 3 == 1:
                requests += build_request("POST", "/post/%d" % i, body=b"x" * i, host="h")
                expected.append(("post", i))
            else:
                requests += build_request("GET", "/chunked/%d" % (i * 50), host="h")
                expected.append(("chunked", i * 50))
        conn.send(requests)
        for kind, n in expected:
            response = conn.read_response()
            self.assertEqual(response.status, 200, (kind, n))
            if kind == "post":
                echo = response.json()
                self.assertEqual((echo["uri"], echo["body_length"]), ("/post/%d" % n, n))
            else:
                self.assertEqual(response.body, harness.pattern(0, n), (kind, n))

    def test_pipelined_requests_split_across_sends(self):
        conn = self.connect(self.proxy)
        data = build_request("GET", "/s1", host="h") + build_request("GET", "/s2", host="h")
        cut = len(data) // 2 + 3
        conn.send(data[:cut])
        conn.send(data[cut:])
        self.assertEqual(conn.read_response().json()["uri"], "/s1")
        self.assertEqual(conn.read_response().json()["uri"], "/s2")

    def test_client_connection_close_is_honoured(self):
        conn = self.connect(self.proxy)
        response = conn.request("GET", "/bye", headers=[("Connection", "close")])
        self.assertEqual(response.status, 200)
        self.assertIn("close", response.connection_tokens())
        self.assertClosedWithin(conn, 10)
        self.assertEqual(conn.pending(), b"")

    def test_http10_without_keep_alive_is_closed_after_the_response(self):
        conn = self.connect(self.proxy)
        conn.send(b"GET /old HTTP/1.0\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["uri"], "/old")
        self.assertClosedWithin(conn, 10)
        self.assertEqual(conn.pending(), b"")

    def test_http10_client_never_gets_a_chunked_response(self):
        # RFC 9112 section 7.1: a chunked body must not be sent to an HTTP/1.0 recipient.
        conn = self.connect(self.proxy)
        conn.send(b"GET /chunked/5000 HTTP/1.0\r\nHost: h\r\n\r\n")
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertFalse(response.chunked, response.headers)
        self.assertTrue(response.complete)
        self.assertEqual(response.body, harness.pattern(0, 5000))
        self.assertClosedWithin(conn, 10)


class CloseAfterAnswerTest(harness.TestCase):
    """A keep-alive client may have pipelined its next request when an answer turns out to end
    the connection. Closing with those bytes unread would make the kernel reset the connection,
    which throws away what of the answer has not reached the client yet."""

    BODY = harness.pattern(0, harness.MiB)

    def test_a_close_delimited_answer_reaches_a_client_that_pipelined_whole(self):
        second_sent = threading.Event()

        def handler(conn):
            if conn.next_request() is None:
                return
            # The client's next request waits in fulcrum's socket before the answer comes.
            if not second_sent.wait(harness.IO_TIMEOUT):
                return
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
            conn.send(self.BODY)

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        conn.send(build_request("GET", "/until-close", host="h"))
        self.assertTrue(backend.wait_for_requests(1))
        conn.send(build_request("GET", "/next", host="h"))
        second_sent.set()
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        self.assertIn("close", response.connection_tokens())
        self.assertEqual(response.body_length, len(self.BODY))
        self.assertTrue(response.body == self.BODY, "the body differs")
        self.assertFalse(conn.was_reset, "the connection was reset: the body may be cut short")
        self.assertEqual(conn.pending(), b"")


class BackendReuseTest(harness.TestCase):
    def test_backend_connections_are_reused(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend])
        probe = self.stats_probe(backend)
        for c in range(4):
            conn = self.connect(proxy)
            for i in range(50):
                response = conn.request("GET", "/reuse/%d/%d" % (c, i))
                self.assertEqual(response.status, 200)
            conn.close()
        seen = probe.delta()
        self.assertEqual(seen["requests"], 200)
        self.assertLessEqual(seen["connections"], 10, "fulcrum opened %d backend connections for 200 requests" % seen["connections"])

    def test_new_client_connections_reuse_backend_connections(self):
        backend = self.start_backend()
        proxy = self.start_proxy([backend])
        probe = self.stats_probe(backend)
        for i in range(50):
            self.assertEqual(http_request(proxy.port, "GET", "/fresh/%d" % i).status, 200)
        seen = probe.delta()
        self.assertEqual(seen["requests"], 50)
        self.assertLessEqual(seen["connections"], 10)

    def test_backend_closing_its_connection_does_not_break_later_requests(self):
        backend = self.start_backend(id="closer")
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        response = conn.request("GET", "/close")
        self.assertEqual(response.status, 200)
        self.assertTrue(response.complete)
        self.assertEqual(response.json()["uri"], "/close")
        for i in range(5):
            if "close" in response.connection_tokens():  # the proxy may close the client side too
                conn = self.connect(proxy)
            response = conn.request("GET", "/after/%d" % i)
            self.assertEqual((response.status, response.json()["uri"]), (200, "/after/%d" % i))

    def test_closed_pooled_connections_are_not_reused(self):
        # Each response says "Connection: close" and the backend closes: a proxy that puts such
        # a connection back in its pool would send the next request into a dead socket.
        def handler(conn):
            request = conn.next_request()
            if request is not None:
                body = request.target.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        response = None
        for i in range(10):
            if response is not None and "close" in response.connection_tokens():
                conn = self.connect(proxy)
            response = conn.request("GET", "/c/%d" % i)
            self.assertEqual((response.status, response.body), (200, b"/c/%d" % i))
        self.assertEqual(backend.connections, 10)

    def test_pooled_connections_the_backend_closed_while_idle_fail_no_request(self):
        # Each connection answers one request as keep-alive, then closes without a word, as a
        # backend does at its idle timeout: every later request is offered a dead pooled
        # connection, which the pool must find closed. A POST cannot be sent again, so it must
        # never be given one; nor should a GET, which could be sent again.
        closed = threading.Semaphore(0)

        def handler(conn):
            request = conn.next_request()
            if request is not None:
                body = request.target.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            conn.close()
            closed.release()

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        targets = []
        for i, method in enumerate(["GET", "GET", "POST", "GET", "POST", "POST", "GET"]):
            if i > 0:  # the connection of the request before is closed: its FIN is at fulcrum
                self.assertTrue(closed.acquire(timeout=10))
            targets.append("/%s/%d" % (method.lower(), i))
            response = conn.request(method, targets[-1], body=b"data" if method == "POST" else None)
            self.assertEqual((response.status, response.body), (200, targets[-1].encode()))
        self.assertEqual([r.target for r in backend.requests], targets)

    def test_bytes_a_pooled_connection_received_while_idle_never_answer_a_request(self):
        # Each connection answers one request as keep-alive, then, a moment later, sends bytes
        # nobody asked for: a 408 and its close (as some backends do at their idle timeout), or
        # a whole stray response on a connection it keeps. The next request comes soon after (a
        # busy proxy reuses connections within microseconds): whatever the pool hands out, the
        # answer must be the request's own.
        unsolicited = [
            (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", True),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray", False),
        ]
        answered = threading.Semaphore(0)  # the client has its answer: fulcrum read all of it
        sent = threading.Semaphore(0)

        def handler(conn):
            request = conn.next_request()
            n = len(conn.server.requests)
            while request is not None:
                body = request.target.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                if n is None:
                    request = conn.next_request()
                    continue
                # Not with the answer: after it, when fulcrum has read it whole.
                if not answered.acquire(timeout=10):
                    return
                data, close = unsolicited[(n - 1) % 2]
                conn.send(data)
                n = None
                sent.release()
                if close:
                    return
                request = conn.next_request()

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        for i in range(8):
            if i > 0:  # the unsolicited bytes are in fulcrum's socket
                self.assertTrue(sent.acquire(timeout=10))
            target = "/get/%d" % i
            response = conn.request("GET", target)
            self.assertEqual((response.status, response.body), (200, target.encode()), response)
            answered.release()

    def test_bytes_a_pooled_connection_received_with_an_answer_never_answer_the_next_request(self):
        # The answer to a pipelined client's first request and a 408 on a pooled connection to
        # the other backend come while fulcrum is stopped, so that it finds both at once: the
        # client's second request goes to that backend, as soon as the first answer is relayed.
        # The 408 came before the second request did; whatever the order in which fulcrum sees
        # the two, the second answer must be the request's own.
        release = threading.Event()
        relayed = threading.Event()
        serving = []  # each backend connection, as it starts

        def handler(conn):
            serving.append(conn)
            while True:
                request = conn.next_request()
                if request is None:
                    return
                if request.target == "/held":
                    release.wait(10)
                body = request.target.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                if request.target == "/held":
                    relayed.set()

        first, second = self.start_scripted_backend(handler), self.start_scripted_backend(handler)
        proxy = self.start_proxy([first, second], ["--strategy", "round_robin"])
        conn = self.connect(proxy)
        for target in ("/warm/1", "/warm/2"):  # one pooled connection to each backend
            response = conn.request("GET", target)
            self.assertEqual((response.status, response.body), (200, target.encode()))
        if first.requests[0].target != "/warm/1":
            first, second = second, first
        conn.send(build_request("GET", "/held", host="h") + build_request("GET", "/next", host="h"))
        self.assertTrue(first.wait_for_requests(2))
        pooled = [c for c in serving if c.server is second][-1]
        processes = harness.process_tree(proxy.pid)
        for pid in processes:
            os.kill(pid, signal.SIGSTOP)
        try:
            self.assertTrue(harness.wait_until(lambda: all(stopped(pid) for pid in processes)))
            release.set()
            self.assertTrue(relayed.wait(10))
            pooled.send(b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 7\r\n\r\ntimeout")
            pooled.sock.shutdown(socket.SHUT_WR)
            # fulcrum's kernel has the bytes and the end: it acknowledged them.
            self.assertTrue(harness.wait_until(lambda: unacknowledged(pooled.sock) == 0))
        finally:
            for pid in processes:
                os.kill(pid, signal.SIGCONT)
        response = conn.read_response()
        self.assertEqual((response.status, response.body), (200, b"/held"), response)
        response = conn.read_response()
        self.assertEqual((response.status, response.body), (200, b"/next"), response)

    def test_a_request_that_cannot_be_sent_again_never_goes_on_a_connection_idle_for_long(self):
        # The backend ends a keep-alive connection as the next request comes in, as one does at
        # its idle timeout, but only after an idle time: a POST cannot be sent again, so it goes
        # on a pooled connection only while that is fresh, and after a pause on one of its own.
        def handler(conn):
            served = 0
            while True:
                request = conn.next_request()
                if request is None or (served and request.target == "/after-a-pause"):
                    return  # closes without an answer
                body = request.target.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                served += 1

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        conn = self.connect(proxy)
        for method, target in (("GET", "/first"), ("POST", "/at-once")):
            response = conn.request(method, target, body=b"data" if method == "POST" else None)
            self.assertEqual((response.status, response.body), (200, target.encode()))
        self.assertEqual(backend.connections, 1)  # a fresh pooled connection takes a POST
        time.sleep(1.5)  # the idle time under test, longer than fulcrum trusts a pooled connection
        response = conn.request("POST", "/after-a-pause", body=b"data")
        self.assertEqual((response.status, response.body), (200, b"/after-a-pause"), response)
        self.assertEqual(backend.connections, 2)

    def test_a_request_resent_after_a_reused_connection_failed_goes_on_a_new_one(self):
        # Two connections get pooled; then each closes, without an answer, on the second request
        # it reads, as a backend that ends a keep-alive connection just as a request comes in.
        # A GET on one of them is sent again, and not on the other pooled one, which would fail
        # the same way: on a connection of its own.
        both_open = threading.Barrier(2)

        def handler(conn):
            request = conn.next_request()
            if len(conn.server.requests) <= 2:
                both_open.wait(timeout=10)
            body = request.target.encode()
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            conn.next_request()  # then closes without an answer

        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend])
        first, second = self.connect(proxy), self.connect(proxy)
        first.send(build_request("GET", "/a", host="h"))
        second.send(build_request("GET", "/b", host="h"))
        self.assertEqual(first.read_response().status, 200)
        self.assertEqual(second.read_response().status, 200)
        self.assertEqual(backend.connections, 2)
        response = first.request("GET", "/again")
        self.assertEqual((response.status, response.body), (200, b"/again"), response)
        self.assertEqual(backend.connections, 3)
        self.assertEqual(backend.errors, [])

    # A backend that answers before it has read the request body, keeps the connection open, and
    # then reads nothing for longer than the backend timeout: fulcrum relays the early answer,
    # stops sending the body, and must not pool that connection, which is in the middle of a
    # request body: the backend would read another request sent on it as the rest of that body.
    def test_connection_left_mid_body_is_not_reused(self):
        backend = self.start_scripted_backend(early_answer_then_slow_discard)
        # The timeout is shorter than the backend stays busy with the upload (2 s, then 5 s of
        # waiting for the rest of it), and leaves a fresh connection time to answer.
        proxy = self.start_proxy([backend], ["--backend-timeout", "3s", "--no-health-checks", "--retries", "0"])
        uploader = self.connect(proxy)

        def upload():
            try:
                uploader.send(b"POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % EARLY_ANSWER_BODY_SIZE)
                chunk = b"u" * (1 << 20)
                for _ in range(EARLY_ANSWER_BODY_SIZE // len(chunk)):
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
        # Another client's request gets its own answer, on a fresh connection (on the one left
        # mid-body, the backend would still be swallowing the upload: a 504 after 3 s).
        response = self.connect(proxy).request("GET", "/second")
        self.assertEqual((response.status, response.body), (200, b"/second"), response)


if __name__ == "__main__":
    import unittest

    unittest.main()
