"""The metrics route (`metrics: true`): fulcrum answers it itself in the Prometheus text format,
with counts that are exact, shared by every worker, kept across reloads; GET and HEAD only; the
route's conditions guard it; and the configuration errors around it."""

import re
import signal

import harness
from harness import HOST, MODE, Connection, build_request

METRICS = "/fulcrum/metrics"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
METRICS_ROUTE = "  - path_prefix: %s\n    metrics: true\n" % METRICS

# Every family the route must serve, with its type; the backend ones have a sample per backend.
INSTANCE_FAMILIES = {
    "fulcrum_connections_total": "counter",
    "fulcrum_connections_open": "gauge",
    "fulcrum_requests_total": "counter",
    "fulcrum_error_responses_total": "counter",
}
BACKEND_FAMILIES = {
    "fulcrum_backend_up": "gauge",
    "fulcrum_backend_requests_total": "counter",
    "fulcrum_backend_failures_total": "counter",
    "fulcrum_backend_in_flight": "gauge",
}

# Probes that notice a stopped backend at once; the probe gets the whole interval to be answered.
FAST_HEALTH = "{path: /health, interval: 200ms, timeout: 200ms, unhealthy_threshold: 1, healthy_threshold: 1}"
NO_HEALTH = "{enabled: false}"  # the backends see only the test's requests


def address(backend):
    """HOST:PORT of a Backend, or of a bare port number (nothing listening there)."""
    return "%s:%d" % (HOST, backend if isinstance(backend, int) else backend.port)


def config_yaml(pools, routes=METRICS_ROUTE, default=None, health=NO_HEALTH):
    """pools: {name: [Backend, port number or "HOST:PORT"]}; routes: the YAML of the routes."""
    text = "pools:\n"
    for name, backends in pools.items():
        text += "  %s:\n    backends:\n" % name
        text += "".join('      - "%s"\n' % (b if isinstance(b, str) else address(b)) for b in backends)
        text += "    health: %s\n" % health
    if default:
        text += "default_pool: %s\n" % default
    return text + ("routes:\n" + routes if routes else "")


# --- The text format -----------------------------------------------------------------------


class ExpositionError(AssertionError):
    pass


_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_COMMENT = re.compile(r"# (HELP|TYPE) (%s) (.*)\Z" % _NAME)
_SAMPLE = re.compile(r"(%s)(?:\{(.*)\})? (-?[0-9]+)\Z" % _NAME)
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
_TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def _parse_labels(text, line):
    labels, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            raise ExpositionError("bad label set in %r" % line)
        name = m.group(1)
        if name in labels:
            raise ExpositionError("label %s twice in %r" % (name, line))
        labels[name] = re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), m.group(2))
        pos = m.end()
        if pos < len(text):
            if text[pos] != "," or pos + 1 == len(text):
                raise ExpositionError("bad label separator in %r" % line)
            pos += 1
    return labels


def parse_exposition(text):
    """Parses the Prometheus text format (0.0.4) strictly, for what fulcrum writes: every sample's
    family has its HELP and TYPE (once each) before its first sample, a family's samples are
    together, names and label sets are well formed, values are integers, no timestamps, no
    sample twice, and the text ends with a newline.

    Returns ({family: type}, {family: {frozenset(labels.items()): value}}); raises
    ExpositionError."""
    if not text.endswith("\n"):
        raise ExpositionError("the text does not end with a newline: %r" % text[-80:])
    types, helps, samples = {}, set(), {}
    current = None  # the family whose lines come now
    done = set()  # families whose lines are over
    for line in text[:-1].split("\n"):
        if line == "":
            continue
        if line.startswith("#"):
            m = _COMMENT.match(line)
            if not m:
                continue  # any other comment is allowed
            kind, family, rest = m.groups()
            if family in done or family in samples:
                raise ExpositionError("%s of %s after its samples: %r" % (kind, family, line))
            if current is not None and family != current:
                done.add(current)
            current = family
            if kind == "HELP":
                if family in helps:
                    raise ExpositionError("HELP of %s twice" % family)
                helps.add(family)
            else:
                if family in types:
                    raise ExpositionError("TYPE of %s twice" % family)
                if rest not in _TYPES:
                    raise ExpositionError("unknown type in %r" % line)
                types[family] = rest
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ExpositionError("bad sample line %r" % line)
        name, label_text, value = m.group(1), m.group(2), int(m.group(3))
        if name not in helps or name not in types:
            raise ExpositionError("sample %r without HELP and TYPE before it" % line)
        if name != current:
            raise ExpositionError("sample %r apart from the lines of its family" % line)
        labels = frozenset(_parse_labels(label_text or "", line).items())
        family = samples.setdefault(name, {})
        if labels in family:
            raise ExpositionError("sample %r twice" % line)
        if types[name] == "counter" and value < 0:
            raise ExpositionError("negative counter %r" % line)
        family[labels] = value
    return types, samples


