"""Protocol upgrades (WebSocket): an HTTP/1.1 upgrade request without a body goes to the backend
with its Upgrade field, and a 101 turns both connections into a tunnel that carries bytes each
way unchanged, passes a FIN on as a FIN, and ends on its own timeout or at the drain's end."""

import asyncio
import os
import queue
import signal
import socket
import threading
import time

import harness
from harness import HOST, IO_TIMEOUT, MiB, build_request

try:
    import websockets
except ImportError:
    websockets = None

KEY, ACCEPT = "dGhlIHNhbXBsZSBub25jZQ==", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3's pair
SWITCHING = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\n\r\n" % ACCEPT).encode()


def upgrade_request(connection="Upgrade", extra=(), version="HTTP/1.1", body=None):
    headers = [("Connection", connection), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", KEY),
               ("Sec-WebSocket-Version", "13")]
    return build_request("GET", "/chat", headers + list(extra), body, version, host="h")


def answer(status_line, body):
    return b"%s\r\nContent-Length: %d\r\n\r\n%s" % (status_line, len(body), body)


class TunnelBackend:
    """A ScriptedBackend handler that answers a request carrying Upgrade with `first` (a 101, and
    `after_101` in the same send) and hands its connection to the test (tunnels.get()), and any
    other request with 200 and its target, keep-alive."""

    def __init__(self, after_101=b"", first=None):
        self.first = first or SWITCHING + after_101
        self.tunnels = queue.Queue()
        self.done = threading.Event()

    def __call__(self, conn):
        while (request := conn.next_request()) is not None:
            if request.has_header("Upgrade"):
                conn.send(self.first)
                if self.first.startswith(b"HTTP/1.1 101"):
                    self.tunnels.put(conn)
                    self.done.wait(120)  # the test owns the connection now
                    return
            else:
                conn.send(answer(b"HTTP/1.1 200 OK", request.target.encode()))


class UpgradeTestCase(harness.TestCase):
    def start(self, handler, extra_args=()):
        backend = self.start_scripted_backend(handler)
        proxy = self.start_proxy([backend], extra_args)
        # Before fulcrum stops (cleanups run last in, first out): a tunnel left open would hold
        # its drain for the whole drain timeout.
        self.addCleanup(handler.done.set)
        return backend, proxy

    def open_tunnel(self, extra_args=(), handler=None, early=b""):
        """(proxy, backend, client side, backend side) of a tunnel through a new fulcrum."""
        handler = handler or TunnelBackend()
        backend, proxy = self.start(handler, extra_args)
        client = self.connect(proxy)
        client.send(upgrade_request() + early)
        response = client.read_response()
        self.assertEqual(response.status, 101, response)
        return proxy, backend, client, handler.tunnels.get(timeout=IO_TIMEOUT)

    def assertCarries(self, sender, receiver, data):
        self.assertTrue(sender.send(data), "the sender's connection was closed")
        self.assertEqual(receiver.read_exact(len(data)), data)

    def assertOpenBothWays(self, client, server):
        self.assertCarries(client, server, b"up")
        self.assertCarries(server, client, b"down")


