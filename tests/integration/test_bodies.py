"""Request and response bodies cross the proxy byte for byte, whatever their size or framing."""

import re
import socket
import struct
import threading

import harness
from environment import IO_TIMEOUT
from harness import MiB, PatternCheck, build_request, chunked_body, http_request, pattern
from scripted_backend import echo_as_it_reads, paced

# Where struct tcp_info (linux/tcp.h) keeps tcpi_data_segs_in: segments that carried data.
TCP_INFO_DATA_SEGS_IN = 152


def data_segments_in(sock):
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 256)
    return struct.unpack_from("I", info, TCP_INFO_DATA_SEGS_IN)[0]

BIG = 100 * MiB
STREAMED = 16 * MiB  # more than the socket buffers on the way hold


def answer_before_the_body(released):
    """A ScriptedBackend handler: answers 413 as soon as the request head is in, then reads
    nothing, holding the connection until released is set."""

    def handler(conn):
        if conn.read_until(b"\r\n\r\n"):
            conn.send(b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\n\r\ntoo much")
            released.wait(3 * IO_TIMEOUT)

    return handler


def answer_then_discard(conn):
    """A ScriptedBackend handler: answers each request as soon as its head is in, with its target,
    then reads and drops whatever comes (the first request's body) until the connection ends."""
    head = conn.read_until(b"\r\n\r\n")
    if not head:
        return
    target = head.split(b" ", 2)[1]
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(target), target))
    while conn.read_exact(64 * 1024):
        pass


class RequestBodyTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend(id="b")
        self.proxy = self.start_proxy([self.backend])

    def post(self, body, headers=()):
        response = http_request(self.proxy.port, "POST", "/upload", headers=headers, body=body)
        self.assertEqual(response.status, 200, response)
        return response.json()

    def test_empty_body(self):
        echo = self.post(b"")
        self.assertEqual((echo["body_length"], echo["body"]), (0, ""))
        self.assertEqual(echo["headers"].get("content-length"), "0")

    def test_1_kib_body(self):
        body = bytes(harness.pattern(7, 1024))
        echo = self.post(body)
        self.assertEqual((echo["body_length"], echo["body"]), (1024, body.decode()))

    def test_utf8_body(self):
        body = "\u00e9\u00e8\u00ea \u4e2d\u6587 \U0001f680".encode("utf-8") * 10
        echo = self.post(body)
        self.assertEqual(echo["body_length"], len(body))
        self.assertEqual(echo["body"].encode("utf-8"), body)

    def test_binary_body_length(self):
        # Not UTF-8, so the echo has only its length; ScriptedBodyTest checks the bytes.
        echo = self.post(bytes(range(256)) * 4)
        self.assertEqual((echo["body_length"], echo["body"]), (1024, None))

    def test_100_mib_upload(self):
        conn = self.connect(self.proxy, timeout=60)
        conn.send(build_request("POST", "/big", [("Content-Length", str(BIG))], host="h"))
        block = harness.pattern(0, MiB)
        for _ in range(BIG // MiB):
            self.assertTrue(conn.send(block), "the proxy closed the connection during the upload")
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        echo = response.json()
        self.assertEqual((echo["body_length"], echo["body"]), (BIG, None))

    def test_chunked_request_body(self):
        body = chunked_body([b"hello", b", ", b"chunked ", b"world"])
        echo = self.post(body, headers=[("Transfer-Encoding", "chunked")])
        self.assertEqual((echo["body_length"], echo["body"]), (len("hello, chunked world"), "hello, chunked world"))

    def test_chunked_request_body_with_extensions_and_trailers(self):
        body = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        echo = self.post(body, headers=[("Transfer-Encoding", "chunked")])
        self.assertEqual((echo["body_length"], echo["body"]), (11, "hello world"))

    def test_empty_chunked_request_body(self):
        echo = self.post(b"0\r\n\r\n", headers=[("Transfer-Encoding", "chunked")])
        self.assertEqual((echo["body_length"], echo["body"]), (0, ""))

    def test_large_chunked_request_body_in_many_chunks(self):
        chunks = [harness.pattern(i * 1000, 1000) for i in range(3000)]  # 3 MB in 3000 chunks
        echo = self.post(chunked_body(chunks), headers=[("Transfer-Encoding", "chunked")])
        self.assertEqual((echo["body_length"], echo["body"]), (3_000_000, None))

    def test_chunked_body_sent_in_pieces(self):
        conn = self.connect(self.proxy)
        conn.send(build_request("POST", "/pieces", [("Transfer-Encoding", "chunked")], host="h"))
        for piece in (b"4\r\nab", b"cd\r", b"\n3\r\nefg\r\n", b"0\r", b"\n\r\n"):
            conn.send(piece)
        response = conn.read_response()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.json()["body"], "abcdefg")

    def test_body_followed_by_another_request_on_the_same_connection(self):
        conn = self.connect(self.proxy)
        for i in range(5):
            body = b"request %d " % i * (i * 100 + 1)
            echo = conn.request("POST", "/seq/%d" % i, body=body).json()
            self.assertEqual((echo["uri"], echo["body"]), ("/seq/%d" % i, body.decode()))


class ExpectContinueTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend])

    def test_100_continue_before_the_body_is_sent(self):
        conn = self.connect(self.proxy)
        conn.send(build_request("POST", "/expect", [("Content-Length", "5"), ("Expect", "100-continue")], host="h"))
        interim = conn.read_response()
        self.assertEqual(interim.version, "HTTP/1.1")
        self.assertEqual(interim.status, 100, interim)
        self.assertTrue(conn.send(b"hello"))
        response = conn.read_response()
        self.assertEqual(response.status, 200, response)
        echo = response.json()
        self.assertEqual((echo["body_length"], echo["body"]), (5, "hello"))

    def test_body_sent_without_waiting_for_100(self):
        conn = self.connect(self.proxy)
        request = build_request("POST", "/expect", [("Expect", "100-continue")], body=b"eager", host="h")
        conn.send(request)
        response, interim = conn.read_final_response()
        self.assertIn([r.status for r in interim], ([], [100]))
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.json()["body"], "eager")
        # The connection is still in sync: a second request gets its own response.
        self.assertEqual(conn.request("GET", "/next").json()["uri"], "/next")


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"


def created(length):
    """The final answer of continue_from_the_backend to a body of `length` bytes."""
    body = b"%d" % length
    return b"HTTP/1.1 201 Created\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def continue_from_the_backend(interim=b""):
    """A ScriptedBackend handler: answers each request head with `interim` and a 100 Continue of
    its own, as some backends do unasked (fulcrum does not forward Expect), then reads the
    Content-Length body and answers created(its length)."""

    def handler(conn):
        while True:
            head = conn.read_until(b"\r\n\r\n")
            if not head.endswith(b"\r\n\r\n"):
                return
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            conn.send(interim + CONTINUE)
            body = conn.read_exact(length)
            if len(body) != length:
                return
            conn.send(created(length))

    return handler


class BackendContinueTest(harness.TestCase):
    """fulcrum answers Expect: 100-continue itself, so a backend's 100 Continue is not relayed
    after it (the client would see two), while the backend's other interim responses are. A body
    of up to 64 KiB is read whole before the backend is tried, a larger one streams to it: both
    ways are taken."""

    BODIES = {"kept": 1024, "streamed": 256 * 1024}

    def check(self, interim):
        backend = self.start_scripted_backend(continue_from_the_backend(interim))
        proxy = self.start_proxy([backend], ["--no-health-checks"])
        for name, length in self.BODIES.items():
            with self.subTest(name):
                conn = self.connect(proxy)
                conn.send(build_request("POST", "/up", [("Content-Length", str(length)), ("Expect", "100-continue")], host="h"))
                self.assertEqual(conn.read_exact(len(CONTINUE)), CONTINUE)
                self.assertTrue(conn.send(pattern(0, length)))
                expected = interim + created(length)
                self.assertEqual(conn.read_exact(len(expected)), expected)
                self.assertEqual(conn.pending(), b"")
        self.assertEqual(backend.errors, [])

    def test_a_backend_100_continue_after_fulcrums_is_not_relayed(self):
        self.check(b"")

    def test_a_backend_103_still_reaches_the_client(self):
        self.check(EARLY_HINTS)


class ResponseBodyTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_backend()
        self.proxy = self.start_proxy([self.backend])

    def download(self, target, length):
        check = PatternCheck()
        conn = self.connect(self.proxy, timeout=60)
        response = conn.request("GET", target, sink=check)
        self.assertEqual(response.status, 200, response)
        self.assertTrue(response.complete, response)
        self.assertEqual(check.length, length)
        self.assertIsNone(check.first_mismatch, "wrong byte at body offset %s" % check.first_mismatch)
        return response

    def test_content_length_body(self):
        response = self.download("/bytes/1024", 1024)
        self.assertEqual(response.header("Content-Length"), "1024")

    def test_empty_content_length_body(self):
        response = self.download("/bytes/0", 0)
        self.assertEqual(response.header("Content-Length"), "0")

    def test_100_mib_download(self):
        self.download("/bytes/%d" % BIG, BIG)

    def test_chunked_response(self):
        self.download("/chunked/100000", 100000)

    def test_empty_chunked_response(self):
        self.download("/chunked/0", 0)

    def test_large_chunked_response(self):
        self.download("/chunked/%d" % (20 * MiB), 20 * MiB)

    def test_many_responses_on_one_connection(self):
        conn = self.connect(self.proxy)
        for n in (0, 1, 26, 27, 4096, 65536, 65537, 300000):
            for kind in ("bytes", "chunked"):
                response = conn.request("GET", "/%s/%d" % (kind, n))
                self.assertEqual(response.status, 200)
                self.assertEqual(response.body, harness.pattern(0, n), "%s/%d" % (kind, n))


