"""Request smuggling and desync: every classic way of making two HTTP implementations frame one
request differently. For each form fulcrum either refuses it (its status, then the connection
closes) or forwards exactly one request whose framing cannot be read two ways. A recording
backend shows that no smuggled request ever reached it, and a request sent afterwards, on the
same client connection when it stays open and on a new one, gets its own answer: nothing was
left out of step on either side.

test_malformed.py checks fulcrum's limits and error responses; this file checks framing."""

import harness

# A complete request hidden in a body: if it ever reaches the backend, fulcrum and the backend
# disagreed about where the first request ended.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"
CHUNKED = b"Transfer-Encoding: chunked"


class Refused:
    """fulcrum answers `status` and closes; the backend sees nothing of the request."""

    def __init__(self, status=400):
        self.status = status


class BodyRefused:
    """The head is valid and may have gone to the backend before the body showed its error:
    the client gets a 400 and the connection closes; the backend sees at most that one request,
    cut short."""

    status = 400


class Forwarded:
    """Exactly one request reaches the backend, with a body of `length` bytes."""

    def __init__(self, length):
        self.length = length


def head(*fields, start=b"POST /form HTTP/1.1", host=b"Host: h"):
    lines = [start] + ([host] if host else []) + list(fields)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked_post(body, te=CHUNKED):
    return head(te) + body


