"""Ray job entry point for virtual screening; the same options as ``molgen screen``.

    ray job submit --working-dir ray_jobs -- python screen.py \
        --model /shared/models/efficacy --library /shared/library --smiles-col smiles --top-k 1000 --out /shared/screen

Paths are absolute, on storage every node sees: the job runs in Ray's copy of this folder (README,
"Running on a Ray cluster").
"""

import sys

from molgen.cli import main

if __name__ == "__main__":
    sys.exit(main(["screen", *sys.argv[1:]]))
