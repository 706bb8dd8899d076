#!/usr/bin/env python3
"""Runs a command with its stderr on a pseudo-terminal (stdin and stdout not), and prints
what the terminal received. Used by the tests of connbench's progress line, which is on
only when stderr is a terminal. usage: on-a-tty.py COMMAND [ARG...]"""
import os
import subprocess
import sys

master, slave = os.openpty()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
os.close(slave)
seen = bytearray()
while True:
    try:
        chunk = os.read(master, 4096)
    except OSError:  # EIO: every writer of the terminal has closed it
        break
    if not chunk:
        break
    seen += chunk
code = child.wait()
sys.stdout.write(seen.decode("utf-8", "replace"))
sys.exit(code)