class Metrics:
    """One answer of the metrics route, parsed."""

    def __init__(self, text):
        self.text = text
        self.types, self.samples = parse_exposition(text)

    @staticmethod
    def labels(labels):
        """A sample's labels as given to get(): backend=Backend is short for backend="HOST:PORT",
        and a backend is in pool "web" unless pool= says otherwise."""
        if "backend" in labels:
            if not isinstance(labels["backend"], str):
                labels["backend"] = address(labels["backend"])
            labels.setdefault("pool", "web")
        return labels

    def get(self, name, **labels):
        """The value of a sample; fails the test if there is none."""
        labels = self.labels(labels)
        values = self.samples.get(name, {})
        key = frozenset(labels.items())
        if key not in values:
            raise AssertionError("no sample %s%r in:\n%s" % (name, labels, self.text))
        return values[key]

    def per_backend(self, name):
        """{(pool, backend): value} of a backend family."""
        return {(dict(k)["pool"], dict(k)["backend"]): v for k, v in self.samples.get(name, {}).items()}


class Scraper:
    """Fetches the metrics, on one keep-alive connection or a new connection each time, and counts
    the requests and connections it made: the metrics count them too."""

    def __init__(self, test, port, keep_alive=True, path=METRICS, headers=()):
        self.test, self.port, self.keep_alive = test, port, keep_alive
        self.path, self.headers = path, list(headers)
        self.requests = self.connections = 0
        self._conn = None
        self.last = None

    def fetch(self):
        if self._conn is None:
            self._conn = Connection(self.port)
            self.test.addCleanup(self._conn.close)
            self.connections += 1
        self.requests += 1
        response = self._conn.request("GET", self.path, self.headers)
        if not self.keep_alive:
            self._conn.close()
            self._conn = None
        self.test.assertEqual(response.status, 200, response)
        self.test.assertEqual(response.header("Content-Type"), CONTENT_TYPE, response.headers)
        self.last = Metrics(response.body.decode("utf-8"))
        return self.last

    def wait_for(self, name, value, timeout=20.0, **labels):
        """Fetches until the sample has this value; returns those metrics, or fails the test."""
        labels = Metrics.labels(labels)
        reached = harness.wait_until(lambda: self.fetch().get(name, **labels) == value, timeout, interval=0.05)
        self.test.assertTrue(reached, "%s%r stayed %r, not %r:\n%s" % (name, labels, self.last.get(name, **labels), value, self.last.text))
        return self.last


class MetricsTestCase(harness.TestCase):
    def start_with(self, config_text, extra=(), mode=MODE):
        self.config_path = harness.write_temp_file(config_text)
        return self.start_proxy([], ["-c", self.config_path] + list(extra), mode=mode)

    def scraper(self, proxy, **kwargs):
        return Scraper(self, proxy.port, **kwargs)

    def get(self, conn, target, status=200, headers=()):
        response = conn.request("GET", target, headers)
        self.assertEqual(response.status, status, response)
        return response

    def assertInstance(self, metrics, **expected):
        """connections=, open=, requests=, errors=: the instance's samples."""
        names = {"connections": "fulcrum_connections_total", "open": "fulcrum_connections_open",
                 "requests": "fulcrum_requests_total", "errors": "fulcrum_error_responses_total"}
        got = {k: metrics.get(names[k]) for k in expected}
        self.assertEqual(got, expected, metrics.text)


