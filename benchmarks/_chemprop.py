"""Run one Chemprop CLI command in-process and time it apart from interpreter start-up.

Run with the Python of the Chemprop install, not molgen's::

    /tmp/chemprop-venv/bin/python benchmarks/_chemprop.py TIMING_JSON [--repeat N] train --data-path ...

It does what the ``chemprop`` console script does (``chemprop.cli.main.main()`` with the
same arguments), ``N`` times in a row (default 1), and writes ``{"import_s", "main_s",
"epoch_s", "version", "rc"}`` to TIMING_JSON: ``import_s`` is the time to import the CLI
(torch, Lightning, RDKit), ``main_s`` the list of the command's times (one per repeat),
``epoch_s`` the wall time of each training
epoch (training batches, validation and checkpointing: the time between the starts of
consecutive epochs, the last one ending at ``on_fit_end``). The epoch clock is a Lightning
callback added to every ``Trainer`` the command builds; it only reads the time. Used by
``benchmarks/property.py``; it imports nothing from molgen.
"""

import json
import os
import sys
import time


def _clock_epochs() -> tuple[list[float], list[float]]:
    """Add an epoch clock to every Lightning ``Trainer``; returns the lists it fills."""
    import lightning.pytorch as pl

    starts: list[float] = []
    ends: list[float] = []

    class EpochClock(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            starts.append(time.perf_counter())

        def on_fit_end(self, trainer, pl_module):
            ends.append(time.perf_counter())

    original = pl.Trainer.__init__

    def init(self, *args, callbacks=None, **kwargs):
        if callbacks is None:
            callbacks = []
        elif not isinstance(callbacks, list):
            callbacks = [callbacks]
        original(self, *args, callbacks=[*callbacks, EpochClock()], **kwargs)

    pl.Trainer.__init__ = init
    return starts, ends


def main() -> int:
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    timing_path, args = sys.argv[1], sys.argv[2:]
    repeats = 1
    if args[:1] == ["--repeat"]:
        repeats, args = int(args[1]), args[2:]
    t0 = time.perf_counter()
    import chemprop
    from chemprop.cli.main import main as chemprop_main

    starts, ends = _clock_epochs()
    import_s = time.perf_counter() - t0
    rc, main_s = 0, []
    for _ in range(repeats):
        sys.argv = ["chemprop", *args]
        t1 = time.perf_counter()
        try:
            out = chemprop_main()
            rc = int(out) if isinstance(out, int) else 0
        except SystemExit as stop:  # argparse errors
            rc = stop.code if isinstance(stop.code, int) else 1
        main_s.append(time.perf_counter() - t1)
        if rc:
            break
    marks = starts + ends[-1:]
    epoch_s = [b - a for a, b in zip(marks, marks[1:])]
    record = {"import_s": import_s, "main_s": main_s, "epoch_s": epoch_s, "version": chemprop.__version__, "rc": rc}
    tmp = f"{timing_path}.tmp"
    with open(tmp, "w") as handle:
        json.dump(record, handle)
    os.replace(tmp, timing_path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