class UpgradeForwardingTest(UpgradeTestCase):
    def test_the_request_goes_up_with_upgrade_and_only_connection_upgrade(self):
        backend, proxy = self.start(TunnelBackend())
        client = self.connect(proxy)
        client.send(upgrade_request("keep-alive, Upgrade, X-Foo", [("X-Foo", "1")]))
        self.assertTrue(backend.wait_for_requests(1))
        seen = backend.requests[0]
        self.assertEqual(seen.header_values("Upgrade"), ["websocket"], seen.raw_head)
        self.assertEqual(seen.connection_tokens(), {"upgrade"}, seen.raw_head)
        self.assertFalse(seen.has_header("X-Foo"), seen.raw_head)
        self.assertEqual((seen.header("Sec-WebSocket-Key"), seen.header("Sec-WebSocket-Version")), (KEY, "13"))
        self.assertEqual(seen.header("X-Forwarded-For"), "127.0.0.1")

    def test_the_101_reaches_the_client_with_the_backends_fields(self):
        backend, proxy = self.start(TunnelBackend())
        client = self.connect(proxy)
        client.send(upgrade_request())
        response = client.read_response()
        self.assertEqual(response.status, 101, response)
        self.assertEqual(response.header("Upgrade"), "websocket")
        self.assertEqual(response.header("Sec-WebSocket-Accept"), ACCEPT)
        self.assertEqual(response.connection_tokens(), {"upgrade"}, response.headers)

    def test_bytes_sent_with_the_heads_go_through(self):
        # Sent in the same packet as the request head, before any 101: fulcrum must hold them
        # for the backend, not read them as a next request.
        handler = TunnelBackend(after_101=b"backend-first")
        _, _, client, server = self.open_tunnel(handler=handler, early=b"client-first")
        self.assertEqual(client.read_exact(13), b"backend-first")
        self.assertEqual(server.read_exact(12), b"client-first")
        self.assertOpenBothWays(client, server)

    def test_the_client_closing_its_side_leaves_the_other_direction_open(self):
        _, backend, client, server = self.open_tunnel()
        self.assertCarries(client, server, b"last words")
        client.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(server.read_until_close(timeout=IO_TIMEOUT), b"")
        self.assertCarries(server, client, b"still answering")
        server.sock.shutdown(socket.SHUT_WR)
        self.assertClosedWithin(client, IO_TIMEOUT)
        self.assertFalse(client.was_reset)
        # Neither connection is reused: the next client gets a new backend connection.
        self.assertEqual(harness.http_request(client.port, "GET", "/next").body, b"/next")
        self.assertEqual(backend.connections, 2)

    def test_the_backend_closing_its_side_leaves_the_other_direction_open(self):
        _, _, client, server = self.open_tunnel()
        server.sock.shutdown(socket.SHUT_WR)
        self.assertClosedWithin(client, IO_TIMEOUT, "the backend's FIN was not passed on")
        self.assertCarries(client, server, b"still talking")
        client.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(server.read_until_close(timeout=IO_TIMEOUT), b"")

    def test_a_backend_reset_closes_the_client(self):
        _, _, client, server = self.open_tunnel()
        self.assertOpenBothWays(client, server)
        server.reset()
        self.assertClosedWithin(client, IO_TIMEOUT)

    def test_a_client_reset_closes_the_backend(self):
        _, _, client, server = self.open_tunnel()
        self.assertOpenBothWays(client, server)
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.close()
        self.assertTrue(server.closed_within(IO_TIMEOUT), "the backend connection outlived the client")

    def test_a_101_to_a_request_not_forwarded_as_an_upgrade_is_a_502(self):
        backend = self.start_scripted_backend(harness.respond(SWITCHING))
        proxy = self.start_proxy([backend])
        for name, request in (
            ("no Upgrade", build_request("GET", "/", [("Connection", "upgrade")], host="h")),
            ("no Connection: upgrade", build_request("GET", "/", [("Upgrade", "websocket")], host="h")),
            ("a body", upgrade_request(body=b"hello")),
        ):
            with self.subTest(name):
                with harness.Connection(proxy.port) as client:
                    client.send(request)
                    self.assertErrorResponse(client.read_response(), 502)

    def test_an_upgrade_request_with_a_body_is_forwarded_without_upgrade(self):
        handler = TunnelBackend()
        backend, proxy = self.start(handler)
        client = self.connect(proxy)
        bodies = ((upgrade_request(body=b"hello"), b"hello"),
                  (upgrade_request(extra=[("Transfer-Encoding", "chunked")]) + harness.chunked_body([b"hello"]), b"hello"))
        for i, (request, body) in enumerate(bodies):
            client.send(request)
            response = client.read_response()
            self.assertEqual((response.status, response.body), (200, b"/chat"), response)
            seen = backend.requests[i]
            self.assertFalse(seen.has_header("Upgrade"), seen.raw_head)
            self.assertNotIn("upgrade", seen.connection_tokens(), seen.raw_head)
            self.assertEqual(seen.body, body)

    def test_an_http10_upgrade_request_is_forwarded_without_upgrade(self):
        backend, proxy = self.start(TunnelBackend())
        client = self.connect(proxy)
        client.send(upgrade_request("Upgrade, keep-alive", version="HTTP/1.0"))
        response = client.read_response()
        self.assertEqual((response.status, response.body), (200, b"/chat"), response)
        seen = backend.requests[0]
        self.assertFalse(seen.has_header("Upgrade"), seen.raw_head)
        self.assertNotIn("upgrade", seen.connection_tokens(), seen.raw_head)

    def test_an_upgrade_refused_is_an_ordinary_response(self):
        for first in (answer(b"HTTP/1.1 426 Upgrade Required", b"use v13"), answer(b"HTTP/1.1 200 OK", b"plain")):
            with self.subTest(first.split(b"\r\n")[0]):
                handler = TunnelBackend(first=first)
                backend, proxy = self.start(handler)
                client = self.connect(proxy)
                client.send(upgrade_request())
                response = client.read_response()
                self.assertEqual(response.body, first.rsplit(b"\r\n", 1)[1])
                self.assertNotIn("close", response.connection_tokens())
                self.assertEqual(backend.requests[0].header("Upgrade"), "websocket")
                self.assertEqual(client.request("GET", "/second").body, b"/second")