class ExpositionTest(MetricsTestCase):
    def test_every_metric_is_served_with_a_sample_per_backend_of_every_pool(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        unused = harness.free_port()
        # The same backend in two pools is two samples; a backend is named as configured.
        pools = {"web": [a, b], "api": [a, "localhost:%d" % unused]}
        proxy = self.start_with(config_yaml(pools, default="web"))
        conn = self.connect(proxy)
        response = self.get(conn, METRICS)
        self.assertEqual(response.header("Content-Type"), CONTENT_TYPE)
        self.assertEqual(response.header("Cache-Control"), "no-store")
        self.assertEqual(int(response.header("Content-Length")), len(response.body))
        self.assertFalse(response.has_header("Transfer-Encoding"))
        metrics = Metrics(response.body.decode("utf-8"))
        for family, kind in {**INSTANCE_FAMILIES, **BACKEND_FAMILIES}.items():
            self.assertEqual(metrics.types.get(family), kind, family)
        for family in INSTANCE_FAMILIES:
            self.assertEqual(list(metrics.samples[family]), [frozenset()], family)  # one, unlabelled
        configured = {("web", address(a)), ("web", address(b)), ("api", address(a)), ("api", "localhost:%d" % unused)}
        for family in BACKEND_FAMILIES:
            self.assertEqual(len(metrics.samples[family]), 4, metrics.text)
            self.assertEqual(set(metrics.per_backend(family)), configured, family)
        # Nothing happened yet but this request, on this connection.
        self.assertInstance(metrics, connections=1, open=1, requests=1, errors=0)
        self.assertEqual(set(metrics.per_backend("fulcrum_backend_up").values()), {1})
        for family in ("fulcrum_backend_requests_total", "fulcrum_backend_failures_total", "fulcrum_backend_in_flight"):
            self.assertEqual(set(metrics.per_backend(family).values()), {0}, family)

    def test_the_parser_is_strict(self):
        good = "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"1\",b=\"q\\\"\\\\\\n\"} 3\n"
        types, samples = parse_exposition(good)
        self.assertEqual(types, {"x_total": "counter"})
        self.assertEqual(samples, {"x_total": {frozenset({("a", "1"), ("b", "q\"\\\n")}): 3}})
        for bad in (
            "x 1\n",  # no HELP, no TYPE
            "# TYPE x gauge\nx 1\n",  # no HELP
            "# HELP x X.\n# TYPE x gauge\nx 1",  # no final newline
            "# HELP x X.\n# TYPE x gauge\nx 1.5\n",  # not an integer
            "# HELP x X.\n# TYPE x gauge\nx 1 1700000000\n",  # a timestamp
            "# HELP x X.\n# TYPE x gauge\nx{a=1} 1\n",  # an unquoted label value
            "# HELP x X.\n# TYPE x gauge\nx{a=\"1\",} 1\n",
            "# HELP x X.\n# TYPE x gauge\nx{a=\"1\"} 1\nx{a=\"1\"} 2\n",  # twice
            "# HELP x X.\n# TYPE x gauge\n# HELP y Y.\n# TYPE y gauge\ny 1\nx 1\n",  # x after y started
            "# HELP x X.\n# TYPE x gauge\nx 1\n# HELP x X.\n",
            "# HELP x X.\n# TYPE x meter\nx 1\n",
            "# HELP 1x X.\n# TYPE 1x gauge\n1x 1\n",
        ):
            with self.subTest(text=bad):
                self.assertRaises(ExpositionError, parse_exposition, bad)


class CountsTest(MetricsTestCase):
    def test_requests_and_connections_are_counted_exactly(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        seen_a, seen_b = self.stats_probe(a), self.stats_probe(b)
        proxy = self.start_with(config_yaml({"web": [a, b]}))
        scraper = self.scraper(proxy)
        before = scraper.fetch()
        self.assertInstance(before, connections=1, open=1, requests=1, errors=0)
        # 12 requests over 3 keep-alive connections; round-robin gives each backend 6.
        for c in range(3):
            with Connection(proxy.port) as conn:
                for i in range(4):
                    self.get(conn, "/r/%d/%d" % (c, i))
        after = scraper.fetch()
        self.assertInstance(after, connections=3 + scraper.connections, requests=12 + scraper.requests, errors=0)
        self.assertEqual(after.get("fulcrum_backend_requests_total", backend=a), 6, after.text)
        self.assertEqual(after.get("fulcrum_backend_requests_total", backend=b), 6, after.text)
        # As the backends themselves count.
        self.assertEqual(seen_a.delta()["requests"], 6)
        self.assertEqual(seen_b.delta()["requests"], 6)
        for backend in (a, b):
            self.assertEqual(after.get("fulcrum_backend_failures_total", backend=backend), 0)
            self.assertEqual(after.get("fulcrum_backend_in_flight", backend=backend), 0)

    def test_open_connections_follow_the_clients(self):
        a = self.start_backend(id="a")
        proxy = self.start_with(config_yaml({"web": [a]}))
        scraper = self.scraper(proxy)
        held = [Connection(proxy.port) for _ in range(5)]
        for conn in held:
            self.addCleanup(conn.close)
        self.get(held[0], "/busy")  # open with a request done, or open and silent: both count
        # fulcrum counts a connection when it accepts it, which may come after connect() returns.
        metrics = scraper.wait_for("fulcrum_connections_open", 5 + 1)
        self.assertInstance(metrics, connections=5 + 1)
        for conn in held:
            conn.close()
        metrics = scraper.wait_for("fulcrum_connections_open", 1)
        self.assertInstance(metrics, connections=5 + 1, requests=1 + scraper.requests)

    def test_error_responses_count_fulcrums_own_answers_only(self):
        a = self.start_backend(id="a")
        nobody = harness.free_port()
        routes = METRICS_ROUTE + "  - path_prefix: /gone/\n    pool: gone\n"
        proxy = self.start_with(config_yaml({"web": [a], "gone": [nobody]}, routes=routes, default="web"))
        scraper = self.scraper(proxy)
        # A backend's own errors are relayed, not counted.
        conn = self.connect(proxy)
        self.get(conn, "/status/500", status=500)
        self.get(conn, "/status/404", status=404)
        self.assertInstance(scraper.fetch(), errors=0)
        # A malformed request: fulcrum answers 400 itself.
        bad = self.connect(proxy)
        bad.send(b"GET / HTTP/1.1\r\nHost: h\r\nno colon here\r\n\r\n")
        self.assertErrorResponse(bad.read_response(), 400)
        self.assertInstance(scraper.fetch(), errors=1)
        # A backend that refuses: fulcrum's 502 (503 once it is taken for down).
        response = harness.http_request(proxy.port, "GET", "/gone/x")
        self.assertIn(response.status, (502, 503), response)
        self.assertErrorResponse(response, response.status)
        metrics = scraper.fetch()
        self.assertInstance(metrics, errors=2)
        self.assertGreater(metrics.get("fulcrum_backend_failures_total", pool="gone", backend=address(nobody)), 0)
        self.assertEqual(metrics.get("fulcrum_backend_failures_total", backend=a), 0)  # 500 is no failure status


class BackendStateTest(MetricsTestCase):
    def test_a_backend_that_goes_down_and_comes_back(self):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        # A --health flag keeps the harness from turning the probes off (--no-health-checks).
        proxy = self.start_with(config_yaml({"web": [a, b]}, health=FAST_HEALTH), ["--health-path", "/health"])
        scraper = self.scraper(proxy)
        scraper.wait_for("fulcrum_backend_up", 1, backend=b)  # up from the start, and probed up
        port = b.port
        b.stop()
        metrics = scraper.wait_for("fulcrum_backend_up", 0, backend=address(port))
        self.assertGreater(metrics.get("fulcrum_backend_failures_total", backend=address(port)), 0)
        self.start_backend(id="b", port=port)
        scraper.wait_for("fulcrum_backend_up", 1, backend=address(port))

    def test_in_flight_counts_a_request_while_its_backend_works_on_it(self):
        a = self.start_backend(id="a")
        proxy = self.start_with(config_yaml({"web": [a]}))
        scraper = self.scraper(proxy)
        self.assertEqual(scraper.fetch().get("fulcrum_backend_in_flight", backend=a), 0)
        slow = self.connect(proxy)
        slow.send(build_request("GET", "/delay/2000", host=slow.host_header))
        scraper.wait_for("fulcrum_backend_in_flight", 1, backend=a, timeout=10)
        self.assertEqual(slow.read_response().status, 200)
        metrics = scraper.wait_for("fulcrum_backend_in_flight", 0, backend=a)
        self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=a), 1)


