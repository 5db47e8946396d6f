#!/usr/bin/env python3
"""Drives `fitchat chat` through a pseudo-terminal (stdlib pty only), as a person would.

usage: chat_pty.py FITCHAT MODEL

Scenarios (each prints "ok NAME" or "FAIL NAME: why"; the last line is "@@pty PASSED FAILED"):
  banner         the banner shows the plan in one line, then the prompt
  greedy_reply   a fixed question gets a non-empty greedy reply and the prompt comes back
  reset_same     after /reset the same question gets the same reply
  overflow       a conversation in -c 128 keeps working and prints the dropped-turns notice
  ctrl_c         Ctrl-C during a long reply returns to the prompt, and the chat goes on
  multiline      three double quotes open and close a message of several lines (/save shows it)
  ctrl_d         Ctrl-D at the prompt exits with status 0
  utf8           everything the program wrote is valid UTF-8
"""
import json
import os
import pty
import select
import sys
import time

FITCHAT, MODEL = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
TIMEOUT = 120  # seconds per wait; the machine may be shared and slow
PROMPT = b"\r\n> "
results = []


class Chat:
    def __init__(self, *flags):
        env = dict(os.environ, TERM="xterm", NO_COLOR="1")
        env.pop("FITCHAT_GPU", None)
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.chdir("/")  # no modelconf.json from the test's folder
            os.execve(FITCHAT, [FITCHAT, "chat", "-m", MODEL, "--temp", "0", "-t", "1", *flags], env)
        self.buf = b""   # not consumed yet
        self.all = b""   # everything read
        self.status = None

    def _read(self, deadline):
        r, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.time()))
        if not r:
            return False
        try:
            d = os.read(self.fd, 4096)
        except OSError:
            d = b""
        if not d:
            raise EOFError("fitchat closed the terminal")
        self.buf += d
        self.all += d
        return True

    def until(self, pat, timeout=TIMEOUT):
        """Everything up to and including pat (consumed)."""
        deadline = time.time() + timeout
        while pat not in self.buf:
            if not self._read(deadline):
                raise TimeoutError("no %r within %ds; last output %r" % (pat, timeout, self.buf[-300:]))
        i = self.buf.index(pat) + len(pat)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def some(self, n, timeout=TIMEOUT):
        """Waits until at least n unconsumed bytes arrived."""
        deadline = time.time() + timeout
        while len(self.buf) < n:
            if not self._read(deadline):
                raise TimeoutError("no output within %ds" % timeout)

    def send(self, data):
        # The prompt is printed just before libedit switches the terminal to raw mode: typing
        # at once can race with that switch (the terminal echoes the line once more, and a
        # Ctrl-D in cooked mode is lost), which a person never does.
        time.sleep(0.3)
        os.write(self.fd, data)

    def ask(self, text):
        """Sends a line and returns the reply: the output between the echoed line and the next prompt."""
        self.send(text.encode() + b"\r")
        body = self.until(PROMPT)[:-len(PROMPT)]
        while True:
            nl = body.find(b"\n")
            if nl < 0 or not body[:nl].rstrip(b"\r").endswith(text.encode()):
                return body
            body = body[nl + 1:]

    def wait(self, timeout=TIMEOUT):
        deadline = time.time() + timeout
        while time.time() < deadline:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(st)
                return self.status
            try:
                self._read(time.time() + 0.1)
            except EOFError:
                pass
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        raise TimeoutError("fitchat did not exit; last output %r" % self.all[-300:])

    def close(self):
        if self.status is None:
            try:
                os.kill(self.pid, 9)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
        os.close(self.fd)


def check(name, fn):
    try:
        fn()
        print("ok   " + name)
        results.append(True)
    except Exception as e:  # a failed scenario must not stop the others
        print("FAIL %s: %s" % (name, e))
        results.append(False)
    sys.stdout.flush()


outputs = []
QUESTION = "What is the capital of France?"


