"""Ray job entry point for virtual screening; the same options as ``molgen screen``.

    ray job submit --working-dir . -- python ray_jobs/screen.py \
        --model models/efficacy --library /data/library --smiles-col smiles --top-k 1000 --out /data/screen
"""

import sys

from molgen.cli import main

if __name__ == "__main__":
    sys.exit(main(["screen", *sys.argv[1:]]))
