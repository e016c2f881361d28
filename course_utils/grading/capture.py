"""What the grader keeps of a kernel's output: bounded, whatever the kernel sends.

:class:`Drain` empties the pipe the kernel's own stdout and stderr go to,
keeping the first bytes and counting the rest; the client classes of
:func:`client_classes` accept no message over the size limit (a zmq socket
option) and keep at most a set number of bytes of each cell's outputs, so
that the grader's memory does not grow with what a submission prints.
Used by :mod:`.kernel`.
"""

from __future__ import annotations

import json
import os
import threading

TRUNCATED = "[the grader dropped the rest of this cell's output: over {} bytes]"


class Drain(threading.Thread):
    """Read a pipe to its end, keep the first ``keep`` bytes, count the rest."""

    def __init__(self, fd: int, keep: int):
        super().__init__(daemon=True)
        self.fd, self.keep, self.head, self.total = fd, keep, bytearray(), 0

    def run(self) -> None:
        while True:
            try:
                block = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not block:
                break
            self.total += len(block)
            if len(self.head) < self.keep:
                self.head += block[: self.keep - len(self.head)]
        os.close(self.fd)


def client_classes():
    from jupyter_client import AsyncKernelManager
    from nbclient import NotebookClient

    class CappedManager(AsyncKernelManager):
        def client(self, **kwargs):
            kwargs.setdefault("context", self.context)   # the context whose sockets refuse huge messages
            return super().client(**kwargs)

    class CappedClient(NotebookClient):
        """A NotebookClient that keeps at most ``cell_cap`` bytes of each cell's outputs and ``total_cap`` in all."""

        cell_cap = 2 << 20
        total_cap = 24 << 20

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.sizes: dict[int, int] = {}
            self.truncated: set[int] = set()

        def _too_big(self, msg, cell_index) -> bool:
            size = len(json.dumps(msg.get("content", {}), default=str))
            used = self.sizes.get(cell_index, 0)
            if cell_index in self.truncated or used + size > self.cell_cap or \
                    sum(self.sizes.values()) + size > self.total_cap:
                return True
            self.sizes[cell_index] = used + size
            return False

        def output(self, outs, msg, display_id, cell_index):
            if self._too_big(msg, cell_index):
                if cell_index not in self.truncated:
                    self.truncated.add(cell_index)
                    import nbformat

                    outs.append(nbformat.v4.new_output("stream", name="stderr",
                                                       text=TRUNCATED.format(self.cell_cap) + "\n"))
                return None
            return super().output(outs, msg, display_id, cell_index)

        def handle_comm_msg(self, outs, msg, cell_index):
            return None    # widgets' state is not kept: it could be any size

    return CappedManager, CappedClient
