"""A real SMTP server (aiosmtpd) on loopback, for the tests of what the app sends."""

from __future__ import annotations

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


class SmtpSink:
    """aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages = []
        self.refuse = set()  # addresses to refuse with 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on a loopback port that can be stopped ("server down")
    and started again on the same port; `.sink.messages` holds what arrived."""

    def __init__(self):
        self.sink = SmtpSink()
        self.port = free_port()
        self._controller = None

    def start(self):
        """Listen (again) on the server's port."""
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self):
        """Stop listening: the app now finds the server down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