class TunnelTimeoutTest(UpgradeTestCase):
    # Shorter than the tunnel timeout, to show that the tunnel has a timeout of its own.
    ARGS = ["--tunnel-timeout", "2s", "--client-idle-timeout", "1s", "--backend-timeout", "1s"]

    def test_a_silent_tunnel_is_closed_after_the_tunnel_timeout(self):
        _, _, client, server = self.open_tunnel(self.ARGS)
        started = time.monotonic()
        self.assertClosedWithin(client, 20)
        self.assertGreaterEqual(time.monotonic() - started, 1.5, "closed before the tunnel timeout")
        self.assertTrue(server.closed_within(10), "the backend side stayed open")

    def keeps_open_while(self, sending):
        _, _, client, server = self.open_tunnel(self.ARGS)
        sender, receiver = (client, server) if sending == "up" else (server, client)
        sent = 0
        # 5 s of a byte every 200 ms: more than twice the tunnel timeout, and never near it.
        until = time.monotonic() + 5
        while time.monotonic() < until:
            self.assertTrue(sender.send(b"x"), "closed after %d bytes" % sent)
            sent += 1
            time.sleep(0.2)
        self.assertEqual(receiver.read_exact(sent), b"x" * sent)
        self.assertOpenBothWays(client, server)

    def test_bytes_going_up_alone_keep_a_tunnel_open(self):
        self.keeps_open_while("up")

    def test_bytes_going_down_alone_keep_a_tunnel_open(self):
        self.keeps_open_while("down")


class TunnelDrainTest(UpgradeTestCase):
    def test_a_reload_leaves_a_tunnel_open(self):
        # A reload puts the new configuration in force in place and closes no connection
        # (docs/configuration.md), so not even after the drain timeout.
        handler = TunnelBackend()
        backend = self.start_scripted_backend(handler)
        config = ('pools:\n  web:\n    backends: ["%s"]\n    health: {enabled: false}\n'
                  'timeouts: {drain: 1s}\n' % backend.address)
        path = harness.write_temp_file(config)
        proxy = self.start_proxy([], ["-c", path, "-l", "info"])
        self.addCleanup(handler.done.set)
        client = self.connect(proxy)
        client.send(upgrade_request())
        self.assertEqual(client.read_response().status, 101)
        server = handler.tunnels.get(timeout=IO_TIMEOUT)
        proxy.send_signal(signal.SIGHUP)
        self.assertTrue(harness.wait_until(lambda: "reloaded:" in proxy.output(), timeout=15), proxy.output())
        self.assertOpenBothWays(client, server)
        self.assertFalse(client.closed_within(3), "closed after the reload")
        self.assertOpenBothWays(client, server)

    def test_a_graceful_stop_keeps_a_tunnel_until_the_drain_timeout(self):
        proxy, _, client, server = self.open_tunnel(["--drain-timeout", "3s"])
        started = time.monotonic()
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        self.assertOpenBothWays(client, server)
        self.assertClosedWithin(client, 20)
        self.assertGreaterEqual(time.monotonic() - started, 2.5, "closed before the drain timeout")
        self.assertTrue(server.closed_within(10), "the backend side stayed open")
        self.assertIsNotNone(proxy.wait(15), "still running after the drain timeout")

    def test_a_graceful_stop_ends_with_the_last_tunnel(self):
        proxy, _, client, server = self.open_tunnel(["--drain-timeout", "60s"])
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        client.sock.shutdown(socket.SHUT_WR)
        self.assertEqual(server.read_until_close(timeout=IO_TIMEOUT), b"")
        server.close()
        self.assertClosedWithin(client, IO_TIMEOUT)
        self.assertEqual(proxy.wait(15), 0, "still draining after its only tunnel ended")

    def test_a_draining_proxy_forwards_an_upgrade_request_without_upgrade(self):
        # On a keep-alive connection that was idle when the drain began: a tunnel opened now
        # would be cut at the drain's end, so the request goes as a plain one, and the
        # connection closes after its answer.
        backend, proxy = self.start(TunnelBackend(), ["--drain-timeout", "60s"])
        client = self.connect(proxy)
        self.assertEqual(client.request("GET", "/first").body, b"/first")
        proxy.send_signal(signal.SIGTERM)
        self.assertTrue(harness.wait_until(lambda: refuses_connections(proxy.port), timeout=10), "still accepting after SIGTERM")
        client.send(upgrade_request())
        response = client.read_response()
        self.assertEqual((response.status, response.body), (200, b"/chat"), response)
        self.assertIn("close", response.connection_tokens())
        seen = backend.requests[1]
        self.assertFalse(seen.has_header("Upgrade"), seen.raw_head)
        self.assertNotIn("upgrade", seen.connection_tokens(), seen.raw_head)
        self.assertClosedWithin(client, IO_TIMEOUT)
        self.assertEqual(proxy.wait(15), 0, "still draining after its only connection ended")

    def test_sigquit_closes_a_tunnel_at_once(self):
        proxy, _, client, server = self.open_tunnel(["--drain-timeout", "60s"])
        proxy.send_signal(signal.SIGQUIT)
        self.assertEqual(proxy.wait(15), 0, proxy.output())
        self.assertClosedWithin(client, 5)
        self.assertTrue(server.closed_within(5), "the backend side stayed open")


