#!/usr/bin/python3
"""Command round trip over the kernel's MCTP stack in the QEMU guest of
qemu.mctp, beside the same command on the emulated backend in the same
guest. A measurement, not a test.

usage: /usr/bin/python3 tests/bench/mctp_guest_rtt.py [BUILD_DIR] [-n N] [--warmup W]
  One guest (TCG, the raw-command test kernel, built or cached by
  tests/qemu/build-kernel) runs one agent with backend "emulated" (one device
  of the model, in process) plus the two MCTP endpoints of qemu.mctp (the
  model in mctp-responder behind a kernel MCTP serial link on a pty, reached
  over AF_MCTP). emu-read-telemetry (C000h, 64-byte reply: two MCTP packets)
  is sent N times (default 300, after W=20 warm-up) to the emulated device
  and to the first MCTP device, over one kept-alive TLS connection through
  the forwarded port. Reported per path: the device layer's DurationUs (the
  mailbox round trip; for MCTP the socket, the kernel's framing, the pty
  both ways, the responder and the reply's checks) and the whole HTTPS
  request seen from the host, p50 and p99 in microseconds, and the links'
  kernel counters afterwards. Both run under the same emulation, so the
  difference is what MCTP costs; the absolute figures are TCG's."""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "qemu"))
sys.path.insert(0, HERE)

from benchlib import command_rtt, pct, use_build  # noqa: E402

EMU_SERIAL = 0x2000000000000001  # apart from the MCTP devices' serials


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build", nargs="?", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    use_build(args.build, mctp=True)
    import agentlib  # after the environment is set
    import test_qemu_mctp as qm

    tmp = agentlib.tempfile.mkdtemp(prefix="cxla-mctp-guest-bench-")
    prof = agentlib.write_emulated_profile(os.path.join(tmp, "mctp"))
    emu = agentlib.write_emulated_profile(os.path.join(tmp, "emu"), devices=1)
    with open(emu["profile"]) as f:
        doc = json.load(f)
    doc["devices"][0]["serial"] = "0x%016x" % EMU_SERIAL
    for k in ("fault_control", "exec_journal"):
        doc["devices"][0].pop(k, None)
    emu_profile = os.path.join(tmp, "emu-profile.json")
    with open(emu_profile, "w") as f:
        json.dump(doc, f)
    config = {"backend": "emulated", "emulated_profile": "/etc/cxl-agent/emu-profile.json",
              "log_level": "warning", "refresh_interval_ms": 3600000,
              "mctp_timeout_ms": 1000}
    results = {}
    with qm.MctpGuest(prof["profile"], config, extra_files=[emu_profile]) as g:
        try:
            if not g.boot(agentlib.AGENT):
                sys.exit("guest agent not answering: %s\n%s" % (g.guest.fatal(), g.guest.text()))
            for name, dev in (("emulated (guest)", "%016x" % EMU_SERIAL),
                              ("mctp (kernel AF_MCTP)", prof["ids"][0])):
                results[name] = command_rtt(agentlib, g.agent, dev, args.n, args.warmup)
            stats = [g.stats(i) for i in range(2)]
        finally:
            qm.tq.stop_guest(g.proc)
    agentlib.shutil.rmtree(tmp, ignore_errors=True)

    print("emu-read-telemetry (C000h), %d requests after %d warm-up, one guest (TCG)" %
          (args.n, args.warmup))
    print("%-22s %12s %12s %14s %14s" % ("path", "device p50", "device p99",
                                         "request p50", "request p99"))
    for name, (d, r) in results.items():
        print("%-22s %10.0fus %10.0fus %12.0fus %12.0fus" %
              (name, pct(d, 50), pct(d, 99), pct(r, 50), pct(r, 99)))
    for i, s in enumerate(stats):
        print("mctpserial link %d: %s" % (i, " ".join("%s=%d" % kv for kv in s.items())))


if __name__ == "__main__":
    main()
