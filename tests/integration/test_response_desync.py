"""Malformed and misframed backend responses: the client gets a 502 when nothing was sent yet, a
closed connection once response bytes went out, or exactly the one response the framing allows;
and no connection to the backend is ever pooled out of step. After each form a new request gets
its own answer, from a backend that keeps its connections open so that fulcrum would reuse one
it wrongly believed clean.

test_errors.py covers what a client sees of failing backends; this file checks framing."""

import threading

import harness

HEAD_OK = b"HTTP/1.1 200 OK\r\n"
CHUNKED = b"Transfer-Encoding: chunked\r\n"
# What a misframed response might make the next client read.
STRAY = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstray"


class BadGateway:
    """Nothing reached the client yet: fulcrum answers 502 and closes."""


class Cut:
    """The head went out, then the body turned out wrong: the client gets a 200 whose body is
    cut short (a prefix of `body`), and the connection closes."""

    def __init__(self, body=b""):
        self.body = body


class Relayed:
    """The client gets exactly this body, complete; when its connection stays open, its next
    request there gets its own answer. `without`: a field that none of the 1xx and 204 responses
    the client gets may carry."""

    def __init__(self, body, status=200, until_close=False, without=None):
        self.body = body
        self.status = status
        self.until_close = until_close
        self.without = without


class Form:
    def __init__(self, name, response, expected, then="keep", method="GET", later=b""):
        self.name = name
        self.response = response  # what the backend answers the form's request with
        self.expected = expected
        self.then = then  # "keep", "close" or "reset" the backend connection afterwards
        self.method = method
        self.later = later  # bytes the backend sends on the kept connection a little later


def ok(*fields, body=b"ok"):
    return HEAD_OK + b"".join(f + b"\r\n" for f in fields) + b"\r\n" + body