def refuses_connections(port):
    try:
        socket.create_connection((HOST, port), timeout=2).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True


# --- A real WebSocket client and server ------------------------------------------------------


class EchoServer:
    """A websockets server on its own event loop thread: echoes every message, records each
    handshake's headers and each close it saw, and closes (1000) when told "close, please"."""

    def __init__(self):
        self.port = harness.free_port()
        self.handshakes = []
        self.closes = []
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        if not ready.wait(IO_TIMEOUT):
            raise RuntimeError("the websockets server did not start")

    @property
    def address(self):
        return "%s:%d" % (HOST, self.port)

    async def _echo(self, ws):
        self.handshakes.append(ws.request_headers)
        try:
            async for message in ws:
                if message == "close, please":
                    await ws.close(1000, "server done")
                    break
                await ws.send(message)
        except websockets.ConnectionClosed:
            pass
        await ws.wait_closed()  # close_code is None until the TCP connection has closed
        self.closes.append((ws.close_code, ws.close_reason))

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = websockets.serve(self._echo, HOST, self.port, max_size=8 * MiB, ping_interval=None)
        self.server = self.loop.run_until_complete(server)
        ready.set()
        self.loop.run_forever()

    def stop(self):
        async def shut():
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), self.loop).result(IO_TIMEOUT)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(IO_TIMEOUT)


class WebSocketTest(harness.TestCase):
    def setUp(self):
        self.assertIsNotNone(websockets, "python3-websockets is missing (scripts/install-deps.sh installs it for /usr/bin/python3)")
        self.server = EchoServer()
        self.addCleanup(self.server.stop)
        self.proxy = self.start_proxy([self.server.address])

    def session(self, body):
        """Runs body(ws) with a websockets client connected through fulcrum."""

        async def run():
            uri = "ws://%s:%d/chat" % (HOST, self.proxy.port)
            async with websockets.connect(uri, max_size=8 * MiB, ping_interval=None, open_timeout=IO_TIMEOUT) as ws:
                return await asyncio.wait_for(body(ws), 60)

        return asyncio.run(run())

    def test_messages_go_both_ways_in_order(self):
        big = os.urandom(4 * MiB)

        async def body(ws):
            await ws.send("text é")
            self.assertEqual(await ws.recv(), "text é")
            await ws.send(b"\x00\xffbinary")
            self.assertEqual(await ws.recv(), b"\x00\xffbinary")
            for i in range(1000):
                await ws.send("m%d" % i)
            self.assertEqual([await ws.recv() for _ in range(1000)], ["m%d" % i for i in range(1000)])
            await ws.send(big)
            self.assertTrue(await ws.recv() == big, "the 4 MiB message came back changed")
            await asyncio.wait_for(await ws.ping(b"are you there"), IO_TIMEOUT)
            await ws.close(4001, "client done")
            return ws.close_code, ws.close_reason

        self.assertEqual(self.session(body), (4001, "client done"))  # as the server echoed it
        self.assertTrue(harness.wait_until(lambda: self.server.closes, timeout=IO_TIMEOUT))
        self.assertEqual(self.server.closes, [(4001, "client done")])
        self.assertEqual(self.server.handshakes[0]["X-Forwarded-For"], "127.0.0.1")

    def test_the_server_closing_is_seen_by_the_client(self):
        async def body(ws):
            await ws.send("close, please")
            with self.assertRaises(websockets.ConnectionClosedOK):
                await ws.recv()
            await ws.wait_closed()
            return ws.close_code, ws.close_reason

        self.assertEqual(self.session(body), (1000, "server done"))
        self.assertTrue(harness.wait_until(lambda: self.server.closes, timeout=IO_TIMEOUT))
        self.assertEqual(self.server.closes, [(1000, "server done")])


if __name__ == "__main__":
    import unittest

    unittest.main()