def scenario_main():
    c = Chat("-n", "24", "-c", "1024")
    try:
        first = {}

        def banner():
            b = c.until(PROMPT)
            assert b"layers on" in b and b" ctx, " in b, "no plan line in the banner: %r" % b

        def greedy():
            r = c.ask(QUESTION)
            assert r.strip(), "empty reply"
            first["r"] = r

        def reset_same():
            assert "r" in first, "no first reply"
            c.ask("Tell me a joke.")
            note = c.ask("/reset")
            assert b"cleared" in note, "no /reset notice: %r" % note
            again = c.ask(QUESTION)
            assert again == first["r"], "after /reset %r != %r" % (again, first["r"])

        def multiline():
            c.send(b'"""\r')
            c.until(b"... ")
            c.send(b"Say hi\r")
            c.until(b"... ")
            c.send(b'in two words."""\r')
            c.until(PROMPT)  # one reply, then the prompt
            path = "/tmp/fitchat-pty-%d.json" % os.getpid()
            note = c.ask("/save " + path)
            assert b"saved" in note, "no /save notice: %r" % note
            try:
                with open(path) as f:
                    msgs = json.load(f)["messages"]
            finally:
                os.unlink(path)
            users = [m["content"] for m in msgs if m["role"] == "user"]
            assert users[-1] == "Say hi\nin two words.", "last user message %r" % users[-1:]
            assert msgs[-1]["role"] == "assistant" and msgs[-1]["content"], "no reply: %r" % msgs[-1:]

        def ctrl_d():
            c.send(b"\x04")
            st = c.wait()
            assert st == 0, "exit status %s" % st

        check("banner", banner)
        check("greedy_reply", greedy)
        check("reset_same", reset_same)
        check("multiline", multiline)
        check("ctrl_d", ctrl_d)
    finally:
        outputs.append(c.all)
        c.close()


def scenario_overflow():
    c = Chat("-n", "24", "-c", "128")
    try:
        c.until(PROMPT)
        seen = b""
        for i in range(6):
            r = c.ask("Tell me something about the sea, part %d." % (i + 1))
            seen += r
            assert b"error" not in r.lower(), "turn %d: %r" % (i + 1, r)
        assert b"dropped the" in seen, "no overflow notice in %r" % seen[-500:]
        c.send(b"\x04")
        assert c.wait() == 0
    finally:
        outputs.append(c.all)
        c.close()


def scenario_ctrl_c():
    c = Chat("-n", "2000", "-c", "4096")
    try:
        c.until(PROMPT)
        c.send(b"Write a very long story about a dragon who learns to fly, with many chapters.\r")
        c.until(b"\n")      # the echoed line
        c.some(20)          # the reply is streaming
        t0 = time.time()
        c.send(b"\x03")
        out = c.until(PROMPT, timeout=30)
        assert b"(stopped)" in out, "no (stopped) notice: %r" % out[-200:]
        assert time.time() - t0 < 30
        # Ctrl-C pressed twice to stop a reply: the second one is a hint, not an exit.
        c.send(b"\x03")
        hint = c.until(PROMPT)
        assert b"Ctrl-C again" in hint, "no hint after a second Ctrl-C: %r" % hint[-200:]
        r = c.ask("Say hi.")
        assert r.strip(), "no reply after Ctrl-C"
        c.send(b"/stats\r")
        stats = c.until(PROMPT)
        assert b"tokens/s" in stats and b"matches the plan to the byte" in stats, "bad /stats: %r" % stats
        c.send(b"\x03")
        c.until(PROMPT)  # a Ctrl-C after a line: a hint, not an exit
        c.send(b"\x03")
        assert c.wait() == 0
    finally:
        outputs.append(c.all)
        c.close()


check("overflow", scenario_overflow)
scenario_main()
check("ctrl_c", scenario_ctrl_c)


def utf8():
    for o in outputs:
        o.decode("utf-8")  # strict: raises on any invalid byte


check("utf8", utf8)
print("@@pty %d %d" % (results.count(True), results.count(False)))