class WorkersTest(MetricsTestCase):
    """The counters live in memory that every worker shares: any worker's answer has the totals of
    all. The sp variants (one per I/O backend) run both models; mp and mt their own."""

    CONNECTIONS = 24  # so that both workers get some (SO_REUSEPORT hashes connections)

    def test_totals_add_up_over_two_workers(self):
        for model in [MODE] if MODE in ("mp", "mt") else ["mp", "mt"]:
            with self.subTest(model=model):
                self.check_totals_over_two_workers(model)

    def check_totals_over_two_workers(self, model):
        a, b = self.start_backend(id="a"), self.start_backend(id="b")
        seen_a, seen_b = self.stats_probe(a), self.stats_probe(b)
        proxy = self.start_with(config_yaml({"web": [a, b]}), ["-w", "2"], mode=model)
        # Two requests on each connection, one at a time.
        for i in range(self.CONNECTIONS):
            with Connection(proxy.port) as conn:
                self.get(conn, "/%d/1" % i)
                self.get(conn, "/%d/2" % i)
        total = 2 * self.CONNECTIONS
        to_a, to_b = seen_a.delta(), seen_b.delta()
        self.assertEqual(to_a["requests"] + to_b["requests"], total)
        # Each worker keeps its own connections to the backends, and requests one at a time reuse
        # them: one worker alone would have opened one to each backend, two open three or four.
        self.assertGreater(to_a["connections"] + to_b["connections"], 2, "one worker served every connection")
        # Each answer on a connection of its own, to whichever worker the kernel hands it: since
        # both served, one that counted its own traffic only would fall short of the totals.
        scraper = self.scraper(proxy, keep_alive=False)
        for _ in range(16):
            metrics = scraper.fetch()
            self.assertInstance(metrics, connections=self.CONNECTIONS + scraper.connections, requests=total + scraper.requests, errors=0)
            self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=a), to_a["requests"], metrics.text)
            self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=b), to_b["requests"], metrics.text)
        # The gauge too, as connections come and go on either worker.
        held = [Connection(proxy.port) for _ in range(8)]
        for conn in held:
            self.addCleanup(conn.close)
            self.get(conn, "/held")
        scraper.wait_for("fulcrum_connections_open", 8 + 1)
        for conn in held:
            conn.close()
        scraper.wait_for("fulcrum_connections_open", 1)


