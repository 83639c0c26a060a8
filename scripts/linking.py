"""The concept linker's benchmark (benchmarks/linking.py): the pipeline with
and without the linker, the linker alone on gold mentions, and scispaCy's
candidate generator beside it; results/linking/<corpus>.json."""
import sys

from benchmarks.linking import main

if __name__ == "__main__":
    sys.exit(main())