class ScriptedBodyTest(harness.TestCase):
    """Exact bytes both ways, seen from a backend that records them."""

    def test_binary_request_body_reaches_the_backend_exactly(self):
        body = bytes(range(256)) * 16
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 204 No Content\r\n\r\n", then="keep"))
        proxy = self.start_proxy([backend])
        response = http_request(proxy.port, "POST", "/bin", body=body)
        self.assertEqual(response.status, 204)
        self.assertEqual(len(backend.requests), 1)
        self.assertEqual(backend.requests[0].body, body)

    def test_binary_response_body_reaches_the_client_exactly(self):
        body = bytes(range(256)) * 16
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % len(body)
        backend = self.start_scripted_backend(harness.respond(head + body, then="keep"))
        proxy = self.start_proxy([backend])
        response = http_request(proxy.port, "GET", "/bin")
        self.assertEqual(response.status, 200)
        self.assertEqual(response.header("Content-Type"), "application/octet-stream")
        self.assertEqual(response.body, body)

    def test_a_head_the_backend_sent_apart_from_its_small_body_reaches_the_client_with_it(self):
        # The head waits in fulcrum's kernel for the body (MSG_MORE), as HAProxy's does: one
        # segment to the client, not two. The kernel sends a held segment anyway after about
        # 200 ms, so a try on a machine that stalls the backend that long may see two; one try
        # in three must see one.
        body = b"b" * 1000
        backend = self.start_scripted_backend(paced(body, piece_every=0.03))
        proxy = self.start_proxy([backend], ["--no-health-checks"])
        segments = []
        for _ in range(3):
            conn = self.connect(proxy)
            response = conn.request("GET", "/")
            self.assertEqual((response.status, response.body), (200, body), response)
            segments.append(data_segments_in(conn.sock))
            conn.close()
            if segments[-1] == 1:
                break
        self.assertEqual(segments[-1], 1, "data segments per response: %s" % segments)

    def test_a_body_under_another_transfer_coding_keeps_it_named_and_an_http10_client_gets_502(self):
        body = b"\x1f\x8b\x08 bytes of another coding"
        head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"
        backend = self.start_scripted_backend(harness.respond(head + body, then="close"))
        proxy = self.start_proxy([backend], ["--no-health-checks"])
        response = http_request(proxy.port, "GET", "/coded")
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.header("Transfer-Encoding"), "gzip")
        self.assertEqual(response.body, body)
        # An HTTP/1.0 client may not be told the coding: the coded bytes would pass for the payload.
        conn = self.connect(proxy)
        self.assertErrorResponse(conn.request("GET", "/coded", version="HTTP/1.0"), 502)

    def test_close_delimited_response_body(self):
        body = bytes(range(256)) * 100
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 200 OK\r\n\r\n" + body, then="close"))
        proxy = self.start_proxy([backend])
        response = http_request(proxy.port, "GET", "/eof")
        self.assertEqual(response.status, 200)
        self.assertTrue(response.complete)
        self.assertEqual(response.body, body)

    def test_chunked_request_body_reaches_the_backend_decoded_or_intact(self):
        backend = self.start_scripted_backend(harness.respond(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", then="keep"))
        proxy = self.start_proxy([backend])
        body = chunked_body([bytes(range(256)), b"\x00\r\n\x00"])
        response = http_request(proxy.port, "POST", "/c", headers=[("Transfer-Encoding", "chunked")], body=body)
        self.assertEqual((response.status, response.body), (200, b"ok"))
        self.assertEqual(backend.requests[0].body, bytes(range(256)) + b"\x00\r\n\x00")


class AnswerDuringUploadTest(harness.TestCase):
    """A streamed request body (chunked, or too large to keep for a retry) goes up while the
    answer is read: a backend may answer before it has read the body, or while it reads it. The
    backend timeout is set far beyond the client's read timeout (IO_TIMEOUT), so an answer held
    back until the upload ends, or until that timeout, would not come in time."""

    def upload_in_background(self, conn, head, pieces):
        def run():
            if conn.send(head):
                for piece in pieces:
                    if not conn.send(piece):
                        return

        sender = threading.Thread(target=run, daemon=True)
        sender.start()
        self.addCleanup(sender.join, IO_TIMEOUT)

    def test_an_answer_given_before_the_body_is_read_reaches_the_client_at_once(self):
        released = threading.Event()
        self.addCleanup(released.set)
        backend = self.start_scripted_backend(answer_before_the_body(released))
        proxy = self.start_proxy([backend], ["--backend-timeout", "300s", "--no-health-checks"])
        piece = b"u" * MiB
        length_head = b"PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n" % STREAMED
        cases = {
            "content-length": (length_head + b"\r\n", [piece] * (STREAMED // MiB)),
            "expect-100-continue": (length_head + b"Expect: 100-continue\r\n\r\n", [piece] * (STREAMED // MiB)),
            "chunked": (
                b"PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                [b"%x\r\n%s\r\n" % (len(piece), piece)] * (STREAMED // MiB) + [b"0\r\n\r\n"],
            ),
        }
        for name, (head, pieces) in cases.items():
            with self.subTest(name):
                conn = self.connect(proxy)
                self.upload_in_background(conn, head, pieces)
                response, _ = conn.read_final_response()
                self.assertEqual((response.status, response.body), (413, b"too much"), response)
                # The rest of the body will not be read: the connection does not stay open.
                self.assertIn("close", response.connection_tokens(), response.headers)

    def test_an_upload_waiting_for_the_client_when_the_answer_is_over_ends_with_it(self):
        backend = self.start_scripted_backend(answer_then_discard)
        proxy = self.start_proxy([backend], ["--backend-timeout", "300s", "--client-idle-timeout", "300s", "--no-health-checks"])
        conn = self.connect(proxy)
        # A part of the body, then the client waits: fulcrum's upload waits for the rest.
        conn.send(b"PUT /partial HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % STREAMED + b"p" * MiB)
        response = conn.read_response()
        self.assertEqual((response.status, response.body), (200, b"/partial"), response)
        self.assertIn("close", response.connection_tokens(), response.headers)
        # The upload ends with the answer, not at the client timeout: fulcrum closes its side.
        self.assertClosedWithin(conn, IO_TIMEOUT)
        # Its backend connection, left mid-body, is not used again.
        self.assertEqual(http_request(proxy.port, "GET", "/next").body, b"/next")
        self.assertEqual(backend.connections, 2)

    def test_a_backend_that_answers_while_it_reads_gets_the_whole_body_and_the_client_all_of_the_answer(self):
        backend = self.start_scripted_backend(echo_as_it_reads())
        proxy = self.start_proxy([backend], ["--backend-timeout", "300s", "--no-health-checks"])
        conn = self.connect(proxy)
        head = b"PUT /echo HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % STREAMED
        self.upload_in_background(conn, head, [pattern(i, MiB) for i in range(0, STREAMED, MiB)])
        check = PatternCheck()
        response = conn.read_response(sink=check)
        self.assertEqual(response.status, 200, response)
        self.assertTrue(response.complete, response)
        self.assertEqual(check.length, STREAMED)
        self.assertIsNone(check.first_mismatch, "wrong byte at body offset %s" % check.first_mismatch)

    def test_a_request_pipelined_after_a_body_that_ended_during_the_answer_does_not_cut_the_answer(self):
        # The answer's head goes out while the body still goes up, so it says "Connection: close";
        # the body then ends, and a pipelining client sends its next request before it has read
        # the answer. Closing with that request unread would reset the connection and drop the
        # end of the answer still queued for the client: fulcrum lingers instead.
        body_read = threading.Event()
        self.addCleanup(body_read.set)
        answer = 8 * MiB  # more than the socket buffers on the way hold

        def answer_then_read_the_body(conn):
            head = conn.read_until(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % answer)
            if len(conn.read_exact(length)) == length:
                body_read.set()
                conn.send(pattern(0, answer))
            conn.read_until_close(IO_TIMEOUT)

        backend = self.start_scripted_backend(answer_then_read_the_body)
        proxy = self.start_proxy([backend], ["--backend-timeout", "300s", "--no-health-checks"])
        conn = self.connect(proxy)
        half = 100 * 1024
        conn.send(b"PUT /up HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % (2 * half) + b"u" * half)
        self.assertTrue(conn.readable_within(IO_TIMEOUT), "no answer while the body goes up")
        conn.send(b"u" * half)
        self.assertTrue(body_read.wait(IO_TIMEOUT), "the backend did not get the whole body")
        conn.send(b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n")
        check = PatternCheck()
        response = conn.read_response(sink=check)
        self.assertEqual(response.status, 200, response)
        self.assertIn("close", response.connection_tokens(), response.headers)
        self.assertEqual((check.length, conn.was_reset), (answer, False))
        self.assertIsNone(check.first_mismatch)


if __name__ == "__main__":
    import unittest

    unittest.main()