class ProtocolTest(MetricsTestCase):
    def setUp(self):
        self.backend = self.start_backend(id="a")
        self.proxy = self.start_with(config_yaml({"web": [self.backend]}))

    def test_get_keeps_the_connection_and_head_has_the_same_head_without_a_body(self):
        conn = self.connect(self.proxy)
        first = self.get(conn, METRICS)
        second = self.get(conn, METRICS)  # the same connection: kept alive
        self.assertNotIn("close", first.connection_tokens())
        self.assertEqual(Metrics(second.body.decode()).get("fulcrum_requests_total"), 2)
        head = conn.request("HEAD", METRICS)
        self.assertEqual(head.status, 200, head)
        # A body after the HEAD's head would be taken for the next response's start.
        after = self.get(conn, METRICS)
        self.assertEqual(head.body, b"")
        for name in ("Content-Type", "Cache-Control", "Connection", "Transfer-Encoding"):
            self.assertEqual(head.header(name), after.header(name), name)
        # The GET after it has one request more in fulcrum_requests_total (4 against 3): the
        # rest of the body is the same.
        requests = Metrics(after.body.decode()).get("fulcrum_requests_total")
        self.assertEqual(requests, 4)
        self.assertEqual(int(head.header("Content-Length")), len(after.body) - len(str(requests)) + len(str(requests - 1)))

    def test_other_methods_get_405_and_the_connection_closes(self):
        for method, body in (("POST", b"a=1"), ("DELETE", None), ("OPTIONS", None)):
            with self.subTest(method=method):
                conn = self.connect(self.proxy)
                response = conn.request(method, METRICS, body=body)
                self.assertErrorResponse(response, 405)
                self.assertEqual(response.header("Allow"), "GET, HEAD")
                self.assertClosedWithin(conn, 10)
        # fulcrum's own error answers: counted as such.
        metrics = self.scraper(self.proxy).fetch()
        self.assertInstance(metrics, errors=3, requests=4)
        self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=self.backend), 0)

    def test_http10_and_a_request_with_a_body_are_answered_then_closed(self):
        for version, headers, body in (
            ("HTTP/1.0", [], None),
            ("HTTP/1.0", [("Connection", "keep-alive")], None),  # not kept all the same
            ("HTTP/1.1", [], b"hello"),  # the body is not read
        ):
            with self.subTest(version=version, headers=headers, body=body):
                conn = self.connect(self.proxy)
                response = conn.request("GET", METRICS, headers, body, version)
                self.assertEqual(response.status, 200, response)
                self.assertEqual(int(response.header("Content-Length")), len(response.body))
                Metrics(response.body.decode())
                self.assertIn("close", response.connection_tokens())
                self.assertClosedWithin(conn, 10)
                self.assertEqual(conn.pending(), b"")  # a body taken for a request would get a 400