# (name, request bytes, expected outcome). "/form" in the bytes becomes a per-form target.
REQUEST_FORMS = [
    # Content-Length and Transfer-Encoding together (CL.TE and TE.CL).
    ("cl_te", head(b"Content-Length: %d" % (5 + len(SMUGGLED)), CHUNKED) + b"0\r\n\r\n" + SMUGGLED, Refused()),
    ("te_cl", head(CHUNKED, b"Content-Length: 4") + b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n", Refused()),
    ("cl_te_xchunked", head(b"Content-Length: 5", b"Transfer-Encoding: xchunked") + b"0\r\n\r\n" + SMUGGLED, Refused()),
    ("cl_zero_te", head(b"Content-Length: 0", CHUNKED) + b"%x\r\n" % len(SMUGGLED) + SMUGGLED + b"\r\n0\r\n\r\n", Refused()),
    ("te_in_connection_and_cl", head(b"Connection: Transfer-Encoding", CHUNKED, b"Content-Length: 5") + b"0\r\n\r\n", Refused()),
    # Transfer-Encoding obfuscated (TE.TE): refused unless it plainly ends in chunked.
    ("te_xchunked", chunked_post(b"0\r\n\r\n" + SMUGGLED, te=b"Transfer-Encoding: xchunked"), Refused()),
    ("te_chunkedx", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunkedx"), Refused()),
    ("te_chunked_identity", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunked, identity"), Refused()),
    ("te_chunked_chunked", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunked, chunked"), Refused()),
    ("te_two_fields", head(CHUNKED, CHUNKED) + b"0\r\n\r\n", Refused()),
    ("te_two_fields_identity_last", head(CHUNKED, b"Transfer-Encoding: identity") + b"0\r\n\r\n", Refused()),
    ("te_quoted", chunked_post(b"0\r\n\r\n", te=b'Transfer-Encoding: "chunked"'), Refused()),
    ("te_empty", head(b"Transfer-Encoding:", b"Content-Length: 5") + b"hello", Refused()),
    ("te_space_before_colon", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding : chunked"), Refused()),
    ("te_tab_before_colon", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding\t: chunked"), Refused()),
    ("te_name_after_space", head(b"X: y", b" Transfer-Encoding: chunked") + b"0\r\n\r\n", Refused()),
    ("te_obs_fold_value", head(b"Transfer-Encoding:", b" chunked") + b"0\r\n\r\n", Refused()),
    ("te_vertical_tab", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: \x0bchunked"), Refused()),
    ("te_form_feed", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunked\x0c"), Refused()),
    ("te_nul", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunked\x00"), Refused()),
    ("te_bare_cr", chunked_post(b"0\r\n\r\n", te=b"Transfer-Encoding: chunked\rX: y"), Refused()),
    ("te_in_http10", head(CHUNKED, start=b"POST /form HTTP/1.0") + b"0\r\n\r\n", Refused()),
    ("te_underscore_name_with_cl", head(b"Transfer_Encoding: chunked", b"Content-Length: 5") + b"0\r\n\r\n", Forwarded(5)),
    # Harmless spellings of chunked are read as chunked by everyone: one request.
    ("te_leading_space_value", chunked_post(b"5\r\nhello\r\n0\r\n\r\n", te=b"Transfer-Encoding:   chunked"), Forwarded(5)),
    ("te_tabs_around_value", chunked_post(b"5\r\nhello\r\n0\r\n\r\n", te=b"Transfer-Encoding:\tchunked\t"), Forwarded(5)),
    ("te_upper_case", chunked_post(b"5\r\nhello\r\n0\r\n\r\n", te=b"TRANSFER-ENCODING: CHUNKED"), Forwarded(5)),
    ("te_identity_then_chunked", chunked_post(b"5\r\nhello\r\n0\r\n\r\n", te=b"Transfer-Encoding: identity, chunked"), Forwarded(5)),
    ("te_named_by_connection", head(b"Connection: Transfer-Encoding", CHUNKED) + b"5\r\nhello\r\n0\r\n\r\n", Forwarded(5)),
    # Content-Length.
    ("cl_two_fields_different", head(b"Content-Length: 5", b"Content-Length: 6") + b"hello!", Refused()),
    ("cl_list_different", head(b"Content-Length: 5, 6") + b"hello!", Refused()),
    ("cl_negative", head(b"Content-Length: -5") + b"hello", Refused()),
    ("cl_plus_sign", head(b"Content-Length: +5") + b"hello", Refused()),
    ("cl_hex", head(b"Content-Length: 0x5") + b"hello", Refused()),
    ("cl_decimal_point", head(b"Content-Length: 5.0") + b"hello", Refused()),
    ("cl_exponent", head(b"Content-Length: 5e0") + b"hello", Refused()),
    ("cl_trailing_junk", head(b"Content-Length: 5abc") + b"hello", Refused()),
    ("cl_space_inside", head(b"Content-Length: 1 0") + b"helloworld", Refused()),
    ("cl_empty", head(b"Content-Length:") + b"hello", Refused()),
    ("cl_huge", head(b"Content-Length: 99999999999999999999999") + b"hello", Refused()),
    ("cl_over_int64", head(b"Content-Length: 9223372036854775808") + b"hello", Refused()),
    ("cl_uint64_wraps_to_5", head(b"Content-Length: 18446744073709551621") + b"hello", Refused()),
    ("cl_space_before_colon", head(b"Content-Length : 5") + b"hello", Refused()),
    ("cl_nul_in_value", head(b"Content-Length: 5\x00") + b"hello", Refused()),
    ("cl_two_fields_same", head(b"Content-Length: 5", b"Content-Length: 5") + b"hello", Forwarded(5)),
    ("cl_list_same", head(b"Content-Length: 5, 5") + b"hello", Forwarded(5)),
    ("cl_leading_zeros", head(b"Content-Length: 0005") + b"hello", Forwarded(5)),
    ("cl_named_by_connection", head(b"Connection: Content-Length", b"Content-Length: %d" % len(SMUGGLED)) + SMUGGLED, Forwarded(len(SMUGGLED))),
    ("get_with_body_holding_a_request", head(b"Content-Length: %d" % len(SMUGGLED), start=b"GET /form HTTP/1.1") + SMUGGLED, Forwarded(len(SMUGGLED))),
    # Chunk sizes, extensions and line ends: the head is fine, the body is not.
    ("chunk_size_plus", chunked_post(b"+5\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_minus", chunked_post(b"-5\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_0x", chunked_post(b"0x5\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_underscore", chunked_post(b"1_0\r\n0123456789abcdef\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_leading_space", chunked_post(b" 5\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_empty", chunked_post(b"\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_17_digits", chunked_post(b"00000000000000005\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_overflow", chunked_post(b"10000000000000005\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_over_int64", chunked_post(b"8000000000000005\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_ext_control_byte", chunked_post(b"5;\x01\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_ext_unclosed_quote", chunked_post(b'5;a="b\r\nhello\r\n0\r\n\r\n'), BodyRefused()),
    ("chunk_ext_junk_after_size", chunked_post(b"5 junk\r\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_ext_bare_lf", chunked_post(b"5;a=b\nhello\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_size_bare_lf", chunked_post(b"5\nhello\n0\n\n"), BodyRefused()),
    ("chunk_data_bare_lf", chunked_post(b"5\r\nhello\n0\r\n\r\n"), BodyRefused()),
    ("chunk_data_longer_than_size", chunked_post(b"5\r\nhelloX\r\n0\r\n\r\n"), BodyRefused()),
    ("chunk_data_shorter_than_size", chunked_post(b"6\r\nhello\r\n0\r\n\r\n" + SMUGGLED), BodyRefused()),
    ("last_chunk_then_request", chunked_post(b"0\r\n" + SMUGGLED), BodyRefused()),
    ("trailer_obs_fold", chunked_post(b"0\r\nX-T: a\r\n b\r\n\r\n"), BodyRefused()),
    ("trailer_nul", chunked_post(b"0\r\nX-T: a\x00b\r\n\r\n"), BodyRefused()),
    ("chunk_ext_valid", chunked_post(b'5;name=value;q="x y"\r\nhello\r\n0\r\n\r\n'), Forwarded(5)),
    # Line ends, folding and control bytes in the head.
    ("bare_lf_everywhere", b"POST /form HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello", Refused()),
    ("bare_lf_one_line", b"POST /form HTTP/1.1\r\nHost: h\nContent-Length: 5\r\n\r\nhello", Refused()),
    ("bare_lf_end_of_head", b"POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\nhello", Refused()),
    ("bare_cr_in_value", head(b"X-A: a\rContent-Length: 5") + b"hello", Refused()),
    ("obs_fold", head(b"X-A: a", b" folded", b"Content-Length: 5") + b"hello", Refused()),
    ("obs_fold_tab", head(b"X-A: a", b"\tfolded") + b"", Refused()),
    ("nul_in_name", head(b"X-\x00A: a"), Refused()),
    ("nul_in_value", head(b"X-A: a\x00b"), Refused()),
    ("control_byte_in_name", head(b"X-\x01A: a"), Refused()),
    ("control_byte_in_value", head(b"X-A: a\x01b"), Refused()),
    ("del_in_value", head(b"X-A: a\x7fb"), Refused()),
    ("escape_in_value", head(b"X-A: a\x1bb"), Refused()),
    ("space_in_name", head(b"X A: a"), Refused()),
    ("empty_name", head(b": a"), Refused()),
    ("name_with_colon_only", head(b":"), Refused()),
    ("nul_in_target", head(start=b"GET /fo\x00rm HTTP/1.1"), Refused()),
    ("space_in_target", head(start=b"GET /form /x HTTP/1.1"), Refused()),
    ("tab_separators", head(start=b"GET\t/form\tHTTP/1.1"), Refused()),
    ("two_spaces_after_method", head(start=b"GET  /form HTTP/1.1"), Refused()),
    ("space_before_request_line", head(start=b" GET /form HTTP/1.1"), Refused()),
    ("lower_case_version", head(start=b"GET /form http/1.1"), Refused()),
    ("version_1_10", head(start=b"GET /form HTTP/1.10"), Refused()),
    # Targets and protocols.
    ("absolute_form_other_host", head(start=b"GET http://elsewhere.example/form HTTP/1.1"), Refused()),
    ("absolute_form_other_port", head(start=b"GET http://h:8080/form HTTP/1.1"), Refused()),
    ("absolute_form_userinfo", head(start=b"GET http://elsewhere.example@h/form HTTP/1.1"), Refused()),
    ("absolute_form_no_host", head(start=b"GET http://h/form HTTP/1.1", host=None), Refused()),
    ("absolute_form_same_host", head(start=b"GET http://h/form HTTP/1.1"), Forwarded(0)),
    ("absolute_form_same_host_other_case", head(start=b"GET HTTP://H/form HTTP/1.1"), Forwarded(0)),
    ("absolute_form_default_port", head(start=b"GET http://h:80/form HTTP/1.1"), Forwarded(0)),
    ("absolute_form_default_port_in_host", head(start=b"GET http://h/form HTTP/1.1", host=b"Host: h:80"), Forwarded(0)),
    ("absolute_form_https_default_port", head(start=b"GET https://h:443/form HTTP/1.1"), Forwarded(0)),
    ("absolute_form_https_port_for_http", head(start=b"GET http://h:443/form HTTP/1.1"), Refused()),
    # A Host that a backend could split into host and port otherwise than fulcrum routed it.
    ("host_two_ports", head(host=b"Host: h:80:90"), Refused()),
    ("host_letter_in_port", head(host=b"Host: h:8o"), Refused()),
    ("host_with_space", head(host=b"Host: h x"), Refused()),
    ("host_with_slash", head(host=b"Host: h/x"), Refused()),
    ("host_with_userinfo", head(host=b"Host: x@h"), Refused()),
    ("host_ipv6_unclosed", head(host=b"Host: [::1"), Refused()),
    ("host_ipv6_with_port", head(host=b"Host: [::1]:8080"), Forwarded(0)),
    ("host_empty", head(host=b"Host:"), Forwarded(0)),
    ("http_0_9", b"GET /form\r\n\r\n", Refused()),
    ("http_0_9_without_crlf_pair", b"GET /form\r\nHost: h\r\n\r\n", Refused()),
    ("http_2_preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", Refused(505)),
    ("http_2_preface_then_settings", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00", Refused(505)),
    ("http_3_version", head(start=b"GET /form HTTP/3.0"), Refused(505)),
]


def echo_target(conn):
    """The recording backend: answers every complete request with its target and body length."""
    while True:
        request = conn.next_request()
        if request is None or not request.complete:
            return
        body = b"%s %d" % (request.target.encode("latin-1"), len(request.body))
        conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def path_of(target):
    """The path of an origin-form or absolute-form target."""
    if "://" in target:
        rest = target.split("://", 1)[1]
        return "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return target


class RequestSmugglingTest(harness.TestCase):
    def setUp(self):
        self.backend = self.start_scripted_backend(echo_target)
        self.proxy = self.start_proxy([self.backend], ["--no-health-checks", "--unhealthy-threshold", "100"])

    def requests_to(self, path):
        return [r for r in list(self.backend.requests) if path_of(r.target) == path]

    def assertOwnAnswer(self, conn, path):
        response = conn.request("GET", path)
        self.assertEqual((response.status, response.body), (200, b"%s 0" % path.encode()), response)

    def check_form(self, i, raw, expected):
        form = "/form/%d" % i
        conn = self.connect(self.proxy)
        conn.send(raw.replace(b"/form", form.encode()))
        response = conn.read_response()
        if isinstance(expected, Forwarded):
            self.assertEqual(response.status, 200, response)
            self.assertEqual(path_of(response.body.decode().split(" ")[0]), form, response.body)
            self.assertEqual(response.body.split(b" ")[1], b"%d" % expected.length, response.body)
            # The client connection is still in step: the next request gets its own answer.
            self.assertOwnAnswer(conn, "/after/%d" % i)
            forwarded = self.requests_to(form)
            self.assertEqual(len(forwarded), 1, forwarded)
            self.assertTrue(forwarded[0].complete)
            self.assertEqual(len(forwarded[0].body), expected.length)
            self.assertEqual(len(self.requests_to("/after/%d" % i)), 1)
        else:
            self.assertErrorResponse(response, expected.status)
            self.assertClosedWithin(conn, 10)
            self.assertEqual(conn.pending(), b"", "bytes after the error response")
        # The connections to the backend are in step: a new client is answered its own request.
        self.assertOwnAnswer(self.connect(self.proxy), "/next/%d" % i)
        if isinstance(expected, Refused):
            self.assertEqual(self.requests_to(form), [])
        elif isinstance(expected, BodyRefused):
            for request in self.requests_to(form):
                self.assertFalse(request.complete, "a malformed body was passed on whole")
            self.assertLessEqual(len(self.requests_to(form)), 1)

    def test_request_forms(self):
        for i, (name, raw, expected) in enumerate(REQUEST_FORMS):
            with self.subTest(form=name):
                self.check_form(i, raw, expected)
        smuggled = [r.target for r in self.backend.requests if "smuggled" in r.target]
        self.assertEqual(smuggled, [], "smuggled requests reached the backend")
        self.assertEqual(self.backend.errors, [], "the backend could not parse what fulcrum forwarded")

    def test_pipelined_forms_after_a_valid_request(self):
        # A valid request first: its backend connection is then pooled, and each malformed
        # request that follows it on the client connection must not reach that connection.
        for i, (name, raw, expected) in enumerate(REQUEST_FORMS):
            if not isinstance(expected, Refused):
                continue
            with self.subTest(form=name):
                conn = self.connect(self.proxy)
                conn.send(harness.build_request("GET", "/first/%d" % i, host="h") + raw.replace(b"/form", b"/form/%d" % i))
                first = conn.read_response()
                self.assertEqual((first.status, first.body), (200, b"/first/%d 0" % i))
                self.assertErrorResponse(conn.read_response(), expected.status)
                self.assertClosedWithin(conn, 10)
                self.assertEqual(self.requests_to("/form/%d" % i), [])
        self.assertOwnAnswer(self.connect(self.proxy), "/last")
        self.assertEqual([r.target for r in self.backend.requests if "smuggled" in r.target], [])
        self.assertEqual(self.backend.errors, [])


if __name__ == "__main__":
    import unittest

    unittest.main()