RESPONSE_FORMS = [
    # Framing fields that two readers could take differently.
    Form("cl_two_fields_different", ok(b"Content-Length: 2", b"Content-Length: 3", body=b"ok!"), BadGateway()),
    Form("cl_list_different", ok(b"Content-Length: 2, 3", body=b"ok!"), BadGateway()),
    Form("cl_te", ok(b"Content-Length: 2", CHUNKED.strip(), body=b"2\r\nok\r\n0\r\n\r\n"), BadGateway()),
    Form("te_cl", ok(CHUNKED.strip(), b"Content-Length: 2", body=b"2\r\nok\r\n0\r\n\r\n"), BadGateway()),
    Form("cl_negative", ok(b"Content-Length: -2"), BadGateway()),
    Form("cl_plus_sign", ok(b"Content-Length: +2"), BadGateway()),
    Form("cl_hex", ok(b"Content-Length: 0x2"), BadGateway()),
    Form("cl_huge", ok(b"Content-Length: 99999999999999999999999"), BadGateway()),
    Form("cl_empty", ok(b"Content-Length:"), BadGateway()),
    Form("cl_space_before_colon", ok(b"Content-Length : 2"), BadGateway()),
    Form("te_chunked_identity", ok(b"Transfer-Encoding: chunked, identity", body=b"2\r\nok\r\n0\r\n\r\n"), BadGateway()),
    Form("te_two_chunked_fields", ok(CHUNKED.strip(), CHUNKED.strip(), body=b"2\r\nok\r\n0\r\n\r\n"), BadGateway()),
    Form("te_space_before_colon", ok(b"Transfer-Encoding : chunked", body=b"2\r\nok\r\n0\r\n\r\n"), BadGateway()),
    Form("te_in_http10", b"HTTP/1.0 200 OK\r\n" + CHUNKED + b"\r\n2\r\nok\r\n0\r\n\r\n", BadGateway()),
    # Line ends, folding, control bytes, sizes.
    Form("bare_lf_head", b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", BadGateway()),
    Form("bare_lf_one_line", b"HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("bare_cr_in_value", ok(b"X-A: a\rContent-Length: 2"), BadGateway()),
    Form("obs_fold", ok(b"X-A: a", b" folded", b"Content-Length: 2"), BadGateway()),
    Form("nul_in_name", ok(b"X-\x00A: a", b"Content-Length: 2"), BadGateway()),
    Form("nul_in_value", ok(b"X-A: a\x00b", b"Content-Length: 2"), BadGateway()),
    Form("control_byte_in_value", ok(b"X-A: a\x01b", b"Content-Length: 2"), BadGateway()),
    Form("control_byte_in_reason", b"HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("head_over_32_kib", ok(b"X-Big: " + b"v" * (40 * 1024), b"Content-Length: 2"), BadGateway()),
    Form("too_many_fields", ok(*[b"X-%d: v" % i for i in range(150)], b"Content-Length: 2"), BadGateway()),
    # Status lines.
    Form("status_http2", b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("status_http3_0", b"HTTP/3.0 200 OK\r\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("status_two_digits", b"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("status_lower_case", b"http/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", BadGateway()),
    Form("status_line_missing", b"ok\r\n\r\n", BadGateway()),
    Form("unsolicited_101", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n" + STRAY, BadGateway()),
    Form("continue_then_garbage", b"HTTP/1.1 100 Continue\r\n\r\nnot http\r\n\r\n", BadGateway()),
    Form("head_cut_then_close", b"HTTP/1.1 200 OK\r\nContent-Le", BadGateway(), then="close"),
    Form("head_cut_then_reset", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", BadGateway(), then="reset"),
    # Bodies that go wrong after the head went out.
    Form("chunk_size_plus", ok(CHUNKED.strip(), body=b"+2\r\nok\r\n0\r\n\r\n"), Cut()),
    Form("chunk_size_0x", ok(CHUNKED.strip(), body=b"0x2\r\nok\r\n0\r\n\r\n"), Cut()),
    Form("chunk_size_overflow", ok(CHUNKED.strip(), body=b"10000000000000002\r\nok\r\n0\r\n\r\n"), Cut()),
    Form("chunk_ext_junk", ok(CHUNKED.strip(), body=b"2;\x01\r\nok\r\n0\r\n\r\n"), Cut()),
    Form("chunk_size_bare_lf", ok(CHUNKED.strip(), body=b"2\nok\n0\n\n"), Cut()),
    Form("chunk_data_longer_than_size", ok(CHUNKED.strip(), body=b"2\r\nokX\r\n0\r\n\r\n" + STRAY), Cut(b"ok")),
    Form("chunk_data_then_close", ok(CHUNKED.strip(), body=b"a\r\nokok"), Cut(b"okok"), then="close"),
    Form("chunk_data_then_reset", ok(CHUNKED.strip(), body=b"a\r\nokok"), Cut(b"okok"), then="reset"),
    Form("cl_fewer_bytes_then_close", ok(b"Content-Length: 10", body=b"okok"), Cut(b"okok"), then="close"),
    Form("cl_fewer_bytes_then_reset", ok(b"Content-Length: 10", body=b"okok"), Cut(b"okok"), then="reset"),
    Form("cl_fewer_bytes_then_silence", ok(b"Content-Length: 10", body=b"okok"), Cut(b"okok")),
    Form("cl_head_only_then_close", ok(b"Content-Length: 10", body=b""), Cut(), then="close"),
    Form("chunked_head_only_then_close", ok(CHUNKED.strip(), body=b""), Cut(), then="close"),
    # Bytes beyond the framing: the client gets what the framing says, and the leftovers never
    # become the answer to someone else's request.
    Form("cl_more_bytes", ok(b"Content-Length: 2", body=b"ok" + STRAY), Relayed(b"ok")),
    Form("cl_more_bytes_later", ok(b"Content-Length: 2"), Relayed(b"ok"), later=STRAY),
    Form("chunked_more_bytes", ok(CHUNKED.strip(), body=b"2\r\nok\r\n0\r\n\r\n" + STRAY), Relayed(b"ok")),
    Form("chunked_more_bytes_later", ok(CHUNKED.strip(), body=b"2\r\nok\r\n0\r\n\r\n"), Relayed(b"ok"), later=STRAY),
    Form("body_on_head_response", ok(b"Content-Length: 5", body=b"stray"), Relayed(b""), method="HEAD"),
    Form("body_on_head_response_later", ok(b"Content-Length: 5", body=b""), Relayed(b""), method="HEAD", later=b"stray"),
    Form("body_on_204", b"HTTP/1.1 204 No Content\r\n\r\n" + STRAY, Relayed(b"", status=204)),
    Form("body_on_304", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nstray", Relayed(b"", status=304)),
    Form("continue_then_response", b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"Content-Length: 2"), Relayed(b"ok")),
    # A 1xx or 204 must not say it has a length (RFC 9110 §8.6): a client that believed one would
    # take the next response for its body.
    Form("cl_on_204", b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", Relayed(b"", status=204, without="Content-Length")),
    Form("cl_on_100", b"HTTP/1.1 100 Continue\r\nContent-Length: 5\r\n\r\n" + ok(b"Content-Length: 2"), Relayed(b"ok", without="Content-Length")),
    Form("cl_list_same", ok(b"Content-Length: 2, 2"), Relayed(b"ok")),
    Form("cl_two_fields_same", ok(b"Content-Length: 2", b"Content-Length: 2"), Relayed(b"ok")),
    Form("te_not_chunked_until_close", ok(b"Transfer-Encoding: gzip", body=b"okok"), Relayed(b"okok", until_close=True), then="close"),
    Form("no_framing_until_close", ok(body=b"okok"), Relayed(b"okok", until_close=True), then="close"),
]


class ScriptedResponses:
    """A backend that answers "/form/<i>" with form i's bytes and anything else with its own
    target, keeping its connections open unless the form says otherwise."""

    def __init__(self, forms):
        self.forms = forms
        self.response_read = threading.Event()  # the test has the form's whole response
        self.sent_later = threading.Event()

    def __call__(self, conn):
        while True:
            request = conn.next_request()
            if request is None or not request.complete:
                return
            path = request.target
            if not path.startswith("/form/"):
                body = path.encode()
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                continue
            form = self.forms[int(path[len("/form/"):])]
            conn.send(form.response)
            if form.then == "close":
                return
            if form.then == "reset":
                conn.reset()
                return
            if form.later:
                # Once fulcrum has taken the response as complete (the test has all of it), and
                # maybe pooled the connection; the test waits for this before its next request.
                if not self.response_read.wait(10):
                    return
                conn.send(form.later)
                self.sent_later.set()


class ResponseDesyncTest(harness.TestCase):
    def setUp(self):
        self.script = ScriptedResponses(RESPONSE_FORMS)
        self.backend = self.start_scripted_backend(self.script)
        # A backend that keeps sending nothing is cut after 2 s; failures never take it down.
        self.proxy = self.start_proxy(
            [self.backend], ["--backend-timeout", "2s", "--no-health-checks", "--unhealthy-threshold", "100", "--retries", "0"]
        )

    def assertOwnAnswer(self, conn, path):
        response = conn.request("GET", path)
        self.assertEqual((response.status, response.body), (200, path.encode()), response)

    def check_form(self, i, form):
        self.script.response_read.clear()
        self.script.sent_later.clear()
        conn = self.connect(self.proxy)
        conn.send(harness.build_request(form.method, "/form/%d" % i, host="h"))
        response, interim = conn.read_final_response(method=form.method)
        self.script.response_read.set()
        expected = form.expected
        if isinstance(expected, BadGateway):
            self.assertErrorResponse(response, 502)
            self.assertClosedWithin(conn, 10)
        elif isinstance(expected, Cut):
            self.assertEqual(response.status, 200, response)
            self.assertFalse(response.complete, "a broken body reached the client as complete")
            self.assertTrue(expected.body.startswith(response.body), response.body)
            self.assertClosedWithin(conn, 10)
            self.assertEqual(conn.pending(), b"", "bytes after the cut response")
        else:
            self.assertEqual((response.status, response.body), (expected.status, expected.body), response)
            self.assertTrue(response.complete)
            if expected.without:
                bodiless = [m for m in interim + [response] if m.status < 200 or m.status == 204]
                self.assertNotEqual(bodiless, [])
                for message in bodiless:
                    self.assertFalse(message.has_header(expected.without), message.raw_head)
            if form.later:
                self.assertTrue(self.script.sent_later.wait(10))
            if expected.until_close or "close" in response.connection_tokens():
                self.assertClosedWithin(conn, 10)
                self.assertEqual(conn.pending(), b"")
            else:
                self.assertOwnAnswer(conn, "/after/%d" % i)
        # Whatever the form left on its backend connection, new requests get their own answers.
        for j in range(2):
            self.assertOwnAnswer(self.connect(self.proxy), "/next/%d/%d" % (i, j))

    def test_response_forms(self):
        for i, form in enumerate(RESPONSE_FORMS):
            with self.subTest(form=form.name):
                self.check_form(i, form)
        self.assertEqual(self.backend.errors, [])

    def test_many_clients_never_get_each_others_answers(self):
        # The forms again, all at once from several clients, each followed by correct requests
        # on the same proxy: every correct request is answered with its own target. Not the
        # forms with bytes sent later: a connection reused in between would take them for the
        # next answer, which no proxy can tell from a real one.
        failures = []

        def client(k):
            for i, form in enumerate(RESPONSE_FORMS):
                if form.later:
                    continue
                try:
                    with harness.Connection(self.proxy.port) as conn:
                        conn.send(harness.build_request(form.method, "/form/%d" % i, host="h"))
                        try:
                            conn.read_final_response(method=form.method)
                        except (harness.ProtocolError, harness.ConnectionClosed, OSError):
                            pass
                    path = "/own/%d/%d" % (k, i)
                    response = harness.http_request(self.proxy.port, "GET", path)
                    if (response.status, response.body) != (200, path.encode()):
                        failures.append((path, response, response.body[:80]))
                except Exception as e:  # noqa: BLE001 (reported below)
                    failures.append((k, i, repr(e)))

        threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertFalse(any(t.is_alive() for t in threads), "clients still waiting")
        self.assertEqual(failures, [])


if __name__ == "__main__":
    import unittest

    unittest.main()