class RoutingTest(MetricsTestCase):
    def test_the_routes_conditions_guard_it(self):
        a = self.start_backend(id="a")
        routes = "  - path_prefix: %s\n    header: {name: X-Metrics-Token, value: s3cret}\n    metrics: true\n" % METRICS
        proxy = self.start_with(config_yaml({"web": [a]}, routes=routes))
        token = [("X-Metrics-Token", "s3cret")]
        conn = self.connect(proxy)
        for target, headers, metrics in (
            (METRICS, token, True),
            (METRICS + "/sub?x=1", token, True),  # a prefix
            (METRICS, [], False),  # no token
            (METRICS, [("X-Metrics-Token", "guess")], False),
            ("/fulcrum/metric", token, False),  # another path
            ("/", token, False),
        ):
            with self.subTest(target=target, headers=headers):
                response = self.get(conn, target, headers=headers)
                if metrics:
                    self.assertEqual(response.header("Content-Type"), CONTENT_TYPE)
                    Metrics(response.body.decode())
                else:
                    self.assertNotEqual(response.header("Content-Type"), CONTENT_TYPE, "answered with the metrics")
                    self.assertEqual(response.json()["server"], "a")
                    self.assertEqual(response.json()["uri"], target)
        self.assertEqual(self.scraper(proxy, headers=token).fetch().get("fulcrum_backend_requests_total", backend=a), 4)


class ReloadTest(MetricsTestCase):
    def reload(self, proxy, text):
        with open(self.config_path, "w") as f:
            f.write(text)
        self.reloads += 1
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: proxy.output().count("reloaded:") >= self.reloads, timeout=15), proxy.output())

    def test_a_reload_adds_and_removes_the_route_and_the_counts_go_on(self):
        a = self.start_backend(id="a")
        without, with_route = config_yaml({"web": [a]}, routes=""), config_yaml({"web": [a]})
        proxy = self.start_with(without, ["-l", "info"])
        self.reloads = 0
        sent = 0  # requests, each on a connection of its own

        def get(target):
            nonlocal sent
            sent += 1
            return harness.http_request(proxy.port, "GET", target)

        self.assertEqual(get(METRICS).json()["server"], "a")  # no route yet: the pool's
        self.reload(proxy, with_route)
        metrics = Metrics(get(METRICS).body.decode())
        self.assertInstance(metrics, connections=sent, requests=sent)
        self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=a), 1)
        self.reload(proxy, without)
        self.assertEqual(get(METRICS).json()["server"], "a")
        self.reload(proxy, with_route)
        metrics = Metrics(get(METRICS).body.decode())
        self.assertInstance(metrics, connections=sent, requests=sent, errors=0)
        self.assertEqual(metrics.get("fulcrum_backend_requests_total", backend=a), 2)


class ConfigurationErrorTest(MetricsTestCase):
    def check_error(self, routes, line_col, message):
        path = harness.write_temp_file(config_yaml({"web": ["%s:9" % HOST]}, routes=routes))
        result = harness.run_fulcrum(["--check", "-c", path])
        self.assertEqual(result.returncode, 1, result)
        self.assertEqual(result.stderr.decode().splitlines(), ["%s:%s: %s" % (path, line_col, message), "fulcrum: %s: 1 error" % path])

    def test_metrics_and_a_pool_together(self):
        self.check_error("  - path_prefix: /m\n    pool: web\n    metrics: true\n", "9:14",
                         "routes[0].metrics: a route sends its requests to a pool or answers them with the metrics, not both")

    def test_metrics_false_without_a_pool(self):
        self.check_error("  - path_prefix: /m\n    metrics: false\n", "8:14",
                         "routes[0].metrics: false; a route needs the pool to send its requests to (or metrics: true)")

    def test_metrics_is_true_or_false(self):
        self.check_error("  - path_prefix: /m\n    metrics: yes\n", "8:14", "routes[0].metrics: 'yes' is not true or false")

    def test_neither_metrics_nor_a_pool(self):
        self.check_error("  - path_prefix: /m\n", "7:5",
                         "routes[0].pool: missing; a route needs the pool to send its requests to (or metrics: true)")

    def test_a_valid_metrics_route(self):
        path = harness.write_temp_file(config_yaml({"web": ["%s:9" % HOST]}))
        result = harness.run_fulcrum(["--check", "-c", path])
        self.assertEqual(result.returncode, 0, result.stderr)


if __name__ == "__main__":
    import unittest
    unittest.main()
